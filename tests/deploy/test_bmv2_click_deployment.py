"""The deployment on the real tools against the embedded one (tools, root): the paper
chain's program in BMv2 ``simple_switch_grpc``, its server configuration in the real
``click`` on the server port, and the same compile output run by ``Deployment`` (embedded
switch, engine servers) on the same trace: the same frames leave the egress port."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from support.bmv2 import ClickServer, Lab, unavailable
from support.click import click_binary
from support.specs import compile_spec

from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.traffic import mixed_trace

REASON = unavailable() or (None if click_binary() else "the Click driver `click` is absent")
pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _ip_part(frame: bytes) -> bytes:
    """The IPv4 packet of a frame leaving the chain (the Ethernet addresses of a frame
    that visited a server are the server's, by design)."""
    return frame[14:]


def test_bmv2_and_click_deployment_equals_the_embedded_one(tmp_path: Path) -> None:
    topo = json.loads((EXAMPLES / "paper-topology.json").read_text())
    topo["servers"][0]["interface"] = "s1h3"
    result, topology = compile_spec(tmp_path, EXAMPLES / "paper-chain.json", topo,
                                    out_dir=tmp_path / "out", stages=4)
    frames = mixed_trace(120, seed=5)
    with Deployment(tmp_path / "out", state="off") as d:
        embedded = [out for f in frames for _, port, out in d.inject("s1", 1, f).outputs
                    if port == 2]
    lab = Lab(result.files, topology, tmp_path)
    server = None
    try:
        server = ClickServer(lab.ns, result.files["servers/srv1/srv1.click"], tmp_path, "srv1")
        assert lab.wire is not None
        for f in frames:
            lab.wire.send(("s1", 1), f, gap=0.01)
        got = lab.wire.collect(quiet=1.0)
    finally:
        if server is not None:
            server.stop()
        lab.close()
    real = got.get(("s1", 2), [])
    assert len(embedded) > 10
    # frames that visit the server may come back after later ones: compare as multisets
    assert Counter(map(_ip_part, real)) == Counter(map(_ip_part, embedded))
