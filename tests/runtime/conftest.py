"""What the runtime tests share: a compile output of the two-server example."""

from __future__ import annotations

from pathlib import Path

import pytest

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

EX = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def two_server(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("two") / "out"
    chains = load_chains(EX / "two-server-chain.json")
    topo = load_topology(EX / "two-server-topology.json")
    validate(chains, topo)
    compile_chains(chains, topo, out_dir=out)
    return out
