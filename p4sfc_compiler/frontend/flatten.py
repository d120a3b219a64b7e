"""From the statement tree to the flat IR: the two passes of Click's tool library.

1. *resolve* (:mod:`resolve`, Click's ``LexerT``): names, classes, compounds, groups;
2. *expand* (:mod:`expand`, ``RouterT::flatten``): compounds instantiated, ``$vars``
   expanded, tunnels replaced by direct connections.

Then the elements and connections become the IR graph, and connections to ports a known
class does not have are refused.
"""

from __future__ import annotations

from pathlib import PurePath

import networkx as nx

from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend.classes import load_classes
from p4sfc_compiler.frontend.configstring import VarEnv, expand, split_args
from p4sfc_compiler.frontend.expand import Expander, FlatConn
from p4sfc_compiler.frontend.resolve import Resolver
from p4sfc_compiler.frontend.scopes import Scope
from p4sfc_compiler.frontend.statements import ParseStatements, Source, Statement


def build_graph(src: Source, stmts: list[Statement], *, parse: ParseStatements,
                compound_body: bool = False,
                extra_classes: frozenset[str] = frozenset()) -> nx.MultiDiGraph:
    """Resolve, flatten and check the statements; return the IR graph.

    ``parse`` reads the files ``require(library ...)`` names.
    """
    resolver = Resolver(src, extra_classes, parse)
    top = Scope(None, 0, None, pseudo=compound_body)
    resolver.statements(top, stmts)
    if compound_body:
        resolver.check_pseudo(top, top.emap["input"], False, "compound body", None)
        resolver.check_pseudo(top, top.emap["output"], True, "compound body", None)
    top.assign_names()

    env = VarEnv(None, 0)
    for name, value in top.defines.items():
        env.define(name, expand(value, env))
    ex = Expander(src)
    ex.expand_scope(top, "", env, True)
    conns = ex.finish()

    stem = PurePath(src.filename).name
    g = ir.new_graph(name=stem, file=src.filename, requires=top.requires)
    for node in ex.nodes.values():
        if node.tunnel:
            continue
        cfg = node.config
        ir.add_element(g, node.name, node.cls, cfg, split_args(cfg) if cfg else (),
                       node.loc.pos() if node.loc is not None else None)
    for s, sp, d, dp, _ in conns:
        ir.connect(g, s, sp, d, dp)
    _check_ports(src, g, conns)
    return g


def _check_ports(src: Source, g: nx.MultiDiGraph, conns: list[FlatConn]) -> None:
    """Connections to ports a known class does not have are errors."""
    table = load_classes()
    used: dict[str, list[int]] = {}
    for s, sp, d, dp, _ in conns:
        u = used.setdefault(s, [0, 0])
        if sp + 1 > u[1]:
            u[1] = sp + 1
        u = used.setdefault(d, [0, 0])
        if dp + 1 > u[0]:
            u[0] = dp + 1
    bad: set[str] = set()
    for name, (nin, nout) in used.items():
        info = table.get(g.nodes[name]["cls"])
        if info is not None and info.port_count is not None \
                and info.port_count.check(nin, nout) is not None:
            bad.add(name)
    if not bad:
        return
    for s, sp, d, dp, loc in conns:
        for name, is_out, port in ((s, True, sp), (d, False, dp)):
            if name not in bad:
                continue
            info = table[g.nodes[name]["cls"]]
            pc = info.port_count
            assert pc is not None
            nin, nout = used[name]
            limit = pc.max_outputs(nin) if is_out else pc.inputs.hi
            if limit is None or port < limit:
                continue
            side = "output" if is_out else "input"
            raise src.error(loc, f"'{name}' ({info.name}, ports {pc.text}) "
                                 f"{pc.check(nin, nout)}: no {side} {port}")
