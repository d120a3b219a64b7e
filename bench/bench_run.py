"""Packets per second of the paper chain offloaded (embedded switch + NF engine servers,
``p4sfc run``'s path) against all-software (the chain in the NF engine), same trace, same
run, for 64-byte and 1500-byte frames; and the share of packets no server saw.

Run by hand: ``python bench/bench_run.py [N]`` (default 3,000 frames per size)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.traffic import mixed_trace, sized_trace
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    chains = load_chains(EXAMPLES / "paper-chain.json")
    topology = load_topology(EXAMPLES / "paper-topology.json")
    validate(chains, topology)
    ingress = chains[0].route.ingress
    traces = {"64 B": sized_trace(n, 64), "1500 B": sized_trace(n, 1500),
              "mixed": mixed_trace(n)}
    print(f"{'trace':8} {'offloaded pkt/s':>16} {'software pkt/s':>15} {'no server visit':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        compile_chains(chains, topology, out_dir=out)
        for name, frames in traces.items():
            with Deployment(out) as d:
                t0 = time.perf_counter()
                for f in frames:
                    d.inject(ingress.switch, ingress.port, f)
                offloaded = len(frames) / (time.perf_counter() - t0)
                share = d.totals.never_left_switch / d.totals.packets
            soft = SoftwareChains(chains)
            t0 = time.perf_counter()
            for f in frames:
                soft.push(ingress.switch, ingress.port, f)
            software = len(frames) / (time.perf_counter() - t0)
            print(f"{name:8} {offloaded:16,.0f} {software:15,.0f} {share:16.1%}")


if __name__ == "__main__":
    main()
