"""Property-based tests of stage allocation and the switch view of NFs."""

from __future__ import annotations

import networkx as nx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.analysis.stages import Slot, allocate, layers
from p4sfc_compiler.analysis.switchgraph import SwitchNF, Target


@st.composite
def switch_nfs(draw) -> SwitchNF:
    """A random DAG of staged elements: element k takes inputs only from earlier ones."""
    n = draw(st.integers(1, 10))
    names = [f"e{k}" for k in range(n)]
    snf = SwitchNF({name: k + 1 for k, name in enumerate(names)})
    snf.edges[("input", 0)] = Target(names[0])
    for k, name in enumerate(names):
        n_out = draw(st.integers(1, 3))
        for port in range(n_out):
            later = names[k + 1 :]
            choice = draw(st.sampled_from(["exit", "drop", *later]))
            if choice == "exit":
                snf.edges[(name, port)] = Target(None, exit=True)
            elif choice == "drop":
                continue
            else:
                snf.edges[(name, port)] = Target(choice, draw(st.integers(0, 1)))
    return snf


def _reachable(snf: SwitchNF) -> set[str]:
    return nx.descendants(snf.dag(), "input")


@settings(max_examples=300, deadline=None)
@given(st.lists(switch_nfs(), min_size=1, max_size=4), st.integers(1, 6))
@example([SwitchNF({"a": 1}, {("input", 0): Target("a")})], 1)
def test_allocation_respects_edges_and_capacity(run, stages) -> None:
    slots, passes = allocate(run, stages)
    last_of_prev: Slot | None = None
    total_layers = 0
    for snf, s in zip(run, slots, strict=True):
        assert set(s) == _reachable(snf)
        for slot in s.values():
            assert 0 <= slot.stage < stages
            assert 0 <= slot.pass_ < passes
        # every edge goes forward in (pass, stage) order
        for (src, _), t in snf.edges.items():
            if t.elem is not None and src in s:
                assert s[t.elem] > s[src]
        # the next NF of the run starts after the previous one ends
        if s and last_of_prev is not None:
            assert min(s.values()) > last_of_prev
        if s:
            last_of_prev = max(s.values())
        total_layers += max(layers(snf).values(), default=0)
    # minimal passes for the layering: the longest path needs total_layers slots
    assert passes == max(1, -(-total_layers // stages))


@settings(max_examples=200, deadline=None)
@given(switch_nfs())
def test_alternative_branches_share_stages(snf) -> None:
    depth = layers(snf)
    dag = snf.dag()
    for n, d in depth.items():
        preds = [depth[p] for p in dag.predecessors(n) if p in depth]
        # longest-path layering: exactly one layer after the deepest predecessor
        assert d == (max(preds) + 1 if preds else 1)


@settings(max_examples=100, deadline=None)
@given(st.lists(switch_nfs(), min_size=1, max_size=3), st.integers(1, 5))
def test_allocation_is_deterministic(run, stages) -> None:
    assert allocate(run, stages) == allocate(run, stages)


def test_masks() -> None:
    snf = SwitchNF(
        {"f": 1},
        {
            ("input", 0): Target("f"),
            ("f", 0): Target(None, exit=True),
            ("f", 2): Target(None),
        },
    )
    assert snf.exit_ports("f") == 0b001
    # port 1 unconnected and port 2 leading nowhere both drop
    assert snf.drop_ports("f", 3) == 0b110
