"""The traffic scenarios of the BMv2 tests (tests/backend/test_bmv2.py), as data: which
chain and topology are compiled with which program settings, which entries are added
after the compile output's, and which frames enter which switch port. The differential
test runs each on BMv2 and on the embedded pipeline and records what BMv2 sent (whose
agreement with the real click the BMv2 tests check) under tests/golden/switch/; the CI
test replays the recordings on the embedded pipeline alone.

Besides the BMv2 tests' traces, each scenario sends frames that exercise the switch's
edge cases: bytes past the IPv4 total length (CheckIPHeader trims them, as Click does),
bad checksums, headers cut short, IHL below 5, options, later fragments, total lengths
shorter than the transport header, and NF-id stacks deeper than the program carries.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

from support.frames import csum16, random_frame
from support.nfs import HEADER_NF, SIDE_EXITS_NF, TRIM_NF
from support.sfc import tag
from support.specs import compile_spec, solo_chain

from p4sfc_compiler.backend.compile import CompileResult
from p4sfc_compiler.dataplane.fields import REWRITER_KEY, key_name
from p4sfc_compiler.dataplane.match import Entry, Exact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "switch"
PAPER_TOPOLOGY = EXAMPLES / "paper-topology.json"

Port = tuple[str, int]
Traffic = list[tuple[Port, bytes]]
HOST, EGRESS, SERVER = ("s1", 1), ("s1", 2), ("s1", 3)


def trace_bytes() -> list[bytes]:
    from support.traces import trace

    return [bytes(f) for f in trace()]


def _set_ip(frame: bytes, off: int = 14, **changes: int) -> bytes:
    """``frame`` with IPv4 header fields changed and the checksum made right again
    (unless ``checksum`` is given)."""
    ip = bytearray(frame[off:])
    hl = (ip[0] & 0x0F) * 4
    if "ihl" in changes:
        ip[0] = (ip[0] & 0xF0) | changes["ihl"]
    if "version" in changes:
        ip[0] = (ip[0] & 0x0F) | (changes["version"] << 4)
    if "total_len" in changes:
        ip[2:4] = changes["total_len"].to_bytes(2, "big")
    if "frag" in changes:
        ip[6:8] = changes["frag"].to_bytes(2, "big")
    ip[10:12] = b"\0\0"
    hl = max(hl, 20)
    ip[10:12] = changes.get("checksum", csum16(bytes(ip[:hl]))).to_bytes(2, "big")
    return frame[:off] + bytes(ip)


def edge_frames() -> list[bytes]:
    """IPv4 frames the trace lacks, each built from one of its frames."""
    t = trace_bytes()
    tcp, udp, icmp = t[0], t[2], t[3]
    with_options = bytearray(tcp[:14]) + bytes([0x46]) + tcp[15:34] + b"\x01\x01\x01\x00" + tcp[34:]
    with_options[16:18] = (len(with_options) - 14).to_bytes(2, "big")
    return [
        tcp + b"\xaa" * 6,  # bytes past the total length: CheckIPHeader trims them
        udp + b"\x00" * 20,
        t[1] + b"trailing",
        _set_ip(tcp, checksum=0x1234),  # bad checksum
        _set_ip(icmp, ihl=4),  # header length below 5 words: not parsed
        _set_ip(udp, version=6),
        _set_ip(tcp, total_len=30),  # the TCP header runs past the total length
        _set_ip(tcp, total_len=len(tcp) + 40),  # a total length past the frame
        _set_ip(tcp, frag=0x0005),  # a later fragment
        tcp[:14 + 20 + 10],  # cut inside the TCP header
        tcp[:14 + 12],  # cut inside the IPv4 header
        _set_ip(bytes(with_options)),
        icmp[:14 + 20 + 2],
        # transport headers cut at every size the parser's lookaheads take (L4_PROBES)
        tcp[:14 + 20 + 1],
        tcp[:14 + 20 + 3],
        tcp[:14 + 20 + 14],
        _set_ip(tcp, total_len=20 + 16),  # the total length cuts after the flags
        udp[:14 + 20 + 5],
        icmp[:14 + 20 + 1],
    ]


@dataclass
class Scenario:
    name: str
    chain: Path | dict
    topology: Path | dict = PAPER_TOPOLOGY
    options: dict = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # NF bodies beside the chain
    traffic: Callable[[CompileResult], Traffic] = lambda result: []
    entries: Callable[[CompileResult], dict[str, list[Entry]]] = lambda result: {}

    def compile(self, tmp_path: Path) -> tuple[CompileResult, object]:
        for name, text in self.files.items():
            (tmp_path / name).write_text(text)
        return compile_spec(tmp_path, self.chain, self.topology, **self.options)


def _plan(result: CompileResult) -> dict:
    return json.loads(result.files["plan.json"])


def _chain_id(result: CompileResult) -> int:
    return _plan(result)["chains"][0]["chain_id"]


def _nat_entries(result: CompileResult) -> dict[str, list[Entry]]:
    """Click's NAT mapping for flow 0 and its reply in the switch's rewriter table."""
    plan = _plan(result)
    nat = next(nf for nf in plan["chains"][0]["nfs"] if nf["name"] == "nat1")
    rw = next(e for e in nat["elements"] if e["name"] == "rw")
    stage = f"MyIngress.stage{rw['stage']}"
    prefix = (("chain_id", plan["chains"][0]["chain_id"]), ("nf_id", nat["nf_id"]),
              ("elem_id", rw["elem_id"]))

    def entry(flow: tuple, to: tuple) -> Entry:
        src, sport, dst, dport, proto = flow
        five = (("ip_src", int(IPv4Address(src))), ("sport", sport),
                ("ip_dst", int(IPv4Address(dst))), ("dport", dport), ("ip_proto", proto))
        assert [n for n, _ in five] == [key_name(k) for k in REWRITER_KEY]
        nsrc, nsport, ndst, ndport = to
        return Entry(f"{stage}.rewriter", tuple((n, Exact(v)) for n, v in prefix + five),
                     f"{stage}.rewrite",
                     (("saddr", int(IPv4Address(nsrc))), ("sport", nsport),
                      ("daddr", int(IPv4Address(ndst))), ("dport", ndport), ("port", 0)))

    return {"s1": [
        entry(("10.0.0.5", 40000, "10.0.1.10", 80, 6), ("192.168.0.1", 50000, "10.0.1.10", 80)),
        entry(("10.0.1.10", 80, "192.168.0.1", 50000, 6), ("10.0.1.10", 80, "10.0.0.5", 40000)),
    ]}


def _paper_traffic(result: CompileResult) -> Traffic:
    cid = _chain_id(result)
    frames = trace_bytes()
    edges = edge_frames()
    out: Traffic = [(HOST, f) for f in frames + edges]
    out += [(SERVER, tag(f, cid, [2, 3, 4])) for f in frames + edges]
    out += [(SERVER, tag(frames[16], cid, [4]))]  # the NAT's reply direction
    f = frames[0]
    out += [
        (SERVER, tag(f, cid + 1, [2, 3, 4])),  # no such chain
        (SERVER, tag(f, cid, [9])),  # no such NF in the chain
        (HOST, f[:12] + b"\x86\xdd" + f[14:]),  # not IPv4: no chain claims it
        (SERVER, tag(f, cid, list(range(2, 20)))),  # more NF ids than the program carries
        (SERVER, tag(f, cid, [])),  # an empty stack: the chain's exit
        (SERVER, tag(f, cid, [2, 3, 4], entry=1)),
    ]
    return out


def _paper_random_traffic(result: CompileResult) -> Traffic:
    """Random frames, untagged on the host port and tagged on the server port with random
    chain ids, NF-id stacks (empty to deeper than the program), entries and trailers."""
    rng = random.Random("paper-random")
    cid = _chain_id(result)
    out: Traffic = []
    for _ in range(300):
        frame = random_frame(rng) + rng.choice([b"", b"", rng.randbytes(rng.randrange(1, 9))])
        if rng.random() < 0.3:
            out.append((HOST, frame))
            continue
        nfs = rng.choice([[2, 3, 4], [3, 4], [4], [1, 2, 3, 4], [],
                          [rng.randrange(1, 6) for _ in range(rng.randrange(1, 11))]])
        chain = cid if rng.random() < 0.9 else rng.randrange(1 << 16)
        out.append((SERVER, tag(frame, chain, nfs, entry=rng.choice([0, 0, 1, 2]))))
    return out


def _host_traffic(result: CompileResult) -> Traffic:
    return [(HOST, f) for f in trace_bytes() + edge_frames()]


# (After IPEncap a new Ethernet header, not Unstrip: in Click the 14 bytes before the
# pushed header are uninitialised headroom, the switch keeps the old Ethernet header.)



def _trim_traffic(result: CompileResult) -> Traffic:
    """The BMv2 trim test's frames: every other IPv4 frame with a trailer of growing size."""
    ip = [f for f in trace_bytes() if f[12:14] == b"\x08\x00"]
    frames = [f + bytes(range(i + 1)) if i % 2 == 0 else f for i, f in enumerate(ip)]
    return [(HOST, f) for f in frames + edge_frames()]




def classifier_nf(pats: list[str]) -> str:
    outputs = len(pats) + 1
    body = "input -> Strip(14) -> chk :: CheckIPHeader -> cls :: IPClassifier(" + ", ".join(
        pats + ["-"]) + ");\nj :: Unstrip(14) -> output;\nchk[1] -> Discard;\n"
    return body + "".join(f"cls[{k}] -> SetIPDSCP({k + 1}) -> j;\n" for k in range(outputs))


def _random_traffic(seed: str) -> Callable[[CompileResult], Traffic]:
    def traffic(result: CompileResult) -> Traffic:
        rng = random.Random(seed)
        return [(HOST, random_frame(rng)) for _ in range(300)]
    return traffic


def _side_topology() -> dict:
    topo = json.loads(PAPER_TOPOLOGY.read_text())
    topo["switches"][0]["ports"] = [1, 2, 3, 4]
    return topo


def _side_traffic(result: CompileResult) -> Traffic:
    frames = [f for f in trace_bytes() if f[12:14] == b"\x08\x00" and f[22] > 1]
    ssh, dns = trace_bytes()[11], trace_bytes()[12]
    # Alert copies an SSH frame with a trailer as it arrived; the original loses it
    return [(HOST, f) for f in frames + edge_frames() + [ssh + b"\xbb" * 5, dns + b"\xcc" * 3]]


ACROSS = {
    "name": "across",
    "NFs": [{"name": "mon", "type": "monitor", "location": "srv1"},
            {"name": "rt", "type": "router", "location": "srv2"}],
    "Links": [{"from": "mon", "to": "rt"}],
    "Route": {"ingress": {"switch": "s1", "port": 1}, "egress": {"switch": "s2", "port": 3},
              "match": {}},
}

RANDOM_PATTERNS = (
    ["tcp"],
    ["src net 10.0.0.0/8 and tcp dst port > 1023", "udp port != 53",
     "icmp type echo or ip ttl < 3"],
    ["ip frag", "syn && !ack", "ip dscp > 40", "src ether host 02:00:c0:a8:01:fb"],
    ["dst port < 1024", "(ip len >= 60) or tcp", "icmp type != 3", "ip ttl != 64"],
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("paper-s8c8", EXAMPLES / "paper-chain.json",
             options={"stages": 8, "max_chain": None, "table_size": 1024},
             traffic=_paper_traffic, entries=_nat_entries),
    Scenario("paper-s3c16", EXAMPLES / "paper-chain.json",
             options={"stages": 3, "max_chain": 16, "table_size": 4096},
             traffic=_paper_traffic, entries=_nat_entries),
    Scenario("paper-random-s2", EXAMPLES / "paper-chain.json", options={"stages": 2},
             traffic=_paper_random_traffic, entries=_nat_entries),
    *[Scenario(f"solo-{nf}-s{stages}", solo_chain({"type": nf}), options={"stages": stages},
               traffic=_host_traffic)
      for nf, stages in (("firewall", 8), ("monitor", 2), ("router", 8), ("router", 1))],
    *[Scenario(f"header-s{stages}", solo_chain({"type": "hdr", "click": "hdr.click"}),
               options={"stages": stages}, files={"hdr.click": HEADER_NF},
               traffic=_host_traffic) for stages in (8, 2)],
    *[Scenario(f"trim-s{stages}", solo_chain({"type": "trim", "click": "trim.click"}),
               options={"stages": stages}, files={"trim.click": TRIM_NF},
               traffic=_trim_traffic) for stages in (8, 1)],
    Scenario("side-exits", solo_chain({"type": "side", "click": "side.click"}), _side_topology(),
             files={"side.click": SIDE_EXITS_NF}, traffic=_side_traffic),
    Scenario("across", ACROSS, EXAMPLES / "two-server-topology.json", options={"stages": 4},
             traffic=_host_traffic),
    *[Scenario(f"classifier-{i}", solo_chain({"type": "cls", "click": "cls.click"}),
               files={"cls.click": classifier_nf(pats)},
               traffic=_random_traffic(" ".join(pats)))
      for i, pats in enumerate(RANDOM_PATTERNS)],
]}


def counter_names(result: CompileResult) -> list[str]:
    """The program's counter externs (each stage's counter kind arrays)."""
    from p4sfc_compiler.dataplane.program import build_program
    from p4sfc_compiler.switch.device import program_params_from_p4info

    params = program_params_from_p4info(result.files["p4/p4sfc.p4info.txtpb"])
    return sorted(build_program(params).counters)


def hexes(frames: list[bytes]) -> list[str]:
    return [f.hex() for f in frames]

