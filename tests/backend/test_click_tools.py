"""Run the emitted server configuration in the real ``click`` (skipped where it is absent),
and in the NF engine, which must give click's bytes.

The switch side is played by hand-made frames: SFC-tagged packets that the switch would
send to the server for the paper chain's IPS, and for the NAT's rewriter misses.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.dataplane.wire import sfc_header as sfc_bytes
from p4sfc_compiler.engine.engine import Engine
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

scapy = pytest.importorskip("scapy.all")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLICK = shutil.which("click")
pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(CLICK is None, reason="the Click userlevel driver `click` is not on PATH"),
]


def _tagged(chain_id: int, remaining: list[int], inner, entry: int = 0) -> bytes:
    hdr = bytearray(sfc_bytes(chain_id, remaining))
    hdr[3] = entry
    eth = scapy.Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:fe", type=0x88B5)
    return bytes(eth) + bytes(hdr) + bytes(inner)


def _compile(chain: str, topo: str):
    chains = load_chains(EXAMPLES / chain)
    topology = load_topology(EXAMPLES / topo)
    validate(chains, topology)
    return compile_chains(chains, topology, server_io="pcap")


def _run(tmp_path: Path, config: str, frames: list[bytes]) -> list[bytes]:
    (tmp_path / "srv.click").write_text(config)
    scapy.wrpcap(str(tmp_path / "in.pcap"), [scapy.Ether(f) for f in frames])
    proc = subprocess.run(
        [CLICK, "srv.click"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out.pcap"
    got = [bytes(p) for p in scapy.rdpcap(str(out))] if out.exists() else []
    # the NF engine runs the same server configuration to the same bytes
    eng = Engine.from_text(config, str(tmp_path / "srv.click"), base_dir=tmp_path)
    eng.run()
    assert [f for f, _ in eng.outputs().get("out.pcap", [])] == got
    return got


def test_paper_chain_server_runs_in_click(tmp_path: Path) -> None:
    result = _compile("paper-chain.json", "paper-topology.json")
    config = result.files["servers/srv1/srv1.click"]
    cid = result.plan.chains[0].chain_id
    ip = scapy.IP
    benign = ip(src="10.0.0.5", dst="8.8.8.8") / scapy.TCP(sport=1234, dport=80) / b"hello"
    attack = ip(src="10.0.0.5", dst="8.8.8.8") / scapy.TCP(sport=1234, dport=80) / b"attack!"
    out = _run(tmp_path, config, [_tagged(cid, [1, 2, 3, 4], benign), _tagged(cid, [1, 2, 3, 4], attack)])
    # the benign packet passed the IPS and goes back to the switch for NF 2..4
    assert len(out) == 1
    frame = out[0]
    assert frame[12:14] == b"\x88\xb5"
    assert frame[14:14 + 12] == sfc_bytes(cid, [2, 3, 4])
    assert frame[14 + 12 :] == bytes(benign)


def test_split_nat_miss_runs_only_the_server_part(tmp_path: Path) -> None:
    result = _compile("paper-chain.json", "paper-topology.json")
    config = result.files["servers/srv1/srv1.click"]
    cid = result.plan.chains[0].chain_id
    # a rewriter miss on input 0 (inside -> outside): the switch already ran
    # CheckIPHeader and the IPClassifier, the server runs the rewriter and what follows
    pkt = scapy.IP(src="10.0.0.5", dst="8.8.8.8") / scapy.TCP(sport=40000, dport=80) / b"x"
    out = _run(tmp_path, config, [_tagged(cid, [4], pkt, entry=1)])
    assert len(out) == 1
    frame = out[0]
    assert frame[14:20] == sfc_bytes(cid, [])  # the chain ends here: no NF ids left
    inner = scapy.IP(frame[20:])
    assert inner.src == "192.168.0.1" and inner[scapy.TCP].sport == 50000
    assert inner.dst == "8.8.8.8"
    # checksums stay right after the rewrite
    fixed = scapy.IP(bytes(inner))
    del fixed.chksum
    del fixed[scapy.TCP].chksum
    fixed = scapy.IP(bytes(fixed))
    assert fixed.chksum == inner.chksum and fixed[scapy.TCP].chksum == inner[scapy.TCP].chksum


@pytest.mark.parametrize(
    "chain,topo",
    [
        ("paper-chain.json", "paper-topology.json"),
        ("two-server-chain.json", "two-server-topology.json"),
    ],
)
def test_every_server_config_is_accepted_by_click(tmp_path: Path, chain: str, topo: str) -> None:
    result = _compile(chain, topo)
    assert result.server_files
    for server, (path,) in result.server_files.items():
        folder = tmp_path / server
        folder.mkdir()
        # an untagged frame: the entry classifier drops it, nothing reaches the switch side
        frame = bytes(scapy.Ether() / scapy.IP() / scapy.UDP())
        assert _run(folder, result.files[path], [frame]) == []
