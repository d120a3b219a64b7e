"""The interface of an element kind's switch model: the Python twin of the kind's P4 block
(``p4/templates/elements/<kind>.p4.j2``), which the embedded switch runs when a stage's
``element_control`` entry selects ``exec_<kind>``.

A model is a function from the stage's resources (its tables' lookups, its registers and
counters, the names of its actions and parameters, all taken from the data-plane
contract by the switch) to a ``run(packet, params)`` closure. ``params`` are the
``exec_<kind>`` action's parameters in declaration order (the packed common ``element``
first, which the pipeline has already applied); the closure does what the rest of the
action and the kind's P4 block do, down to setting ``packet.out_port``. Closures are built once per
stage and kind, so the per-packet path has no name lookups.

Each family owning a P4 kind keeps its model in ``switch.py`` beside its lowering;
:mod:`.kind_models` maps kind names to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from p4sfc_compiler.dataplane.packet import Lookup, PacketState, key_reader
from p4sfc_compiler.dataplane.program import KIND_SPECS, exec_params

KindRun = Callable[[PacketState, tuple[int, ...]], None]


@dataclass(frozen=True)
class StageTable:
    lookup: Lookup
    key: Callable[[PacketState], tuple[int, ...]]


class CounterCells:
    """An indexed counter extern of one stage: packets and bytes per index."""

    def __init__(self, size: int) -> None:
        self.packets = [0] * size
        self.bytes = [0] * size

    def count(self, index: int, nbytes: int) -> None:
        # BMv2 refuses an index past the array (the packet goes on uncounted).
        if 0 <= index < len(self.packets):
            self.packets[index] += 1
            self.bytes[index] += nbytes

    def clear(self) -> None:
        n = len(self.packets)
        self.packets[:] = [0] * n
        self.bytes[:] = [0] * n


@dataclass(frozen=True)
class StageResources:
    """What one stage gives a kind's model."""

    prefix: str  # MyIngress.stageN
    kind: str
    tables: Mapping[str, StageTable]  # short name -> lookup and key reader
    registers: Mapping[str, list[int]]  # short name -> cells (mutated in place)
    counters: Mapping[str, CounterCells]  # short name -> counter extern

    def param(self, name: str) -> int:
        """Where ``exec_<kind>``'s parameter ``name`` is in the params tuple."""
        names = [p.name for p in exec_params(self.kind)]
        return names.index(name)

    def action(self, short: str) -> str:
        """The full name of the stage's table action ``short``."""
        if short not in KIND_SPECS[self.kind].table_actions:
            raise KeyError(f"{short} is not an action of {self.kind}'s tables")
        return f"{self.prefix}.{short}"

    def action_param(self, short: str, name: str) -> int:
        """Where parameter ``name`` is in a hit's params of table action ``short``."""
        return [n for n, _ in KIND_SPECS[self.kind].table_actions[short]].index(name)


def stage_table(lookup: Lookup, key_exprs: tuple[str, ...]) -> StageTable:
    return StageTable(lookup, key_reader(key_exprs))


KindModel = Callable[[StageResources], KindRun]
