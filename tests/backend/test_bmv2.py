"""The compiled program, P4Info and entries on BMv2 ``simple_switch_grpc``: frames in,
frames out, checked against the real ``click`` running the same NFs in software.

Everything goes the way a user's deployment goes: p4c-bm2-ss compiles the rendered
program, the switch gets the compiler's own P4Info over P4Runtime, then the switch's
``.txtpb`` WriteRequest. Skipped with the reason when BMv2, p4c, root or click is missing.
"""

from __future__ import annotations

import json
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from support.bmv2 import Lab, counter_cells, unavailable
from support.click import click_binary, run_click, wrap_chain
from support.frames import patterns, random_frame
from support.nfs import HEADER_NF, SIDE_EXITS_NF, TRIM_NF
from support.sfc import tag, untag
from support.specs import compile_spec, solo_chain
from support.traces import trace

from p4sfc_compiler.backend.entry_formats import write_request_txtpb
from p4sfc_compiler.dataplane.fields import REWRITER_KEY, key_name
from p4sfc_compiler.dataplane.match import Entry, Exact
from p4sfc_compiler.dataplane.program import COUNTER_LEN, COUNTER_PACKETS, counted_bytes
from p4sfc_compiler.p4info.checks import check_entry
from p4sfc_compiler.p4info.index import P4InfoIndex

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PAPER_TOPOLOGY = EXAMPLES / "paper-topology.json"
REASON = unavailable() or (None if click_binary() else "the click binary is not installed")

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

HOST, EGRESS, SERVER = ("s1", 1), ("s1", 2), ("s1", 3)


def _compile(tmp_path: Path, chain: Path | dict, topology: Path | dict = PAPER_TOPOLOGY,
             **options):
    """Compile a chain file (or a chain given as data) for a topology file (or data)."""
    return compile_spec(tmp_path, chain, topology, **options)


def _through_switch(result, topology, tmp_path: Path, frames: list, ingress=HOST):
    """Send ``frames`` into a fresh lab at ``ingress``: the frames out per port, the logs."""
    lab = Lab(result.files, topology, tmp_path)
    try:
        for f in frames:
            lab.wire.send(ingress, f if isinstance(f, bytes) else bytes(f))
        got = lab.wire.collect()
        received = lab.switches[ingress[0]].packets_received()
        assert received == len(frames), "BMv2 lost frames at its input: pace the test"
        return got, lab.logs()
    finally:
        lab.close()


# program settings: stages per pass, NF ids the header carries, table size
@pytest.fixture(params=[(8, None, 1024), (3, 16, 4096)], ids=["s8c8", "s3c16"])
def paper(request, tmp_path: Path):
    stages, max_chain, table_size = request.param
    result, topology = _compile(tmp_path, EXAMPLES / "paper-chain.json", stages=stages,
                                max_chain=max_chain, table_size=table_size)
    lab = Lab(result.files, topology, tmp_path)
    yield result, lab
    lab.close()


def _plan(result) -> dict:
    return json.loads(result.files["plan.json"])


def _nf(plan: dict, name: str) -> dict:
    return next(nf for nf in plan["chains"][0]["nfs"] if nf["name"] == name)


def _is_ipv4(frame) -> bool:
    from scapy.layers.inet import IP

    return IP in frame


def test_untagged_frames_are_classified_and_tagged_for_the_first_nf(paper) -> None:
    """The chain claims IPv4 from 10.0.0.0/8 on port 1, pushes its four NF ids and sends
    the frame to the IPS's server; everything else is dropped."""
    from scapy.layers.inet import IP

    result, lab = paper
    chain_id = _plan(result)["chains"][0]["chain_id"]
    frames = trace()
    for f in frames:
        lab.wire.send(HOST, bytes(f))
    got = lab.wire.collect()
    claimed = [f for f in frames if IP in f and f[IP].src.startswith("10.")]
    assert got[SERVER] == [tag(bytes(f), chain_id, [1, 2, 3, 4]) for f in claimed], lab.logs()
    assert got[EGRESS] == [] and got[HOST] == []


def test_switch_nfs_do_what_click_does(paper, tmp_path: Path) -> None:
    """Frames back from the IPS run Monitor and Firewall on the switch; what the firewall
    lets through reaches the NAT, whose table misses send every TCP/UDP frame to the
    server (entry 1 + rewriter input). Oracle: the same NFs in the real click."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether

    result, lab = paper
    chain_id = _plan(result)["chains"][0]["chain_id"]
    frames = trace()
    for f in frames:
        lab.wire.send(SERVER, tag(bytes(f), chain_id, [2, 3, 4]))
    got = lab.wire.collect()

    handlers = [f"nf0/{c}.count" for c in ("total", "c_web", "c_tcp", "c_dns", "c_udp",
                                             "c_icmp", "c_other", "c_bad")]
    handlers += ["nf0/total.byte_count", "nf0/c_web.byte_count", "nf0/c_bad.byte_count"]
    passed, counts = run_click(tmp_path, wrap_chain(["monitor", "firewall"]), handlers, frames)
    expected = []
    for raw in passed:
        f = Ether(raw)
        if f[IP].frag == 0 and (TCP in f or UDP in f):
            entry = 1 if f[IP].src.startswith("10.") else 2
            expected.append(tag(raw, chain_id, [4], entry=entry))
    assert got[SERVER] == expected, lab.logs()
    assert got[EGRESS] == [] and got[HOST] == []

    # the monitor's counters on the switch: the same values as Click's handlers
    _check_counters(result, lab, "mon1", counts)


def _check_counters(result, lab: Lab, nf: str, handlers: dict[str, str]) -> None:
    """The switch's counters of ``nf`` on s1, read over P4Runtime as ``p4sfc status``
    reads them, against click's ``E.count`` and ``E.byte_count`` handler values
    (``nfK/E.count``)."""
    index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
    plan = _plan(result)
    slots = {r["element"]: r for r in plan["switches"]["s1"]["registers"] if r["nf"] == nf}
    for handler, value in handlers.items():
        element, what = handler.split("/")[1].split(".")
        slot = slots[element]
        name = next(n for n in slot["registers"]
                    if n.endswith(COUNTER_PACKETS if what == "count" else COUNTER_LEN))
        cells = counter_cells(lab.switches["s1"], index, name)
        if what == "count":
            got = cells.get(slot["index"], 0)
        else:
            got = counted_bytes(cells, slot["index"])
        assert got == int(value), handler


def _rewriter_entry(result, flow: tuple, to: tuple) -> str:
    """A WriteRequest inserting one NAT mapping into the switch's rewriter table."""
    plan = _plan(result)
    nat = _nf(plan, "nat1")
    rw = next(e for e in nat["elements"] if e["name"] == "rw")
    chain_id = plan["chains"][0]["chain_id"]
    src, sport, dst, dport, proto = flow
    nsrc, nsport, ndst, ndport = to
    stage = f"MyIngress.stage{rw['stage']}"
    key = (("chain_id", chain_id), ("nf_id", nat["nf_id"]), ("elem_id", rw["elem_id"]))
    five_tuple = (("ip_src", int(IPv4Address(src))), ("sport", sport),
                  ("ip_dst", int(IPv4Address(dst))), ("dport", dport), ("ip_proto", proto))
    assert [n for n, _ in five_tuple] == [key_name(k) for k in REWRITER_KEY]
    entry = Entry(
        f"{stage}.rewriter",
        tuple((n, Exact(v)) for n, v in key + five_tuple),
        f"{stage}.rewrite",
        (("saddr", int(IPv4Address(nsrc))), ("sport", nsport), ("daddr", int(IPv4Address(ndst))),
         ("dport", ndport), ("port", 0)),
    )
    index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
    check_entry(entry, index)
    return write_request_txtpb([entry], index, device_id=0)


def test_nat_hit_rewrites_on_the_switch_as_click_does(paper, tmp_path: Path) -> None:
    """With the mapping Click's NAT makes for flow 0 (and its reply) in the switch table,
    both directions are translated on the switch and leave the chain on the egress port,
    byte for byte what click outputs (addresses, ports, IP and TCP checksums)."""
    result, lab = paper
    chain_id = _plan(result)["chains"][0]["chain_id"]
    frames = trace()
    client = lab.switches["s1"].client
    client.write_text(_rewriter_entry(
        result, ("10.0.0.5", 40000, "10.0.1.10", 80, 6), ("192.168.0.1", 50000, "10.0.1.10", 80)))
    client.write_text(_rewriter_entry(
        result, ("10.0.1.10", 80, "192.168.0.1", 50000, 6), ("10.0.1.10", 80, "10.0.0.5", 40000)))
    # flow 0 through Monitor, Firewall and NAT; its reply (16) straight into the NAT
    lab.wire.send(SERVER, tag(bytes(frames[0]), chain_id, [2, 3, 4]))
    lab.wire.send(SERVER, tag(bytes(frames[16]), chain_id, [4]))
    got = lab.wire.collect()

    software, _ = run_click(tmp_path, wrap_chain(["nat"]), [], [frames[0], frames[16]])
    # with few stages frame 0 recirculates more often than 16 and may leave after it
    assert sorted(got[EGRESS]) == sorted(software), lab.logs()
    assert all(untag(f) is None for f in got[EGRESS])  # the SFC header is gone at the end
    assert got[SERVER] == [] and got[HOST] == []


def test_frames_of_unknown_chains_are_dropped(paper) -> None:
    result, lab = paper
    chain_id = _plan(result)["chains"][0]["chain_id"]
    f = bytes(trace()[0])
    lab.wire.send(SERVER, tag(f, chain_id + 1, [2, 3, 4]))  # no such chain
    lab.wire.send(SERVER, tag(f, chain_id, [9]))  # no such NF in the chain
    lab.wire.send(HOST, f[:12] + b"\x86\xdd" + f[14:])  # not IPv4: no chain claims it
    got = lab.wire.collect()
    assert got == {HOST: [], EGRESS: [], SERVER: []}, lab.logs()


def test_paper_chain_end_to_end_with_click_servers(tmp_path: Path) -> None:
    """The whole deployment: BMv2 runs Monitor, Firewall and the NAT's switch part; the
    real click runs the generated srv1 config (IPS, NAT misses) on the server port. What
    leaves the egress port is what the chain does in software, IP header and payload byte
    for byte (the Ethernet addresses are the server's: it rebuilds the header), and the
    monitor's switch counters equal Click's."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether
    from support.bmv2 import ClickServer

    topo = json.loads(PAPER_TOPOLOGY.read_text())
    topo["servers"][0]["interface"] = "s1h3"
    result, topology = _compile(tmp_path, EXAMPLES / "paper-chain.json", topo, stages=4)
    lab = Lab(result.files, topology, tmp_path)
    server = None
    try:
        server = ClickServer(lab.ns, result.files["servers/srv1/srv1.click"], tmp_path, "srv1")
        frames = trace()
        for f in frames:
            lab.wire.send(HOST, bytes(f), gap=0.01)
        got = lab.wire.collect(quiet=1.0)
        handlers = ["nf1/total.count", "nf1/total.byte_count", "nf1/c_web.count",
                    "nf1/c_tcp.count", "nf1/c_dns.count", "nf1/c_udp.count",
                    "nf1/c_icmp.count", "nf1/c_other.count", "nf1/c_bad.count"]
        software, counts = run_click(
            tmp_path, wrap_chain(["ips", "monitor", "firewall", "nat"]), handlers,
            [f for f in frames if IP in f and f[IP].src.startswith("10.")],
        )
        out = [Ether(f) for f in got[EGRESS]]
        assert len(software) == 6  # IPS, firewall and NAT drop the rest
        assert [bytes(p[IP]) for p in out] == [bytes(Ether(b)[IP]) for b in software], lab.logs()
        assert got[HOST] == []

        _check_counters(result, lab, "mon1", counts)
    finally:
        if server is not None:
            server.stop()
        lab.close()


@pytest.mark.parametrize(("nf_type", "stages"), [("firewall", 8), ("monitor", 2), ("router", 8),
                                                 ("router", 1)])
def test_fully_offloaded_nf_equals_click(nf_type: str, stages: int, tmp_path: Path) -> None:
    """A fully offloadable library NF alone on the switch: every frame of the trace in,
    and out of the egress port exactly the frames, bytes and order click outputs."""
    result, topology = _compile(tmp_path, solo_chain({"type": nf_type}), stages=stages)
    plan = _plan(result)
    assert _nf(plan, "n1")["placement"] == "switch"
    frames = trace()
    software, _ = run_click(tmp_path, wrap_chain([nf_type]), [], frames)
    got, logs = _through_switch(result, topology, tmp_path, frames)
    assert got[EGRESS] == software, logs
    assert got[SERVER] == [] and got[HOST] == []


@pytest.mark.parametrize("stages", [8, 2])
def test_header_rewrites_equal_click(stages: int, tmp_path: Path) -> None:
    """SetIPDSCP, DecIPTTL and IPEncap on the switch: the same frames as click, down to the
    outer header's IP ids (a per-instance register counting from 0, like Click's)."""
    (tmp_path / "hdr.click").write_text(HEADER_NF)
    result, topology = _compile(tmp_path, solo_chain({"type": "hdr", "click": "hdr.click"}),
                                stages=stages)
    assert _nf(_plan(result), "n1")["placement"] == "switch"
    frames = trace()
    (tmp_path / "sw").mkdir()
    software, _ = run_click(tmp_path / "sw", "elementclass NF_hdr {\n" + HEADER_NF + "}\n"
                            "FromDump(in.pcap, STOP true, TIMING false) -> NF_hdr "
                            "-> ToDump(out.pcap);\n", [], frames)
    assert len(software) == 15  # ARP and the TTL-1 frame are dropped
    got, logs = _through_switch(result, topology, tmp_path, frames)
    assert got[EGRESS] == software, logs




def _trailing(frame, extra: bytes):
    from scapy.layers.l2 import Ether

    return Ether(bytes(frame) + extra)


@pytest.mark.parametrize("stages", [8, 1])
def test_bytes_past_the_ip_length_are_cut_as_click_does(stages: int, tmp_path: Path) -> None:
    """Frames with a trailer after their IP packet leave the switch without it, as click's
    CheckIPHeader outputs them, also after recirculations (1 stage) and beside frames
    without one."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether

    (tmp_path / "trim.click").write_text(TRIM_NF)
    result, topology = _compile(tmp_path, solo_chain({"type": "trim", "click": "trim.click"}),
                                stages=stages)
    assert _nf(_plan(result), "n1")["placement"] == "switch"
    frames = []
    for i, f in enumerate(Ether(bytes(f)) for f in trace() if IP in f):
        frames.append(_trailing(f, bytes(range(i + 1))) if i % 2 == 0 else f)
    assert any(len(bytes(f)) > 60 and bytes(f)[14 + f[IP].len:] for f in frames)
    (tmp_path / "sw").mkdir()
    software, _ = run_click(
        tmp_path / "sw", "elementclass NF_trim {\n" + TRIM_NF + "}\n"
        "FromDump(in.pcap, STOP true, TIMING false) -> NF_trim -> ToDump(out.pcap);\n",
        [], frames)
    assert all(len(f) == 14 + Ether(f)[IP].len for f in software)
    got, logs = _through_switch(result, topology, tmp_path, frames)
    assert got[EGRESS] == software, logs




def test_alert_copies_and_forward_leaves_the_chain(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, TCP, UDP

    (tmp_path / "side.click").write_text(SIDE_EXITS_NF)
    topo = json.loads(PAPER_TOPOLOGY.read_text())
    topo["switches"][0]["ports"] = [1, 2, 3, 4]
    result, topology = _compile(tmp_path, solo_chain({"type": "side", "click": "side.click"}), topo)
    frames = [f for f in trace() if IP in f and f[IP].ttl > 1]
    got, logs = _through_switch(result, topology, tmp_path, frames)
    ssh = [bytes(f) for f in frames if TCP in f and f[TCP].dport == 22]
    dns = [bytes(f) for f in frames if UDP in f and f[UDP].dport == 53]
    rest = [bytes(f) for f in frames if bytes(f) not in dns]
    assert ssh and dns
    assert got[EGRESS] == rest, logs
    assert got[("s1", 4)] == dns  # untagged, unchanged
    # the Alert copy is the frame as the switch received it
    assert got[SERVER] == ssh


def test_chain_across_two_switches_equals_click(tmp_path: Path) -> None:
    """Monitor on s1, Router on s2 (linked s1:3 - s2:1): the tagged frame crosses the link,
    runs its second NF on s2 and leaves s2's egress port untagged, as click outputs it."""
    chain = {
        "name": "across",
        "NFs": [{"name": "mon", "type": "monitor", "location": "srv1"},
                {"name": "rt", "type": "router", "location": "srv2"}],
        "Links": [{"from": "mon", "to": "rt"}],
        "Route": {"ingress": {"switch": "s1", "port": 1}, "egress": {"switch": "s2", "port": 3},
                  "match": {}},
    }
    result, topology = _compile(tmp_path, chain, EXAMPLES / "two-server-topology.json", stages=4)
    frames = trace()
    software, _ = run_click(tmp_path, wrap_chain(["monitor", "router"]), [], frames)
    got, logs = _through_switch(result, topology, tmp_path, frames, ingress=("s1", 1))
    assert got[("s2", 3)] == software, logs
    assert all(not v for k, v in got.items() if k != ("s2", 3))


# Each example starts a switch: few examples, no shrinking (a failure prints its patterns).
@settings(max_examples=6, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(patterns(), min_size=1, max_size=3))
@example(["tcp"])
def test_random_classifiers_equal_click(tmp_path_factory, pats: list[str]) -> None:
    """Random IPClassifier patterns, 300 random well-formed frames: every frame leaves
    the switch marked with the DSCP of the output click sends it to (or not at all)."""
    import random

    outputs = len(pats) + 1
    body = "input -> Strip(14) -> chk :: CheckIPHeader -> cls :: IPClassifier(" + ", ".join(
        pats + ["-"]) + ");\nj :: Unstrip(14) -> output;\nchk[1] -> Discard;\n"
    body += "".join(f"cls[{k}] -> SetIPDSCP({k + 1}) -> j;\n" for k in range(outputs))
    tmp_path = tmp_path_factory.mktemp("cls")
    (tmp_path / "cls.click").write_text(body)
    result, topology = _compile(tmp_path, solo_chain({"type": "cls", "click": "cls.click"}))
    assume(_nf(_plan(result), "n1")["placement"] == "switch")
    rng = random.Random(" ".join(pats))
    frames = [random_frame(rng) for _ in range(300)]
    (tmp_path / "sw").mkdir()
    software, _ = run_click(tmp_path / "sw", "elementclass NF_cls {\n" + body + "}\n"
                            "FromDump(in.pcap, STOP true, TIMING false) -> NF_cls "
                            "-> ToDump(out.pcap);\n", [], frames)
    got, _ = _through_switch(result, topology, tmp_path, frames)
    expected = software
    only_click = [f.hex() for f in expected if f not in got[EGRESS]]
    only_switch = [f.hex() for f in got[EGRESS] if f not in expected]
    assert got[EGRESS] == expected, (pats, len(expected), len(got[EGRESS]), only_click,
                                     only_switch)
