"""The NF library: every body parses, follows the NF convention, takes overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p4sfc_compiler.errors import SpecError
from p4sfc_compiler.frontend.chainspec import NFSpec, load_chains
from p4sfc_compiler.frontend.ir import INPUT_CLASS, OUTPUT_CLASS, connections
from p4sfc_compiler.frontend.nflib import (
    declared_offloadability,
    load_nf,
    nf_dir,
    nf_source,
    nf_summary,
    nf_types,
)
from p4sfc_compiler.resources import data_path

LIBRARY = ["firewall", "ips", "lb", "monitor", "nat", "router", "vpn"]
# The paper's Table III classes (lb is a NAT-like rewriter, so partially).
PAPER_CLASS = {
    "firewall": "fully", "monitor": "fully", "router": "fully",
    "nat": "partially", "lb": "partially",
    "ips": "non", "vpn": "non",
}
# Elements whose class decides the NF's offloadability class.
PARTIAL_CLASSES = {"IPRewriter", "TCPRewriter", "UDPRewriter"}
PAYLOAD_CLASSES = {"IPsecESPEncap", "IPsecAES", "IPsecDES", "IPsecAuthHMACSHA1"}


def spec(nf_type: str, **kw: object) -> NFSpec:
    return NFSpec(name=kw.pop("name", "x"), type=nf_type, location="srv1", where="NFs[0]",
                  file="chain.json", **kw)  # type: ignore[arg-type]


def classes(g) -> dict[str, str]:
    return {n: d["cls"] for n, d in g.nodes(data=True)}


def test_library_lists_every_body() -> None:
    assert nf_types() == LIBRARY
    assert nf_dir() == data_path("examples", "nfs")
    assert nf_source("nat").name == "nat.click"


def test_unknown_type() -> None:
    with pytest.raises(SpecError, match=r"unknown NF type 'dpi' \(known: firewall, ips"):
        nf_source("dpi")


@pytest.mark.parametrize("nf_type", LIBRARY)
def test_header_comment_names_paper_class(nf_type: str) -> None:
    assert nf_source(nf_type).read_text().startswith("//")
    assert declared_offloadability(nf_type) == PAPER_CLASS[nf_type]
    assert len(nf_summary(nf_type)) > 60


@pytest.mark.parametrize("nf_type", LIBRARY)
def test_body_follows_convention(nf_type: str) -> None:
    g = load_nf(spec(nf_type, name=f"my_{nf_type}"))
    assert g.graph["name"] == f"my_{nf_type}"
    cls = classes(g)
    assert cls["input"] == INPUT_CLASS and cls["output"] == OUTPUT_CLASS
    for src, out_port, dst, in_port in connections(g):
        if src == "input":
            assert out_port == 0
        if dst == "output":
            assert in_port == 0
    # Every element is reachable from input, and output is reachable: no dead parts.
    import networkx as nx

    reach = nx.descendants(g, "input")
    assert "output" in reach
    assert set(g.nodes) - {"input"} <= reach


@pytest.mark.parametrize("nf_type", LIBRARY)
def test_body_shape_matches_paper_class(nf_type: str) -> None:
    """Independent of the catalog: the element classes that make an NF partial or non."""
    cls = set(classes(load_nf(spec(nf_type))).values())
    partial = len(cls & PARTIAL_CLASSES)
    payload = bool(cls & PAYLOAD_CLASSES)
    expected = PAPER_CLASS[nf_type]
    if expected == "partially":
        assert partial == 1 and not payload
    elif expected == "fully":
        assert partial == 0 and not payload
    elif nf_type == "vpn":
        assert payload
    else:  # ips: a Classifier reading past the transport header
        g = load_nf(spec(nf_type))
        sig = g.nodes["sig"]
        assert sig["cls"] == "Classifier"
        offsets = [int(c.split("/")[0]) for a in sig["args"] if a != "-" for c in a.split()]
        assert max(offsets) >= 42


def test_config_override_replaces_config_and_args() -> None:
    g = load_nf(spec("firewall", config={"acl": " allow tcp,  deny all "}))
    assert g.nodes["acl"]["config"] == "allow tcp,  deny all"
    assert g.nodes["acl"]["args"] == ("allow tcp", "deny all")
    assert g.nodes["chk"]["cls"] == "CheckIPHeader"


def test_config_override_unknown_element_names_path() -> None:
    with pytest.raises(SpecError) as info:
        load_nf(spec("firewall", config={"filter": "deny all"}))
    text = str(info.value)
    assert text.startswith("chain.json: NFs[0].config.filter: firewall.click has no element 'filter'")
    assert "acl" in text and "chk" in text


def test_override_cannot_touch_pseudo_elements() -> None:
    with pytest.raises(SpecError, match=r"config.input: .* has no element 'input'"):
        load_nf(spec("nat", config={"input": "x"}))


def test_own_click_file_relative_to_chain(tmp_path: Path) -> None:
    (tmp_path / "nfs").mkdir()
    (tmp_path / "nfs" / "mine.click").write_text(
        "// my NF\ninput -> c :: Counter -> Strip(14) -> MarkIPHeader -> Unstrip(14) -> output;\n"
    )
    chain = {
        "NFs": [{"name": "m", "type": "counter", "location": "srv1", "click": "nfs/mine.click",
                 "config": {"c": "BYTE_COUNT_CALL 100"}}],
        "Links": [],
        "Route": {"ingress": {"switch": "s1", "port": 1}, "egress": {"switch": "s1", "port": 2}},
    }
    (tmp_path / "c.json").write_text(json.dumps(chain))
    [loaded] = load_chains(tmp_path / "c.json")
    g = load_nf(loaded.nfs[0])
    assert g.graph["name"] == "m"
    assert g.nodes["c"]["config"] == "BYTE_COUNT_CALL 100"
    # An explicit base_dir wins over the chain file's folder.
    with pytest.raises(SpecError, match="cannot read"):
        load_nf(loaded.nfs[0], tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Idle -> Discard;", "never uses `input`"),
        ("input -> Counter -> [1]output; input -> Discard;", "uses output[1]"),
        ("input -> output; input[1] -> Discard;", "uses input[1]"),
    ],
)
def test_convention_violations(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "bad.click").write_text(body)
    nf = NFSpec("b", "bad", "srv1", click=Path("bad.click"), where="NFs[3]", file="c.json")
    with pytest.raises(SpecError, match=r"c\.json: NFs\[3\]: bad\.click " + message.replace("[", r"\[")):
        load_nf(nf, tmp_path)


def test_examples_load_every_nf() -> None:
    for name in ("paper-chain.json", "two-server-chain.json"):
        for chain in load_chains(data_path("examples", name)):
            for nf in chain.nfs:
                g = load_nf(nf)
                assert g.graph["name"] == nf.name
                for element, config in nf.config.items():
                    assert g.nodes[element]["config"] == config
