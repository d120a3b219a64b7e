from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families import registry
from p4sfc_compiler.families.base import ElementConfigError, LowerContext, NotOffloadable
from p4sfc_compiler.families.counters.family import COUNTERS
from p4sfc_compiler.families.encap.family import ENCAP
from p4sfc_compiler.families.icmp.family import ICMP
from p4sfc_compiler.families.io.family import IO
from p4sfc_compiler.families.ipheader.family import IPHEADER
from p4sfc_compiler.families.iplookup.family import IPLOOKUP
from p4sfc_compiler.families.ipsec.family import IPSEC
from p4sfc_compiler.families.plumbing.family import PLUMBING
from p4sfc_compiler.families.registry import (
    data_offset,
    family_for,
    known_classes,
    lower,
    parse_config,
)
from p4sfc_compiler.families.rewriter.family import REWRITER
from p4sfc_compiler.families.switches.family import SWITCHES
from p4sfc_compiler.families.values import ConfigEnv
from p4sfc_compiler.frontend.ir import n_ports_used

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "click"

MINE = {
    REWRITER: {"IPRewriter", "TCPRewriter", "UDPRewriter", "IPAddrRewriter",
               "IPRewriterPatterns", "RoundRobinIPMapper"},
    IPLOOKUP: {"StaticIPLookup", "LinearIPLookup", "RadixIPLookup", "DirectIPLookup",
               "RangeIPLookup", "SortedIPLookup"},
    ENCAP: {"EtherEncap", "IPEncap"},
    IPHEADER: {"CheckIPHeader", "MarkIPHeader", "DecIPTTL", "SetIPDSCP", "SetIPChecksum",
               "GetIPAddress", "StoreIPAddress", "FixIPSrc", "StripIPHeader"},
    IO: {"FromDump", "ToDump", "FromDevice", "ToDevice"},
    SWITCHES: {"PaintSwitch", "HashSwitch", "RoundRobinSwitch"},
    ICMP: {"ICMPError"},
    IPSEC: {"RadixIPsecLookup", "IPsecESPEncap", "IPsecESPUnencap", "IPsecAuthHMACSHA1",
            "IPsecAES", "IPsecEncap"},
    COUNTERS: {"Counter", "AverageCounter"},
    PLUMBING: {"Strip", "Unstrip", "Queue", "SimpleQueue", "Paint", "Discard", "Tee",
               "PullTee", "Alert", "Forward", "StoreData", "Idle", "Null"},
}


def test_family_for_every_class() -> None:
    for family, classes in MINE.items():
        assert set(family.classes) == classes
        for cls in classes:
            assert family_for(cls) is family
            assert cls in known_classes()
    assert family_for("ToIPSummaryDump") is None
    assert family_for("ipfilter") is None  # family names are not classes


def test_the_first_family_listing_a_class_wins() -> None:
    shadow = replace(COUNTERS, name="shadow")
    assert registry.index_by_class((shadow, COUNTERS))["Counter"] is shadow
    assert family_for("Counter") is COUNTERS
    assert known_classes() == {c for f in registry.FAMILIES for c in f.classes}


def test_parse_config_locates_errors() -> None:
    pos = SourcePos("nf.click", 3, 7)
    with pytest.raises(ElementConfigError) as e:
        parse_config("Strip", ("x",), pos)
    assert e.value.pos == pos
    assert str(e.value).startswith("nf.click:3:7: Strip: LENGTH: bad integer")
    with pytest.raises(ElementConfigError, match="no element module implements class Foo"):
        parse_config("Foo", (), pos)


def test_parse_config_passes_the_env() -> None:
    env = ConfigEnv({"gw": ("10.0.0.1",)})
    cfg = parse_config("RadixIPLookup", ("0/0 gw 0",), None, env)
    assert cfg.routes[0].gw == 0x0A000001


def test_lower_and_data_offset_defaults() -> None:
    cfg = parse_config("Strip", ("14",))
    assert data_offset("Strip", cfg, 0) == 14
    assert data_offset("Counter", parse_config("Counter", ()), 14) == 14  # the default data_offset
    assert data_offset("ToIPSummaryDump", None, 6) == 6  # unknown class: unchanged
    with pytest.raises(NotOffloadable, match="ToIPSummaryDump has no switch implementation"):
        lower("ToIPSummaryDump", None, LowerContext())
    assert lower("Counter", parse_config("Counter", ())).kind == "counter"  # default ctx


# --- the Click golden cases, end to end --------------------------------------------------

def _parse_golden(case: str) -> nx.MultiDiGraph:
    parser = pytest.importorskip("p4sfc_compiler.frontend.parser")
    return parser.parse_file(GOLDEN / case / "config.click")


def _offsets(g: nx.MultiDiGraph, configs: dict[str, object]) -> dict[str, int]:
    """Data offset at each element's input, following the pointer from the sources."""
    at: dict[str, int] = {n: 0 for n in g if g.in_degree(n) == 0}
    for n in nx.topological_sort(g):
        if n not in at:
            continue
        after = data_offset(g.nodes[n]["cls"], configs.get(n), at[n])
        for succ in g.successors(n):
            at.setdefault(succ, after)
    return at


def _golden_cases() -> list[str]:
    if not GOLDEN.is_dir():
        return []
    return sorted(p.parent.name for p in GOLDEN.glob("*/config.click"))


# How each element of the golden cases lowers; elements not listed lower to their kind
# without error.
EXPECTED_NOT_OFFLOADABLE = {
    ("checkipheader_badsrc", "chk"): "INTERFACES",
    ("checkipheader_nochecksum", "chk"): "CHECKSUM false",
    ("setipchecksum", "chk"): "CHECKSUM false",
    ("setipchecksum", "e"): "SetIPChecksum",
    ("ipaddrrewriter_nat", "rw"): "IPAddrRewriter",
    ("strip_unstrip", "c"): "data offset 34",
    ("strip_unstrip", "t"): "cloning",
    ("tee", "t"): "cloning",
    ("ipencap", "t"): "cloning",
    ("nf_vpn_ipsec", "t"): "cloning",
}
# Classes with a family (the engine runs them) and no switch form at all.
NO_SWITCH_FORM = {
    "FromDump": "reads or writes a file",
    "ToDump": "reads or writes a file",
    "GetIPAddress": "arbitrary offset",
    "StoreIPAddress": "arbitrary offset",
    "PaintSwitch": "no switch kind",
    "HashSwitch": "no switch kind",
    "RoundRobinSwitch": "no switch kind",
    "ICMPError": "new packet",
    "FixIPSrc": "no switch kind",
    "StripIPHeader": "no switch kind",
    "RadixIPsecLookup": "payload",
    "IPsecESPEncap": "payload",
    "IPsecESPUnencap": "payload",
    "IPsecAuthHMACSHA1": "payload",
    "IPsecAES": "payload",
    "IPsecEncap": "payload",
}
EXPECTED_KIND = {
    ("checkipheader_offset", "chk"): "check_ip_header",  # CheckIPHeader(14) on the frame
    ("markipheader", "m"): "nop",
    ("nf_nat", "rw"): "rewriter",
    ("nf_router", "rt"): "ip_lookup",
    ("ipencap", "e1"): "ip_encap",
    ("averagecounter", "a"): "counter",
    ("paint_paintswitch", "p3"): "paint",
    ("discard", "d"): "discard",
    ("decipttl", "d"): "dec_ip_ttl",
    ("setipdscp", "e"): "set_ip_dscp",
}


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="shared/click-golden not present")
@pytest.mark.parametrize("case", _golden_cases())
def test_golden_configs_parse_and_lower(case: str) -> None:
    g = _parse_golden(case)
    configs = {}
    for name, data in g.nodes(data=True):
        if family_for(data["cls"]) not in MINE:
            continue
        env = ConfigEnv.from_graph(g, name)
        configs[name] = parse_config(data["cls"], data["args"], data["pos"], env)
    expected = {n for c, n in (*EXPECTED_NOT_OFFLOADABLE, *EXPECTED_KIND) if c == case}
    assert expected <= set(configs), "an expectation names an element the case lacks"
    offsets = _offsets(g, configs)
    for name, config in configs.items():
        cls = g.nodes[name]["cls"]
        n_in, n_out = n_ports_used(g, name)
        ctx = LowerContext(data_offset=offsets.get(name, 0), n_inputs=n_in, n_outputs=n_out)
        reason = EXPECTED_NOT_OFFLOADABLE.get((case, name), NO_SWITCH_FORM.get(cls))
        if reason is not None:
            with pytest.raises(NotOffloadable, match=reason):
                lower(cls, config, ctx)
            continue
        low = lower(cls, config, ctx)
        if (case, name) in EXPECTED_KIND:
            assert low.kind == EXPECTED_KIND[(case, name)]


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="shared/click-golden not present")
def test_golden_nat_lowering_details() -> None:
    g = _parse_golden("nf_nat")
    data = g.nodes["rw"]
    low = lower("IPRewriter", parse_config("IPRewriter", data["args"]),
                LowerContext(data_offset=14, n_inputs=2, n_outputs=3))
    # a miss on any input goes to the server (a reply on the "pass" input may belong to a
    # mapping only the server has); non-TCP/UDP packets on the "pass" input go to output 2
    assert low.input_params == {0: {"server_entry": 1, "pass_port": 255},
                                1: {"server_entry": 2, "pass_port": 2}}
