"""Random valid deployments on the real tools: chains drawn from the NF library, with
random routes and stage counts, compile into entries that BMv2 takes without a single
rejected update, and server configs that the real click loads and runs."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.bmv2 import Lab, unavailable
from support.click import click_binary

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

scapy = pytest.importorskip("scapy.all")

REASON = unavailable() or (None if click_binary() else "the click binary is not installed")
pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

TYPES = ("firewall", "monitor", "router", "nat", "lb", "ips", "vpn")
TOPOLOGY = {
    "switches": [{"name": "s1", "address": "127.0.0.1:50051", "device_id": 0,
                  "ports": [1, 2, 3, 4]}],
    "servers": [{"name": "srv1", "switch": "s1", "port": 3},
                {"name": "srv2", "switch": "s1", "port": 4}],
    "links": [],
}


@st.composite
def deployments(draw: st.DrawFn) -> tuple[list[dict], int]:
    chains = []
    for c in range(draw(st.integers(1, 3))):
        types = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=4))
        nfs = [{"name": f"n{i}", "type": t, "location": draw(st.sampled_from(["srv1", "srv2"]))}
               for i, t in enumerate(types)]
        match: dict = {"src": f"10.{c}.0.0/16"}
        if draw(st.booleans()):
            match["proto"] = draw(st.sampled_from(["tcp", "udp"]))
            if draw(st.booleans()):
                match["dport"] = draw(st.integers(1, 65535))
        chains.append({
            "name": f"c{c}",
            "NFs": nfs,
            "Links": [[a["name"], b["name"]] for a, b in zip(nfs, nfs[1:], strict=False)],
            "Route": {"ingress": {"switch": "s1", "port": 1},
                      "egress": {"switch": "s1", "port": 2}, "match": match},
        })
    return chains, draw(st.integers(1, 8))


# a few examples in the suite; P4SFC_FUZZ_EXAMPLES=N runs more by hand
@settings(max_examples=int(os.environ.get("P4SFC_FUZZ_EXAMPLES", "4")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deployment=deployments())
def test_random_deployments_apply_and_run(tmp_path_factory, deployment) -> None:
    chains_data, stages = deployment
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "chain.json").write_text(json.dumps(chains_data))
    (tmp / "topo.json").write_text(json.dumps(TOPOLOGY))
    chains = load_chains(tmp / "chain.json")
    topology = load_topology(tmp / "topo.json")
    validate(chains, topology)
    result = compile_chains(chains, topology, stages=stages, server_io="pcap")
    # Lab loads the program and writes every switch's WriteRequest; it raises with the
    # failing updates when BMv2 rejects any
    (tmp / "lab").mkdir()
    lab = Lab(result.files, topology, tmp / "lab")
    lab.close()
    for server, (path,) in result.server_files.items():
        folder = tmp / server
        folder.mkdir()
        (folder / "srv.click").write_text(result.files[path])
        scapy.wrpcap(str(folder / "in.pcap"), [scapy.Ether() / scapy.IP() / scapy.UDP()])
        proc = subprocess.run([click_binary(), "srv.click"], cwd=folder, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
