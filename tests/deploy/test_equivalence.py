"""The offloaded deployment (embedded switch + server configs in the engine) against the
same chains in software: same frames per input frame, same drops, switch + server
counter parts equal to the software counts."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.equivalence import Verdict, run_both
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.traffic import (
    arp,
    cut_transport_trace,
    long_length_trace,
    mixed_trace,
)
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _verdict(name: str, frames: list[bytes], tmp: Path, strict_macs: bool = False) -> Verdict:
    chains = load_chains(EXAMPLES / f"{name}-chain.json")
    topology = load_topology(EXAMPLES / f"{name}-topology.json")
    validate(chains, topology)
    compile_chains(chains, topology, out_dir=tmp / "out")
    ingress = chains[0].route.ingress
    trace = [(ingress.switch, ingress.port, f) for f in frames]
    with Deployment(tmp / "out") as d:
        return run_both(d, SoftwareChains(chains), trace, strict_macs=strict_macs)


def _explain(v: Verdict) -> str:
    return "\n".join(d.one_line() for d in v.differences[:5])


def test_paper_chain_equals_software(tmp_path: Path) -> None:
    v = _verdict("paper", mixed_trace(300, seed=7), tmp_path)
    assert v.equal, _explain(v)
    assert v.outputs > 0 and v.dropped > 0
    # every path ran: frames that stayed on the switch, server visits, both counter parts
    assert any(r.server_visits == 0 for r in v.runs)
    assert any(r.server_visits >= 2 for r in v.runs)
    assert any(sw.packets for sw, _, _ in v.counts.values())
    assert any(srv.packets for _, srv, _ in v.counts.values())


def test_frames_that_stay_on_the_switch_are_byte_identical(tmp_path: Path) -> None:
    """The Ethernet-address allowance covers server visits only."""
    v = _verdict("paper", mixed_trace(200, seed=3), tmp_path, strict_macs=True)
    assert all(d.index >= 0 for d in v.differences)
    assert all(v.runs[d.index].server_visits > 0 for d in v.differences)


def test_two_server_chains_equal_software(tmp_path: Path) -> None:
    v = _verdict("two-server", mixed_trace(300, seed=11), tmp_path)
    # The VPN's IPsecAES draws a random IV per packet (as Click's does): an ESP frame's
    # bytes after the SPI and sequence number differ run to run, in software too. Those
    # frames are held equal up to there; every other difference counts.
    esp_payload = 14 + 20 + 8
    # (the first differing byte is past the SPI and sequence number, not always the
    # IV's first: two IVs share a first byte one time in 256)
    rest = [d for d in v.differences
            if not (d.what.startswith("bytes differ from byte ")
                    and int(d.what.rsplit(" ", 1)[1]) >= esp_payload
                    and len(d.deployed) == len(d.software)
                    and bytes.fromhex(d.deployed)[23] == 50)]
    assert not rest, "\n".join(d.one_line() for d in rest[:5])
    assert v.outputs > 0


def test_cut_transport_headers(tmp_path: Path) -> None:
    v = _verdict("paper", cut_transport_trace(), tmp_path)
    assert v.equal, _explain(v)


def test_ip_length_past_the_frame(tmp_path: Path) -> None:
    """Frames whose IP length runs past their end reach CheckIPHeader's bad branch
    (monitor c_bad), where Click counts the bytes there are, not the IP length."""
    v = _verdict("paper", long_length_trace(), tmp_path)
    assert v.equal, _explain(v)


def test_deployment_leaves_nothing_running(tmp_path: Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    _verdict("paper", mixed_trace(20), tmp_path)
    # gRPC's worker threads end just after the server stops: wait for them, boundedly
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = {t.ident for t in threading.enumerate() if t.is_alive()} - before
        if not left:
            break
        time.sleep(0.05)
    assert not left


def test_route_claiming_non_ip_frames(tmp_path: Path) -> None:
    """A route that tests no IPv4 field claims ARP too: the server takes it under its own
    inner EtherType and sends it back with it, as the software IPS passes it."""
    chain = {"name": "any", "NFs": [{"name": "ips", "type": "ips", "location": "srv1"}],
             "Links": [], "Route": {"ingress": {"switch": "s1", "port": 1},
                                    "egress": {"switch": "s1", "port": 2}}}
    (tmp_path / "chain.json").write_text(json.dumps([chain]))
    (tmp_path / "nfs").symlink_to(EXAMPLES / "nfs")
    chains = load_chains(tmp_path / "chain.json")
    topology = load_topology(EXAMPLES / "paper-topology.json")
    compile_chains(chains, topology, out_dir=tmp_path / "out")
    with Deployment(tmp_path / "out") as d:
        v = run_both(d, SoftwareChains(chains), [("s1", 1, arp("10.0.0.5", "10.0.0.1"))],
                     strict_macs=False)
    assert v.equal, _explain(v)


ALERTING = """input -> Strip(14) -> chk :: CheckIPHeader
      -> c :: IPClassifier(tcp dst port 80, -);
c[0] -> Alert -> Unstrip(14) -> output;
c[1] -> Unstrip(14) -> output;
chk[1] -> Discard;
"""
# the same Alert behind a classifier on payload bytes: the whole NF runs on the server
ALERTING_ON_SERVER = """input -> c :: Classifier(54/474554, -);
c[0] -> Alert -> output;
c[1] -> output;
"""


@pytest.mark.parametrize("body, placement", [(ALERTING, "switch"),
                                             (ALERTING_ON_SERVER, "server")])
def test_alert_copies_reach_the_server_sink(tmp_path: Path, body: str, placement: str) -> None:
    """Alert copies go to the NF's server port (clone session 512 + port); the server
    configuration's alert sink (``p4sfc_alerts``, a Counter) counts them, and that count
    equals the packets through the Alert in software."""
    (tmp_path / "nfs").mkdir()
    (tmp_path / "nfs" / "alerting.click").write_text(body)
    chain = {"name": "al",
             "NFs": [{"name": "a", "type": "alerting", "click": "nfs/alerting.click",
                      "location": "srv1"},
                     {"name": "mon", "type": "monitor", "location": "srv1"}],
             "Links": [{"from": "a", "to": "mon"}],
             "Route": {"ingress": {"switch": "s1", "port": 1},
                       "egress": {"switch": "s1", "port": 2},
                       "match": {"src": "10.0.0.0/8"}}}
    (tmp_path / "chain.json").write_text(json.dumps([chain]))
    chains = load_chains(tmp_path / "chain.json")
    topology = load_topology(EXAMPLES / "paper-topology.json")
    compile_chains(chains, topology, out_dir=tmp_path / "out")
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan["chains"][0]["nfs"][0]["placement"] == placement
    trace = [("s1", 1, f) for f in mixed_trace(150, seed=2)]
    with Deployment(tmp_path / "out") as d:
        v = run_both(d, SoftwareChains(chains), trace, strict_macs=False)
    assert v.equal, _explain(v)
    assert v.alerts[0] == v.alerts[1] > 0
