"""NF classification from its elements (paper, section III-D.3).

Fully offloadable when every element is; partially offloadable when exactly one element
is partially offloadable and the rest are fully; otherwise non-offloadable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from p4sfc_compiler.analysis.catalog import Offloadability
from p4sfc_compiler.analysis.offload import ElementInfo


@dataclass(frozen=True)
class NFClass:
    offloadability: Offloadability
    reason: str
    partial_element: str | None = None  # the one partially offloadable element


def classify_nf(infos: Mapping[str, ElementInfo]) -> NFClass:
    """Apply the paper's rule to the element verdicts of one NF."""
    non = [i for i in infos.values() if i.offloadability is Offloadability.NON]
    partial = [i for i in infos.values() if i.offloadability is Offloadability.PARTIAL]
    if non:
        first = non[0]
        more = f" (and {len(non) - 1} more)" if len(non) > 1 else ""
        return NFClass(Offloadability.NON, f"{first.name} ({first.cls}): {first.reason}{more}")
    if len(partial) > 1:
        names = ", ".join(f"{i.name} ({i.cls})" for i in partial)
        return NFClass(
            Offloadability.NON,
            f"more than one partially offloadable element: {names}",
        )
    if partial:
        p = partial[0]
        return NFClass(
            Offloadability.PARTIAL,
            f"{p.name} ({p.cls}) keeps state on the server; the rest runs on the switch",
            partial_element=p.name,
        )
    return NFClass(Offloadability.FULL, "every element is fully offloadable")
