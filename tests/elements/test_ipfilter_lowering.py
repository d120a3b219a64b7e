"""IPFilter / IPClassifier lowering: the ternary rules decide every packet as Click does."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.elements import ipfilter
from p4sfc_compiler.elements.base import (
    ElementConfigError,
    LowerContext,
    Lowering,
    NotOffloadable,
    TableEntry,
)
from p4sfc_compiler.elements.packetview import switch_fields
from p4sfc_compiler.elements.ternary import Rel, eval_node

CTX = LowerContext(data_offset=14, ip_header=True, n_inputs=1, n_outputs=8)

# ---------------------------------------------------------------------------------------
# random well-formed frames (complete transport headers; what CheckIPHeader passes)

MACS = [bytes.fromhex(h) for h in ("0200c0a801fb", "020000000001", "ffffffffffff",
                                   "0200ac1061ed")]
ADDRS = ["10.0.0.1", "10.1.2.3", "192.168.1.7", "192.168.1.200", "172.16.5.4",
         "8.8.8.8", "0.0.0.0", "255.255.255.255"]
PORTS = [0, 20, 22, 23, 53, 80, 123, 443, 1023, 1024, 5000, 8080, 65535]


def csum16(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(map(int, a.split(".")))


def random_frame(rng: random.Random) -> bytes:
    """An Ethernet/IPv4 frame: TCP, UDP, ICMP, other protocols, later fragments (whose
    data may look like a port 80 header), IP options, DSCP/ECN, TTL edge values."""
    proto = rng.choice([6, 6, 6, 17, 17, 1, 1, 2, 4, 47, 50, 132, rng.randrange(256)])
    frag = rng.choice([0, 0, 0, 0, 1, 185])
    mf, df = rng.random() < 0.2, rng.random() < 0.3

    def port() -> int:
        return rng.choice(PORTS) if rng.random() < 0.8 else rng.randrange(65536)

    if frag == 0 and proto == 6:
        flags = rng.choice([0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x29, 0, rng.randrange(256)])
        l4 = struct.pack("!HHIIBBHHH", port(), port(), 1, 2, rng.choice([0x50, 0x60]), flags,
                         rng.choice([0, 1000, 65535]), 0, 0)
    elif frag == 0 and proto == 17:
        l4 = struct.pack("!HHHH", port(), port(), 8, 0)
    elif frag == 0 and proto == 1:
        l4 = struct.pack("!BBHI", rng.choice([0, 3, 5, 8, 11, 13, rng.randrange(256)]),
                         rng.randrange(4), 0, 0)
    else:
        l4 = rng.choice([rng.randbytes(8), struct.pack("!HHI", 1234, 80, 0)])
    l4 += rng.randbytes(rng.randrange(7))
    opts = b"\x01" * 4 * rng.choice([0, 0, 0, 1, 2])
    ihl = 5 + len(opts) // 4
    tos = rng.choice([0, 1, 2, 3, 0xB8, 0xB9, 0x28, 0xFF, rng.randrange(256)])
    ttl = rng.choice([0, 1, 2, 3, 4, 5, 10, 11, 64, 255])
    ident = rng.choice([0, 1, 99, 100, 54321])
    flags_frag = (0x4000 if df else 0) | (0x2000 if mf else 0) | frag
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, ihl * 4 + len(l4), ident, flags_frag,
                      ttl, proto, 0, ip4(rng.choice(ADDRS)), ip4(rng.choice(ADDRS))) + opts
    hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
    return rng.choice(MACS) + rng.choice(MACS) + b"\x08\x00" + hdr + l4


# One fixed corpus: hypothesis varies the patterns, every pattern meets every frame.
_RNG = random.Random(20240611)
CORPUS = [random_frame(_RNG) for _ in range(400)]
SWITCH_VIEWS = [switch_fields(frame.ljust(60, b"\0")) for frame in CORPUS]


def padded(frame: bytes) -> bytes:
    """What the switch receives: the frame padded to Ethernet's 60-byte minimum."""
    return frame.ljust(60, b"\0")


# ---------------------------------------------------------------------------------------
# random patterns

PRIMITIVES = [
    "tcp", "udp", "icmp", "igmp", "ipip", "ip proto 47", "ip proto != 6",
    "src host 10.0.0.1", "dst host 192.168.1.7", "host 8.8.8.8", "10.1.2.3",
    "src net 10.0.0.0/8", "dst net 192.168.1.0 mask 255.255.255.0", "net 172.16.0.0/12",
    "src and dst net 10.0.0.0/8", "src or dst host 255.255.255.255",
    "src port 80", "dst port 53 or 123", "port ssh or telnet", "tcp dst port > 1023",
    "udp src port <= 1023", "tcp port != 80", "dst tcp port 8080", "port www",
    "src port & 0xff00 == 0x1300", "dst port < 1024", "port >= 5000", "udp port != 53",
    "icmp type echo", "icmp type != 3", "icmp type < 5", "icmp type timeexceeded",
    "tcp opt syn", "syn", "ack", "fin or rst", "syn && !ack", "tcp[13] & 0x12 == 0x12",
    "transp[0:2] == 80", "udp[2:2] == 53", "icmp[1] == 3",
    "ip ttl < 3", "ip ttl > 10", "ip ttl != 64", "ip len >= 60", "ip len < 50",
    "ip dscp == 46", "ip dscp > 40", "ip tos & 3 == 3", "ip tos 0", "ip ect", "ip ce",
    "ip frag", "ip unfrag", "ip hl > 5", "ip id < 100", "ip vers 4", "ip[9] == 17",
    "ip[12:4] == 0x0a000001", "ip[1] & 0xfc != 0", "ip[6:2] & 0x3fff == 0",
    "src ether host 02:00:c0:a8:01:fb", "ether host ff:ff:ff:ff:ff:ff",
    "dst ether host 02:00:ac:10:61:ed", "true", "false",
]


def patterns() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(PRIMITIVES)

    def combine(sub: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a: f"!({a})", sub),
            st.builds(lambda a: f"not {a}" if " " not in a else f"not ({a})", sub),
            st.builds(lambda a, b: f"({a}) and ({b})", sub, sub),
            st.builds(lambda a, b: f"({a}) ({b})", sub, sub),
            st.builds(lambda a, b: f"({a}) or ({b})", sub, sub),
            st.builds(lambda a, b: f"{a} || {b}", sub, sub),
            st.builds(lambda a, b, c: f"({a}) ? ({b}) : ({c})", sub, sub, sub),
        )

    return st.recursive(leaf, combine, max_leaves=4)


ACTIONS = st.sampled_from(["allow", "deny", "drop", "1", "2", "3"])


def first_match(entries: tuple[TableEntry, ...], fields: dict[str, int]) -> int | None:
    for e in sorted(entries, key=lambda e: e.order):
        if all((fields.get(k, 0) & m.mask) == m.value for k, m in e.match.items()):
            return e.params["port"] if e.action == "set_port" else None
    return None  # the table's default: drop


def lowered_or_none(cls: str, args: list[str]):
    try:  # Click rejects a few generated combinations, e.g. 'ether host X and syn'
        cfg = ipfilter.parse(cls, args)
    except ElementConfigError:
        return None, None
    try:  # a small bound keeps random nested ternaries quick; they are rejected instead
        return cfg, ipfilter.lower(cls, cfg, CTX, bound=256)
    except NotOffloadable:
        return cfg, None


def agrees(cls: str, cfg: ipfilter.FilterConfig, low: Lowering) -> None:
    for frame, view in zip(CORPUS, SWITCH_VIEWS, strict=True):
        want = ipfilter.evaluate(cls, cfg, frame, 14)
        got = first_match(low.entries, view)
        assert got == want, (frame.hex(), cfg, low.entries)


@given(st.lists(st.tuples(ACTIONS, patterns()), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_first_matching_rule_agrees_with_click(rules):
    cfg, low = lowered_or_none("IPFilter", [f"{a} {p}" for a, p in rules])
    assume(low is not None)
    assert low.kind == "classify"
    agrees("IPFilter", cfg, low)


@given(st.lists(patterns(), min_size=1, max_size=4))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ipclassifier_lowering_agrees_with_click(pats):
    cfg, low = lowered_or_none("IPClassifier", pats)
    assume(low is not None)
    agrees("IPClassifier", cfg, low)


@pytest.mark.parametrize("prim", [p for p in PRIMITIVES if p not in (
    "udp[2:2] == 53", "transp[0:2] == 80")])
def test_every_offloadable_primitive_and_its_negation(prim):
    for args in ([f"allow {prim}"], [f"1 !({prim})", "2 all"]):
        cfg = ipfilter.parse("IPFilter", args)
        agrees("IPFilter", cfg, ipfilter.lower("IPFilter", cfg, CTX))


def _rels(node: object) -> Iterator[Rel]:
    if isinstance(node, Rel):
        yield node
    for child in getattr(node, "children", ()) or ():
        yield from _rels(child)
    for name in ("child", "cond", "then", "other"):
        if hasattr(node, name):
            yield from _rels(getattr(node, name))


@pytest.mark.parametrize("expr", ["ip ttl > 10", "ip ttl & 0x3c > 9", "src port & 0xff0f < 300",
                                  "ip len >= 60", "ip[12:4] > 0x0a000001", "icmp type <= 11",
                                  "ip dscp < 41", "dst port > 1023"])
def test_prefix_form_of_a_relation_agrees_with_clicks_form(expr):
    cfg = ipfilter.parse("IPFilter", [f"allow {expr}"])
    rels = list(_rels(cfg.rules[0].node))
    assert rels
    for frame in CORPUS:
        pkt = ipfilter._ClickPacket(frame, 14)
        for rel in rels:
            assert eval_node(rel.click, pkt.test) == eval_node(rel.prefixes, pkt.test), expr


def test_corpus_exercises_the_interesting_cases():
    views = SWITCH_VIEWS
    assert sum(v.get("meta.l4_ok", 0) and v["hdr.ipv4.protocol"] == 6 for v in views) > 50
    assert sum(v.get("meta.l4_ok", 0) and v["hdr.ipv4.protocol"] == 1 for v in views) > 20
    assert sum(v["hdr.ipv4.fragOffset"] != 0 for v in views) > 30
    assert sum(v["hdr.ipv4.ihl"] > 5 for v in views) > 30
    assert sum(v["hdr.ipv4.protocol"] not in (1, 6, 17) for v in views) > 30


# ---------------------------------------------------------------------------------------
# what cannot go to the switch, and why


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("tcp win 0", "tcp win"),
        ("ip[10:2] == 0", "ip[10:2]"),
        ("ip[20] == 1", "ip[20]"),
        ("udp[4:2] == 8", "udp[4:2]"),
        ("transp[0:2] == 80", "transp[0:2]"),  # GRE/ESP first fragments too
        ("transp[2:2] < 1024", "transp[2:2]"),
        ("icmp[4:4] == 0", "icmp[4:4]"),
    ],
)
def test_not_offloadable_names_the_test(expr, why):
    cfg = ipfilter.parse("IPFilter", [f"allow {expr}"])
    with pytest.raises(NotOffloadable) as e:
        ipfilter.lower("IPFilter", cfg, CTX)
    assert why in e.value.reason


def test_irrelevant_unparsed_bytes_are_fine():
    # the window is only read for TCP, where 'tcp' already decided: offloadable
    cfg = ipfilter.parse("IPFilter", ["allow tcp", "1 tcp win 0"])
    assert ipfilter.lower("IPFilter", cfg, CTX).entries


def test_needs_ip_header_annotation_and_offset():
    cfg = ipfilter.parse("IPFilter", ["allow tcp"])
    with pytest.raises(NotOffloadable, match="IP header annotation"):
        ipfilter.lower("IPFilter", cfg, LowerContext(14, False, 1, 1))
    with pytest.raises(NotOffloadable, match="data offset 18"):
        ipfilter.lower("IPFilter", cfg, LowerContext(18, True, 1, 1))


def test_rule_bound_makes_it_not_offloadable():
    cfg = ipfilter.parse("IPFilter", ["allow (src port > 1023) and (dst port < 1023) and "
                                      "!(ip ttl > 5 and ip len > 100)"])
    with pytest.raises(NotOffloadable, match="more than 3 classify rules"):
        ipfilter.lower("IPFilter", cfg, CTX, bound=3)


def test_entries_shape_and_trailing_drops():
    cfg = ipfilter.parse("IPFilter", ["deny src host 10.0.0.1", "2 tcp dst port 22",
                                      "drop all"])
    low = ipfilter.lower("IPFilter", cfg, CTX)
    assert [e.order for e in low.entries] == list(range(len(low.entries)))
    first, second = low.entries
    assert first.action == "drop_packet" and first.params == {}
    assert first.match["hdr.ipv4.srcAddr"].value == 0x0A000001
    assert second.action == "set_port" and second.params == {"port": 2}
    assert second.match["meta.dport"].value == 22
    assert second.match["hdr.ipv4.protocol"].value == 6
    assert second.match["meta.l4_ok"].value == 1  # ports are 0 without a parsed header


@pytest.mark.parametrize(
    ("args", "max_entries"),
    [
        (["allow tcp port != 80"], 3),
        (["allow !(tcp port 80)"], 3),
        (["allow tcp dst port > 1023"], 2),
        (["allow ip ttl < 3"], 2),
        (["allow port ssh or telnet"], 4),
        (["allow src host 172.16.252.132 or 192.168.1.192"], 2),
        (["allow ip len >= 200"], 9),
    ],
)
def test_rule_counts_stay_small(args, max_entries):
    cfg = ipfilter.parse("IPFilter", args)
    assert len(ipfilter.lower("IPFilter", cfg, CTX).entries) <= max_entries


def test_switch_view_fields():
    rng = random.Random(5)
    frame = b""
    while not (frame[23:24] == b"\x06" and frame[20:22] in (b"\x00\x00", b"\x40\x00")
               and frame[14] == 0x45):
        frame = random_frame(rng)
    view = switch_fields(frame)
    assert view["meta.l4_ok"] == 1 and view["meta.sport"] == int.from_bytes(frame[34:36], "big")
    assert view["meta.tcp_flags"] == frame[47]
    # a TCP header cut short (IP total length 24): no l4 fields, so no port rules match;
    # Click still reads the 4 port bytes there (outside the exact domain, see packetview)
    short = frame[:16] + (24).to_bytes(2, "big") + frame[18:38]
    assert "meta.l4_ok" not in switch_fields(short.ljust(60, b"\0"))
    # behind an SFC header (EtherType 0x88B5, one NF id) the inner EtherType counts
    sfc = frame[:12] + b"\x88\xb5" + b"\x00\x01\x01\x00\x08\x00" + b"\x05\x01" + frame[14:]
    inner = switch_fields(sfc)
    assert inner["meta.ether_type"] == 0x0800
    assert inner["hdr.ipv4.srcAddr"] == view["hdr.ipv4.srcAddr"]
    assert inner["meta.dport"] == view["meta.dport"]
