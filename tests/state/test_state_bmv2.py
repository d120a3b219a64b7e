"""The state library against BMv2 ``simple_switch_grpc`` (tools, root): a NAT's
mappings, created by the software NAT through a P4SFCTable, make BMv2 rewrite the
flows' later packets exactly as the software chain does, with no server visit; the
table's contents read back equal the server's; a full table keeps flows on the server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.bmv2 import Lab, unavailable
from support.specs import compile_spec, solo_chain

from p4sfc_compiler.cli import main
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.statesync import stateful_elements
from p4sfc_compiler.deploy.traffic import flows_trace
from p4sfc_compiler.families.rewriter.behaviour import Rewriter
from p4sfc_compiler.frontend.chainspec import load_chains
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.runtime.outdir import load_out_dir
from p4sfc_compiler.state.agent import SwitchAgent
from p4sfc_compiler.state.binding import Encoder
from p4sfc_compiler.state.table import P4SFCTable

REASON = unavailable()
pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]
TOPOLOGY = Path(__file__).resolve().parents[2] / "examples" / "paper-topology.json"
TABLE_SIZE = 64


def _setup(tmp_path: Path) -> tuple[Path, Lab]:
    result, topo = compile_spec(tmp_path, solo_chain({"type": "nat"}), TOPOLOGY,
                                out_dir=tmp_path / "out", table_size=TABLE_SIZE)
    lab = Lab(result.files, topo, tmp_path, load=False)
    out = tmp_path / "out"
    (out / "p4" / "p4sfc.json").write_bytes(lab.device_json)
    r = CliRunner().invoke(main, ["apply", str(out), "--pipeline", "--switch",
                                  f"s1={lab.addresses()['s1']}"])
    assert r.exit_code == 0, r.output
    return out, lab


def _read(address: str, index: P4InfoIndex, table: P4SFCTable
          ) -> dict[tuple[int, ...], tuple[int, ...] | None]:
    assert table.binding is not None
    enc = Encoder(index, table.binding)

    async def go() -> dict:
        async with Connection("probe", address, 0, primary=False) as conn:
            return await conn.read_entries()

    return {enc.keys_of(k): enc.vals_of(v) for k, v in asyncio.run(go()).items()
            if enc.owns(k, 0)}


def test_bmv2_rewrites_the_flows_the_library_installed(tmp_path: Path) -> None:
    out, lab = _setup(tmp_path)
    try:
        plan = load_out_dir(out)
        (el,) = stateful_elements(out)
        b = el.binding
        software = SoftwareChains(load_chains(tmp_path / "chain.json"))
        rw = software.engines["solo"].engines[0].elements["rw"]
        assert isinstance(rw, Rewriter)
        address = lab.addresses()["s1"]
        frames = flows_trace(12, 4, seed=3)
        with SwitchAgent("s1", address, 0, plan.index) as agent:
            table = P4SFCTable(b.key_names, b.val_names, agent=agent, binding=b,
                               method="blocking")
            rw.attach_mirror(table)
            seen: set[tuple[bytes, bytes]] = set()
            expected: list[bytes] = []
            assert lab.wire is not None
            for f in frames:
                flow = (f[26:30], f[34:36])
                soft = [frame for _, _, frame in software.push("s1", 1, f)]
                if flow not in seen:  # the first packet: the server's (here: software's)
                    seen.add(flow)
                    continue
                lab.wire.send(("s1", 1), f)
                expected += soft
            got = lab.wire.collect()
            assert _read(address, plan.index, table) == table.items()
            assert len(table.items()) == 2 * len(seen)
        assert got.get(("s1", 3), []) == []  # no later packet went to the server
        assert sorted(got.get(("s1", 2), [])) == sorted(expected)
        assert len(expected) > 0
    finally:
        lab.close()


def test_bmv2_full_table_keeps_flows_on_the_server(tmp_path: Path) -> None:
    out, lab = _setup(tmp_path)
    try:
        plan = load_out_dir(out)
        (el,) = stateful_elements(out)
        b = el.binding
        address = lab.addresses()["s1"]
        with SwitchAgent("s1", address, 0, plan.index) as agent:
            table = P4SFCTable(b.key_names, b.val_names, agent=agent, binding=b)
            for n in range(TABLE_SIZE + 6):
                table.create((0x0A000000 + n, 1024, 0x0A000101, 80, 6),
                             (0xC0A80001, 50000 + n, 0x0A000101, 80, 0))
            table.flush(10)
            on_switch = _read(address, plan.index, table)
            assert len(on_switch) == TABLE_SIZE
            assert table.stats.full == 6 and len(table.parked()) == 6
            assert on_switch == {k: v for k, v in table.items().items()
                                 if k not in table.parked()}
    finally:
        lab.close()


def test_bmv2_idle_times_keep_used_mappings_and_expire_idle_ones(tmp_path: Path) -> None:
    """Mappings with a 1 s timeout: one flow keeps passing through BMv2 (the server never
    sees it again), the other is idle; expiry takes the idle one only, from BMv2 too."""
    rw_config = ("pattern 192.168.0.1 50000-59999# - - 0 0, drop, TCP_TIMEOUT 1, "
                 "TCP_NODATA_TIMEOUT 1, TCP_DONE_TIMEOUT 1, UDP_TIMEOUT 1")
    result, topo = compile_spec(tmp_path, solo_chain({"type": "nat", "config": {"rw": rw_config}}),
                                TOPOLOGY, out_dir=tmp_path / "out", table_size=TABLE_SIZE)
    lab = Lab(result.files, topo, tmp_path, load=False)
    out = tmp_path / "out"
    (out / "p4" / "p4sfc.json").write_bytes(lab.device_json)
    try:
        address = lab.addresses()["s1"]
        r = CliRunner().invoke(main, ["apply", str(out), "--pipeline", "--switch", f"s1={address}"])
        assert r.exit_code == 0, r.output
        plan = load_out_dir(out)
        (el,) = stateful_elements(out)
        b = el.binding
        software = SoftwareChains(load_chains(tmp_path / "chain.json"))
        rw = software.engines["solo"].engines[0].elements["rw"]
        assert isinstance(rw, Rewriter)
        frames = flows_trace(2, 40, seed=4, udp_share=0)
        busy_flow = (frames[0][26:30], frames[0][34:36])
        busy = [f for f in frames if (f[26:30], f[34:36]) == busy_flow]
        idle = next(f for f in frames if (f[26:30], f[34:36]) != busy_flow)
        assert lab.wire is not None
        with SwitchAgent("s1", address, 0, plan.index) as agent:
            table = P4SFCTable(b.key_names, b.val_names, agent=agent, binding=b,
                               method="blocking")
            rw.attach_mirror(table)
            software.push("s1", 1, busy[0])  # the first packets: the server's
            software.push("s1", 1, idle)
            assert len(_read(address, plan.index, table)) == 4
            deadline = time.monotonic() + 1.6
            k = 1
            while time.monotonic() < deadline:
                lab.wire.send(("s1", 1), busy[k % len(busy)])
                k += 1
                time.sleep(0.1)
            gone = table.expire()
            assert len(gone) == 2 and all(g[1] != int.from_bytes(busy_flow[1], "big") and
                                          g[3] != int.from_bytes(busy_flow[1], "big")
                                          for g in gone)
            assert _read(address, plan.index, table) == table.items()
            assert len(table.items()) == 2
            assert rw.handlers()["table_size"]() == "1"
            got = lab.wire.collect()
        assert len(got.get(("s1", 2), [])) == k - 1 and not got.get(("s1", 3))
    finally:
        lab.close()
