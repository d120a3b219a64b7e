"""``p4sfc run --software``: a chain file's NFs in a row in the engine, a trace in, the
frames that leave the last NF out, a count per NF; errors are one line, exit 1."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from p4sfc_compiler.cli import main
from p4sfc_compiler.engine.chain import ChainEngine
from p4sfc_compiler.engine.engine import Engine
from p4sfc_compiler.engine.pcap import read_pcap
from p4sfc_compiler.frontend.chainspec import load_chains
from p4sfc_compiler.frontend.nflib import load_nf

REPO = Path(__file__).resolve().parents[2]
CHAIN = REPO / "examples" / "paper-chain.json"
TRACE = REPO / "tests" / "golden" / "click" / "nf_nat" / "in.pcap"


def test_the_paper_chain_runs_nf_after_nf(tmp_path: Path) -> None:
    out = tmp_path / "out.pcap"
    result = CliRunner().invoke(main, ["run", "--software", str(CHAIN), "--in", str(TRACE),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    frames = read_pcap(TRACE)
    got = [f for f, _ in read_pcap(out)]
    # the same frames, NF by NF, each NF body in its own engine
    (chain,) = load_chains(CHAIN)
    packets = frames
    for nf in chain.nfs:
        eng = Engine(load_nf(nf))
        eng.push_body(packets)
        packets = [(p.bytes(), p.ts) for p in eng.body_outputs().get(0, [])]
    assert got == [f for f, _ in packets]
    assert f"{len(frames)} frames in, {len(got)} out" in result.output
    counts = ChainEngine(chain)
    counts.run(frames)
    lines = result.output.splitlines()
    for c in counts.counts():
        assert any(line.startswith(f"{c.name} ({c.type}): in {c.packets_in}, out "
                                   f"{c.packets_out}") for line in lines)


def test_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    two = REPO / "examples" / "two-server-chain.json"
    r = runner.invoke(main, ["run", "--software", str(two), "--in", str(TRACE),
                             "-o", str(tmp_path / "o.pcap")])
    assert r.exit_code == 1 and "pick one with --chain" in r.output
    bad = tmp_path / "nf.click"
    bad.write_text("input -> Strip(14)\n  -> t :: ToIPSummaryDump(x) -> output;\n")
    chain = tmp_path / "chain.json"
    chain.write_text('{"name": "c", "NFs": [{"name": "n", "type": "firewall", '
                     '"location": "srv1", "click": "nf.click"}], "Links": [], '
                     '"Route": {"ingress": {"switch": "s1", "port": 1}, '
                     '"egress": {"switch": "s1", "port": 2}}}')
    r = runner.invoke(main, ["run", "--software", str(chain), "--in", str(TRACE),
                             "-o", str(tmp_path / "o.pcap")])
    # an element the engine does not have: its class and place, one line
    assert r.exit_code == 1, r.output
    assert f"{bad}:2:6:" in r.output and "ToIPSummaryDump" in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(main, ["run", "--software", str(CHAIN), "--in", str(CHAIN),
                             "-o", str(tmp_path / "o.pcap")])
    assert r.exit_code == 1 and "not a pcap file" in r.output


def test_the_vpn_chain_runs(tmp_path: Path) -> None:
    two = REPO / "examples" / "two-server-chain.json"
    r = CliRunner().invoke(main, ["run", "--software", str(two), "--chain", "site-to-site",
                                  "--in", str(TRACE), "-o", str(tmp_path / "o.pcap")])
    assert r.exit_code == 0, r.output
    assert "(vpn)" in r.output
