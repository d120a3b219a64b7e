"""Idle timeout in the embedded switch's tables, as BMv2 and PI have it: a TTL per entry
of a table with ``idle_timeout`` (P4 ``support_timeout``), the last hit stamped by lookups and writes, the
time since it read back PI's way (whole ms, capped at the TTL), and BMv2's ageing sweep
(notify once, skip one sweep, notify again while the entry stays idle)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.dataplane.match import Entry, Exact
from p4sfc_compiler.dataplane.program import KIND_SPECS, ProgramParams, build_program
from p4sfc_compiler.switch.device import Device
from p4sfc_compiler.switch.tables import InvalidEntry, Table

PROG = build_program(ProgramParams(stages=2, table_size=8))
S0 = "MyIngress.stage0"
MS = 1_000_000


class Clock:
    """A hand-moved monotonic clock (ns)."""

    def __init__(self, ns: int = 5_000 * MS) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns


def rewriter(clock: Clock) -> Table:
    t = Table(PROG.tables[f"{S0}.rewriter"], PROG.actions)
    t.clock = clock
    return t


def mapping(sport: int, to_port: int = 50000) -> Entry:
    key = (("chain_id", Exact(1)), ("nf_id", Exact(2)), ("elem_id", Exact(1)),
           ("ip_src", Exact(0x0A000005)), ("sport", Exact(sport)),
           ("ip_dst", Exact(0x0A00010A)), ("dport", Exact(80)), ("ip_proto", Exact(6)))
    params = (("saddr", 0xC0A80001), ("sport", to_port), ("daddr", 0x0A00010A),
              ("dport", 80), ("port", 0))
    return Entry(f"{S0}.rewriter", key, f"{S0}.rewrite", params)


def values(sport: int) -> tuple[int, ...]:
    return (1, 2, 1, 0x0A000005, sport, 0x0A00010A, 80, 6)


def test_only_the_rewriter_table_supports_idle_timeout() -> None:
    flagged = {name for name, t in PROG.tables.items() if t.idle_timeout}
    assert flagged == {f"MyIngress.stage{s}.rewriter" for s in range(2)}
    assert [t.name for spec in KIND_SPECS.values() for t in spec.tables
            if t.state] == ["rewriter"]
    device = Device(PROG)
    assert sorted(t.name for t in device.ageing_tables) == sorted(flagged)


def test_only_tables_with_idle_timeout_stamp_their_hits() -> None:
    """The per-packet lookup of every other table is the plain one (no clock read)."""
    plain = Table(PROG.tables[f"{S0}.ip_lookup"], PROG.actions)
    assert plain.lookup == plain._lookup
    timed = rewriter(Clock())
    assert timed.lookup != timed._lookup


def test_insert_counts_as_a_hit_and_lookups_stamp_the_entry() -> None:
    clock = Clock()
    t = rewriter(clock)
    e = mapping(40000)
    t.insert(e, 2_000 * MS)
    assert t.idle_timeout_ns(e) == 2_000 * MS
    assert t.last_hit_ns(e) == clock.ns and t.elapsed_ns(e) == 0
    clock.ns += 700 * MS
    assert t.elapsed_ns(e) == 700 * MS
    assert t.lookup(values(40001)) is None  # a miss stamps nothing
    assert t.elapsed_ns(e) == 700 * MS
    hit = t.lookup(values(40000))
    assert hit is not None and hit.params[1] == 50000
    assert t.last_hit_ns(e) == clock.ns and t.elapsed_ns(e) == 0


def test_elapsed_is_whole_ms_capped_at_the_ttl_as_pi_answers() -> None:
    clock = Clock(5_000 * MS + 999_999)  # just before a ms boundary
    t = rewriter(clock)
    e = mapping(1)
    t.insert(e, 1_500 * MS + 250)  # a TTL with a sub-ms part
    clock.ns += 2  # the next ms: BMv2 counts one ms gone
    assert t.elapsed_ns(e) == 1 * MS + 250  # PI: TTL - remaining, remaining in whole ms
    clock.ns += 10_000 * MS
    assert t.elapsed_ns(e) == 1_500 * MS + 250  # capped: remaining TTL is 0
    short = mapping(2)
    t.insert(short, 999_999)  # under 1 ms: BMv2 holds 0 ms, "never ages"
    clock.ns += 5 * MS
    assert t.elapsed_ns(short) == 1_000_000  # PI reads UINT64_MAX as -1 remaining
    assert t.sweep() == [e]  # and the short one is never swept
    none = mapping(3)
    t.insert(none)  # no TTL: PI answers 0
    clock.ns += 5 * MS
    assert t.elapsed_ns(none) == 0 and t.idle_timeout_ns(none) == 0


def test_sweeps_notify_once_skip_one_and_notify_again() -> None:
    clock = Clock()
    t = rewriter(clock)
    a, b = mapping(1), mapping(2)
    t.insert(a, 1_000 * MS)
    t.insert(b, 3_000 * MS)
    t.insert(mapping(3))  # no TTL: never notified
    found = []
    for _ in range(8):
        clock.ns += 1_000 * MS
        found.append(sorted(e.match[4][1].value for e in t.sweep()))
    # a is idle from the first sweep on: notified at sweeps 1, 3, 5, 7 (BMv2 skips an
    # entry the previous notifying sweep reported); b from the third sweep on; a sweep
    # that notifies nothing clears what the previous one reported
    assert found == [[1], [], [1, 2], [], [1, 2], [], [1, 2], []]
    t.lookup(values(1))  # a hit: a is no longer idle
    clock.ns += 500 * MS
    assert t.sweep() == [b]
    clock.ns += 600 * MS
    assert t.sweep() == [a]


def test_modify_sets_the_ttl_and_restarts_the_idle_time() -> None:
    clock = Clock()
    t = rewriter(clock)
    e = mapping(1)
    t.insert(e, 4_000 * MS)
    clock.ns += 2_000 * MS
    assert t.elapsed_ns(e) == 2_000 * MS
    t.modify(e._replace(params=e.params[:1] + (("sport", 50001),) + e.params[2:]), 3_000 * MS)
    assert t.idle_timeout_ns(e) == 3_000 * MS and t.elapsed_ns(e) == 0
    hit = t.lookup(values(1))
    assert hit is not None and hit.params[1] == 50001
    t.delete(e)
    assert t.sweep() == [] and t.idle_timeout_ns(e) == 0


def test_a_ttl_on_a_table_without_idle_timeout_is_refused() -> None:
    t = Table(PROG.tables["MyIngress.chain_exit"], PROG.actions)
    e = Entry("MyIngress.chain_exit", (("chain_id", Exact(1)),), "MyIngress.exit_chain",
              (("port", 1),))
    with pytest.raises(InvalidEntry, match="idle_timeout_ns must be set to 0"):
        t.insert(e, 1_000 * MS)
    with pytest.raises(InvalidEntry, match="must be a positive value"):
        rewriter(Clock()).insert(mapping(1), -1)
    t.insert(e)
    assert t.idle_timeout_ns(e) == 0 and t.sweep() == []


def test_a_remaining_ttl_over_32_bits_of_ns_reads_as_bmv2_reads_it() -> None:
    """PI multiplies BMv2's remaining ms by 10**6 in 32-bit unsigned arithmetic."""
    clock = Clock()
    t = rewriter(clock)
    e = mapping(1)
    t.insert(e, 60_000 * MS)
    clock.ns += 500 * MS
    remaining = (59_500 * MS) % 2**32
    assert t.elapsed_ns(e) == 60_000 * MS - remaining == 56_334_574_848
    clock.ns += 55_000 * MS  # 4.5 s left: still wrapped
    assert t.elapsed_ns(e) == 60_000 * MS - (4_500 * MS) % 2**32
    clock.ns += 500 * MS  # 4 s left: right again
    assert t.elapsed_ns(e) == 56_000 * MS


@settings(max_examples=50, deadline=None)
@given(ttl=st.integers(1, 4_294 * MS), gaps=st.lists(st.integers(0, 3_000 * MS), max_size=6),
       start=st.integers(0, 10**12))
def test_elapsed_never_exceeds_the_ttl_and_a_hit_resets_it(ttl: int, gaps: list[int],
                                                            start: int) -> None:
    clock = Clock(start)
    t = rewriter(clock)
    e = mapping(7)
    t.insert(e, ttl)
    since = 0
    for gap in gaps:
        clock.ns += gap
        since += gap
        got = t.elapsed_ns(e)
        assert 0 <= got <= max(ttl, MS)
        if ttl >= MS and since + MS <= ttl:  # (a remaining TTL under 2**32 ns reads right)
            # whole ms since the last hit, give or take the ms boundaries
            assert abs(got - since) <= MS + ttl % MS
    t.lookup(values(7))
    assert t.elapsed_ns(e) <= ttl % MS + (MS if ttl < MS else 0)
