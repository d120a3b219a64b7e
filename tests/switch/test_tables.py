"""The embedded switch's tables: exact, LPM and ternary lookups, priorities and BMv2's
tie rule, identity (match + priority), capacity and the errors the server maps to codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.dataplane import program as P
from p4sfc_compiler.dataplane.fields import CLASSIFY_KEY, DST_ANNO, ELEMENT_PREFIX, field_width
from p4sfc_compiler.dataplane.match import Entry, Exact, Lpm, Ternary
from p4sfc_compiler.dataplane.program import ProgramParams, build_program
from p4sfc_compiler.switch.tables import (
    EntryExists,
    EntryMissing,
    InvalidEntry,
    Table,
    TableError,
    TableFull,
)

PROG = build_program(ProgramParams(stages=1, table_size=8))
S0 = "MyIngress.stage0"
# A ternary table of many fields (the classify table's key unpacked, an exact prefix and
# ternary fields): the switch's tables take whatever key the P4Info gives them.
WIDE = P.Table(
    f"{S0}.classify",
    tuple(P.Key(k, kind, field_width(k)) for k, kind in (
        *((k, "exact") for k in ELEMENT_PREFIX), *((k, "ternary") for k in CLASSIFY_KEY))),
    PROG.tables[f"{S0}.classify"].actions, 8)


# An exact prefix and an LPM field (the ip_lookup table's key unpacked).
ROUTES = P.Table(
    f"{S0}.ip_lookup",
    tuple(P.Key(k, kind, field_width(k)) for k, kind in (
        *((k, "exact") for k in ELEMENT_PREFIX), (DST_ANNO, "lpm"))),
    PROG.tables[f"{S0}.ip_lookup"].actions, 8)


def table(short: str) -> Table:
    if short == "classify":
        return Table(WIDE, PROG.actions)
    if short == "ip_lookup":
        return Table(ROUTES, PROG.actions)
    name = f"{S0}.{short}" if not short.startswith("MyIngress.") else short
    return Table(PROG.tables[name], PROG.actions)


def prefix(elem: int = 1) -> tuple[tuple[str, Exact], ...]:
    return (("chain_id", Exact(1)), ("nf_id", Exact(2)), ("elem_id", Exact(elem)))


def route(dst: int, plen: int, port: int, elem: int = 1) -> Entry:
    return Entry(f"{S0}.ip_lookup", (*prefix(elem), ("dst_anno", Lpm(dst, plen))),
                 f"{S0}.route", (("port", port),))


def classify(prio: int, port: int, **fields: tuple[int, int]) -> Entry:
    match = tuple((name, Ternary(v, m)) for name, (v, m) in fields.items())
    return Entry(f"{S0}.classify", (*prefix(), *match), f"{S0}.set_port",
                 (("port", port),), priority=prio)


def classify_values(t: Table, **values: int) -> tuple[int, ...]:
    base = {"chain_id": 1, "nf_id": 2, "elem_id": 1}
    return tuple({**base, **values}.get(k.name, 0) for k in t.spec.keys)


def test_exact_insert_lookup_modify_delete() -> None:
    t = table("MyIngress.nf_dispatch")
    match = (("chain_id", Exact(5)), ("nf_id", Exact(1)), ("to_server", Exact(0)))
    e = Entry("MyIngress.nf_dispatch", match, "MyIngress.to_port", (("port", 3),))
    t.insert(e)
    assert len(t) == 1 and t.get(match) == e
    hit = t.lookup((5, 1, 0))
    assert hit is not None and hit.action == "MyIngress.to_port" and hit.params == (3,)
    assert t.lookup((5, 1, 1)) is None
    t.modify(e._replace(action="MyIngress.run_local", params=()))
    hit = t.lookup((5, 1, 0))
    assert hit is not None and hit.action == "MyIngress.run_local" and hit.params == ()
    with pytest.raises(EntryExists):
        t.insert(e)
    t.delete(e)
    assert len(t) == 0 and t.lookup((5, 1, 0)) is None and t.get(match) is None
    with pytest.raises(EntryMissing):
        t.delete(e)
    with pytest.raises(EntryMissing):
        t.modify(e)


def test_params_follow_the_action_order_whatever_the_entry_order() -> None:
    t = table("rewriter")
    key = (*prefix(), ("ip_src", Exact(1)), ("sport", Exact(2)), ("ip_dst", Exact(3)),
           ("dport", Exact(4)), ("ip_proto", Exact(6)))
    params = (("port", 1), ("dport", 40), ("daddr", 30), ("sport", 20), ("saddr", 10))
    t.insert(Entry(f"{S0}.rewriter", key, f"{S0}.rewrite", params))
    hit = t.lookup((1, 2, 1, 1, 2, 3, 4, 6))
    assert hit is not None and hit.params == (10, 20, 30, 40, 1)


def test_lpm_longest_prefix_per_element() -> None:
    t = table("ip_lookup")
    t.insert(route(0x0A000000, 8, 1))
    t.insert(route(0x0A010000, 16, 2))
    t.insert(route(0x0A010100, 24, 3))
    t.insert(route(0x0A010000, 16, 9, elem=2))  # another element's table
    default = Entry(f"{S0}.ip_lookup", prefix(), f"{S0}.route", (("port", 7),))
    t.insert(default)  # the LPM field left out: prefix length 0
    ports = {dst: t.lookup((1, 2, 1, dst)) for dst in (0x0A010101, 0x0A0102FF, 0x0A7F0000,
                                                        0x0B000000)}
    assert {d: h.params[0] for d, h in ports.items() if h} == {
        0x0A010101: 3, 0x0A0102FF: 2, 0x0A7F0000: 1, 0x0B000000: 7}
    hit = t.lookup((1, 2, 2, 0x0A010101))
    assert hit is not None and hit.params == (9,)
    assert t.lookup((1, 2, 3, 0x0A010101)) is None
    t.delete(route(0x0A010100, 24, 3))
    hit = t.lookup((1, 2, 1, 0x0A010101))
    assert hit is not None and hit.params == (2,)
    t.delete(default)
    assert t.lookup((1, 2, 1, 0x0B000000)) is None


def test_lpm_identity_is_value_and_prefix_length() -> None:
    t = table("ip_lookup")
    t.insert(route(0x0A000000, 8, 1))
    t.insert(route(0x0A000000, 16, 2))
    with pytest.raises(EntryExists):
        t.insert(route(0x0A000000, 8, 3))
    with pytest.raises(InvalidEntry, match="past its prefix"):
        t.insert(route(0x0A000001, 8, 3))


def test_ternary_highest_priority_wins() -> None:
    t = table("classify")
    t.insert(classify(10, 1, ip_proto=(6, 0xFF)))
    t.insert(classify(20, 2, ip_proto=(6, 0xFF), dport=(80, 0xFFFF)))
    t.insert(classify(5, 3))  # matches everything of the element
    def port(**v: int) -> int | None:
        hit = t.lookup(classify_values(t, **v))
        return None if hit is None else hit.params[0]
    assert port(ip_proto=6, dport=80) == 2
    assert port(ip_proto=6, dport=81) == 1
    assert port(ip_proto=17, dport=80) == 3
    assert t.lookup(classify_values(t, elem_id=2)) is None


def test_ternary_ties_go_to_the_lowest_handle_as_on_bmv2() -> None:
    t = table("classify")
    a = classify(10, 1, ip_proto=(6, 0xFF))
    b = classify(10, 2, dport=(80, 0xFFFF))
    c = classify(10, 3, ip_ttl=(64, 0xFF))
    for e in (a, b, c):
        t.insert(e)
    values = classify_values(t, ip_proto=6, dport=80, ip_ttl=64)
    assert t.lookup(values).params == (1,)  # type: ignore[union-attr]
    t.delete(a)
    assert t.lookup(values).params == (2,)  # type: ignore[union-attr]
    # the freed handle 0 goes to the next insert, which now ranks first among equals
    t.insert(classify(10, 4, ip_src=(1, 0xFF)))
    assert t.lookup(classify_values(t, ip_proto=6, dport=80, ip_ttl=64, ip_src=1)
                    ).params == (4,)  # type: ignore[union-attr]
    # a modify keeps the entry's place
    t.modify(b._replace(params=(("port", 9),)))
    assert t.lookup(values).params == (9,)  # type: ignore[union-attr]


def test_ternary_identity_includes_priority() -> None:
    t = table("classify")
    t.insert(classify(10, 1, ip_proto=(6, 0xFF)))
    t.insert(classify(11, 2, ip_proto=(6, 0xFF)))
    assert len(t) == 2
    with pytest.raises(EntryExists):
        t.insert(classify(10, 5, ip_proto=(6, 0xFF)))
    match = classify(10, 0, ip_proto=(6, 0xFF)).match
    assert t.get(match, 10) is not None and t.get(match, 12) is None


def test_capacity() -> None:
    t = table("ip_lookup")
    for i in range(8):
        t.insert(route(i << 24, 8, 1))
    with pytest.raises(TableFull):
        t.insert(route(9 << 24, 8, 1))
    t.delete(route(0, 8, 1))
    t.insert(route(9 << 24, 8, 1))
    assert len(t) == 8


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (classify(0, 1, ip_proto=(6, 0xFF)), "priority"),
        (route(1 << 24, 8, 1)._replace(priority=3), "no priority"),
        (classify(1, 1, ip_proto=(0x17, 0x0F)), "outside its mask"),
        (classify(1, 1, ip_proto=(0, 0)), "left out"),
        (classify(1, 1, ip_proto=(0x100, 0x1FF)), "exceeds"),
        (classify(1, 1)._replace(match=prefix()[:2]), "missing"),
        (classify(1, 1)._replace(match=(*prefix(), ("nope", Ternary(1, 1)))), "no match"),
        (classify(1, 1)._replace(match=(*prefix(), ("ip_proto", Exact(1)))), "ternary"),
        (classify(1, 1)._replace(action=f"{S0}.route"), "not an entry action"),
        (classify(1, 1)._replace(action="NoAction"), "not an entry action"),
        (classify(1, 1)._replace(params=()), "needs parameter"),
        (classify(1, 1)._replace(params=(("port", 256),)), "exceeds"),
        (classify(1, 1)._replace(params=(("port", 1), ("x", 1))), "no parameter"),
    ],
)
def test_invalid_entries(entry: Entry, message: str) -> None:
    t = table("classify") if "classify" in entry.table else table("ip_lookup")
    with pytest.raises(InvalidEntry, match=message):
        t.insert(entry)
    assert len(t) == 0
    assert issubclass(InvalidEntry, TableError)


_field = st.tuples(st.integers(0, 255), st.integers(0, 255)).map(lambda vm: (vm[0] & vm[1],
                                                                             vm[1]))


@settings(max_examples=60, deadline=None)
@given(
    rules=st.lists(st.tuples(st.integers(1, 4), _field, _field), min_size=1, max_size=12),
    packets=st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), max_size=20),
)
def test_ternary_agrees_with_a_linear_scan(
    rules: list[tuple[int, tuple[int, int], tuple[int, int]]],
    packets: list[tuple[int, int]],
) -> None:
    """Highest priority first, then insertion order (no deletes): a plain scan's answer."""
    t = table("classify")
    kept: list[tuple[int, int, tuple[int, int], tuple[int, int]]] = []
    for n, (prio, proto, ttl) in enumerate(rules):
        fields = {k: v for k, v in (("ip_proto", proto), ("ip_ttl", ttl)) if v[1]}
        try:
            t.insert(classify(prio, n, **fields))
        except (EntryExists, TableFull):
            continue
        kept.append((prio, n, proto, ttl))
    for proto, ttl in packets:
        want = None
        for _prio, n, (pv, pm), (tv, tm) in sorted(kept, key=lambda r: (-r[0], r[1])):
            if proto & pm == pv and ttl & tm == tv:
                want = n
                break
        hit = t.lookup(classify_values(t, ip_proto=proto, ip_ttl=ttl))
        assert (hit.params[0] if hit else None) == want
