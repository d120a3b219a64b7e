"""Match values and table entries by name: what the entry builder emits, the P4Info checks
and output formats take, and the runtime and the switch model apply."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Exact:
    value: int


@dataclass(frozen=True)
class Ternary:
    value: int
    mask: int


@dataclass(frozen=True)
class Lpm:
    value: int
    prefix_len: int


Match = Exact | Ternary | Lpm


def is_dont_care(value: Match) -> bool:
    """A ternary field with mask 0 or an LPM field of prefix length 0: it matches every
    value, and P4Runtime requires it to be left out of the entry (BMv2 rejects it)."""
    if isinstance(value, Ternary):
        return value.mask == 0
    return isinstance(value, Lpm) and value.prefix_len == 0


def significant(match: Iterable[tuple[str, Match]]) -> tuple[tuple[str, Match], ...]:
    """The fields of a match that constrain it (don't-care fields left out)."""
    return tuple((name, value) for name, value in match if not is_dont_care(value))


class Entry(NamedTuple):
    """One table entry by name. (A NamedTuple: compiles make tens of thousands.)"""

    table: str
    match: tuple[tuple[str, Match], ...]
    action: str
    params: tuple[tuple[str, int], ...] = ()
    priority: int | None = None
    chain: str | None = None  # owning chain
