"""The bench's native P4 programs (bench/native) against the real ``click``: for the
trace's frames each emits on its egress port exactly what click outputs when it runs the
same element or NFs, so the data-plane bench compares programs that do the same work.

Needs root, p4c-bm2-ss, simple_switch_grpc and click (skipped with the reason without).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.bmv2 import unavailable
from support.click import click_binary, run_click, wrap_chain
from support.traces import trace

BENCH = Path(__file__).resolve().parents[2] / "bench"
REASON = unavailable() or (None if click_binary() else "the click binary is not installed")

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]


@pytest.fixture(scope="module")
def bench():
    """bench/native's modules (the bench is scripts, not a package of the project)."""
    sys.path.insert(0, str(BENCH))
    try:
        from native import cases, lab

        yield cases, lab
    finally:
        sys.path.remove(str(BENCH))


def _click_nf(body: str) -> str:
    return ("elementclass NF_x {\n" + body + "}\n"
            "FromDump(in.pcap, STOP true, TIMING false) -> NF_x -> ToDump(out.pcap);\n")


def _ipv4(frames: list) -> list:
    from scapy.layers.inet import IP

    return [f for f in frames if IP in f]


def _rewrites(inputs: list, outputs: list[bytes]) -> tuple:
    """The mappings click's rewriter made: each input flow to its output, by IP id."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether

    def five(p) -> tuple:
        l4 = p[TCP] if TCP in p else p[UDP]
        return (p[IP].src, l4.sport, p[IP].dst, l4.dport, p[IP].proto)

    by_id = {p[IP].id: p for p in inputs}
    flows = {}
    for raw in outputs:
        out = Ether(raw)
        src, sport, dst, dport, _ = five(out)
        flows[five(by_id[out[IP].id])] = (src, sport, dst, dport)
    return tuple(flows.items())


@pytest.mark.parametrize("name", ["forward", "classifier", "rewriter", "route", "counter",
                                  "chain"])
def test_native_program_emits_what_click_emits(bench, name: str, tmp_path: Path) -> None:
    import dataclasses

    from p4sfc_compiler.backend.entry_formats import write_request_txtpb
    from p4sfc_compiler.p4info.index import P4InfoIndex

    cases, lab_mod = bench
    case = cases.cases()[name]
    frames = trace()
    if name == "chain":
        config = wrap_chain([t for _, t in case.nfs])
    elif name == "forward":
        config = _click_nf("input -> output;\n")
    else:
        # one element after MarkIPHeader reads garbage in an ARP frame: IPv4 only
        frames = _ipv4(frames)
        config = _click_nf(case.nfs[0][1])
    software, _ = run_click(tmp_path, config, [], frames)
    if case.flows:
        case = dataclasses.replace(case, flows=_rewrites(frames, software))
        assert len(case.flows) >= 5

    compiled = lab_mod.compile_p4(case.native_path, None,
                                  includes=[cases.NATIVE_DIR / "headers.p4"])
    index = P4InfoIndex.from_text(compiled.p4info)
    entries = cases.native_entries(case, index)
    writes = [write_request_txtpb(entries, index, device_id=0)] if entries else []
    lab = lab_mod.BenchLab(tmp_path / "lab", compiled, compiled.p4info, writes,
                           log_level="info")
    try:
        got = lab.send_slowly([bytes(f) for f in frames])
    finally:
        lab.close()
    assert got[2] == software, (len(got[2]), len(software))
    assert got[1] == []
    assert got[3] == []
