"""Stage allocation: a (pass, stage) for every staged element of a switch-side NF run.

Longest-path layering of each NF's element DAG: an element's layer is one more than the
deepest of its predecessors, so alternative branches (which never meet in one packet)
share layers. Consecutive NFs on the same switch follow each other: the next NF starts
at the layer after the previous NF's deepest element. Layer L runs in pass L // S,
stage L % S; more layers than S stages means recirculation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.analysis.switchgraph import SwitchNF


@dataclass(frozen=True, order=True)
class Slot:
    pass_: int
    stage: int

    def __str__(self) -> str:
        return f"pass {self.pass_} stage {self.stage}"


def layers(snf: SwitchNF) -> dict[str, int]:
    """Longest-path depth of each staged element: first elements are at depth 1.
    Elements no path from ``input`` reaches never see a packet and get no layer."""
    return dict(snf.depth)


def allocate(run: Sequence[SwitchNF], stages: int) -> tuple[list[dict[str, Slot]], int]:
    """Slots for each NF of a run of consecutive switch-side NFs, and passes needed."""
    if stages < 1:
        raise ValueError("the program needs at least one stage")
    offset = 0
    slots: list[dict[str, Slot]] = []
    for snf in run:
        depth = layers(snf)
        slots.append(
            {n: Slot((offset + d - 1) // stages, (offset + d - 1) % stages) for n, d in depth.items()}
        )
        offset += max(depth.values(), default=0)
    passes = max(1, -(-offset // stages))
    return slots, passes
