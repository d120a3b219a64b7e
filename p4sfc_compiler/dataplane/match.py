"""Match values and table entries by name: what the entry builder emits, the P4Info checks
and output formats take, and the runtime and the switch model apply."""

from __future__ import annotations

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


class Entry(NamedTuple):
    """One table entry by name. (A NamedTuple: compiles make tens of thousands.)"""

    table: str
    match: tuple[tuple[str, Match], ...]
    action: str
    params: tuple[tuple[str, int], ...] = ()
    priority: int | None = None
    chain: str | None = None  # owning chain
