"""The switch's view of one NF: its staged elements and the edges between them.

Elements whose lowering is ``nop`` (Strip, MarkIPHeader, Queue, ...) need no stage: the
switch parses headers at fixed places, so they are contracted away and the edges through
them join the elements around them. Every other element gets an element id (1, 2, ...;
0 is the NF's ``input``) in graph order, so ids are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from p4sfc_compiler.analysis.offload import ElementInfo
from p4sfc_compiler.errors import P4SFCError, SourcePos
from p4sfc_compiler.families.base import Lowering
from p4sfc_compiler.frontend.ir import INPUT_CLASS, OUTPUT_CLASS, out_edges_by_port

INPUT_ID = 0


@dataclass(frozen=True)
class Target:
    """Where an output port leads: an element's input, the NF's exit, or a drop."""

    elem: str | None  # element name, None for exit/drop
    in_port: int = 0
    exit: bool = False  # leads to the NF's output: the NF is complete
    # set Click's destination annotation from the IP header on the way (the effect of a
    # CheckIPHeader this edge bypasses: analysis/redundant.py)
    dst_from_ip: bool = False

    @property
    def drop(self) -> bool:
        return self.elem is None and not self.exit


@dataclass
class SwitchNF:
    """Staged elements of one NF on the switch, with resolved edges."""

    elem_ids: dict[str, int]
    # (source element or "input", out port) -> target; "input" has port 0 only
    edges: dict[tuple[str, int], Target] = field(default_factory=dict)
    # CheckIPHeaders left out because they repeat a check (analysis/redundant.py)
    removed: frozenset[str] = frozenset()

    @cached_property
    def _by_source(self) -> dict[str, dict[int, Target]]:
        table: dict[str, dict[int, Target]] = {}
        for (src, port), t in self.edges.items():
            table.setdefault(src, {})[port] = t
        return table

    def outputs(self, elem: str) -> dict[int, Target]:
        """``{out_port: target}`` of one element (or of ``input``). A SwitchNF is built
        whole before it is queried: later changes to ``edges`` are not seen."""
        return self._by_source.get(elem, {})

    @cached_property
    def _by_target(self) -> dict[str, list[tuple[str, int, Target]]]:
        table: dict[str, list[tuple[str, int, Target]]] = {}
        # input's edge first, then by source name and port: a stable entry order
        for (src, port), t in sorted(
            self.edges.items(), key=lambda kv: (kv[0][0] != INPUT_CLASS, kv[0])
        ):
            if t.elem is not None:
                table.setdefault(t.elem, []).append((src, port, t))
        return table

    def inputs(self, elem: str) -> list[tuple[str, int, Target]]:
        """Edges into one element: ``(source, out_port, target)``."""
        return self._by_target.get(elem, [])

    def exit_ports(self, elem: str) -> int:
        return self._port_masks.get(elem, (0, 0))[0]

    def drop_ports(self, elem: str, n_outputs: int) -> int:
        """Outputs (below ``n_outputs``) that drop: unconnected ones, and connected ones
        that lead nowhere (a contracted element with nothing after it)."""
        return ((1 << n_outputs) - 1) & ~self._port_masks.get(elem, (0, 0))[1]

    @cached_property
    def _port_masks(self) -> dict[str, tuple[int, int]]:
        """(exit ports, ports that lead somewhere) per element: an NF body's switch graph
        is shared by every chain that uses it, so these are asked for many times."""
        return {
            src: (_mask(p for p, t in outs.items() if t.exit),
                  _mask(p for p, t in outs.items() if not t.drop))
            for src, outs in self._by_source.items()
        }

    @cached_property
    def depth(self) -> dict[str, int]:
        """Longest-path depth of each staged element reachable from ``input`` (first
        elements at depth 1); alternative branches share depths."""
        dag = self.dag()
        depth: dict[str, int] = {INPUT_CLASS: 0}
        for n in nx.topological_sort(dag):
            preds = [depth[p] for p in dag.predecessors(n) if p in depth]
            if n != INPUT_CLASS and preds:
                depth[n] = max(preds) + 1
        del depth[INPUT_CLASS]
        return depth

    def dag(self) -> nx.DiGraph:
        """Element-level DAG (``input`` included) used by stage allocation."""
        d = nx.DiGraph()
        d.add_node(INPUT_CLASS)
        d.add_nodes_from(self.elem_ids)
        for (src, _), t in self.edges.items():
            if t.elem is not None:
                d.add_edge(src, t.elem)
        return d


def _mask(ports: Iterable[int]) -> int:
    m = 0
    for p in ports:
        m |= 1 << p
    return m


def _pos(g: nx.MultiDiGraph, node: str) -> SourcePos:
    """Where an element is; the pseudo-elements ``input``/``output`` are the NF's file."""
    pos: SourcePos | None = g.nodes[node]["pos"]
    return pos if pos is not None else SourcePos(g.graph.get("file") or "<NF>", 1, 1)


def _lowering(infos: Mapping[str, ElementInfo], name: str) -> Lowering:
    lowering = infos[name].lowering
    if lowering is None:
        raise ValueError(f"element '{name}' has no switch form; its NF cannot run on a switch")
    return lowering


def build_switch_nf(g: nx.MultiDiGraph, infos: Mapping[str, ElementInfo]) -> SwitchNF:
    """Contract nops and assign element ids for the switch side of one NF.

    Every non-pseudo element must have a lowering (the caller only builds switch NFs
    for NFs placed on the switch).
    """
    staged = [n for n in g if n in infos and not _lowering(infos, n).is_nop]
    snf = SwitchNF({n: i + 1 for i, n in enumerate(staged)})
    sources = [n for n, d in g.nodes(data=True) if d["cls"] == INPUT_CLASS] + staged
    for src in sources:
        for port, targets in sorted(out_edges_by_port(g, src).items()):
            if len(targets) > 1:
                # the NF's input has no position of its own: point at the second element
                # it feeds, the connection that is one too many
                raise P4SFCError(
                    f"{src}[{port}] is connected to {len(targets)} elements "
                    f"({', '.join(dst for dst, _ in targets)}); "
                    "a push output has exactly one connection",
                    g.nodes[src]["pos"] or _pos(g, targets[1][0]),
                )
            key = (INPUT_CLASS if g.nodes[src]["cls"] == INPUT_CLASS else src, port)
            snf.edges[key] = _resolve(g, infos, *targets[0])
    return snf


def _resolve(
    g: nx.MultiDiGraph, infos: Mapping[str, ElementInfo], node: str, in_port: int
) -> Target:
    seen: set[str] = set()
    while True:
        cls = g.nodes[node]["cls"]
        if cls == OUTPUT_CLASS:
            if in_port != 0:
                raise P4SFCError(
                    f"NF output[{in_port}] used: an NF continues the chain on output[0] only",
                    _pos(g, node),
                )
            return Target(None, exit=True)
        if cls == INPUT_CLASS:
            raise P4SFCError("a connection leads back into the NF's input", _pos(g, node))
        if not _lowering(infos, node).is_nop:
            return Target(node, in_port)
        if node in seen:
            raise P4SFCError("a loop of elements the switch contracts", _pos(g, node))
        seen.add(node)
        nxt = out_edges_by_port(g, node).get(0)
        if not nxt:
            return Target(None)
        node, in_port = nxt[0]
