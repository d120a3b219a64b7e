"""The ternary algebra: range expansion, cubes, ordered rule lists, simplification."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.families.ternary import (
    TRUE_CUBE,
    RuleExplosion,
    covered_by_union,
    cube_and,
    cube_complement,
    cube_covers,
    make_cube,
    masked_range_cubes,
    merge_cubes,
    rl_and,
    rl_equivalent,
    rl_eval,
    rl_is_false,
    rl_ite,
    rl_not,
    rl_or,
    rl_true_cubes,
    simplify,
    try_merge,
)
from p4sfc_compiler.families.wordtests import compress_bits, range_to_prefixes, word_range_tests

SETTINGS = settings(max_examples=80, deadline=None)

# Two small fields so every function can be checked on all 2**7 packets.
FIELDS = {"a": 4, "b": 3}
ALL = [dict(zip(FIELDS, vs, strict=True)) for vs in itertools.product(range(16), range(8))]


def member(cube, values) -> bool:
    return all((values.get(n, 0) & m) == v for n, v, m in cube)


@st.composite
def cubes(draw):
    tests = []
    for name, width in FIELDS.items():
        if draw(st.booleans()):
            mask = draw(st.integers(0, (1 << width) - 1))
            tests.append((name, draw(st.integers(0, (1 << width) - 1)), mask))
    cube = make_cube(tests)
    assert cube is not None
    return cube


BOOLS = st.booleans()


@st.composite
def rule_lists(draw, values=BOOLS):
    rules = [(draw(cubes()), draw(values)) for _ in range(draw(st.integers(0, 5)))]
    rules.append((TRUE_CUBE, draw(values)))
    return rules


@given(st.integers(1, 10).flatmap(
    lambda w: st.tuples(st.just(w), st.integers(0, (1 << w) - 1), st.integers(0, (1 << w) - 1))))
@SETTINGS
def test_range_to_prefixes_covers_exactly_the_range(args):
    width, x, y = args
    lo, hi = min(x, y), max(x, y)
    prefixes = range_to_prefixes(lo, hi, width)
    covered = [v for v in range(1 << width) if any((v & m) == p for p, m in prefixes)]
    assert covered == list(range(lo, hi + 1))
    # the classic bound: at most 2w - 2 prefixes for a w-bit range
    assert len(prefixes) <= max(1, 2 * width - 2)
    # disjoint
    assert sum(1 for v in range(1 << width) for p, m in prefixes if (v & m) == p) == hi - lo + 1


def test_range_to_prefixes_known_values():
    assert range_to_prefixes(1024, 65535, 16) == [
        (0x0400, 0xFC00), (0x0800, 0xF800), (0x1000, 0xF000), (0x2000, 0xE000),
        (0x4000, 0xC000), (0x8000, 0x8000)]
    assert range_to_prefixes(0, 255, 8) == [(0, 0)]
    assert range_to_prefixes(5, 4, 8) == []


def test_masked_range_over_scattered_bits():
    # V = (bit 3 of a, bit 0 of a, bit 2 of b); V >= 5 means 101, 110, 111
    bits = [("a", 8), ("a", 1), ("b", 4)]
    got = masked_range_cubes(5, 7, bits)
    for vals in ALL:
        v = ((vals["a"] >> 3) & 1) << 2 | (vals["a"] & 1) << 1 | (vals["b"] >> 2) & 1
        assert any(member(c, vals) for c in got) == (v >= 5)


@given(cubes(), cubes())
@SETTINGS
def test_cube_and_covers_complement(a, b):
    x = cube_and(a, b)
    for vals in ALL:
        assert (x is not None and member(x, vals)) == (member(a, vals) and member(b, vals))
    if cube_covers(a, b):
        assert all(member(a, v) for v in ALL if member(b, v))
    comp = cube_complement(a)
    for vals in ALL:
        hits = sum(member(c, vals) for c in comp)
        assert hits == (0 if member(a, vals) else 1)  # disjoint and exact


@given(cubes(), st.lists(cubes(), max_size=5))
@SETTINGS
def test_covered_by_union_is_exact(c, others):
    expected = all(any(member(o, v) for o in others) for v in ALL if member(c, v))
    assert covered_by_union(c, others) == expected


@given(st.lists(cubes(), max_size=6))
@SETTINGS
def test_merge_cubes_keeps_the_union(cs):
    merged = merge_cubes(cs)
    assert len(merged) <= len(cs)
    for vals in ALL:
        assert any(member(c, vals) for c in merged) == any(member(c, vals) for c in cs)


def test_try_merge_one_bit_neighbours():
    a = make_cube([("a", 0b0110, 0b1111)])
    b = make_cube([("a", 0b0111, 0b1111)])
    assert try_merge(a, b) == make_cube([("a", 0b0110, 0b1110)])
    assert try_merge(a, make_cube([("a", 0b0101, 0b1111)])) is None
    assert try_merge(make_cube([("a", 1, 1)]), make_cube([("a", 0, 1)])) == TRUE_CUBE


@given(rule_lists(), rule_lists(), rule_lists())
@SETTINGS
def test_boolean_rule_algebra_is_pointwise(x, y, z):
    ops = {
        "not": (rl_not(x), lambda v: not rl_eval(x, v)),
        "and": (rl_and(x, y, 4096), lambda v: rl_eval(x, v) and rl_eval(y, v)),
        "or": (rl_or(x, y, 4096), lambda v: rl_eval(x, v) or rl_eval(y, v)),
        "ite": (rl_ite(x, y, z, 4096),
                lambda v: rl_eval(y, v) if rl_eval(x, v) else rl_eval(z, v)),
    }
    for name, (rules, fn) in ops.items():
        for vals in ALL:
            assert rl_eval(rules, vals) == fn(vals), name


@given(rule_lists(st.sampled_from([0, 1, 2, None])))
@SETTINGS
def test_simplify_keeps_the_function_and_never_grows(rules):
    out = simplify(rules)
    assert len(out) <= len(rules)
    assert out[-1][0] == TRUE_CUBE
    for vals in ALL:
        assert rl_eval(out, vals) == rl_eval(rules, vals)


def test_simplify_drops_shadowed_and_duplicate_rules():
    a = make_cube([("a", 1, 0xF)])
    a_b = make_cube([("a", 1, 0xF), ("b", 2, 0x7)])
    rules = [(a, 1), (a_b, 2), (a, 3), (TRUE_CUBE, None)]
    assert simplify(rules) == [(a, 1), (TRUE_CUBE, None)]


def test_simplify_drops_rule_covered_by_union_of_earlier_rules():
    lo = make_cube([("a", 0, 0x8)])
    hi = make_cube([("a", 8, 0x8)])
    mid = make_cube([("a", 5, 0xF)])
    assert simplify([(lo, 1), (hi, 2), (mid, 3), (TRUE_CUBE, None)]) == [
        (lo, 1), (hi, 2), (TRUE_CUBE, None)]


@given(rule_lists())
@SETTINGS
def test_true_cubes_and_emptiness(rules):
    true_set = [v for v in ALL if rl_eval(rules, v)]
    cs = rl_true_cubes(rules)
    assert [v for v in ALL if any(member(c, v) for c in cs)] == true_set
    assert rl_is_false(rules) == (not true_set)


@given(rule_lists(), rule_lists(), cubes())
@SETTINGS
def test_equivalence_within_a_cube(x, y, within):
    expected = all(rl_eval(x, v) == rl_eval(y, v) for v in ALL if member(within, v))
    assert rl_equivalent(x, y, within) == expected


def test_rule_bound_raises():
    many = [(make_cube([("a", i, 0xF), ("b", j, 0x7)]), (i + j) % 2 == 0)
            for i in range(16) for j in range(8)]
    with pytest.raises(RuleExplosion):
        simplify([*many, (TRUE_CUBE, False)], bound=10)


@given(st.integers(1, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF), st.data())
@SETTINGS
def test_word_range_tests_follow_masked_numeric_order(word_mask, u, data):
    k = bin(word_mask).count("1")
    lo = compress_bits(u, word_mask)
    hi = data.draw(st.integers(lo, (1 << k) - 1))
    tests = word_range_tests(lo, hi, word_mask)
    for _ in range(30):
        x = data.draw(st.integers(0, 0xFFFFFFFF))
        v = compress_bits(x, word_mask)
        assert any((x & m) == t for t, m in tests) == (lo <= v <= hi)
        # packing keeps the order of masked values
        assert (v > lo) == ((x & word_mask) > (u & word_mask))
