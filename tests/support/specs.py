"""Compiling a chain given as a file or as data, for tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def compile_spec(tmp_path: Path, chain: Path | dict, topology: Path | dict, **options):
    """Compile a chain file (or a chain given as data) for a topology file (or data):
    the compile result and the topology."""
    from p4sfc_compiler.backend.compile import compile_chains
    from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

    if isinstance(chain, dict):
        (tmp_path / "chain.json").write_text(json.dumps(chain))
        chain = tmp_path / "chain.json"
    if isinstance(topology, dict):
        (tmp_path / "topo.json").write_text(json.dumps(topology))
        topology = tmp_path / "topo.json"
    chains = load_chains(chain)
    topo = load_topology(topology)
    validate(chains, topo)
    return compile_chains(chains, topo, **options), topo


def solo_chain(nf: dict) -> dict:
    """A chain of one NF on s1, claiming everything that enters port 1, leaving by port 2."""
    return {
        "name": "solo",
        "NFs": [{"name": "n1", "location": "srv1", **nf}],
        "Links": [],
        "Route": {"ingress": {"switch": "s1", "port": 1}, "egress": {"switch": "s1", "port": 2},
                  "match": {}},
    }


def line_chain(name: str, nfs: Sequence[tuple[str, str]], folder: Path,
               ingress: int = 1, egress: int = 2) -> dict:
    """A chain of NFs in a line on s1 (srv1), from port ``ingress`` to ``egress``: each NF
    is ``(instance, what)``, ``what`` a library NF type or an NF body (Click text, written
    into ``folder`` as ``<instance>.click``)."""
    specs = []
    for inst, what in nfs:
        nf = {"name": inst, "location": "srv1"}
        if "->" in what:
            (folder / f"{inst}.click").write_text(what)
            nf.update(type=inst, click=f"{inst}.click")
        else:
            nf["type"] = what
        specs.append(nf)
    names = [n["name"] for n in specs]
    return {
        "name": name,
        "NFs": specs,
        "Links": [[a, b] for a, b in zip(names, names[1:], strict=False)],
        "Route": {"ingress": {"switch": "s1", "port": ingress},
                  "egress": {"switch": "s1", "port": egress}, "match": {}},
    }
