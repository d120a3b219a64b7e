"""The state library beside ``p4sfc apply`` and ``destroy``: an apply leaves the running
version's state entries alone, a make-before-break re-apply moves them to the new
version, and a destroyed chain's state is not written back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.runtime.apply import Target, apply_switches
from p4sfc_compiler.runtime.destroy import destroy_chain
from p4sfc_compiler.runtime.outdir import load_out_dir
from p4sfc_compiler.state.binding import Encoder
from tests.state.conftest import TOPOLOGY, make_agent, make_table, rw_element, switch_entries
from tests.support.specs import compile_spec, solo_chain
from tests.switch.test_apply_embedded import held


def _apply(d: Deployment, out: Path):  # type: ignore[no-untyped-def]
    plan = load_out_dir(out)
    sw = d.switches["s1"]
    return asyncio.run(apply_switches(plan, [Target(plan.switches["s1"], sw.address,
                                                    sw.device_id)], drain=0.05))


def _until(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "no convergence"
        time.sleep(0.02)


KEYS = [((0x0A000000 + n, 1024 + n, 0x0A000101, 80, 6), (0xC0A80001, 50000 + n, 0x0A000101,
                                                         80, 0)) for n in range(5)]


def test_apply_again_leaves_state_entries(nat_out: Path) -> None:
    with Deployment(nat_out, state="off") as d, make_agent(d) as agent:
        table = make_table(d, agent)
        for k, v in KEYS:
            table.create(k, v)
        table.flush(5)
        (result,) = _apply(d, nat_out)
        assert not result.failures
        assert (result.inserted, result.modified, result.deleted) == (0, 0, 0)
        _until(lambda: agent.stats.connected)
        table.flush(5)
        assert switch_entries(d, table) == dict(KEYS)
        assert agent.version_of(table) == 0


def test_make_before_break_moves_state_to_the_new_version(nat_out: Path, tmp_path: Path
                                                          ) -> None:
    # the same NAT, then a monitor after it: the chain's entries change, its id stays
    chain = solo_chain({"type": "nat"})
    chain["NFs"].append({"name": "n2", "type": "monitor", "location": "srv1"})
    chain["Links"] = [["n1", "n2"]]
    compile_spec(tmp_path, chain, TOPOLOGY, out_dir=tmp_path / "out2", table_size=16)
    out2 = tmp_path / "out2"
    assert rw_element(out2).binding == rw_element(nat_out).binding
    with Deployment(nat_out, state="off") as d, make_agent(d) as agent:
        table = make_table(d, agent)
        for k, v in KEYS:
            table.create(k, v)
        table.flush(5)
        (result,) = _apply(d, out2)
        assert not result.failures and result.deleted > 0
        _until(lambda: agent.version_of(table) == 1 and agent.stats.connected)
        table.flush(5)
        assert switch_entries(d, table) == dict(KEYS)  # written again, at version 1
        enc = Encoder(d.out.index, table.binding)  # type: ignore[arg-type]
        # nothing of version 0 is left (apply deleted it after the drain)
        assert not [k for k in KEYS if enc.key(k[0], 0) in _keys(d)]


def _keys(d: Deployment) -> set[object]:
    return set(held(d.switches["s1"]))


def test_destroyed_chain_state_is_not_written_back(nat_out: Path) -> None:
    with Deployment(nat_out, state="off") as d, make_agent(d) as agent:
        table = make_table(d, agent)
        for k, v in KEYS:
            table.create(k, v)
        table.flush(5)
        plan = load_out_dir(nat_out)
        sw = d.switches["s1"]
        results = asyncio.run(destroy_chain(plan, [Target(plan.switches["s1"], sw.address,
                                                          sw.device_id)], "solo"))
        assert not any(r.failures for r in results)
        _until(lambda: agent.stats.connected and agent.version_of(table) is None)
        table.create(*KEYS[0])  # the server still runs: its changes wait
        table.flush(5)
        assert switch_entries(d, table) == {}
        assert not _keys(d)
