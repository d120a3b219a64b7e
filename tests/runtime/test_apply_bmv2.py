"""``p4sfc apply`` against BMv2 ``simple_switch_grpc``: both examples go in (pipeline
included), a second apply writes nothing, and a chain whose update fails leaves nothing
behind. The lab's switches start empty and the test's own controller leaves them, so
apply is the primary; their addresses are overridden to the lab's unix sockets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.bmv2 import Lab, unavailable

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.cli import main
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.runtime.apply import INSERT, apply_switch, select_targets
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.runtime.outdir import CLASSIFY_CHAIN_TABLE, load_out_dir

EX = Path(__file__).resolve().parents[2] / "examples"
REASON = unavailable()

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

EXAMPLES = {
    "paper": ("paper-chain.json", "paper-topology.json"),
    "two-server": ("two-server-chain.json", "two-server-topology.json"),
}


def _lab(tmp_path: Path, example: str) -> tuple[Path, Lab]:
    chain, topology = EXAMPLES[example]
    chains = load_chains(EX / chain)
    topo = load_topology(EX / topology)
    validate(chains, topo)
    out = tmp_path / "out"
    result = compile_chains(chains, topo, out_dir=out)
    lab = Lab(result.files, topo, tmp_path, load=False)
    # p4c's JSON, compiled once per session by the lab (apply would compile it too)
    (out / "p4" / "p4sfc.json").write_bytes(lab.device_json)
    return out, lab


def _switch_args(lab: Lab) -> list[str]:
    return [arg for name, address in lab.addresses().items()
            for arg in ("--switch", f"{name}={address}")]


def _read(address: str, device_id: int) -> dict:
    async def go() -> dict:
        async with Connection("probe", address, device_id, election_id=9) as conn:
            return await conn.read_entries()
    return asyncio.run(go())


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_apply_puts_every_entry_and_a_second_apply_writes_nothing(example: str,
                                                                  tmp_path: Path) -> None:
    out, lab = _lab(tmp_path, example)
    try:
        r = CliRunner().invoke(main, ["apply", str(out), "--pipeline", *_switch_args(lab)])
        assert r.exit_code == 0, r.output
        out_dir = load_out_dir(out)
        for name, sw in out_dir.switches.items():
            if not sw.entries:
                continue
            got = _read(lab.addresses()[name], sw.device_id)
            assert got == {e.key: e.value for e in sw.entries}, name

        targets = select_targets(out_dir, tuple(f"{n}={a}" for n, a in lab.addresses().items()),
                                 None)
        for t in targets:
            again = asyncio.run(apply_switch(out_dir, t))
            assert (again.inserted, again.modified, again.deleted, again.writes) == (0, 0, 0, 0)
            assert again.unchanged == len(t.plan.entries) and not again.failures
        r = CliRunner().invoke(main, ["apply", str(out), *_switch_args(lab)])
        assert r.exit_code == 0 and "kept" in r.output, r.output
    finally:
        lab.close()


def test_a_failing_chain_is_rolled_back_fully(tmp_path: Path, monkeypatch) -> None:
    """Another controller holds one of the chain's keys (written after our read, so the
    diff plans an INSERT): that update fails with ALREADY_EXISTS, every entry written for
    the chain before and after it in the batch is removed again, the classification entry
    never goes in, and the failure names table, key, chain and the switch's reason."""
    out, lab = _lab(tmp_path, "paper")
    try:
        out_dir = load_out_dir(out)
        (target,) = select_targets(out_dir, (f"s1={lab.addresses()['s1']}",), None)
        entries = target.plan.entries
        victim = entries[len(entries) // 2]
        assert victim.table != CLASSIFY_CHAIN_TABLE

        async def preinsert() -> None:
            async with Connection("s1", target.address, 0, election_id=9) as conn:
                await conn.set_pipeline(out_dir.p4info_text, lab.device_json)
                conn.use_index(out_dir.index)
                assert await conn.write([conn.table_update(INSERT, victim.key, victim.value)]) == []
        asyncio.run(preinsert())

        real_read = Connection.read_entries

        async def read_without_victim(self):
            return {k: v for k, v in (await real_read(self)).items() if k != victim.key}
        monkeypatch.setattr(Connection, "read_entries", read_without_victim)

        result = asyncio.run(apply_switch(out_dir, target))
        (failure,) = result.failures
        assert failure.chain == "paper" and failure.table == victim.table
        assert failure.reason.startswith("ALREADY_EXISTS"), failure
        assert failure.rollback == "rolled back"
        assert "chain_id=" in failure.key and result.chains == []
        assert (result.inserted, result.modified, result.deleted) == (0, 0, 0)
        monkeypatch.undo()
        assert _read(target.address, 0) == {victim.key: victim.value}  # only the other's
    finally:
        lab.close()


def test_a_refused_entry_fails_the_command_with_one_line(tmp_path: Path) -> None:
    """A ternary entry without priority (BMv2 refuses it) in OUT: exit status 1, the
    failing entry reported, nothing of the chain left on the switch."""
    out, lab = _lab(tmp_path, "paper")
    try:
        path = out / "switches" / "s1-runtime.json"
        data = json.loads(path.read_text())
        rows = data["table_entries"]
        bad = next(r for r in rows if r["table"].endswith((".classify", ".classify_ip")))
        del bad["priority"]
        path.write_text(json.dumps(data))
        r = CliRunner().invoke(main, ["apply", str(out), "--pipeline", *_switch_args(lab)])
        assert r.exit_code == 1, r.output
        line = next(x for x in r.output.splitlines() if x.startswith("error:"))
        assert "chain 'paper' not applied (rolled back)" in line, line
        assert bad["table"] in line
        assert _read(lab.addresses()["s1"], 0) == {}
    finally:
        lab.close()


def test_without_p4c_json_bmv2_refuses_the_placeholder_config_and_says_why(
        tmp_path: Path, monkeypatch) -> None:
    """The embedded switch needs only the P4Info, so apply sends a placeholder device
    config (not JSON) when OUT has no p4c JSON and p4c is not on PATH; BMv2 refuses it,
    in one line that says it needs the JSON. (An empty config BMv2 would take, then run
    no program and refuse every entry.)"""
    from p4sfc_compiler.runtime import pipeline as pipeline_mod

    out, lab = _lab(tmp_path, "paper")
    try:
        (out / "p4" / "p4sfc.json").unlink()
        monkeypatch.setattr(pipeline_mod.shutil, "which", lambda _name: None)
        r = CliRunner().invoke(main, ["apply", str(out), "--pipeline", *_switch_args(lab)])
        assert r.exit_code == 1, r.output
        assert len(r.output.strip().splitlines()) == 1, r.output
        assert "a BMv2 switch needs p4c's JSON" in r.output, r.output
        assert "p4c-bm2-ss is not on PATH" in r.output, r.output
    finally:
        lab.close()
