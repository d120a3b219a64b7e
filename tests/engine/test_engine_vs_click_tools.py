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
    if "vpn" in types:
        pytest.importorskip("cryptography")
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
