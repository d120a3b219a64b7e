"""What a stateful element sees of the state library: a table of its mappings that the
library mirrors into the switch (paper Table II's ``P4SFCTable``).

The element keeps its own state (Click's mapping objects, their TCP flags) and tells
the mirror what the switch half must do with a packet: ``create`` a key's values,
``remove`` them, and ``get`` when the server itself used a key (a packet of that flow
reached the server, so the library knows the flow is active and that the switch may
lack it). The library lives above the engine (``p4sfc_compiler/state/``) and writes
through the runtime's P4Runtime client; this protocol is all the families know of it,
so the engine runs the same with or without a switch.

Keys and values are plain integers in the order the library was given names for
(for the rewriters: the switch table's key fields and the ``rewrite`` action's
parameters, ``dataplane.fields.REWRITER_KEY`` order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Values = tuple[int, ...]


class StateMirror(Protocol):
    def create(self, keys: Values, vals: Values, timeout: float | None = None,
               group: object = None) -> None:
        """The switch should answer ``keys`` with ``vals`` (insert or replace). With a
        ``timeout`` the keys expire once idle that long; keys of one ``group`` (a
        mapping's two directions) are idle only when all of them are."""
        ...

    def get(self, keys: Values) -> Values | None:
        """The values of ``keys``; the server used them (a packet of the flow)."""
        ...

    def remove(self, keys: Values) -> None:
        """The switch should no longer answer ``keys``."""
        ...

    def on_expire(self, callback: Callable[[Values], None]) -> None:
        """``callback(keys)`` runs (on the packet thread) when the library expires keys."""
        ...
