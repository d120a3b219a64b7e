"""The Click language features, each checked on the IR it produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from p4sfc_compiler.errors import ClickSyntaxError, SourcePos
from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend.classes import build_table, load_classes
from p4sfc_compiler.frontend.configstring import VarEnv, expand, split_args
from p4sfc_compiler.frontend.parser import parse_file, parse_text
from p4sfc_compiler.frontend.portcount import parse_port_count


def conns(g) -> set[tuple[str, int, str, int]]:
    return set(ir.connections(g))


def classes(g) -> dict[str, str]:
    return {n: d["cls"] for n, d in g.nodes(data=True)}


# ------------------------------------------------------------ declarations and names


def test_declaration_anonymous_names_count_all_elements() -> None:
    g = parse_text("rr :: RoundRobinSched;\nTimedSource(0.2) -> c1 :: Counter -> Queue(20) -> rr;")
    assert classes(g) == {"rr": "RoundRobinSched", "TimedSource@2": "TimedSource",
                          "c1": "Counter", "Queue@4": "Queue"}
    assert g.nodes["TimedSource@2"]["config"] == "0.2"
    assert g.nodes["Queue@4"]["args"] == ("20",)
    assert conns(g) == {("TimedSource@2", 0, "c1", 0), ("c1", 0, "Queue@4", 0),
                        ("Queue@4", 0, "rr", 0)}


def test_anonymous_name_skips_a_taken_name() -> None:
    g = parse_text("Queue@3 :: Counter; Idle -> Queue -> Queue@3;")
    assert classes(g) == {"Queue@3": "Counter", "Idle@2": "Idle", "Queue@4": "Queue"}


def test_list_declaration_spreads_class_and_config() -> None:
    g = parse_text("a, b, c :: Queue(10); a -> b -> c;")
    assert {n: (d["cls"], d["args"]) for n, d in g.nodes(data=True)} == {
        n: ("Queue", ("10",)) for n in "abc"}


def test_double_colon_binds_to_last_item_in_a_connection() -> None:
    g = parse_text("b :: Null; Idle -> b, c :: Counter -> Discard;")
    assert g.nodes["b"]["cls"] == "Null"
    assert g.nodes["c"]["cls"] == "Counter"


def test_positions_and_graph_attributes() -> None:
    g = parse_text("// x\n  c :: Counter;\nrequire(package foo);", "nf.click")
    assert g.nodes["c"]["pos"] == SourcePos("nf.click", 2, 3)
    assert g.graph["file"] == "nf.click"
    assert g.graph["requires"] == ("package foo",)


def test_line_directive_changes_file_and_line() -> None:
    g = parse_text('# 40 "other.click"\nc :: Counter;\n#line 7\nd :: Null;', "a.click")
    assert g.nodes["c"]["pos"] == SourcePos("other.click", 40, 1)
    assert g.nodes["d"]["pos"] == SourcePos("other.click", 7, 1)


def test_comments_everywhere() -> None:
    g = parse_text("a /* x -> y */ :: Counter // -> z\n-> /* */ b :: Null; // end")
    assert conns(g) == {("a", 0, "b", 0)}


def test_slash_names_and_comment_after_ident() -> None:
    g = parse_text("x/y :: Counter; x/y -> z :: Null//comment\n;")
    assert conns(g) == {("x/y", 0, "z", 0)}


# ------------------------------------------------------------ connections and ports


def test_ports_on_both_sides() -> None:
    g = parse_text("t :: Tee(2); Idle -> t; t [1] -> [0] d :: Discard; t -> Discard;")
    assert ("t", 1, "d", 0) in conns(g)
    assert ("t", 0, "Discard@4", 0) in conns(g)


def test_fan_out_and_fan_in() -> None:
    g = parse_text("s :: Idle; s -> a :: Counter, b :: Counter; a, b -> d :: Discard;")
    assert conns(g) == {("s", 0, "a", 0), ("s", 0, "b", 0), ("a", 0, "d", 0),
                        ("b", 0, "d", 0)}


def test_double_arrow_expands_missing_ports() -> None:
    g = parse_text("t :: Tee(3); Idle -> t; t => a :: Discard, b :: Discard, c :: Discard;")
    assert {c for c in conns(g) if c[0] == "t"} == {
        ("t", 0, "a", 0), ("t", 1, "b", 0), ("t", 2, "c", 0)}


def test_port_lists_and_ranges() -> None:
    g = parse_text("t :: Tee(4); Idle -> t; t [0-1,3] => x :: Discard, y :: Discard, "
                   "z :: Discard; t [2] -> Discard;")
    assert {c for c in conns(g) if c[0] == "t"} == {
        ("t", 0, "x", 0), ("t", 1, "y", 0), ("t", 3, "z", 0), ("t", 2, "Discard@6", 0)}


def test_expandable_port_list() -> None:
    g = parse_text("Idle, Idle, Idle => [0-] r :: RoundRobinSched -> Discard;")
    assert {c for c in conns(g) if c[2] == "r"} == {
        ("Idle@1", 0, "r", 0), ("Idle@2", 0, "r", 1), ("Idle@3", 0, "r", 2)}


def test_chains_end_at_an_identifier() -> None:
    g = parse_text("a :: Idle b :: Idle a -> Discard b -> Discard")
    assert conns(g) == {("a", 0, "Discard@3", 0), ("b", 0, "Discard@4", 0)}


def test_repeated_connection_is_one_edge() -> None:
    g = parse_text("a :: Idle; a -> d :: Discard; a -> d;")
    assert g.number_of_edges() == 1


def test_paren_after_identifier_is_always_a_config_string() -> None:
    g = parse_text("Idle -> Tee (-> Discard)")
    assert g.nodes["Tee@2"]["config"] == "-> Discard"


# ------------------------------------------------------------ config strings


def test_config_with_nested_parens_quotes_and_hex() -> None:
    g = parse_text('Idle -> p :: Print(a(b, c), "x ) y", \'(\', \\<41 29>, /* ) */ z) '
                   "-> Discard;")
    assert g.nodes["p"]["args"] == ("a(b", "c)", '"x ) y"', "'('", "\\<41 29>", "z")


@pytest.mark.parametrize(("config", "args"), [
    ("", []),
    ("a, b", ["a", "b"]),
    ("  a  b  ,c  ", ["a  b", "c"]),
    ("X(1, )", ["X(1", ")"]),
    ("1, ", ["1"]),
    ("1,,2", ["1", "", "2"]),
    (",", [""]),
    ('"x, y" // c, d', ['"x, y"']),
    ("a /* , */ b, c", ["a b", "c"]),
    ("'a,b', c", ["'a,b'", "c"]),
    ("\\<01, 02>, x", ["\\<01, 02>", "x"]),
])
def test_split_args(config: str, args: list[str]) -> None:
    assert split_args(config) == args


def test_expand_variables() -> None:
    env = VarEnv()
    env.define("x", "5")
    env.define("w", "a b c")
    assert expand("$x ${x} ${y-7} ${w[1]} '$x' \"$x\" $z $(cmd) $$", env) == \
        "5 5 7 b '$x' \"5\" $z $(cmd) $$"
    env.define("q", 'say "hi"')
    assert expand('"$q"', env) == '"say \\"hi\\""'


def test_define_is_scope_wide_and_expanded() -> None:
    g = parse_text("Idle -> p :: Print($A, $B) -> Discard; define($A one, $B $A-two);")
    assert g.nodes["p"]["args"] == ("one", "one-two")


# ------------------------------------------------------------ compounds


def test_compound_formals_and_qualified_names() -> None:
    g = parse_text("""
        elementclass Gen { $dev, $rate |
            src :: RatedSource(RATE $rate) -> ToDevice($dev);
        }
        u :: Gen(eth1, 100);
    """)
    assert classes(g) == {"u/src": "RatedSource", "u/ToDevice@2": "ToDevice"}
    assert g.nodes["u/src"]["config"] == "RATE 100"
    assert g.nodes["u/ToDevice@2"]["config"] == "eth1"


def test_compound_ports_are_spliced() -> None:
    g = parse_text("""
        elementclass S { input -> rs :: RatedSplitter(5); rs [1] -> [1] output; rs -> output }
        Idle -> s :: S; s [1] -> d1 :: Discard; s -> d0 :: Discard;
    """)
    assert conns(g) == {("Idle@1", 0, "s/rs", 0), ("s/rs", 0, "d0", 0), ("s/rs", 1, "d1", 0)}


def test_keyword_and_rest_formals() -> None:
    g = parse_text("elementclass A { $x, KW $y, __REST__ $r | input -> p :: Print($x|$y|$r) "
                   "-> output } Idle -> a :: A(1, 2, KW 3, 4) -> Discard;")
    assert g.nodes["a/p"]["config"] == "1|3|2, 4"


def test_overloads_chosen_by_ports_and_args() -> None:
    g = parse_text("""
        elementclass A { input -> n :: Null -> output
                      || input -> t :: Tee(2) -> [0,1] output
                      || $v | input -> p :: Print($v) -> output }
        Idle -> a1 :: A -> Discard;
        Idle -> a2 :: A; a2 [1] -> Discard; a2 -> Discard;
        Idle -> a3 :: A(hello) -> Discard;
    """)
    assert {"a1/n", "a2/t", "a3/p"} <= set(g)
    assert g.nodes["a3/p"]["config"] == "hello"


def test_extension_falls_back_to_the_earlier_class() -> None:
    g = parse_text("""
        elementclass A { input -> first :: Null -> output }
        elementclass A { $v | input -> second :: Print($v) -> output || ... }
        Idle -> x :: A -> Discard; Idle -> y :: A(v) -> Discard;
    """)
    assert "x/first" in g and "y/second" in g


def test_synonym_and_nested_compounds() -> None:
    g = parse_text("""
        elementclass P Print;
        elementclass Outer { $m |
            elementclass Inner { $n | input -> q :: P($m $n) -> output }
            input -> i :: Inner(in) -> output
        }
        Idle -> o :: Outer(out) -> Discard;
    """)
    assert g.nodes["o/i/q"] == g.nodes["o/i/q"] | {"cls": "Print", "config": "out in"}


def test_anonymous_compound_and_compound_define() -> None:
    g = parse_text("Idle -> { define($k 9); input -> p :: Print($k) -> output } -> Discard;")
    assert g.nodes["@2/p"]["config"] == "9"


def test_class_definitions_are_lexically_scoped_in_order() -> None:
    g = parse_text("""
        elementclass A { input -> a :: Null -> output }
        Idle -> x :: A -> Discard;
        elementclass A { input -> b :: Counter -> output }
        Idle -> y :: A -> Discard;
    """)
    assert "x/a" in g and "y/b" in g


# ------------------------------------------------------------ groups and bodies


def test_groups_splice_and_consume_names() -> None:
    g = parse_text("Idle -> ( -> Counter -> ) -> Discard;")
    assert conns(g) == {("Idle@1", 0, "Counter@5", 0), ("Counter@5", 0, "Discard@6", 0)}
    g = parse_text("x :: Idle; x -> (->) -> y :: Discard;")
    assert conns(g) == {("x", 0, "y", 0)}


def test_compound_body_keeps_pseudo_nodes() -> None:
    g = parse_text("input -> c :: Counter -> output; input [1] -> Discard;",
                   compound_body=True)
    assert classes(g) == {"input": "input", "output": "output", "c": "Counter",
                          "Discard@2": "Discard"}
    assert conns(g) == {("input", 0, "c", 0), ("c", 0, "output", 0),
                        ("input", 1, "Discard@2", 0)}


def test_compound_body_implicit_ends() -> None:
    g = parse_text("-> c :: Counter ->", compound_body=True)
    assert conns(g) == {("input", 0, "c", 0), ("c", 0, "output", 0)}


def test_extra_classes_are_classes() -> None:
    g = parse_text("Idle -> myelem -> Discard;", extra_classes=["myelem"])
    assert g.nodes["myelem@2"]["cls"] == "myelem"


def test_unknown_capitalised_word_is_a_class() -> None:
    g = parse_text("Idle -> SR2SetChecksum -> Discard;")
    assert g.nodes["SR2SetChecksum@2"]["cls"] == "SR2SetChecksum"


def test_require_library_reads_the_file_once(tmp_path) -> None:
    (tmp_path / "lib.click").write_text("elementclass L { input -> n :: Null -> output }\n"
                                        "shared :: Idle;\n")
    main = tmp_path / "main.click"
    main.write_text("require(library lib.click); require(library lib.click);\n"
                    "shared -> l :: L -> Discard;\n")
    g = parse_file(main)
    assert conns(g) == {("shared", 0, "l/n", 0), ("l/n", 0, "Discard@3", 0)}
    assert g.nodes["shared"]["pos"] == SourcePos(str(tmp_path / "lib.click"), 2, 1)
    (tmp_path / "bad.click").write_text("x -> y;\n")
    main.write_text("require(library bad.click);\n")
    with pytest.raises(ClickSyntaxError) as info:
        parse_file(main)
    assert info.value.pos.file.endswith("bad.click") and info.value.source_line == "x -> y;"


def test_parse_file(tmp_path) -> None:
    f = tmp_path / "x.click"
    f.write_text("Idle -> Discard;\n")
    g = parse_file(f)
    assert g.graph["file"] == str(f) and g.number_of_nodes() == 2


# ------------------------------------------------------------ classes table


@pytest.mark.parametrize(("text", "ok", "bad"), [
    ("1/1", [(1, 1), (0, 0)], [(2, 1), (1, 2)]),
    ("1/1-2", [(1, 2)], [(1, 3)]),
    ("-/-", [(9, 9)], []),
    ("1-/=", [(3, 3)], [(3, 4)]),
    ("-/=+", [(2, 3)], [(2, 4)]),
    ("0/1", [(0, 1)], [(1, 1)]),
    ("1", [(1, 1)], [(1, 2)]),
])
def test_port_counts(text: str, ok: list, bad: list) -> None:
    pc = parse_port_count(text)
    for nin, nout in ok:
        assert pc.check(nin, nout) is None
    for nin, nout in bad:
        assert pc.check(nin, nout) is not None


def test_bad_port_count() -> None:
    with pytest.raises(ValueError):
        parse_port_count("x/1")


INDEX = Path(__file__).resolve().parents[2].parent / "shared" / "click-reference" / \
    "elementdoc" / "INDEX.tsv"


@pytest.mark.skipif(not INDEX.is_file(), reason="shared/click-reference not present")
def test_classes_table_is_generated_from_the_index() -> None:
    table = load_classes()
    rows = build_table(INDEX)
    assert [(n, p, q) for n, p, q in rows] == [
        (c.name, c.port_count.text if c.port_count else "", c.processing)
        for c in table.values()]


def test_classes_table_contents() -> None:
    table = load_classes()
    assert table["Counter"].port_count == parse_port_count("1/1")
    assert str(table["Classifier"].port_count.outputs) == "-"
    assert table["CheckIPHeader"].processing == "a/ah"
    # kernel-only headers in the index: no port count rather than a wrong one
    assert table["ToDevice"].port_count is None
    assert all("." not in name for name in table)
