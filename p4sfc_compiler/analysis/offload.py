"""Per-instance offload check: which elements of one NF graph the switch can run.

An element that is offloadable in general may not be in a given configuration: its own
module parses its config and lowers it, or says why it cannot (``NotOffloadable``).
The check also tracks, along every path from the NF's ``input``, where Click's data
pointer is and whether an IP header annotation was set: lowering depends on both.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from p4sfc_compiler.analysis.catalog import Catalog, Offloadability, load_catalog
from p4sfc_compiler.families import registry
from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.values import ConfigEnv
from p4sfc_compiler.frontend.ir import PSEUDO_CLASSES, n_ports_used

IP_HEADER_ANNO = "anno.ip_header"


@dataclass(frozen=True)
class ElementInfo:
    """The offload verdict for one element instance."""

    name: str
    cls: str
    offloadability: Offloadability
    reason: str
    lowering: Lowering | None  # set when the switch can run it (full or partial)
    data_offset: int | None  # data pointer at the element's input, None if paths disagree

    @property
    def on_switch(self) -> bool:
        return self.lowering is not None


@dataclass(frozen=True)
class _Where:
    offset: int | None
    ip_header: bool


def _merge(a: _Where | None, b: _Where) -> _Where:
    if a is None:
        return b
    return _Where(a.offset if a.offset == b.offset else None, a.ip_header and b.ip_header)


def _packet_context(
    g: nx.MultiDiGraph, configs: dict[str, object], cyclic: bool, catalog: Catalog
) -> dict[str, _Where]:
    """Data offset and IP-annotation state at each element's input, by topological order.

    Elements not reachable from ``input`` (config-only elements, sources) get offset 0.
    In a cycle the context is unknown (offset None).
    """
    where: dict[str, _Where] = {}
    if cyclic:
        return {n: _Where(None, False) for n in g}
    for n in nx.topological_sort(g):
        cls = g.nodes[n]["cls"]
        here = where.get(n)
        if here is None:
            here = _Where(0, False)
            where[n] = here
        if cls in PSEUDO_CLASSES:
            after = here
        else:
            offset = here.offset
            if offset is not None and n in configs:
                offset = registry.data_offset(cls, configs[n], offset)
            after = _Where(offset, here.ip_header or catalog.writes(cls, IP_HEADER_ANNO))
        for succ in g.successors(n):
            where[succ] = _merge(where.get(succ), after)
    return where


def check_elements(
    g: nx.MultiDiGraph, catalog: Catalog | None = None, env: ConfigEnv | None = None
) -> dict[str, ElementInfo]:
    """Offload verdict for every element of an NF graph (pseudo-nodes excluded).

    Raises the element module's ``ElementConfigError`` for a config that Click itself
    would reject: that is an input error, not an offload limitation.
    """
    catalog = catalog or load_catalog()
    env = env if env is not None else ConfigEnv.from_graph(g)
    configs: dict[str, object] = {}
    for n, d in g.nodes(data=True):
        if d["cls"] in PSEUDO_CLASSES or registry.family_for(d["cls"]) is None:
            continue
        # an NF's config override is placed in the chain file (nflib sets config_pos)
        configs[n] = registry.parse_config(d["cls"], d["args"], d.get("config_pos") or d["pos"], env)
    cyclic = not nx.is_directed_acyclic_graph(g)
    where = _packet_context(g, configs, cyclic, catalog)

    infos: dict[str, ElementInfo] = {}
    for n, d in g.nodes(data=True):
        cls = d["cls"]
        if cls in PSEUDO_CLASSES:
            continue
        level, reason = catalog.offloadability(cls)
        lowering = None
        ctx_where = where.get(n, _Where(0, False))
        if level is not Offloadability.NON:
            level, reason, lowering = _lower_instance(
                g, n, cls, configs.get(n), ctx_where, level, reason, cyclic
            )
        infos[n] = ElementInfo(n, cls, level, reason, lowering, ctx_where.offset)
    return infos


def _lower_instance(
    g: nx.MultiDiGraph,
    n: str,
    cls: str,
    config: object | None,
    where: _Where,
    level: Offloadability,
    reason: str,
    cyclic: bool,
) -> tuple[Offloadability, str, Lowering | None]:
    non = Offloadability.NON
    if cyclic:
        return non, "the NF graph has a cycle; the switch runs acyclic element graphs only", None
    if registry.family_for(cls) is None:
        return non, f"no element module lowers {cls} to switch entries", None
    if where.offset is None:
        return non, "the data offset differs between the paths that reach this element", None
    n_in, n_out = n_ports_used(g, n)
    ctx = LowerContext(
        data_offset=where.offset,
        ip_header=where.ip_header,
        n_inputs=max(n_in, 1),
        n_outputs=n_out,
    )
    try:
        lowering = registry.lower(cls, config, ctx)
    except NotOffloadable as exc:
        return non, exc.reason, None
    return level, reason, lowering
