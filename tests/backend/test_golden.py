"""Golden outputs of ``p4sfc compile`` for the examples.

The files under ``tests/golden/<example>/`` were reviewed by eye once; this test keeps
them. After an intended change, regenerate them with
``P4SFC_UPDATE_GOLDEN=1 python -m pytest tests/backend/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = {
    "paper": ("paper-chain.json", "paper-topology.json", "device"),
    "two-server": ("two-server-chain.json", "two-server-topology.json", "pcap"),
}
# the program text and P4Info depend only on the parameters: kept once, for the paper
PROGRAM_FILES = ("p4/p4sfc.p4", "p4/p4sfc.p4info.txtpb")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_compile_output_matches_golden(name: str) -> None:
    chain, topo, io = EXAMPLES[name]
    chains = load_chains(ROOT / "examples" / chain)
    topology = load_topology(ROOT / "examples" / topo)
    validate(chains, topology)
    files = compile_chains(chains, topology, server_io=io).files
    if name != "paper":
        files = {k: v for k, v in files.items() if k not in PROGRAM_FILES}
    folder = GOLDEN / name
    if os.environ.get("P4SFC_UPDATE_GOLDEN"):
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
    stored = {
        str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()
    }
    assert sorted(stored) == sorted(files)
    for rel, text in files.items():
        assert text == stored[rel], f"{name}/{rel} differs from the golden file"
