"""The IR: one ``networkx.MultiDiGraph`` per Click configuration or NF.

Plain data, printable by anyone:

* node key: the element's (flattened, qualified) name, e.g. ``fw/filter``;
* node attributes: ``cls`` (class name), ``config`` (the raw configuration string,
  whitespace-trimmed, ``""`` when none), ``args`` (tuple of arguments split as Click
  splits them), ``pos`` (:class:`SourcePos` or ``None``); optional ``config_pos``, where
  the configuration string comes from when that is not the element's own place (an NF's
  ``config`` override in a chain file: a JSON-path position);
* edge ``(src, dst, key=(out_port, in_port))`` with attributes ``src_port`` and
  ``dst_port``. Keying edges by their port pair makes a repeated connection one edge,
  as Click does;
* graph attributes: ``name``, ``file``, ``requires`` (tuple of ``require`` arguments).

An NF body parsed as a compound body (``input -> ... -> output``) keeps the compound's
boundary as two pseudo-nodes named ``input`` and ``output`` whose class is
:data:`INPUT_CLASS` / :data:`OUTPUT_CLASS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import networkx as nx

from p4sfc_compiler.errors import SourcePos

INPUT_CLASS = "input"
OUTPUT_CLASS = "output"
PSEUDO_CLASSES = frozenset({INPUT_CLASS, OUTPUT_CLASS})


def new_graph(name: str = "", file: str = "", requires: Iterable[str] = ()) -> nx.MultiDiGraph:
    """An empty IR graph."""
    return nx.MultiDiGraph(name=name, file=file, requires=tuple(requires))


def add_element(
    g: nx.MultiDiGraph,
    name: str,
    cls: str,
    config: str = "",
    args: Iterable[str] = (),
    pos: SourcePos | None = None,
) -> None:
    """Add an element node with the IR's attribute set."""
    g.add_node(name, cls=cls, config=config, args=tuple(args), pos=pos)


def connect(g: nx.MultiDiGraph, src: str, out_port: int, dst: str, in_port: int) -> None:
    """Connect ``src[out_port] -> [in_port]dst``; repeating a connection is a no-op."""
    g.add_edge(src, dst, key=(out_port, in_port), src_port=out_port, dst_port=in_port)


def connections(g: nx.MultiDiGraph) -> Iterator[tuple[str, int, str, int]]:
    """All connections as ``(src, out_port, dst, in_port)``, in insertion order."""
    for src, dst, data in g.edges(data=True):
        yield src, data["src_port"], dst, data["dst_port"]


def out_edges_by_port(g: nx.MultiDiGraph, name: str) -> dict[int, list[tuple[str, int]]]:
    """``{out_port: [(dst, in_port), ...]}`` for one element."""
    result: dict[int, list[tuple[str, int]]] = {}
    for _, dst, data in g.out_edges(name, data=True):
        result.setdefault(data["src_port"], []).append((dst, data["dst_port"]))
    return result


def n_ports_used(g: nx.MultiDiGraph, name: str) -> tuple[int, int]:
    """(inputs, outputs) an element uses: one more than the highest port connected."""
    ins = [d["dst_port"] for _, _, d in g.in_edges(name, data=True)]
    outs = [d["src_port"] for _, _, d in g.out_edges(name, data=True)]
    return (max(ins) + 1 if ins else 0, max(outs) + 1 if outs else 0)


def same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph, *, positions: bool = False) -> bool:
    """Structural equality: same elements with the same attributes and same connections."""
    def nodes(g: nx.MultiDiGraph) -> dict[str, tuple[object, ...]]:
        return {
            n: (d["cls"], d["config"], d["args"], d["pos"] if positions else None)
            for n, d in g.nodes(data=True)
        }

    return nodes(a) == nodes(b) and set(connections(a)) == set(connections(b))
