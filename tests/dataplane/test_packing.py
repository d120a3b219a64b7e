"""Packed key fields and parameters: the parts go in and come out unchanged, and the P4
slice of a part reads the bits the packed number holds it in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.match import Exact, Lpm, Ternary
from p4sfc_compiler.dataplane.packing import Packing, pack_match, unpack_match
from p4sfc_compiler.dataplane.program import EXEC_COMMON

PACKINGS = [EXEC_COMMON, F.CONTROL_KEY_PACKING, Packing((("a", 1), ("b", 3), ("c", 9)))]


@st.composite
def packed_parts(draw: st.DrawFn) -> tuple[Packing, tuple[int, ...]]:
    packing = draw(st.sampled_from(PACKINGS))
    values = tuple(draw(st.integers(0, (1 << w) - 1)) for _, w in packing.parts)
    return packing, values


@given(packed_parts())
def test_unpack_inverts_pack_and_each_slice_reads_its_part(case) -> None:
    packing, values = case
    packed = packing.pack(*values)
    assert 0 <= packed < 1 << packing.width
    assert packing.unpack(packed) == values
    for (name, width), v in zip(packing.parts, values, strict=True):
        hi, lo = packing.bits(name)
        assert hi - lo + 1 == width
        # what the P4 slice p[hi:lo] evaluates to
        assert (packed >> lo) & ((1 << (hi - lo + 1)) - 1) == v
        assert packing.part(packed, name) == v
        assert packing.slice("p", name) == f"p[{hi}:{lo}]"


def test_a_part_too_wide_or_a_missing_part_fails_by_name() -> None:
    with pytest.raises(ValueError, match="exit_ports = 4294967296 does not fit in 32 bits"):
        EXEC_COMMON.pack(1, 1 << 32, 0, 0)
    with pytest.raises(ValueError, match="3 values for the 4 parts"):
        EXEC_COMMON.pack(1, 0, 0)
    with pytest.raises(KeyError, match="nope"):
        EXEC_COMMON.bits("nope")


def test_the_control_key_packing_is_the_key_field_the_program_matches() -> None:
    assert F.CONTROL_KEY_PACKING.width == F.field_width(F.CONTROL_KEY)
    assert F.CONTROL_KEY_PACKING.names == F.CONTROL_KEY_PARTS
    # the position slices the stages write are the packing's low parts
    assert F.POSITION == f"{F.CONTROL_KEY}[{F.CONTROL_KEY_PACKING.bits(F.PREV_ELEM)[0]}:0]"


def _part_matches(m, v: int, width: int) -> bool:
    if isinstance(m, Exact):
        return v == m.value
    if isinstance(m, Ternary):
        return v & m.mask == m.value & m.mask
    return m.prefix_len == 0 or v >> (width - m.prefix_len) == m.value >> (width - m.prefix_len)


def _packed_matches(m, v: int, width: int) -> bool:
    return m is None or _part_matches(m, v, width)


TERNARY = Packing((("a", 3), ("b", 8), ("c", 5)))
LPM = Packing((("a", 4), ("b", 8)))


@st.composite
def ternary_entry(draw: st.DrawFn) -> dict:
    match = {}
    for name, width in TERNARY.parts:
        kind = draw(st.sampled_from(["exact", "ternary", "absent"]))
        v = draw(st.integers(0, (1 << width) - 1))
        if kind == "exact":
            match[name] = Exact(v)
        elif kind == "ternary":
            mask = draw(st.integers(1, (1 << width) - 1))
            match[name] = Ternary(v & mask, mask)
    return match


@given(ternary_entry(), st.lists(st.integers(0, 255), min_size=3, max_size=3))
def test_a_packed_ternary_field_matches_what_its_parts_match(match, raw) -> None:
    values = [r & ((1 << w) - 1) for r, (_, w) in zip(raw, TERNARY.parts, strict=True)]
    packed = pack_match(TERNARY, "ternary", match)
    want = all(_part_matches(match[n], v, w) for (n, w), v in zip(TERNARY.parts, values,
                                                                    strict=True) if n in match)
    assert _packed_matches(packed, TERNARY.pack(*values), TERNARY.width) == want
    if packed is not None:  # and it reads back as the parts it was given
        back = unpack_match(TERNARY, packed)
        assert all(_part_matches(back[n], v, w) == _part_matches(match[n], v, w)
                   for (n, w), v in zip(TERNARY.parts, values, strict=True) if n in match)


@given(st.integers(0, 15), st.integers(0, 255), st.integers(0, 8), st.integers(0, 15),
       st.integers(0, 255))
def test_a_packed_lpm_field_matches_what_its_exact_and_lpm_parts_match(a, b, plen, pa, pb
                                                                       ) -> None:
    b_prefix = b >> (8 - plen) << (8 - plen) if plen else 0
    match = {"a": Exact(a), "b": Lpm(b_prefix, plen)}
    packed = pack_match(LPM, "lpm", match)
    assert isinstance(packed, Lpm) and packed.prefix_len == 4 + plen
    want = pa == a and _part_matches(match["b"], pb, 8)
    assert _part_matches(packed, LPM.pack(pa, pb), LPM.width) == want
    assert unpack_match(LPM, packed) == match


def test_a_packed_field_refuses_what_its_kind_cannot_hold() -> None:
    with pytest.raises(ValueError, match="not a part"):
        pack_match(TERNARY, "ternary", {"z": Exact(1)})
    with pytest.raises(ValueError, match="needs it exact"):
        pack_match(LPM, "lpm", {"a": Ternary(1, 1), "b": Lpm(0, 0)})
    with pytest.raises(ValueError, match="needs it exact"):
        pack_match(TERNARY, "exact", {"a": Exact(1)})
