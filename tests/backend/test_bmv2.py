"""The compiled program, P4Info and entries on BMv2 ``simple_switch_grpc``: frames in,
frames out, checked against the real ``click`` running the same NFs in software.

Everything goes the way a user's deployment goes: p4c-bm2-ss compiles the rendered
program, the switch gets the compiler's own P4Info over P4Runtime, then the switch's
``.txtpb`` WriteRequest. Skipped with the reason when BMv2, p4c, root or click is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.bmv2 import Lab, register_value, unavailable
from support.click import click_binary, run_click, wrap_chain
from support.sfc import tag, untag
from support.traces import trace

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.backend.entries import Entry
from p4sfc_compiler.backend.formats import check_entry, write_request_txtpb
from p4sfc_compiler.backend.p4info_index import P4InfoIndex
from p4sfc_compiler.elements.base import Exact
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REASON = unavailable() or (None if click_binary() else "the click binary is not installed")

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

HOST, EGRESS, SERVER = ("s1", 1), ("s1", 2), ("s1", 3)


def _compile(stages: int, tmp_path: Path):
    chains = load_chains(EXAMPLES / "paper-chain.json")
    topology = load_topology(EXAMPLES / "paper-topology.json")
    validate(chains, topology)
    result = compile_chains(chains, topology, stages=stages)
    return result, topology


@pytest.fixture(params=[8, 3], ids=["8stages", "3stages"])
def paper(request, tmp_path: Path):
    result, topology = _compile(request.param, tmp_path)
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

    result, lab = paper
    plan = _plan(result)
    chain_id = plan["chains"][0]["chain_id"]
    frames = trace()
    for f in frames:
        lab.wire.send(SERVER, tag(bytes(f), chain_id, [2, 3, 4]))
    got = lab.wire.collect()

    handlers = [f"nf0/{c}.count" for c in ("total", "c_web", "c_tcp", "c_dns", "c_udp",
                                             "c_icmp", "c_other", "c_bad")]
    handlers += ["nf0/total.byte_count", "nf0/c_web.byte_count", "nf0/c_bad.byte_count"]
    passed, counts = run_click(tmp_path, wrap_chain(["monitor", "firewall"]), handlers, frames)
    expected = []
    for f in passed:
        if f[IP].frag == 0 and (TCP in f or UDP in f):
            entry = 1 if f[IP].src.startswith("10.") else 2
            expected.append(tag(bytes(f), chain_id, [4], entry=entry))
    assert got[SERVER] == expected, lab.logs()
    assert got[EGRESS] == [] and got[HOST] == []

    # the monitor's counters are switch registers: the same values as Click's handlers
    index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
    slots = {r["element"]: r for r in plan["switches"]["s1"]["registers"] if r["nf"] == "mon1"}
    for handler, value in counts.items():
        element, what = handler.split("/")[1].split(".")
        slot = slots[element]
        reg = slot["registers"][0 if what == "count" else 1]
        assert register_value(lab.switches["s1"], index, reg, slot["index"]) == int(value), handler


def _rewriter_entry(result, flow: tuple, to: tuple) -> str:
    """A WriteRequest inserting one NAT mapping into the switch's rewriter table."""
    plan = _plan(result)
    nat = _nf(plan, "nat1")
    rw = next(e for e in nat["elements"] if e["name"] == "rw")
    chain_id = plan["chains"][0]["chain_id"]
    src, sport, dst, dport, proto = flow
    nsrc, nsport, ndst, ndport = to
    ip = lambda a: int.from_bytes(bytes(int(x) for x in a.split(".")), "big")  # noqa: E731
    entry = Entry(
        f"MyIngress.stage{rw['stage']}.rewriter",
        (("meta.chain_id", Exact(chain_id)), ("meta.nf_id", Exact(nat["nf_id"])),
         ("meta.elem_id", Exact(rw["elem_id"])), ("hdr.ipv4.srcAddr", Exact(ip(src))),
         ("meta.sport", Exact(sport)), ("hdr.ipv4.dstAddr", Exact(ip(dst))),
         ("meta.dport", Exact(dport)), ("hdr.ipv4.protocol", Exact(proto))),
        f"MyIngress.stage{rw['stage']}.rewrite",
        (("saddr", ip(nsrc)), ("sport", nsport), ("daddr", ip(ndst)), ("dport", ndport),
         ("port", 0)),
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
    assert sorted(got[EGRESS]) == sorted(bytes(p) for p in software), lab.logs()
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
