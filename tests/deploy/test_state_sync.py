"""Split NFs with the state library on: the server's rewriter mirrors each mapping into
the switch, so after a flow's first packet the switch handles the rest, and the output
still equals the software chain's, through refused writes, dropped connections and
switch restarts."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.equivalence import Verdict, run_both
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.traffic import flows_trace
from p4sfc_compiler.frontend.chainspec import load_chains
from tests.state.conftest import switch_entries
from tests.support.specs import compile_spec, solo_chain

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "examples" / "paper-topology.json"
LB_VIP = "192.168.10.1"


def _compile(tmp: Path, nf_type: str) -> tuple[Path, SoftwareChains]:
    compile_spec(tmp, solo_chain({"type": nf_type}), TOPOLOGY, out_dir=tmp / "out")
    return tmp / "out", SoftwareChains(load_chains(tmp / "chain.json"))


def _flow(frame: bytes) -> tuple[bytes, bytes, int]:
    return frame[26:30], frame[34:36], frame[23]  # source address, source port, protocol


def _run(d: Deployment, software: SoftwareChains, frames: list[bytes],
         between: dict[int, object] | None = None) -> Verdict:
    return run_both(d, software, [("s1", 1, f) for f in frames], strict_macs=False)


def _visits_after_first(v: Verdict, frames: list[bytes]) -> tuple[int, int]:
    """(flows, server visits of packets after each flow's first)."""
    seen: Counter[tuple[bytes, bytes, int]] = Counter()
    later = 0
    for frame, run in zip(frames, v.runs, strict=True):
        f = _flow(frame)
        if seen[f]:
            later += run.server_visits
        seen[f] += 1
    return len(seen), later


@pytest.mark.parametrize(("nf_type", "dst"), [("nat", "10.0.1.10"), ("lb", LB_VIP)])
def test_after_a_flows_first_packet_the_switch_handles_it(tmp_path: Path, nf_type: str,
                                                          dst: str) -> None:
    out, software = _compile(tmp_path, nf_type)
    frames = flows_trace(40, 8, seed=5, dst=dst, udp_share=0.25 if nf_type == "nat" else 0)
    with Deployment(out, state="blocking") as d:
        v = _run(d, software, frames)
        assert d.state is not None
        (table,) = d.state.tables.values()
        d.state.flush()
        assert switch_entries(d, table) == table.items()
        mirrored = len(table.items())
    assert v.equal, "\n".join(x.one_line() for x in v.differences[:5])
    flows, later = _visits_after_first(v, frames)
    assert later == 0
    first_visits = sum(r.server_visits for r in v.runs)
    assert first_visits == flows  # one server visit per flow: its first packet
    assert mirrored == 2 * flows  # forward and reply entry per mapping


def test_without_state_sync_every_packet_visits_the_server(tmp_path: Path) -> None:
    out, software = _compile(tmp_path, "nat")
    frames = flows_trace(10, 5, seed=2)
    with Deployment(out, state="off") as d:
        v = _run(d, software, frames)
    assert v.equal
    assert all(r.server_visits == 1 for r in v.runs)


def test_non_blocking_sync_equals_software_and_converges(tmp_path: Path) -> None:
    out, software = _compile(tmp_path, "nat")
    frames = flows_trace(60, 6, seed=9)
    with Deployment(out, state="nonblocking") as d:
        v = _run(d, software, frames)
        assert d.state is not None
        d.state.flush()
        (table,) = d.state.tables.values()
        assert switch_entries(d, table) == table.items()
        assert len(table.items()) > 0
    assert v.equal, "\n".join(x.one_line() for x in v.differences[:5])


def _phases(d: Deployment, software: SoftwareChains, frames: list[bytes], fault) -> Verdict:  # type: ignore[no-untyped-def]
    """Half the trace, the fault, the rest; one verdict over all of it."""
    half = len(frames) // 2
    v1 = _run(d, software, frames[:half])
    fault()
    v2 = _run(d, software, frames[half:])
    assert v1.equal, "\n".join(x.one_line() for x in v1.differences[:5])
    assert v2.equal, "\n".join(x.one_line() for x in v2.differences[:5])
    return v2


def test_refused_writes_keep_flows_on_the_server(tmp_path: Path) -> None:
    out, software = _compile(tmp_path, "nat")
    frames = flows_trace(20, 6, seed=4, udp_share=0)
    with Deployment(out, state="blocking") as d:
        sw = d.switches["s1"]
        for k in (1, 3, 4):
            sw.fail_update(k)
        v = _run(d, software, frames)
        assert d.state is not None
        (table,) = d.state.tables.values()
        assert table.stats.refused >= 1
        assert switch_entries(d, table) == {k: v for k, v in table.items().items()
                                             if k not in table.parked()}
    assert v.equal, "\n".join(x.one_line() for x in v.differences[:5])


@pytest.mark.parametrize("keep_state", [True, False], ids=["connection-drop", "restart"])
def test_switch_loss_mid_trace_converges(tmp_path: Path, keep_state: bool) -> None:
    out, software = _compile(tmp_path, "nat")
    frames = flows_trace(30, 8, seed=6)
    with Deployment(out, state="blocking") as d:
        assert d.state is not None
        (table,) = d.state.tables.values()
        agent = next(iter(d.state.agents.values()))

        def fault() -> None:
            d.restart_switch("s1", keep_state=keep_state)

        _phases(d, software, frames, fault)
        d.state.flush()
        assert agent.stats.reconnects >= 1
        assert switch_entries(d, table) == table.items()


COUNTED_NAT = """input -> Strip(14) -> chk :: CheckIPHeader
      -> side :: IPClassifier(src net 10.0.0.0/8, -);
rw :: IPRewriter(pattern 192.168.0.1 50000-59999# - - 0 0, drop);
side[0] -> [0]rw;
side[1] -> [1]rw;
rw[0] -> cnt :: Counter -> Unstrip(14) -> output;
chk[1] -> Discard;
"""


def test_split_counter_reports_the_software_total(tmp_path: Path) -> None:
    """A Counter after the rewriter counts misses on the server and hits on the switch;
    its P4SFCCounter (and the server element's handlers) give the sum."""
    (tmp_path / "cnat.click").write_text(COUNTED_NAT)
    compile_spec(tmp_path, solo_chain({"type": "cnat", "click": "cnat.click"}), TOPOLOGY,
                 out_dir=tmp_path / "out")
    software = SoftwareChains(load_chains(tmp_path / "chain.json"))
    frames = flows_trace(12, 6, seed=3)
    with Deployment(tmp_path / "out", state="blocking") as d:
        v = _run(d, software, frames)
        assert v.equal, "\n".join(x.one_line() for x in v.differences[:5])
        assert d.state is not None
        (counter,) = d.state.counters.values()
        sw_part, srv_part, soft = v.counts[("solo", "n1", "cnt")]
        assert sw_part.packets > 0 and srv_part.packets > 0  # both halves counted
        total = counter.get()
        assert (total.packets, total.bytes) == (soft.packets, soft.bytes)
        server = next(iter(d.servers.values()))
        handlers = server.engine.elements["c_1_n1_miss/cnt"].handlers()  # type: ignore[attr-defined]
        assert handlers["count"]() == str(soft.packets)
        counter.set(type(total)(3, 300))
        assert counter.get() == (3, 300)
        assert counter.switch_part() == (0, 0)


def test_teardown_leaves_no_entry_behind(tmp_path: Path) -> None:
    out, software = _compile(tmp_path, "nat")
    frames = flows_trace(10, 4, seed=1)
    with Deployment(out, state="nonblocking") as d:
        _run(d, software, frames)
        assert d.state is not None
        (table,) = d.state.tables.values()
        d.state.flush()
        assert switch_entries(d, table)
        d.state.close()  # the servers stop: their NFs' state leaves the switch
        d.state = None
        assert switch_entries(d, table) == {}


def test_packets_before_the_entry_is_installed_are_the_servers(tmp_path: Path) -> None:
    """The agent is held while the first half of the trace runs: every packet of a flow
    reaches the server, which maps it as the switch later does; then the entries go in
    and the rest stay in the switch. No loss, no double rewrite, same output."""
    out, software = _compile(tmp_path, "nat")
    frames = flows_trace(10, 8, seed=12)
    half = len(frames) // 2
    with Deployment(out, state="nonblocking") as d:
        assert d.state is not None
        agent = next(iter(d.state.agents.values()))
        with agent._cond:  # the worker cannot take a round
            v1 = _run(d, software, frames[:half])
        d.state.flush()
        v2 = _run(d, software, frames[half:])
    for v in (v1, v2):
        assert v.equal, "\n".join(x.one_line() for x in v.differences[:5])
    assert all(r.server_visits == 1 for r in v1.runs)
    first_half_flows = {_flow(f) for f in frames[:half]}
    later = [r.server_visits for f, r in zip(frames[half:], v2.runs, strict=True)
             if _flow(f) in first_half_flows]
    assert later and not any(later)


def test_a_full_switch_table_keeps_the_rest_on_the_server(tmp_path: Path) -> None:
    compile_spec(tmp_path, solo_chain({"type": "nat"}), TOPOLOGY, out_dir=tmp_path / "out",
                 table_size=16)
    software = SoftwareChains(load_chains(tmp_path / "chain.json"))
    frames = flows_trace(30, 5, seed=2)
    with Deployment(tmp_path / "out", state="blocking") as d:
        v = _run(d, software, frames)
        assert d.state is not None
        (table,) = d.state.tables.values()
        assert table.stats.full > 0 and table.parked()
        assert len(table.installed()) == 16
        (summary,) = d.state.summary()
        assert summary.on_switch == 16 and summary.parked == len(table.parked())
    assert v.equal, "\n".join(x.one_line() for x in v.differences[:5])


def test_mappings_idle_on_server_and_switch_expire_and_used_ones_stay(tmp_path: Path) -> None:
    """Timeouts as Click's rewriter has them: a mapping expires once idle past its
    timeout on the server and on the switch alike (the switch's time_since_last_hit of
    its entries, which carry the timeout as TTL); one the switch keeps using stays, though
    the server has not seen its packets since the first."""
    rw = ("pattern 192.168.0.1 50000-59999# - - 0 0, drop, TCP_TIMEOUT 1, "
          "TCP_NODATA_TIMEOUT 1, TCP_DONE_TIMEOUT 1, UDP_TIMEOUT 1")
    compile_spec(tmp_path, solo_chain({"type": "nat", "config": {"rw": rw}}), TOPOLOGY,
                 out_dir=tmp_path / "out")
    busy = flows_trace(2, 30, seed=1, udp_share=0)
    busy_flow = _flow(busy[0])
    busy = [f for f in busy if _flow(f) == busy_flow]
    idle = [f for f in flows_trace(5, 1, seed=2, udp_share=0) if _flow(f) != busy_flow]
    with Deployment(tmp_path / "out", state="blocking") as d:
        assert d.state is not None
        d.state.tick = lambda: None  # type: ignore[method-assign]  # expire by hand below
        (table,) = d.state.tables.values()
        d.inject("s1", 1, busy[0])
        d.inject("s1", 1, idle[0])
        assert len(table.installed()) == 4
        deadline = time.monotonic() + 1.6
        sent = 1
        while time.monotonic() < deadline:  # only the switch sees these
            assert d.inject("s1", 1, busy[sent % len(busy)]).server_visits == 0
            sent += 1
            time.sleep(0.05)
        gone = d.state.expire()
        assert gone == 2  # the idle flow's two directions
        held = switch_entries(d, table)
        assert held == table.items() and len(held) == 2
        assert all(k[1] == int.from_bytes(busy_flow[1], "big") or v[3] ==
                   int.from_bytes(busy_flow[1], "big") for k, v in held.items())
        server = next(iter(d.servers.values()))
        rewriter = server.engine.elements["c_1_n1_miss/rw"]  # type: ignore[attr-defined]
        assert rewriter.handlers()["table_size"]() == "1"
