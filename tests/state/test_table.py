"""P4SFCTable through a SwitchAgent against the embedded switch: what the server table
holds is what the switch holds once quiescent, whatever the order of changes."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.state.agent import _running_versions
from p4sfc_compiler.state.policy import FirstCome
from p4sfc_compiler.state.table import P4SFCTable
from tests.state.conftest import (
    TABLE_SIZE,
    make_agent,
    make_table,
    switch_entries,
)

TCP = 6


def key(n: int, proto: int = TCP) -> tuple[int, ...]:
    return (0x0A000000 + n, 1024 + n, 0x0A000101, 80, proto)


def vals(n: int, port: int = 0) -> tuple[int, ...]:
    return (0xC0A80001, 50000 + n, 0x0A000101, 80, port)


def test_created_entries_reach_the_switch_and_removed_ones_leave(nat_switch: Deployment) -> None:
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent)
        for n in range(6):
            table.create(key(n), vals(n))
        table.remove(key(2))
        table.flush(5)
        assert switch_entries(nat_switch, table) == table.items() == table.installed()
        assert key(2) not in table.items()
        assert table.get(key(3)) == vals(3)
        assert table.get(key(2)) is None


def test_blocking_create_is_on_the_switch_when_it_returns(nat_switch: Deployment) -> None:
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent, method="blocking")
        table.create(key(1), vals(1))
        assert switch_entries(nat_switch, table) == {key(1): vals(1)}
        table.remove(key(1))
        assert switch_entries(nat_switch, table) == {}


def test_changes_to_one_key_coalesce(nat_switch: Deployment) -> None:
    """A key changed many times between flushes costs at most one write."""
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent)
        table.flush(5)
        before = agent.stats.updates
        with agent._cond:  # hold the worker so every change lands in one round
            for v in range(50):
                table.create(key(7), vals(v))
            table.remove(key(7))
            table.create(key(7), vals(99))
        table.flush(5)
        assert agent.stats.updates - before <= 1
        assert switch_entries(nat_switch, table) == {key(7): vals(99)}


@settings(max_examples=15, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["create", "remove"]), st.integers(0, 9),
                              st.integers(0, 3)), max_size=40),
       flush_every=st.integers(1, 10))
def test_any_sequence_of_changes_converges(nat_out, ops, flush_every) -> None:  # type: ignore[no-untyped-def]
    with Deployment(nat_out, state="off") as d, make_agent(d) as agent:
        table = make_table(d, agent)
        model: dict[tuple[int, ...], tuple[int, ...]] = {}
        for i, (op, n, v) in enumerate(ops):
            if op == "create":
                table.create(key(n), vals(v))
                model[key(n)] = vals(v)
            else:
                table.remove(key(n))
                model.pop(key(n), None)
            if i % flush_every == 0:
                table.flush(5)
        table.flush(5)
        assert table.items() == model
        assert switch_entries(d, table) == model


def test_full_table_keeps_flows_on_the_server(nat_switch: Deployment) -> None:
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent, policy=FirstCome())
        for n in range(TABLE_SIZE + 5):
            table.create(key(n), vals(n))
        table.flush(5)
        on_switch = switch_entries(nat_switch, table)
        assert len(on_switch) == TABLE_SIZE
        assert table.stats.full == 5
        assert len(table.parked()) == 5
        assert len(table.items()) == TABLE_SIZE + 5  # the server still maps all of them
        assert set(on_switch) == {key(n) for n in range(TABLE_SIZE)}  # first come
        # space freed: a parked key takes it
        table.remove(key(0))
        table.flush(5)
        table.flush(5)
        assert len(switch_entries(nat_switch, table)) == TABLE_SIZE
        assert len(table.parked()) == 4


def test_most_active_flow_takes_the_place_of_the_least_active(nat_switch: Deployment) -> None:
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent)  # the default policy: MostActive
        for n in range(TABLE_SIZE + 1):
            table.create(key(n), vals(n))
        table.flush(5)
        (late,) = table.parked()
        assert late == key(TABLE_SIZE)
        for _ in range(20):  # its packets keep reaching the server
            assert table.get(late) == vals(TABLE_SIZE)
        table.flush(5)
        table.flush(5)
        on_switch = switch_entries(nat_switch, table)
        assert late in on_switch and len(on_switch) == TABLE_SIZE
        assert table.stats.evicted == 1
        assert len(table.parked()) == 1 and table.parked() != {late}


def test_refused_write_leaves_the_flow_on_the_server(nat_switch: Deployment) -> None:
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent)
        table.flush(5)
        nat_switch.switches["s1"].fail_update(1)
        table.create(key(1), vals(1))
        table.create(key(2), vals(2))
        table.flush(5)
        assert table.stats.refused == 1
        assert "injected failure" in table.stats.messages[-1]
        assert switch_entries(nat_switch, table) == {key(2): vals(2)}
        assert table.parked() == {key(1)}
        assert table.get(key(1)) == vals(1)


def test_concurrent_creates_and_reads_are_consistent(nat_switch: Deployment) -> None:
    with make_agent(nat_switch) as agent:
        table = make_table(nat_switch, agent)
        errors: list[BaseException] = []

        def writer(base: int) -> None:
            try:
                for n in range(base, base + 200):
                    table.create(key(n % 12), vals(n))
                    if n % 3 == 0:
                        table.remove(key((n + 5) % 12))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        def reader() -> None:
            try:
                for _ in range(400):
                    for k, v in table.items().items():
                        got = table.get(k)
                        assert got is None or len(got) == len(v)
                    len(table)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(b,)) for b in (0, 1000, 2000)]
        threads.append(threading.Thread(target=reader))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        table.flush(5)
        assert switch_entries(nat_switch, table) == table.items()


def test_expiry_of_server_keys_follows_their_group_and_use() -> None:
    now = [1000.0]
    table = P4SFCTable(("k",) * 5, ("v",) * 5, clock=lambda: now[0])
    gone: list[tuple[int, ...]] = []
    table.on_expire(gone.append)
    mapping = object()
    table.create(key(1), vals(1), 10.0, mapping)
    table.create(key(2), vals(2), 10.0, mapping)  # the same mapping's reply direction
    table.create(key(3), vals(3), 30.0)
    table.create(key(4), vals(4))  # no timeout
    now[0] += 8
    table.get(key(2))  # a reply packet: the whole mapping was used
    now[0] += 7
    assert table.expire() == []  # 15 s since key 1, 7 s since the mapping's last use
    now[0] += 4
    assert sorted(table.expire()) == [key(1), key(2)]
    assert sorted(gone) == [key(1), key(2)]
    now[0] += 20
    assert table.expire() == [key(3)]
    assert table.items() == {key(4): vals(4)}
    assert table.stats.expired == 3


def test_table_rejects_wrong_arity(nat_switch: Deployment) -> None:
    table = P4SFCTable(("a", "b"), ("c",))
    with pytest.raises(P4SFCError, match="3 keys for 2 names"):
        table.create((1, 2, 3), (4,))
    with pytest.raises(P4SFCError, match="update method"):
        P4SFCTable(("a",), ("b",), method="eventually")


def test_running_version_comes_from_the_classification_entries(nat_switch: Deployment) -> None:
    index = nat_switch.out.index
    claim = index.table("MyIngress.classify_chain")
    push = index.action("MyIngress.push_chain_1")
    pid = push.params["chain_id"].id
    entries = {(claim.id, (), 1): (push.id, ((pid, 0x8000 | 5),))}
    assert _running_versions(index, entries) == {5: 1}
