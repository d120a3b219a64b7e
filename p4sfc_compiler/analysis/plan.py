"""The plan: every decision the analysis makes for a set of chains, as plain data.

``build_plan`` runs the passes in order: load each NF's graph, check each element
(``offload``), classify each NF (``classify``), partition each chain per server
(``partition``), build the switch view of switch-side NFs (``switchgraph``), remove the
checks a run of them repeats (``redundant``) and allocate stages (``stages``). The
backend turns a plan into entries and configs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from p4sfc_compiler.analysis.catalog import Catalog, Offloadability, load_catalog
from p4sfc_compiler.analysis.classify import NFClass, classify_nf
from p4sfc_compiler.analysis.offload import ElementInfo, check_elements
from p4sfc_compiler.analysis.partition import NFSplit, Placement, Segment, partition_chain, split_nf
from p4sfc_compiler.analysis.redundant import NO_FACTS, Facts, without_redundant_checks
from p4sfc_compiler.analysis.stages import Slot, allocate
from p4sfc_compiler.analysis.switchgraph import SwitchNF, build_switch_nf
from p4sfc_compiler.dataplane.program import MAX_CHAIN_ID, MAX_ELEM_ID, MAX_NF_ID
from p4sfc_compiler.errors import CapacityError
from p4sfc_compiler.frontend.chainspec import ChainSpec, NFSpec, Topology
from p4sfc_compiler.frontend.nflib import load_nf, nf_file
from p4sfc_compiler.frontend.specjson import json_path, located


@dataclass(frozen=True)
class OnServer:
    """The NF runs on its server alone."""

    placement = Placement.SERVER


@dataclass
class OnSwitch:
    """The NF runs on the switch: its switch view, and each element's (pass, stage)
    (filled by stage allocation, which packs a whole run of NFs at once)."""

    switch_nf: SwitchNF
    slots: dict[str, Slot] = field(default_factory=dict)
    placement = Placement.SWITCH


@dataclass
class Split(OnSwitch):
    """The switch runs every element (the partial one as its stateless counterpart); the
    server runs ``split.server`` on a miss."""

    split: NFSplit = field(kw_only=True)
    placement = Placement.SPLIT


Where = OnServer | OnSwitch | Split


@dataclass
class NFPlan:
    name: str
    type: str
    nf_id: int
    location: str
    switch: str
    offloadability: Offloadability
    reason: str
    graph: nx.MultiDiGraph
    infos: dict[str, ElementInfo]
    partial_element: str | None = None
    where: Where = field(default_factory=OnServer)

    @property
    def placement(self) -> Placement:
        return self.where.placement

    @property
    def on_switch(self) -> bool:
        return isinstance(self.where, OnSwitch)

    @property
    def on_server(self) -> bool:
        return self.placement is not Placement.SWITCH

    @property
    def switch_part(self) -> OnSwitch:
        """The switch side of a switch-side NF (SWITCH or SPLIT placement)."""
        if not isinstance(self.where, OnSwitch):
            raise ValueError(f"NF '{self.name}' does not run on a switch")
        return self.where

    @property
    def split(self) -> NFSplit:
        """How a SPLIT NF divides between the switch and the server."""
        if not isinstance(self.where, Split):
            raise ValueError(f"NF '{self.name}' is not split")
        return self.where.split

    def element_side(self, name: str) -> str:
        """``switch``, ``server`` or ``both`` (a split NF's elements past the partial one:
        the switch runs them on a hit, the server on a miss; never both for one packet)."""
        if isinstance(self.where, Split):
            return "both" if name in self.where.split.server else "switch"
        return "switch" if isinstance(self.where, OnSwitch) else "server"

    def to_json(self) -> dict[str, Any]:
        elements = []
        for n, d in self.graph.nodes(data=True):
            if n not in self.infos:
                continue
            info = self.infos[n]
            part = self.where if isinstance(self.where, OnSwitch) else None
            slot = part.slots.get(n) if part else None
            elements.append(
                {
                    "name": n,
                    "class": d["cls"],
                    "offloadability": info.offloadability.value,
                    "reason": info.reason,
                    "side": self.element_side(n),
                    "kind": info.lowering.kind if info.lowering and self.on_switch else None,
                    "elem_id": part.switch_nf.elem_ids.get(n) if part else None,
                    "pass": slot.pass_ if slot else None,
                    "stage": slot.stage if slot else None,
                }
            )
        return {
            "name": self.name,
            "type": self.type,
            "nf_id": self.nf_id,
            "location": self.location,
            "switch": self.switch,
            "offloadability": self.offloadability.value,
            "reason": self.reason,
            "placement": self.placement.value,
            "partial_element": self.partial_element,
            "elements": elements,
        }


@dataclass
class ChainPlan:
    spec: ChainSpec
    chain_id: int
    nfs: list[NFPlan]
    segments: list[Segment]
    passes: dict[str, int]  # switch -> recirculation passes per packet (1 = none)

    @property
    def name(self) -> str:
        return self.spec.name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "chain_id": self.chain_id,
            "nfs": [nf.to_json() for nf in self.nfs],
            "segments": [
                {
                    "server": s.server,
                    "switch": s.switch,
                    "pre_server": [self.nfs[i].name for i in s.pre],
                    "server_nfs": [self.nfs[i].name for i in s.server_nfs],
                    "post_server": [self.nfs[i].name for i in s.post],
                }
                for s in self.segments
            ],
            "passes": dict(sorted(self.passes.items())),
        }


@dataclass
class Plan:
    chains: list[ChainPlan]
    topology: Topology
    stages: int

    def to_json(self) -> dict[str, Any]:
        return {"stages": self.stages, "chains": [c.to_json() for c in self.chains]}


def assign_chain_ids(
    names: Sequence[str],
    previous: Mapping[str, int] | None = None,
    where: Sequence[str] = (),
) -> list[int]:
    """Chain ids: a chain keeps the id it had in ``previous``; new chains take the lowest
    ids no other chain holds, in input order. ``where[i]`` locates chain i for messages
    (``chain.json: [3]``)."""
    previous = dict(previous or {})
    taken = {previous[n] for n in names if n in previous}
    ids: list[int] = []
    free = 1
    for i, name in enumerate(names):
        if name in previous:
            ids.append(previous[name])
            continue
        while free in taken:
            free += 1
        if free > MAX_CHAIN_ID:
            at = f"{where[i]}: " if i < len(where) else ""
            raise CapacityError(f"{at}chain {name!r} would be chain {free}: more than "
                                f"{MAX_CHAIN_ID} chains")
        ids.append(free)
        taken.add(free)
    return ids


class NFAnalyses:
    """Per-NF analysis results, shared by NF instances with the same body and config.

    Parsing and checking an NF depends only on its ``.click`` file and its config
    overrides, so 1,000 chains of library NFs parse each library NF once. The graph is
    shared too (the plan never changes it): an instance's name is ``NFPlan.name``.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._done: dict[tuple, tuple[nx.MultiDiGraph, dict[str, ElementInfo], NFClass]] = {}
        self._switch: dict[int, SwitchNF] = {}
        self._pruned: dict[tuple[int, Facts], tuple[SwitchNF, Facts]] = {}

    def get(
        self, spec: NFSpec, base_dir: Path
    ) -> tuple[nx.MultiDiGraph, dict[str, ElementInfo], NFClass]:
        key = (str(nf_file(spec, base_dir)), tuple(sorted(spec.config.items())))
        if key not in self._done:
            graph = load_nf(spec, base_dir)
            infos = check_elements(graph, self.catalog)
            self._done[key] = (graph, infos, classify_nf(infos))
        return self._done[key]

    def without_redundant_checks(self, snf: SwitchNF, infos: dict[str, ElementInfo],
                                 facts: Facts) -> tuple[SwitchNF, Facts]:
        """``redundant.without_redundant_checks``, once per NF body and facts."""
        key = (id(snf), facts)
        if key not in self._pruned:
            self._pruned[key] = without_redundant_checks(snf, infos, facts)
        return self._pruned[key]

    def switch_nf(self, graph: nx.MultiDiGraph, infos: dict[str, ElementInfo]) -> SwitchNF:
        """The switch view of an NF body; NF instances sharing the body share it."""
        key = id(graph)
        if key not in self._switch:
            self._switch[key] = build_switch_nf(graph, infos)
        return self._switch[key]


def plan_nf(spec_nf: NFSpec, nf_id: int, switch: str, analyses: NFAnalyses, base_dir: Path) -> NFPlan:
    """Element verdicts and NF class for one NF (placement is decided per chain)."""
    graph, infos, cls = analyses.get(spec_nf, base_dir)
    return NFPlan(
        name=spec_nf.name,
        type=spec_nf.type,
        nf_id=nf_id,
        location=spec_nf.location,
        switch=switch,
        offloadability=cls.offloadability,
        reason=cls.reason,
        graph=graph,
        infos=infos,
        partial_element=cls.partial_element,
    )


def plan_chain(
    spec: ChainSpec,
    chain_id: int,
    topology: Topology,
    stages: int,
    analyses: NFAnalyses,
    base_dir: Path,
) -> ChainPlan:
    if len(spec.nfs) > MAX_NF_ID:
        raise CapacityError(located(
            spec.file or spec.name, json_path(spec.where, "NFs"),
            f"chain {spec.name!r} has {len(spec.nfs)} NFs; at most {MAX_NF_ID}",
        ))
    nfs = [
        plan_nf(nf, i + 1, topology.servers[nf.location].switch, analyses, base_dir)
        for i, nf in enumerate(spec.nfs)
    ]
    placements, segments = partition_chain(
        [nf.offloadability for nf in nfs],
        [nf.location for nf in nfs],
        lambda server: topology.servers[server].switch,
    )
    for nf, spec_nf, placement in zip(nfs, spec.nfs, placements, strict=True):
        if placement is Placement.SERVER:
            continue
        snf = analyses.switch_nf(nf.graph, nf.infos)
        if placement is Placement.SPLIT:
            assert nf.partial_element is not None  # the partition splits partial NFs only
            nf.where = Split(snf, split=split_nf(nf.graph, nf.partial_element))
        else:
            nf.where = OnSwitch(snf)
        if len(snf.elem_ids) > MAX_ELEM_ID:
            raise CapacityError(located(
                spec_nf.file or spec.file or spec.name, spec_nf.where,
                f"NF {nf.name!r} has {len(snf.elem_ids)} switch elements; at most {MAX_ELEM_ID}",
            ))
        if not snf.elem_ids:
            raise CapacityError(located(
                spec_nf.file or spec.file or spec.name, spec_nf.where,
                f"NF {nf.name!r} has no element the switch runs (only plumbing); "
                "give it a real element or place it on a server",
            ))
    passes: dict[str, int] = {}
    for run in switch_runs(nfs):
        facts = NO_FACTS
        for i in run:
            part = nfs[i].switch_part
            part.switch_nf, out = analyses.without_redundant_checks(
                part.switch_nf, nfs[i].infos, facts)
            # a split NF's misses come back from its server, which may change the packet
            facts = out if nfs[i].placement is Placement.SWITCH else NO_FACTS
        parts = [nfs[i].switch_part for i in run]
        slots, n = allocate([p.switch_nf for p in parts], stages)
        for part, s in zip(parts, slots, strict=True):
            part.slots = s
        sw = nfs[run[0]].switch
        passes[sw] = max(passes.get(sw, 1), n)
    return ChainPlan(spec, chain_id, nfs, segments, passes)


def switch_runs(nfs: Sequence[NFPlan]) -> list[tuple[int, ...]]:
    """Maximal runs of consecutive switch-side NFs on one switch: a packet goes through
    a run without leaving the switch (but for a split NF's misses)."""
    runs: list[list[int]] = []
    prev: NFPlan | None = None
    for i, nf in enumerate(nfs):
        if not nf.on_switch:
            prev = None
            continue
        if prev is not None and prev.switch == nf.switch:
            runs[-1].append(i)
        else:
            runs.append([i])
        prev = nf
    return [tuple(r) for r in runs]


def build_plan(
    chains: Sequence[ChainSpec],
    topology: Topology,
    *,
    stages: int = 8,
    base_dir: Path | None = None,
    previous_ids: Mapping[str, int] | None = None,
    catalog: Catalog | None = None,
) -> Plan:
    """Run the analysis passes over every chain."""
    analyses = NFAnalyses(catalog or load_catalog())
    ids = assign_chain_ids(
        [c.name for c in chains],
        previous_ids,
        [f"{c.file}: {c.where}" if c.where else c.file or c.name for c in chains],
    )
    plans = [
        plan_chain(c, cid, topology, stages, analyses, base_dir or Path(c.file).parent)
        for c, cid in zip(chains, ids, strict=True)
    ]
    return Plan(plans, topology, stages)
