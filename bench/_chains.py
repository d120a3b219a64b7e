"""Synthetic chain sets for the benchmarks: mixes of the NF library on a few servers."""

from __future__ import annotations

import json
import random
from pathlib import Path

NF_MIX = ["firewall", "monitor", "nat", "ips", "router", "lb", "vpn"]


def write_chain_set(folder: Path, n_chains: int, nfs_per_chain: int = 5, seed: int = 1) -> tuple[Path, Path]:
    """Write ``chains.json`` and ``topology.json`` for ``n_chains`` random chains."""
    rng = random.Random(seed)
    servers = [f"srv{i}" for i in range(1, 5)]
    chains = []
    for c in range(n_chains):
        names = [f"c{c}n{i}" for i in range(nfs_per_chain)]
        server = rng.choice(servers)
        chains.append(
            {
                "name": f"chain{c}",
                "NFs": [
                    {"name": n, "type": rng.choice(NF_MIX), "location": server} for n in names
                ],
                "Links": [{"from": a, "to": b} for a, b in zip(names, names[1:], strict=False)],
                "Route": {
                    "ingress": {"switch": "s1", "port": 1},
                    "egress": {"switch": "s1", "port": 2},
                    "match": {"src": f"10.{c // 256 % 256}.{c % 256}.0/24"},
                },
            }
        )
    topology = {
        "switches": [
            {"name": "s1", "address": "127.0.0.1:50051", "device_id": 0, "ports": list(range(1, 7))}
        ],
        "servers": [{"name": s, "switch": "s1", "port": 3 + i} for i, s in enumerate(servers)],
        "links": [],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chains.json").write_text(json.dumps(chains))
    (folder / "topology.json").write_text(json.dumps(topology))
    return folder / "chains.json", folder / "topology.json"


def load_chain_set(folder: Path, n_chains: int):
    """Write, load and validate a chain set: ``(chains, topology)``."""
    from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

    chain_file, topo_file = write_chain_set(folder, n_chains)
    chains = load_chains(chain_file)
    topology = load_topology(topo_file)
    validate(chains, topology)
    return chains, topology
