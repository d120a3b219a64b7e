"""IPFilter / IPClassifier lowering: the ternary rules decide every packet as Click does."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.frames import ACTIONS, PRIMITIVES, patterns, random_frame

from p4sfc_compiler.dataplane.parser_model import switch_fields
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    Lowering,
    NotOffloadable,
    TableEntry,
)
from p4sfc_compiler.families.ipfilter.config import FilterConfig, parse
from p4sfc_compiler.families.ipfilter.evaluate import ClickPacket, evaluate
from p4sfc_compiler.families.ipfilter.lower import lower
from p4sfc_compiler.families.wordtests import Rel, eval_node

CTX = LowerContext(data_offset=14, ip_header=True, n_inputs=1, n_outputs=8)

# One fixed corpus: hypothesis varies the patterns, every pattern meets every frame.
_RNG = random.Random(20240611)


def _cut(frame: bytes, rng: random.Random) -> bytes:
    """``frame`` with its transport header cut after 0 to 19 bytes (frame and IP length
    alike), where Click's program and its trees can answer differently."""
    hl = (frame[14] & 0x0F) * 4
    keep = rng.randrange(min(20, len(frame) - 14 - hl) + 1)
    return frame[:16] + (hl + keep).to_bytes(2, "big") + frame[18:14 + hl + keep]


CORPUS = [random_frame(_RNG) for _ in range(400)]
CORPUS += [_cut(random_frame(_RNG), _RNG) for _ in range(200)]
SWITCH_VIEWS = [switch_fields(frame.ljust(60, b"\0")) for frame in CORPUS]

def first_match(entries: tuple[TableEntry, ...], fields: dict[str, int]) -> int | None:
    for e in sorted(entries, key=lambda e: e.order):
        if all((fields.get(k, 0) & m.mask) == m.value for k, m in e.match.items()):
            return e.params["port"] if e.action == "set_port" else None
    return None  # the table's default: drop


def lowered_or_none(cls: str, args: list[str]):
    try:  # Click rejects a few generated combinations, e.g. 'ether host X and syn'
        cfg = parse(cls, args)
    except ElementConfigError:
        return None, None
    try:  # a small bound keeps random nested ternaries quick; they are rejected instead
        return cfg, lower(cls, cfg, CTX, bound=256)
    except NotOffloadable:
        return cfg, None


def agrees(cls: str, cfg: FilterConfig, low: Lowering) -> None:
    for frame, view in zip(CORPUS, SWITCH_VIEWS, strict=True):
        want = evaluate(cls, cfg, frame, 14)
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
        cfg = parse("IPFilter", args)
        agrees("IPFilter", cfg, lower("IPFilter", cfg, CTX))


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
    cfg = parse("IPFilter", [f"allow {expr}"])
    rels = list(_rels(cfg.rules[0].node))
    assert rels
    for frame in CORPUS:
        pkt = ClickPacket(frame, 14)
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
    cfg = parse("IPFilter", [f"allow {expr}"])
    with pytest.raises(NotOffloadable) as e:
        lower("IPFilter", cfg, CTX)
    assert why in e.value.reason


def test_irrelevant_unparsed_bytes_are_fine():
    # the window is only read for TCP, where 'tcp' already decided: offloadable
    cfg = parse("IPFilter", ["allow tcp", "1 tcp win 0"])
    assert lower("IPFilter", cfg, CTX).entries


def test_needs_ip_header_annotation_and_offset():
    cfg = parse("IPFilter", ["allow tcp"])
    with pytest.raises(NotOffloadable, match="IP header annotation"):
        lower("IPFilter", cfg, LowerContext(14, False, 1, 1))
    with pytest.raises(NotOffloadable, match="data offset 18"):
        lower("IPFilter", cfg, LowerContext(18, True, 1, 1))


def test_rule_bound_makes_it_not_offloadable():
    cfg = parse("IPFilter", ["allow (src port > 1023) and (dst port < 1023) and "
                                      "!(ip ttl > 5 and ip len > 100)"])
    with pytest.raises(NotOffloadable, match="more than 3 classify rules"):
        lower("IPFilter", cfg, CTX, bound=3)


def test_entries_shape_and_trailing_drops():
    cfg = parse("IPFilter", ["deny src host 10.0.0.1", "2 tcp dst port 22",
                                      "drop all"])
    low = lower("IPFilter", cfg, CTX)
    assert [e.order for e in low.entries] == list(range(len(low.entries)))
    first, second = low.entries
    assert first.action == "drop_packet" and first.params == {}
    assert first.match["hdr.ipv4.srcAddr"].value == 0x0A000001
    assert second.action == "set_port" and second.params == {"port": 2}
    assert second.match["meta.dport"].value == 22
    assert second.match["hdr.ipv4.protocol"].value == 6
    # a cut TCP header still gives the key the bytes it has: no l4_ok guard
    assert "meta.l4_ok" not in second.match


@pytest.mark.parametrize(
    ("args", "max_entries"),
    [
        # + 1: TCP first fragments with fewer than 4 transport bytes, which Click drops
        (["allow tcp port != 80"], 4),
        (["allow !(tcp port 80)"], 3),
        (["allow tcp dst port > 1023"], 2),
        (["allow ip ttl < 3"], 2),
        (["allow port ssh or telnet"], 4),
        (["allow src host 172.16.252.132 or 192.168.1.192"], 2),
        (["allow ip len >= 200"], 9),
    ],
)
def test_rule_counts_stay_small(args, max_entries):
    cfg = parse("IPFilter", args)
    assert len(lower("IPFilter", cfg, CTX).entries) <= max_entries


def test_switch_view_fields():
    rng = random.Random(5)
    frame = b""
    while not (frame[23:24] == b"\x06" and frame[20:22] in (b"\x00\x00", b"\x40\x00")
               and frame[14] == 0x45):
        frame = random_frame(rng)
    view = switch_fields(frame)
    assert view["meta.l4_ok"] == 1 and view["meta.sport"] == int.from_bytes(frame[34:36], "big")
    assert view["meta.tcp_flags"] == frame[47]
    # a TCP header cut short (IP total length 24): not whole, but its 4 port bytes are
    # there for Click's filters and for the key; the flags are not
    short = frame[:16] + (24).to_bytes(2, "big") + frame[18:38]
    cut = switch_fields(short.ljust(60, b"\0"))
    assert "meta.l4_ok" not in cut
    assert (cut["meta.sport"], cut["meta.dport"]) == (view["meta.sport"], view["meta.dport"])
    assert cut["meta.tcp_flags"] == 0 and cut["meta.l4_reach"] == 0b001111
    # cut inside the source port: its first byte stays, the rest reads 0
    one = switch_fields(frame[:16] + (21).to_bytes(2, "big") + frame[18:35])
    assert one["meta.sport"] == frame[34] << 8 and one["meta.dport"] == 0
    assert one["meta.l4_reach"] == 0b000001
    # cut after the flags: every key field is there
    after = switch_fields(frame[:16] + (36).to_bytes(2, "big") + frame[18:50])
    assert after["meta.tcp_flags"] == frame[47] and after["meta.l4_reach"] == 0b111111
    # behind an SFC header (EtherType 0x88B5, one NF id) the inner EtherType counts
    sfc = frame[:12] + b"\x88\xb5" + b"\x00\x01\x01\x00\x08\x00" + b"\x05\x01" + frame[14:]
    inner = switch_fields(sfc)
    assert inner["meta.ether_type"] == 0x0800
    assert inner["hdr.ipv4.srcAddr"] == view["hdr.ipv4.srcAddr"]
    assert inner["meta.dport"] == view["meta.dport"]
