"""Chain partition (paper, section III-E) and the split of a partially offloadable NF.

A chain is cut into *segments*: maximal runs of consecutive NFs with the same location
(server). Each segment is partitioned on its own, with the switch its server hangs on:

* pre-server NFs: before the first non-offloadable NF of the segment -> switch;
* post-server NFs: after the last non-offloadable NF -> switch;
* everything from the first to the last non-offloadable NF -> server.

A segment without a non-offloadable NF runs wholly on the switch. A partially
offloadable NF that lands on the switch side is *split*: the switch runs it with the
partial element replaced by its stateless counterpart, and a lookup miss hands the
packet to the server, which runs only the subgraph reachable from the partial element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import networkx as nx

from p4sfc_compiler.analysis.catalog import Offloadability
from p4sfc_compiler.frontend.ir import PSEUDO_CLASSES


class Placement(StrEnum):
    SWITCH = "switch"
    SERVER = "server"
    SPLIT = "split"


@dataclass(frozen=True)
class Segment:
    """One server's run of consecutive NFs (indexes into the chain)."""

    server: str
    switch: str
    pre: tuple[int, ...]
    server_nfs: tuple[int, ...]
    post: tuple[int, ...]

    @property
    def nfs(self) -> tuple[int, ...]:
        return self.pre + self.server_nfs + self.post


def segments_of(locations: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """Maximal runs of consecutive equal locations: ``[(location, (i, j, ...)), ...]``."""
    runs: list[tuple[str, list[int]]] = []
    for i, loc in enumerate(locations):
        if runs and runs[-1][0] == loc:
            runs[-1][1].append(i)
        else:
            runs.append((loc, [i]))
    return [(loc, tuple(idx)) for loc, idx in runs]


def partition_chain(
    classes: Sequence[Offloadability],
    locations: Sequence[str],
    switch_of: Callable[[str], str],
) -> tuple[list[Placement], list[Segment]]:
    """Placement of every NF of a chain, and its segments.

    ``classes[i]`` and ``locations[i]`` describe the chain's i-th NF; ``switch_of`` maps
    a server to the switch it hangs on.
    """
    if len(classes) != len(locations):
        raise ValueError("one class and one location per NF")
    placements: list[Placement] = []
    segments: list[Segment] = []
    for server, idx in segments_of(locations):
        non = [i for i in idx if classes[i] is Offloadability.NON]
        if non:
            first, last = non[0], non[-1]
            pre = tuple(i for i in idx if i < first)
            mid = tuple(i for i in idx if first <= i <= last)
            post = tuple(i for i in idx if i > last)
        else:
            pre, mid, post = idx, (), ()
        segments.append(Segment(server, switch_of(server), pre, mid, post))
        for i in idx:
            if i in mid:
                placements.append(Placement.SERVER)
            elif classes[i] is Offloadability.PARTIAL:
                placements.append(Placement.SPLIT)
            else:
                placements.append(Placement.SWITCH)
    return placements, segments


@dataclass(frozen=True)
class NFSplit:
    """Which elements of a split NF run where.

    ``switch`` holds every element the switch runs (the partial one as its stateless
    counterpart); ``server`` the partial element and everything reachable from it.
    ``switch_only`` = elements that never run on the server: a packet that misses
    in the counterpart has already passed them on the switch.
    """

    partial: str
    switch: frozenset[str]
    server: frozenset[str]

    @property
    def switch_only(self) -> frozenset[str]:
        return self.switch - self.server


def split_nf(g: nx.MultiDiGraph, partial: str) -> NFSplit:
    """Split an NF graph at its partially offloadable element."""
    elements = {n for n, d in g.nodes(data=True) if d["cls"] not in PSEUDO_CLASSES}
    reachable = ({partial} | nx.descendants(g, partial)) & elements
    return NFSplit(partial, frozenset(elements), frozenset(reachable))
