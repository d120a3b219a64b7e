"""The NF library: every body parses, follows the NF convention, takes overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.click import click_binary, run_click, wrap_chain
from support.traces import ids, trace

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


@pytest.mark.parametrize("nf_type", LIBRARY)
def test_analysis_agrees_with_header_comment(nf_type: str) -> None:
    """The compiler's derived class is the one the NF file promises (and the paper gives)."""
    from p4sfc_compiler.analysis.classify import classify_nf
    from p4sfc_compiler.analysis.offload import check_elements

    verdict = classify_nf(check_elements(load_nf(spec(nf_type))))
    names = {"fully": "FULL", "partially": "PARTIAL", "non": "NON"}
    assert verdict.offloadability.name == names[declared_offloadability(nf_type)], verdict.reason
    if verdict.partial_element is not None:
        assert verdict.partial_element == "rw"


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
        ("input -> t :: Tee(2); t[0] -> output; t[1] -> [1]output;", "uses output[1]"),
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


# ---------------------------------------------------------------------------- real click
#
# Each NF body is wrapped as `elementclass` and run by the real `click` on a small trace,
# which proves the bodies are valid Click and pins down what each NF does.

needs_click = pytest.mark.skipif(click_binary() is None, reason="the click binary is not installed")


def _check_firewall(out: list, handlers: dict[str, str]) -> None:
    assert ids(out) == [0, 1, 2, 4, 5, 7, 8, 9, 11, 13]


def _check_monitor(out: list, handlers: dict[str, str]) -> None:

    assert [bytes(p) for p in out] == [bytes(p) for p in trace()]  # every frame passes unchanged
    counts = {h.split("/")[1].split(".")[0]: int(v) for h, v in handlers.items()}
    assert counts == {"total": 16, "c_web": 8, "c_tcp": 2, "c_dns": 3, "c_udp": 1,
                      "c_icmp": 2, "c_other": 0, "c_bad": 1}


def _check_nat(out: list, handlers: dict[str, str]) -> None:
    from scapy.layers.inet import IP, TCP

    assert ids(out) == [0, 1, 2, 6, 7, 8, 9, 11, 12, 13, 16]
    for p in out[:-1]:
        assert p[IP].src == "192.168.0.1" and 50000 <= p[IP].payload.sport <= 59999
    assert out[0][TCP].sport == 50000  # sequential allocation starts at the range's low end
    reply = out[-1]
    assert (reply[IP].src, reply[IP].dst, reply[TCP].dport) == ("10.0.1.10", "10.0.0.5", 40000)


def _check_ips(out: list, handlers: dict[str, str]) -> None:

    frames = trace()
    assert [bytes(p) for p in out] == [bytes(p) for i, p in enumerate(frames) if i not in (1, 6, 7)]
    assert {h: int(v) for h, v in handlers.items()} == {
        "nf0/a_attack.count": 1, "nf0/a_passwd.count": 1, "nf0/a_sql.count": 0,
        "nf0/a_nopsled.count": 1,
    }


def _check_router(out: list, handlers: dict[str, str]) -> None:
    from scapy.layers.inet import IP

    assert ids(out) == [i for i in range(17) if i not in (13, 14)]
    frames = trace()
    for p in out:
        original = frames[p[IP].id - 100]
        assert p[IP].ttl == original[IP].ttl - 1
        port1 = p[IP].dst.startswith(("10.0.2.", "192.168."))
        assert p.dst == ("02:00:00:00:02:01" if port1 else "02:00:00:00:01:01")
        assert p.src == ("02:00:00:00:02:00" if port1 else "02:00:00:00:01:00")
        fresh = IP(bytes(p[IP]))
        del fresh.chksum
        assert IP(bytes(fresh)).chksum == p[IP].chksum  # the TTL update kept the checksum valid


def _check_lb(out: list, handlers: dict[str, str]) -> None:
    from scapy.layers.inet import IP, TCP

    assert ids(out) == [i for i in range(17) if i != 14]
    by_id = {p[IP].id - 100: p for p in out}
    assert (by_id[9][IP].dst, by_id[9][TCP].dport) == ("10.0.2.11", 8080)
    assert (by_id[10][IP].dst, by_id[10][TCP].dport) == ("10.0.2.12", 8080)
    frames = trace()
    for i, p in by_id.items():
        if i not in (9, 10):
            assert bytes(p) == bytes(frames[i])


def _check_vpn(out: list, handlers: dict[str, str]) -> None:
    from scapy.layers.inet import IP

    frames = trace()
    esp = [p for p in out if p[IP].proto == 50]
    plain = [p for p in out if p[IP].proto != 50]
    assert len(esp) == 2
    for p in esp:
        assert (p[IP].src, p[IP].dst, p.dst) == ("192.168.0.1", "192.168.0.2", "02:00:00:00:03:01")
        # ESP header: SPI 234, then the encrypted inner packet (no plaintext address left).
        assert int.from_bytes(bytes(p[IP].payload)[:4], "big") == 234
        assert b"\x0a\x14\x01" not in bytes(p[IP].payload)[16:]
    assert [bytes(p) for p in plain] == [
        bytes(p) for i, p in enumerate(frames) if i not in (11, 12, 14, 15, 16)
    ]


CHECKS = {
    "firewall": (_check_firewall, []),
    "monitor": (_check_monitor, [f"nf0/{c}.count" for c in
                                 ("total", "c_web", "c_tcp", "c_dns", "c_udp", "c_icmp", "c_other", "c_bad")]),
    "nat": (_check_nat, []),
    "ips": (_check_ips, [f"nf0/{c}.count" for c in ("a_attack", "a_passwd", "a_sql", "a_nopsled")]),
    "router": (_check_router, []),
    "lb": (_check_lb, []),
    "vpn": (_check_vpn, []),
}


def test_every_nf_has_a_click_check() -> None:
    assert sorted(CHECKS) == LIBRARY


@pytest.mark.tools
@needs_click
@pytest.mark.parametrize("nf_type", LIBRARY)
def test_nf_runs_in_click(tmp_path: Path, nf_type: str) -> None:
    from scapy.layers.l2 import Ether

    check, handlers = CHECKS[nf_type]
    raw, values = run_click(tmp_path, wrap_chain([nf_type]), handlers, trace())
    out = [Ether(b) for b in raw]
    assert sorted(values) == sorted(handlers)
    check(out, values)


@pytest.mark.tools
@needs_click
def test_paper_chain_runs_in_click(tmp_path: Path) -> None:
    """IPS -> Monitor -> Firewall -> NAT as one Click configuration."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether

    [chain] = load_chains(data_path("examples", "paper-chain.json"))
    raw, _ = run_click(tmp_path, wrap_chain([nf.type for nf in chain.nfs]), [], trace())
    out = [Ether(b) for b in raw]
    # IPS drops 1, 6, 7; the firewall keeps 0 2 4 5 8 9 11 13; the NAT drops ICMP (4)
    # and the unsolicited outside packet (5).
    assert ids(out) == [0, 2, 8, 9, 11, 13]
    assert {p[IP].src for p in out} == {"192.168.0.1"}
