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

from dataclasses import dataclass


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
