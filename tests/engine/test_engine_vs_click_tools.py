"""The NF engine against the real ``click`` on the NF library (tests marked ``tools``;
skipped without ``click``): each library NF alone and the paper chain in a row, on the
golden cases' mixed traces (TCP/UDP/ICMP, fragments, options, bad headers, ARP, ...),
give click's output frames byte for byte and click's counter values."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.click import click_binary, run_click, wrap_chain

from p4sfc_compiler.engine.engine import Engine
from p4sfc_compiler.engine.pcap import read_pcap
from p4sfc_compiler.frontend.nflib import nf_source, nf_types
from p4sfc_compiler.frontend.parser import parse_text

pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(click_binary() is None, reason="the Click driver `click` is absent"),
]

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "click"
TRACES = ("nf_firewall", "nf_nat", "nf_router", "nf_flowmon", "ipfilter_frag")


def _frames() -> list[bytes]:
    return [f for case in TRACES for f, _ in read_pcap(GOLDEN / case / "in.pcap")]


def _cases() -> list[list[str]]:
    out = [[t] for t in nf_types()]
    out.append(["ips", "monitor", "firewall", "nat"])  # the paper's chain
    return out


@pytest.mark.parametrize("types", _cases(), ids=lambda t: "-".join(t))
def test_library_nfs_run_as_in_click(tmp_path: Path, types: list[str]) -> None:
    config = wrap_chain(types)
    frames = _frames()
    handlers = [f"nf{i}/{name}.count" for i, t in enumerate(types)
                for name in _counters(t)]
    want, values = run_click(tmp_path, config, handlers, frames)
    engine = Engine.from_text(config, str(tmp_path / "config.click"))
    engine.run({"in.pcap": frames})
    got = [f for f, _ in engine.outputs()["out.pcap"]]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"frame {i}: engine {g.hex()} != click {w.hex()}"
    for h in handlers:
        assert engine.read_handler(h) == values[h], h


def _counters(nf_type: str) -> list[str]:
    g = parse_text(nf_source(nf_type).read_text(), nf_type, compound_body=True)
    return [n for n, d in g.nodes(data=True) if d["cls"] in ("Counter", "AverageCounter")]


def test_random_port_allocation_draws_what_click_draws(tmp_path: Path) -> None:
    # '?' ranges start at click_random(0, top): with RandomSeed the engine's glibc
    # random() model gives click's ports
    config = """RandomSeed(5);
        FromDump(in.pcap, STOP true, TIMING false) -> Strip(14) -> CheckIPHeader
          -> split :: IPClassifier(src net 10.0.0.0/8, -);
        rw :: IPRewriter(pattern 198.51.100.10 50000-50999? - - 0 1,
                         pattern 198.51.100.11 1024-65535 - - 0 1);
        split[0] -> [0]rw; split[1] -> [1]rw;
        rw[0] -> Unstrip(14) -> ToDump(out.pcap); rw[1] -> Discard;
    """
    frames = [f for f, _ in read_pcap(GOLDEN / "nf_nat" / "in.pcap")]
    # (click prints a handler's name only when asked for several)
    handlers = ["rw.table_size", "rw.mapping_failures"]
    want, values = run_click(tmp_path, config, handlers, frames)
    engine = Engine.from_text(config, str(tmp_path / "config.click"))
    engine.run({"in.pcap": frames})
    assert [f for f, _ in engine.outputs()["out.pcap"]] == want
    for h in handlers:
        assert engine.read_handler(h) == values[h], h
