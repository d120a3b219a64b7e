"""Property: any chain of library NFs, with random configurations and stage counts,
deployed (embedded switch + server configs in the engine) gives what the same chain
gives in software on a random mixed trace."""

from __future__ import annotations

import json
import random
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.equivalence import run_both
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.traffic import flows_trace, mixed_trace
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

ROOT = Path(__file__).resolve().parents[2]
ACL_RULES = [
    "allow tcp && dst port 80", "allow udp && dst port 53", "deny src net 10.0.1.0/24",
    "allow icmp", "allow src net 10.0.0.0/8 && tcp && syn", "deny dst host 10.0.1.10",
    "allow dst net 10.20.0.0/16", "allow ip ttl > 1 && tcp",
]
ROUTES = ["10.0.1.0/24 0", "10.0.2.0/24 1", "192.168.0.0/16 10.0.0.254 1",
          "10.20.0.0/16 1", "198.51.100.0/24 10.0.0.9 0"]


@st.composite
def nf_specs(draw: st.DrawFn, i: int) -> dict:
    kind = draw(st.sampled_from(["firewall", "monitor", "nat", "router", "ips", "lb"]))
    nf: dict = {"name": f"n{i}", "type": kind, "location": "srv1"}
    if kind == "firewall":
        rules = draw(st.lists(st.sampled_from(ACL_RULES), min_size=1, max_size=4, unique=True))
        last = draw(st.sampled_from(["deny all", "allow all"]))
        nf["config"] = {"acl": ", ".join([*rules, last])}
    elif kind == "router":
        routes = draw(st.lists(st.sampled_from(ROUTES), min_size=1, max_size=4, unique=True))
        nf["config"] = {"rt": ", ".join([*routes, "0.0.0.0/0 10.0.0.1 0"])}
    elif kind == "nat":
        lo = draw(st.integers(1024, 60000))
        hi = draw(st.integers(lo, min(65535, lo + 5000)))
        nf["config"] = {"rw": f"pattern 192.168.0.1 {lo}-{hi}# - - 0 0, drop"}
    return nf


@st.composite
def chains(draw: st.DrawFn) -> tuple[dict, int, int, str]:
    n = draw(st.integers(1, 4))
    nfs = [draw(nf_specs(i)) for i in range(n)]
    chain = {
        "name": "prop", "NFs": nfs,
        "Links": [{"from": a["name"], "to": b["name"]} for a, b in zip(nfs, nfs[1:], strict=False)],
        "Route": {"ingress": {"switch": "s1", "port": 1},
                  "egress": {"switch": "s1", "port": 2},
                  # a route that claims non-IPv4 frames is a known difference
                  # (test_equivalence.py::test_route_claiming_non_ip_frames)
                  "match": {"src": draw(st.sampled_from(["10.0.0.0/8", "10.0.0.0/16"]))}},
    }
    return (chain, draw(st.integers(1, 8)), draw(st.integers(0, 2**16)),
            draw(st.sampled_from(["nonblocking", "blocking", "off"])))


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_random_chains_equal_software(case: tuple[dict, int, int, str]) -> None:
    """Random chains, stage counts and traces (mixed traffic and flows that come back to
    the NAT's and the load balancer's mappings), with each state sync mode."""
    chain, stages, seed, state = case
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "chain.json"
        path.write_text(json.dumps([chain]))
        # the library's NF bodies are found beside the chain file
        (Path(tmp) / "nfs").symlink_to(ROOT / "examples" / "nfs")
        specs = load_chains(path)
        topology = load_topology(ROOT / "examples" / "paper-topology.json")
        validate(specs, topology)
        compile_chains(specs, topology, stages=stages, out_dir=Path(tmp) / "out")
        frames = mixed_trace(60, seed) + flows_trace(8, 4, seed) + flows_trace(
            4, 3, seed, dst="192.168.10.1", udp_share=0)
        random.Random(seed).shuffle(frames)
        trace = [("s1", 1, f) for f in frames]
        with Deployment(Path(tmp) / "out", state=state) as d:
            v = run_both(d, SoftwareChains(specs), trace, strict_macs=False)
    assert v.equal, (json.dumps(chain), stages, seed, state,
                     [x.one_line()[:300] for x in v.differences[:3]])
