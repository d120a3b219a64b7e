"""Values the program carries as one field but the compiler and the switch model treat as
parts: a packed key field or action parameter, first part in the high bits.

BMv2 builds and formats every key field and every action parameter of an entry it hits,
on every packet, logging off or not (bench/README.md), so where several values always
travel together through one table the program packs them into one: element_control's
key (``fields.CONTROL_KEY``), the parameter every ``exec_<kind>`` starts with
(``program.EXEC_COMMON``). The program reads a part as a slice (:meth:`Packing.slice`),
entries carry the packed number (:meth:`Packing.pack`), the runtime and the switch model
take it apart (:meth:`Packing.unpack`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from p4sfc_compiler.dataplane.match import Exact, Lpm, Match, Ternary


@dataclass(frozen=True)
class Packing:
    """The parts of one packed value: (name, width) pairs, first part in the high bits."""

    parts: tuple[tuple[str, int], ...]

    @property
    def width(self) -> int:
        return sum(w for _, w in self.parts)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.parts)

    def index(self, part: str) -> int:
        """The position of ``part`` among the parts (as :meth:`unpack` returns them)."""
        try:
            return self.names.index(part)
        except ValueError:
            raise KeyError(f"{part} is not a part of {self.names}") from None

    def bits(self, part: str) -> tuple[int, int]:
        """The (high, low) bit of ``part`` in the packed value."""
        lo = 0
        for name, width in reversed(self.parts):
            if name == part:
                return lo + width - 1, lo
            lo += width
        raise KeyError(f"{part} is not a part of {self.names}")

    def slice(self, expr: str, part: str) -> str:
        """The P4 expression of ``part`` inside the packed ``expr`` (``p[47:40]``)."""
        hi, lo = self.bits(part)
        return f"{expr}[{hi}:{lo}]"

    def pack(self, *values: int) -> int:
        """The packed value of the parts, in order; a value too wide for its part fails."""
        if len(values) != len(self.parts):
            raise ValueError(f"{len(values)} values for the {len(self.parts)} parts "
                             f"{', '.join(self.names)}")
        packed = 0
        for (name, width), v in zip(self.parts, values, strict=True):
            if not 0 <= v < 1 << width:
                raise ValueError(f"{name} = {v} does not fit in {width} bits")
            packed = (packed << width) | v
        return packed

    def shift_mask(self, part: str) -> tuple[int, int]:
        """(shift, mask) that take ``part`` out of a packed value: ``v >> shift & mask``."""
        hi, lo = self.bits(part)
        return lo, (1 << (hi - lo + 1)) - 1

    def part(self, value: int, part: str) -> int:
        """One part of a packed value."""
        shift, mask = self.shift_mask(part)
        return (value >> shift) & mask

    def unpack(self, value: int) -> tuple[int, ...]:
        """The parts of a packed value, in order (inverse of :meth:`pack`)."""
        out = []
        for _, width in reversed(self.parts):
            out.append(value & ((1 << width) - 1))
            value >>= width
        return tuple(reversed(out))


def pack_match(packing: Packing, kind: str, match: Mapping[str, Match]) -> Match | None:
    """One packed key field's match from its parts' matches (by part name), for a field
    of match ``kind``; None when it matches every value (P4Runtime leaves it out).

    Ternary: a part's value and mask go in its bits, an exact part with a full mask, a
    part left out with a zero one. LPM: the parts before the last are exact and lengthen
    the prefix by their widths. Exact: every part is exact.
    """
    unknown = set(match) - set(packing.names)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))}: not a part of {packing.names}")
    values, masks = [], []
    last = len(packing.parts) - 1
    prefix_len = 0
    for i, (name, width) in enumerate(packing.parts):
        m = match.get(name)
        full = (1 << width) - 1
        if kind == "ternary":
            if isinstance(m, Exact):
                values.append(m.value)
                masks.append(full)
            elif isinstance(m, Ternary):
                values.append(m.value & m.mask)
                masks.append(m.mask)
            elif m is None:
                values.append(0)
                masks.append(0)
            else:
                raise ValueError(f"{name}: {m} in a ternary packed field")
        elif kind == "lpm" and i == last:
            if isinstance(m, Lpm):
                values.append(m.value)
                prefix_len += m.prefix_len
            elif m is None:
                values.append(0)
            else:
                raise ValueError(f"{name}: {m} where a packed LPM field takes an LPM part")
        else:
            if not isinstance(m, Exact):
                raise ValueError(f"{name}: a packed {kind} field needs it exact, not {m}")
            values.append(m.value)
            prefix_len += width
    if kind == "ternary":
        mask = packing.pack(*masks)
        return Ternary(packing.pack(*values), mask) if mask else None
    if kind == "lpm":
        return Lpm(packing.pack(*values), prefix_len) if prefix_len else None
    return Exact(packing.pack(*values))


def unpack_match(packing: Packing, value: Match) -> dict[str, Match]:
    """The parts' matches of one packed field's match (inverse of :func:`pack_match`,
    with every ternary part given, its mask 0 when the entry left it out)."""
    if isinstance(value, Exact):
        return {n: Exact(v) for n, v in zip(packing.names, packing.unpack(value.value),
                                            strict=True)}
    if isinstance(value, Ternary):
        return {n: Ternary(v, m) for n, v, m in zip(
            packing.names, packing.unpack(value.value), packing.unpack(value.mask),
            strict=True)}
    out: dict[str, Match] = {}
    remaining = value.prefix_len
    for (name, width), v in zip(packing.parts, packing.unpack(value.value), strict=True):
        if name == packing.names[-1]:
            out[name] = Lpm(v, remaining)
        else:
            out[name] = Exact(v)
            remaining -= width
    return out
