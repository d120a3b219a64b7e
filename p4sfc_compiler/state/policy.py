"""Which flows get switch space when a switch table is full.

A flow without switch space stays on the server: correct, only slower. When an insert
finds the table full, the table asks its :class:`SpacePolicy` whether the new key should
take the place of one already installed. The default, :class:`MostActive`, keeps the most
active flows in the switch, as the journal version of P4SFC does. A flow's activity is
what the server can see: the packets of it that the server handled (the first, and every
one while it had no switch entry). An installed flow's activity stops growing, so a
parked flow that keeps sending packets to the server overtakes it; ``margin`` keeps two
flows of equal rate from taking turns on every packet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Keys = tuple[int, ...]


class SpacePolicy(Protocol):
    def victim(self, candidate: Keys, activity: int,
               installed: Sequence[tuple[int, Keys]]) -> Keys | None:
        """An installed key to evict for ``candidate`` (whose activity is ``activity``),
        or None: the candidate waits on the server. ``installed`` lists the installed
        keys as (activity, keys), least active first."""
        ...


class MostActive:
    """Evict the least active installed key when the candidate is more active by more
    than ``margin`` packets and by more than ``ratio`` times."""

    def __init__(self, margin: int = 4, ratio: float = 1.5) -> None:
        self.margin = margin
        self.ratio = ratio

    def victim(self, candidate: Keys, activity: int,
               installed: Sequence[tuple[int, Keys]]) -> Keys | None:
        if not installed:
            return None
        have, least = installed[0]
        if activity > have + self.margin and activity > have * self.ratio:
            return least
        return None


class FirstCome:
    """Never evict: the flows installed first keep their space."""

    def victim(self, candidate: Keys, activity: int,
               installed: Sequence[tuple[int, Keys]]) -> Keys | None:
        return None
