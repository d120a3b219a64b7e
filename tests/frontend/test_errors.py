"""Bad configurations raise ClickSyntaxError with a message, a position and the line."""

from __future__ import annotations

import pytest

from p4sfc_compiler.errors import ClickSyntaxError
from p4sfc_compiler.frontend.parser import parse_text

CASES = [
    # (text, message fragment, (line, col))
    ("a -> b;", "undeclared element 'a'", (1, 1)),
    ("Idle -> x :: Counter;\n  y -> x;", "undeclared element 'y'", (2, 3)),
    ("Idle -> c :: Counter; c [1] -> Discard;", "no output 1", (1, 29)),
    ("Idle -> [1] Counter;", "no input 1", (1, 6)),
    ("c :: Counter; c :: Counter;", "redeclaration of element 'c'", (1, 15)),
    ("Counter :: Counter;", "class 'Counter' used as element name", (1, 1)),
    ("c :: Counter; Idle -> c(5) -> Discard;", "configuration string ignored", (1, 24)),
    ("Idle, Idle -> Discard, Discard;", "many-to-many connections require '=>'", (1, 12)),
    ("t :: Tee(2); Idle -> t; t[0-1] => Discard, Discard, Discard;",
     "connection mismatch", (1, 32)),
    ("Idle -> Print(abc\n\n", "unterminated configuration string", (1, 14)),
    ("Idle -> Discard /* never closed\n", "unterminated comment", (1, 17)),
    ("Idle -> -> Discard", "implicit 'input'/'output' only inside", (1, 6)),
    ("a :: ;", "syntax error near ';'", (1, 6)),
    ("Idle -> Discard\n# foo", "unknown preprocessor directive", (2, 1)),
    ("provide(x);", "'provide' is not supported", (1, 1)),
    ("Idle ~ Discard", "syntax error near '~'", (1, 6)),
    ("Idle -> $x", "syntax error near '$x'", (1, 9)),
    ("Idle -> Discard ->", "implicit 'input'/'output' only inside", (1, 17)),
    ("Idle [0] -> Discard [0];", "output ports ignored at end of chain", (1, 13)),
    ("[0] Idle -> Discard;", "input ports ignored at start of chain", (1, 5)),
    ("1 :: Idle;", "all-digit component", (1, 1)),
    ("x :: Idle; elementclass x { input -> output }", "already used as an element name",
     (1, 25)),
    ("c :: Counter; d :: c;", "previously used as an element name", (1, 20)),
    ("define($a 1, $a 2)", "multiply defined", (1, 7)),
    ("define(a 1)", "not a variable", (1, 7)),
    ("elementclass A { $a, $a | input -> output }", "multiply defined", (1, 22)),
    ("elementclass A { KW $a, $b | input -> output }", "out of order", (1, 25)),
    ("elementclass A { $a | input -> Print($a) -> output }\nIdle -> A(1, 2) -> Discard;",
     "wrong arguments to compound element 'A($a)': got 2", (2, 9)),
    ("elementclass A { $a | input -> output || input -> Null -> output }\n"
     "Idle -> A(1, 2) -> Discard;", "no match for 'A'", (2, 9)),
    ("elementclass A { input -> Null -> [1] output }", "'A' output 0 missing", (1, 16)),
    ("elementclass A { input -> output -> Discard }", "may only be used as input", (1, 34)),
    ("elementclass A { input -> Null -> output }\nIdle -> a :: A -> Discard; a[1] -> Discard;",
     "compound element 'a' has no output 1", (2, 33)),
    ("elementclass A { input -> Null -> output }\nIdle -> a :: A -> Discard; Idle -> [1] a;",
     "compound element 'a' has no input 1", (2, 33)),
    ("elementclass A { input -> Null -> output; input [1] -> Discard }\nIdle -> A -> Discard;",
     "compound element 'A@2' input 1 unused", (1, 53)),
    ("elementclass A { ... }", "syntax error near '...'", (1, 18)),
    ("Idle -> { ... } -> Discard", "syntax error near '...'", (1, 11)),
    ("Idle -> {$a | input -> output || ... } -> Discard", "cannot extend anonymous", (1, 34)),
    ("Idle -> [0,x] Discard;", "port number should be integer", (1, 12)),
    ("Idle -> [,] Discard;", "expected port number", (1, 10)),
    ("require(library nowhere/foo.click)", "library 'nowhere/foo.click' not found", (1, 8)),
    ("Idle -> (require(library x.click)) -> Discard", "must be used at file scope", (1, 17)),
    ("require(bogus one two)", "syntax error at requirement", (1, 8)),
    ("Idle -> input;", "undeclared element 'input'", (1, 9)),
    ("Idle -> A@2;", "undeclared element 'A@2'", (1, 9)),
    ("Idle -> (input -> Null -> [1] output) -> Discard;", "output 0 missing", (1, 9)),
    ("Idle -> Discard; }", "syntax error near '}'", (1, 18)),
    ("Idle -> (Discard", "unexpected end of file", (1, 17)),
]


@pytest.mark.parametrize(("text", "fragment", "where"), CASES,
                         ids=[c[1][:40] for c in CASES])
def test_error_message_and_position(text: str, fragment: str, where: tuple[int, int]) -> None:
    with pytest.raises(ClickSyntaxError) as info:
        parse_text(text, "bad.click")
    err = info.value
    assert fragment in err.message
    assert err.pos is not None and err.pos.file == "bad.click"
    assert (err.pos.line, err.pos.col) == where
    assert err.source_line == text.split("\n")[where[0] - 1]


def test_str_draws_a_caret_under_the_column() -> None:
    with pytest.raises(ClickSyntaxError) as info:
        parse_text("Idle -> c :: Counter;\n    zz -> c;", "x.click")
    lines = str(info.value).splitlines()
    assert lines[0] == "x.click:2:5: undeclared element 'zz'"
    assert lines[1] == "        zz -> c;"
    assert lines[2] == "        ^"


def test_compound_body_pseudo_misuse() -> None:
    with pytest.raises(ClickSyntaxError, match="may only be used as output"):
        parse_text("Idle -> input; input -> output;", compound_body=True)
    with pytest.raises(ClickSyntaxError, match="input 0 missing"):
        parse_text("input [1] -> output;", compound_body=True)


def test_errors_inside_compounds_point_into_the_body() -> None:
    text = "elementclass A {\n  input -> nope -> output\n}\nIdle -> A -> Discard;"
    with pytest.raises(ClickSyntaxError) as info:
        parse_text(text)
    assert info.value.pos is not None and (info.value.pos.line, info.value.pos.col) == (2, 12)
