"""Printer: Click text that parses back to the same graph; JSON and dot output."""

from __future__ import annotations

import json

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend.classes import load_classes
from p4sfc_compiler.frontend.configstring import split_args
from p4sfc_compiler.frontend.parser import parse_text
from p4sfc_compiler.frontend.printer import to_click, to_dot, to_json

_TABLE = load_classes()
# classes whose port counts allow any connection (unknown or "-/-"), plus invented ones
FREE_CLASSES = sorted(n for n, c in _TABLE.items()
                      if c.port_count is None or c.port_count.text == "-/-")[:40] + [
    "MyElement", "Fw2", "X_Y"]
RESERVED = {"elementclass", "require", "provide", "define", "input", "output"}

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_PART = st.builds(lambda a, b: a + b, st.sampled_from(_LOWER),
                  st.text(_LOWER + "0123456789_@", max_size=4))
names = st.lists(_PART, min_size=1, max_size=3).map("/".join) \
    .filter(lambda n: n.split("/")[0] not in RESERVED and n not in _TABLE)

word = st.builds(lambda a, b: a + b, st.sampled_from("Ab9.:_-"),
                 st.text("AZaz09.:_/-", max_size=6)).filter(lambda w: "//" not in w)
atom = st.recursive(
    st.one_of(
        word,
        st.text("Az09 ,()/.", max_size=6).map(lambda t: f'"{t}"'),
        st.text("Az09 ,()\"", max_size=6).map(lambda t: f"'{t}'"),
        st.text("0123456789abcdef ", max_size=6).map(lambda t: f"\\<{t}>"),
        st.just("/* c, ) */"),
    ),
    lambda inner: st.builds(lambda a: f"({a})", inner),
    max_leaves=4,
)
configs = st.lists(st.lists(atom, min_size=1, max_size=3).map(" ".join), max_size=4) \
    .map(", ".join).map(str.strip)
comment_tail = st.sampled_from(["", " // trailing, comment"])


@st.composite
def graphs(draw, compound_body: bool = False) -> nx.MultiDiGraph:
    g = ir.new_graph(name="gen", file="gen.click")
    element_names = draw(st.lists(names, min_size=1, max_size=8, unique=True))
    if compound_body:
        ir.add_element(g, "input", ir.INPUT_CLASS)
        ir.add_element(g, "output", ir.OUTPUT_CLASS)
    for n in element_names:
        cfg = (draw(configs) + draw(comment_tail)).strip()
        ir.add_element(g, n, draw(st.sampled_from(FREE_CLASSES)), cfg, split_args(cfg))
    for _ in range(draw(st.integers(0, 12))):
        a = draw(st.sampled_from(element_names))
        b = draw(st.sampled_from(element_names))
        ir.connect(g, a, draw(st.integers(0, 3)), b, draw(st.integers(0, 3)))
    if compound_body:
        # pseudo ports have to be contiguous from 0
        for p in range(draw(st.integers(0, 3))):
            ir.connect(g, "input", p, draw(st.sampled_from(element_names)), 0)
        for p in range(draw(st.integers(0, 3))):
            ir.connect(g, draw(st.sampled_from(element_names)), 0, "output", p)
    return g


SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(graphs())
def test_click_text_round_trips(g: nx.MultiDiGraph) -> None:
    text = to_click(g)
    assert ir.same_graph(parse_text(text), g), text


@SETTINGS
@given(graphs(compound_body=True))
def test_compound_body_round_trips(g: nx.MultiDiGraph) -> None:
    text = to_click(g)
    assert "input ::" not in text
    assert ir.same_graph(parse_text(text, compound_body=True), g), text


def test_corpus_style_graph_round_trips() -> None:
    g = parse_text("""
        elementclass A { $x | input -> p :: Print($x) -> output }
        require(package foo);
        src :: Idle; t :: Tee(2);
        src -> t; t [0] -> a :: A(hello // c
        ) -> Discard; t [1] -> Classifier(12/0800, -) [1] -> Discard;
    """)
    again = parse_text(to_click(g))
    assert ir.same_graph(again, g)
    assert again.graph["requires"] == ("package foo",)


def test_json_lists_elements_and_connections() -> None:
    g = parse_text("s :: Idle; s -> c :: Counter -> Discard;", "j.click")
    data = to_json(g)
    json.dumps(data)
    assert data["file"] == "j.click"
    assert [e["name"] for e in data["elements"]] == ["s", "c", "Discard@3"]
    assert data["elements"][1] == {"name": "c", "class": "Counter", "config": "", "args": [],
                                   "pos": "j.click:1:17"}
    assert {"from": "s", "from_port": 0, "to": "c", "to_port": 0} in data["connections"]


def test_dot_has_every_node_and_edge() -> None:
    g = parse_text('t :: Tee(2); Idle -> t; t [1] -> d :: Discard; t -> Print("q\\"") '
                   "-> Discard;")
    dot = to_dot(g)
    assert dot.startswith("digraph ")
    for n in g:
        assert f'"{n}" [label=' in dot
    assert '"t" -> "d" [taillabel="1", headlabel="0"];' in dot
    assert dot.count(" -> ") == g.number_of_edges()
