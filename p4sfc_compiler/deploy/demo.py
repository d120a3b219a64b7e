"""``p4sfc demo``: the paper's chain (IPS -> Monitor -> Firewall -> NAT) compiled into a
temporary folder, deployed on an embedded switch over P4Runtime, a generated trace run
through it and through the same chain in software, and the comparison.
Everything it starts (switch threads, the gRPC port, the folder) is gone when it returns."""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.equivalence import Verdict, run_both
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.statesync import StateSummary
from p4sfc_compiler.deploy.traffic import mixed_trace
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.resources import data_path
from p4sfc_compiler.state.modes import NON_BLOCKING


@dataclass(frozen=True)
class Placement:
    nf: str
    type: str
    placement: str  # switch | server | split
    reason: str


@dataclass(frozen=True)
class NFCounts:
    """Packets one NF took in (the software chain's count, which the deployment was just
    held equal to) and where it ran them: every packet of a switch NF and of a split NF's
    switch part on the switch; a server NF's on the server; a split NF's misses, which the
    switch sent the server (counted from the SFC headers it sent), on the server too."""

    nf: str
    packets: int
    on_switch: int
    on_server: int
    split: bool = False


@dataclass
class DemoResult:
    chain: str
    placements: list[Placement]
    verdict: Verdict
    compile_seconds: float
    deploy_seconds: float
    run_seconds: float
    static_passes: dict[str, int]
    nf_counts: list[NFCounts]
    state_mode: str = NON_BLOCKING
    state: list[StateSummary] = field(default_factory=list)


def _placements(plan: dict) -> tuple[list[Placement], dict[str, int]]:
    chain = plan["chains"][0]
    out = []
    for nf in chain["nfs"]:
        reason = nf.get("reason") or ""
        if nf["placement"] == "split":
            reason = f"{nf.get('partial_element')} runs on the server: {reason}"
        elif not reason:
            reason = "every element runs on the switch"
        out.append(Placement(nf["name"], nf["type"], nf["placement"], reason))
    return out, dict(chain.get("passes", {}))


def _nf_counts(plan: dict, packets: dict[tuple[str, str], int],
               sent: Counter[tuple[int, int, int]]) -> list[NFCounts]:
    chain = plan["chains"][0]
    out = []
    for nf in chain["nfs"]:
        n = packets.get((chain["name"], nf["name"]), 0)
        misses = sum(c for (cid, nid, entry), c in sent.items()
                     if cid == chain["chain_id"] and nid == nf["nf_id"] and entry > 0)
        on_switch = n if nf["placement"] != "server" else 0
        on_server = {"server": n, "split": misses}.get(nf["placement"], 0)
        out.append(NFCounts(nf["name"], n, on_switch, on_server, nf["placement"] == "split"))
    return out


def run_demo(frames: int = 300, seed: int = 1, state: str = NON_BLOCKING) -> DemoResult:
    examples = data_path("examples")
    chains = load_chains(examples / "paper-chain.json")
    topology = load_topology(examples / "paper-topology.json")
    validate(chains, topology)
    ingress = chains[0].route.ingress
    trace = [(ingress.switch, ingress.port, f) for f in mixed_trace(frames, seed)]
    with tempfile.TemporaryDirectory(prefix="p4sfc-demo-") as tmp:
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        compile_chains(chains, topology, out_dir=out)
        t1 = time.perf_counter()
        plan = json.loads((out / "plan.json").read_text())
        placements, passes = _placements(plan)
        software = SoftwareChains(chains)
        with Deployment(out, state=state) as deployment:
            t2 = time.perf_counter()
            verdict = run_both(deployment, software, trace, strict_macs=False)
            t3 = time.perf_counter()
            nf_counts = _nf_counts(plan, software.nf_packets(),
                                   deployment.totals.server_entries)
            summary = []
            if deployment.state is not None:
                deployment.state.flush()
                summary = deployment.state.summary()
    return DemoResult(chains[0].name, placements, verdict, t1 - t0, t2 - t1, t3 - t2, passes,
                      nf_counts, state, summary)
