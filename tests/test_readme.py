"""The README's sample chain.json and topology.json compile together."""

from __future__ import annotations

import re
from pathlib import Path

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

README = Path(__file__).resolve().parents[1] / "README.md"


def _sample(heading: str) -> str:
    text = README.read_text()
    section = text[text.index(f"### {heading}"):]
    match = re.search(r"```json\n(.*?)```", section, re.S)
    assert match is not None, heading
    return match.group(1)


def test_sample_chain_and_topology_compile_together(tmp_path: Path) -> None:
    (tmp_path / "chain.json").write_text(_sample("chain.json"))
    (tmp_path / "topology.json").write_text(_sample("topology.json"))
    (tmp_path / "nfs").mkdir()
    (tmp_path / "nfs" / "own.click").write_text(
        "input -> Strip(14) -> CheckIPHeader -> DecIPTTL -> Unstrip(14) -> output;\n"
    )
    chains = load_chains(tmp_path / "chain.json")
    topology = load_topology(tmp_path / "topology.json")
    validate(chains, topology)
    result = compile_chains(chains, topology, out_dir=tmp_path / "out")
    assert result.entries_per_switch and (tmp_path / "out" / "plan.json").exists()
