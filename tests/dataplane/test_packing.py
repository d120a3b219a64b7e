"""Packed key fields and parameters: the parts go in and come out unchanged, and the P4
slice of a part reads the bits the packed number holds it in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.packing import Packing
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
