"""Properties of the whole NF analysis on random element graphs over the catalog:
per-instance check, classification, split and stage allocation together."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.analysis.catalog import Offloadability
from p4sfc_compiler.analysis.classify import classify_nf
from p4sfc_compiler.analysis.offload import check_elements
from p4sfc_compiler.analysis.partition import split_nf
from p4sfc_compiler.analysis.stages import allocate
from p4sfc_compiler.analysis.switchgraph import build_switch_nf
from p4sfc_compiler.frontend.configstring import split_args
from p4sfc_compiler.frontend.ir import INPUT_CLASS, OUTPUT_CLASS, add_element, connect, new_graph

# (class, config, outputs) for elements that work after Strip(14) -> CheckIPHeader
TEMPLATES = [
    ("Counter", "", 1),
    ("AverageCounter", "", 1),
    ("DecIPTTL", "", 2),
    ("SetIPDSCP", "10", 1),
    ("Paint", "3", 1),
    ("IPFilter", "allow tcp, 1 udp, deny all", 2),
    ("IPClassifier", "tcp, udp, -", 3),
    ("IPFilter", "allow src net 10.0.0.0/8 && dst port > 1023, drop all", 1),
    ("RadixIPLookup", "10.0.0.0/8 0, 0.0.0.0/0 10.0.0.1 1", 2),
    ("IPRewriter", "pattern 192.168.0.1 1024-65535 - - 0 0", 1),
    ("TCPRewriter", "pattern 192.168.0.1 1024-65535 - - 0 0", 1),
    ("Print", "seen", 1),
    ("Discard", "", 0),
]


@st.composite
def nf_graphs(draw) -> nx.MultiDiGraph:
    k = draw(st.integers(1, 7))
    picks = [draw(st.sampled_from(TEMPLATES)) for _ in range(k)]
    g = new_graph("nf")
    add_element(g, INPUT_CLASS, INPUT_CLASS)
    add_element(g, "strip", "Strip", "14", ("14",))
    add_element(g, "chk", "CheckIPHeader")
    connect(g, INPUT_CLASS, 0, "strip", 0)
    connect(g, "strip", 0, "chk", 0)
    names = [f"e{i}" for i in range(k)]
    for name, (cls, cfg, _) in zip(names, picks, strict=True):
        add_element(g, name, cls, cfg, split_args(cfg))
    add_element(g, "unstrip", "Unstrip", "14", ("14",))
    add_element(g, OUTPUT_CLASS, OUTPUT_CLASS)
    connect(g, "unstrip", 0, OUTPUT_CLASS, 0)
    connect(g, "chk", 0, names[0], 0)
    for i, (name, (_, _, n_out)) in enumerate(zip(names, picks, strict=True)):
        for port in range(n_out):
            later = names[i + 1 :]
            dst = draw(st.sampled_from([*later, "unstrip"]))
            connect(g, name, port, dst, 0)
    return g


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nf_graphs(), st.integers(1, 5))
def test_nf_analysis_invariants(g, stages) -> None:
    infos = check_elements(g)
    cls = classify_nf(infos)
    levels = [i.offloadability for i in infos.values()]
    # the paper's rule, recomputed
    if Offloadability.NON in levels or levels.count(Offloadability.PARTIAL) > 1:
        assert cls.offloadability is Offloadability.NON
    elif Offloadability.PARTIAL in levels:
        assert cls.offloadability is Offloadability.PARTIAL
        assert infos[cls.partial_element].offloadability is Offloadability.PARTIAL
    else:
        assert cls.offloadability is Offloadability.FULL
    # a verdict other than non always comes with a lowering
    for info in infos.values():
        assert (info.lowering is not None) == (info.offloadability is not Offloadability.NON)
    if cls.offloadability is Offloadability.NON:
        return

    # an offloadable NF: every element can run on the switch
    snf = build_switch_nf(g, infos)
    assert set(snf.elem_ids) == {n for n, i in infos.items() if not i.lowering.is_nop}
    (slots,), passes = allocate([snf], stages)
    for (src, _), t in snf.edges.items():
        if t.elem is not None and src in slots:
            assert slots[t.elem] > slots[src]
    assert all(0 <= s.stage < stages and s.pass_ < passes for s in slots.values())

    if cls.offloadability is Offloadability.PARTIAL:
        split = split_nf(g, cls.partial_element)
        reach = {cls.partial_element} | nx.descendants(g, cls.partial_element)
        assert split.server == frozenset(reach & set(infos))
        # the elements before the partial one run on the switch only
        assert split.switch_only.isdisjoint(split.server)
        assert split.switch_only | split.server == frozenset(infos)

    # deterministic: the same graph gives the same verdicts and slots
    again = check_elements(g)
    assert {n: (i.offloadability, i.reason) for n, i in again.items()} == {
        n: (i.offloadability, i.reason) for n, i in infos.items()
    }
    assert allocate([build_switch_nf(g, again)], stages)[0][0] == slots
