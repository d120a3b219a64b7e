"""Redundant CheckIPHeader elimination on the switch side of a run of NFs.

The switch's ``check_ip_header`` block decides from the IP header, the parser's checksum
verdict and the frame's length alone. Once a packet has left a CheckIPHeader on output 0,
another CheckIPHeader with the same switch form gives the same verdict for as long as
only blocks that keep the IP header ran in between (``KindSpec.keeps_ip_header``: they
never write hdr.ipv4 nor anything that decides how the next pass parses it). Such a check
is removed from the switch's view of its NF: every edge into it goes where its output 0
goes, and sets the destination annotation from the IP header on the way
(``Target.dst_from_ip``), the one thing the check would still have done. Its output 1
then has no packets, and what only it feeds gets no stage.

This is what a P4 programmer writes for firewall -> monitor -> router (the native
program of ``bench/native`` tests the header once), and it keeps the chain's ten
elements to eight: one pass at the default eight stages instead of two.

A fact is the set of checks (switch forms) every packet on an edge has passed with
nothing since that could change their verdicts. Facts flow along an NF's edges and from
an NF's exits into the next NF of the same switch run; a split NF passes none on (a miss
returns from its server, which may change the packet), and a run starts with none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import networkx as nx

from p4sfc_compiler.analysis.offload import ElementInfo
from p4sfc_compiler.analysis.switchgraph import SwitchNF, Target
from p4sfc_compiler.dataplane.program import KIND_SPECS
from p4sfc_compiler.frontend.ir import INPUT_CLASS

CHECK_KIND = "check_ip_header"

# A check's switch form: its lowering's parameters (equal forms, equal verdicts).
Check = tuple[tuple[str, int], ...]
Facts = frozenset[Check]
NO_FACTS: Facts = frozenset()


def _check(infos: Mapping[str, ElementInfo], elem: str) -> Check | None:
    low = infos[elem].lowering
    assert low is not None  # a switch view holds lowered elements only
    return tuple(sorted(low.params.items())) if low.kind == CHECK_KIND else None


def input_facts(snf: SwitchNF, infos: Mapping[str, ElementInfo],
                entry: Facts) -> dict[str, Facts]:
    """The facts at each staged element's input, given those at the NF's input: the
    checks every edge into it carries."""
    facts: dict[str, Facts] = {}
    for n in nx.topological_sort(snf.dag()):
        if n == INPUT_CLASS:
            continue
        edges = [_out_facts(facts, infos, entry, src, port) for src, port, _ in snf.inputs(n)]
        facts[n] = frozenset.intersection(*edges) if edges else NO_FACTS
    return facts


def without_redundant_checks(snf: SwitchNF, infos: Mapping[str, ElementInfo],
                             entry: Facts) -> tuple[SwitchNF, Facts]:
    """The NF's switch view without its redundant checks (``snf`` itself when it has
    none), and the facts every packet leaving through the NF's output carries."""
    facts = input_facts(snf, infos, entry)
    redundant = {n for n, f in facts.items() if _check(infos, n) in f}

    def bypass(t: Target) -> Target:
        while t.elem is not None and t.elem in redundant:
            nxt = snf.outputs(t.elem).get(0, Target(None))
            t = replace(nxt, dst_from_ip=nxt.elem is not None)
        return t

    # An NF whose input would lead straight to its output or a drop keeps its checks: a
    # packet enters an NF through an element, which the stage bookkeeping needs.
    if redundant and bypass(snf.outputs(INPUT_CLASS).get(0, Target(None))).elem is not None:
        snf = SwitchNF(dict(snf.elem_ids), {
            key: bypass(t) for key, t in snf.edges.items() if key[0] not in redundant
        }, removed=snf.removed | redundant)
        facts = input_facts(snf, infos, entry)
    # only edges a packet can take: what a removed check's output 1 fed no longer runs
    live = nx.descendants(snf.dag(), INPUT_CLASS) | {INPUT_CLASS}
    exits = [_out_facts(facts, infos, entry, src, port)
             for (src, port), t in snf.edges.items() if t.exit and src in live]
    return snf, frozenset.intersection(*exits) if exits else NO_FACTS


def _out_facts(facts: Mapping[str, Facts], infos: Mapping[str, ElementInfo], entry: Facts,
               src: str, port: int) -> Facts:
    """The facts on one output of ``src`` (an element, or the NF's input)."""
    if src == INPUT_CLASS:
        return entry
    have = facts.get(src, NO_FACTS)
    check = _check(infos, src)
    if check is not None:
        return have | {check} if port == 0 else NO_FACTS
    low = infos[src].lowering
    assert low is not None
    return have if KIND_SPECS[low.kind].keeps_ip_header else NO_FACTS
