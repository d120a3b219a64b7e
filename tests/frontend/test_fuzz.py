"""Fuzzing: any text either parses to an IR or raises ClickSyntaxError, quickly."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.errors import ClickSyntaxError
from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend import parser as click_parser
from p4sfc_compiler.frontend.parser import parse_text

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "click-corpus"

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

TOKENS = ["a", "b", "x/y", "Idle", "Discard", "Counter", "Tee(2)", "Print(a, (b)", "Queue",
          "::", "->", "=>", "[", "]", "[0]", "[1]", "[0-2]", ",", ";", "(", ")", "{", "}",
          "|", "||", "...", "$a", "input", "output", "elementclass", "require", "define",
          "provide", "(package x)", "($a 1)", "//c\n", "/*", "*/", "\n#line 3\n", "\n# 9 \"f\"\n",
          "'", '"', "\\<", ">", " ", "\n", "-", "@", "1", "E"]


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (SIGALRM; a no-op where it does not exist)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"parse took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def parses_or_syntax_error(text: str, **kw: object) -> None:
    with time_limit(10):
        try:
            g = parse_text(text, "fuzz.click", **kw)  # type: ignore[arg-type]
        except ClickSyntaxError as err:
            assert err.pos is not None and err.message
            str(err)
            return
    assert isinstance(g, nx.MultiDiGraph)
    for _, data in g.nodes(data=True):
        assert isinstance(data["cls"], str) and isinstance(data["args"], tuple)


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    parses_or_syntax_error(text)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join), st.booleans())
def test_random_token_soup(text: str, body: bool) -> None:
    parses_or_syntax_error(text, compound_body=body)


def _corpus_texts() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return [p.read_text() for sub in ("conf", "conf-other")
            for p in sorted((CORPUS / sub).rglob("*")) if p.is_file()]


CORPUS_TEXTS = _corpus_texts()


@st.composite
def mutated_corpus(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        i = draw(st.integers(0, n))
        kind = draw(st.sampled_from(["delete", "insert", "token", "duplicate"]))
        if kind == "delete":
            j = draw(st.integers(i, min(n, i + 40)))
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(st.text(max_size=5)) + text[i:]
        elif kind == "token":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        else:
            j = draw(st.integers(i, min(n, i + 200)))
            text = text[:j] + text[i:j] + text[j:]
    return text


@pytest.mark.skipif(not CORPUS_TEXTS, reason="shared/click-corpus not present")
@SETTINGS
@given(mutated_corpus())
def test_mutated_corpus_files(text: str) -> None:
    parses_or_syntax_error(text)


@pytest.mark.parametrize("text", [
    "(" * 3000 + ")" * 3000,
    "Idle -> " + "(" * 500 + "->" + ")" * 500 + " -> Discard;",
    "elementclass A {" * 400 + "}" * 400,
    "Idle -> [0-99999999999] Discard;",
    "define($a $b$b, $b $c$c, $c $d$d, $d $e$e, $e $f$f, $f x); Idle -> Print($a) -> Discard;",
    "define($a $a); Idle -> Print($a) -> Discard;",
], ids=["deep-groups", "deep-implicit-groups", "deep-classes", "huge-port-range",
        "exponential-define", "self-define"])
def test_pathological_inputs(text: str) -> None:
    parses_or_syntax_error(text)


def _outcome(text: str, elide: bool) -> object:
    old = click_parser._Lexer.elide_semicolons
    click_parser._Lexer.elide_semicolons = elide
    try:
        return parse_text(text)
    except ClickSyntaxError:
        return "error"
    finally:
        click_parser._Lexer.elide_semicolons = old


def _same_outcome(text: str) -> None:
    a, b = _outcome(text, True), _outcome(text, False)
    if isinstance(a, nx.MultiDiGraph) and isinstance(b, nx.MultiDiGraph):
        assert ir.same_graph(a, b, positions=True), text
    else:
        assert a == b == "error", text


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS + [";", ";", "c :: Counter", "Idle;"]),
                max_size=30).map(" ".join))
def test_semicolon_elision_changes_nothing(text: str) -> None:
    _same_outcome(text)


@pytest.mark.skipif(not CORPUS_TEXTS, reason="shared/click-corpus not present")
def test_semicolon_elision_on_corpus() -> None:
    for text in CORPUS_TEXTS:
        _same_outcome(text)
