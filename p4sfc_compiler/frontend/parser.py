"""Parse Click configuration text into the IR (one ``networkx.MultiDiGraph``).

Three steps: a hand-written lexer (config strings, line directives and the brace/bracket
context Click's lexer keeps), the LALR grammar of ``grammar.lark`` building a statement
tree (:mod:`statements`), and :mod:`flatten`, which resolves names and classes and expands
compounds.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, cast

import networkx as nx
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import Lexer

from p4sfc_compiler.errors import ClickSyntaxError, SourcePos
from p4sfc_compiler.frontend import inputs
from p4sfc_compiler.frontend.flatten import build_graph
from p4sfc_compiler.frontend.statements import (
    Body,
    Compound,
    Config,
    Connection,
    Define,
    ElementClassStmt,
    Elt,
    Formal,
    Loc,
    Ports,
    RefCompound,
    RefDecl,
    RefGroup,
    RefName,
    Require,
    Source,
    Statement,
    Step,
)

_KEYWORDS = {
    "elementclass": "_ELEMENTCLASS",
    "require": "REQUIRE",
    "define": "DEFINE",
    "provide": "PROVIDE",
}
_MULTI = {"->": "ARROW", "=>": "ARROW", "::": "DCOLON", "||": "_DBAR", "...": "DOTS"}
_SINGLE = {";": "_SEMI", "(": "LPAR", ")": "_RPAR", "[": "LBRACK", "]": "_RBRACK",
           "{": "LBRACE", "}": "_RBRACE", "|": "_BAR", "-": "DASH", ",": "_COMMA"}

# Spaces before a token are part of its match (one regex call per token); a run that
# contains newlines is its own "ws" match so line numbers stay right.
_TOKEN_RE = re.compile(
    r"[ \t\f\v]*(?:(?P<ws>[\r\n][ \t\r\n\f\v]*)|(?P<eof>\Z)"
    r"|(?P<ident>[A-Za-z0-9_@]+(?:/[A-Za-z0-9_@]+)*)"
    r"|(?P<comment>//[^\n\r]*|/\*)"
    r"|(?P<var>\$[A-Za-z0-9_]+)"
    r"|(?P<multi>->|=>|::|\|\||\.\.\.)"
    r"|(?P<single>[;()\[\]{}|\-,]))"
)
# tokens after which "; IDENT" parses exactly like "IDENT" (the statement has ended)
# (not after "]": in "x -> [0]; b" the ';' ends an implicit output, "[0] b" is a port)
_SEMI_DROPPABLE_AFTER = frozenset({"IDENT", "CONFIG", "_RBRACE", "_RBRACE_CFG", "_RPAR"})
_CONFIG_SPECIAL = re.compile(r"[()\n/'\"\\#]")
# Line numbers are ASCII digits, as Click's isdigit() reads them (a regex \d or int()
# would take any Unicode digit).
_DIRECTIVE_RE = re.compile(r"#[ \t]*(?:line[ \t]+)?([0-9]+)[ \t]*(\"(?:[^\"\\\n\r]|\\.)*\"?)?[^\n\r]*")
# A line number or a port fits this many digits (larger ones are refused before int()).
_MAX_DIGITS = 9


class _Lexer:
    """Click's lexer: tokens plus the context that decides what ``(`` starts."""

    # hold back redundant ';' tokens (a speed-up; tests compare with it off)
    elide_semicolons = True

    def __init__(self, src: Source) -> None:
        self.src = src
        self.text = src.text
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.original_file = src.filename

    def error(self, offset: int, message: str) -> ClickSyntaxError:
        return self.src.error(self._loc(offset), message)

    def _loc(self, offset: int) -> Loc:
        return Loc(self.src, offset, self.line, offset - self.line_start + 1)

    def _newlines(self, start: int, end: int) -> None:
        """Account for newlines in ``text[start:end]``."""
        n = self.text.count("\n", start, end)
        if n:
            self.line += n
            self.line_start = self.text.rfind("\n", start, end) + 1

    def _directive(self, offset: int) -> int:
        """Process a column-0 ``#`` line; returns the offset of the line's end."""
        text = self.text
        m = _DIRECTIVE_RE.match(text, offset)
        if m is None:
            raise self.error(offset, "unknown preprocessor directive")
        if len(m.group(1)) > _MAX_DIGITS:
            raise self.error(offset, f"line number {m.group(1)[:12]}... in a line directive "
                                     f"is too large (at most {_MAX_DIGITS} digits)")
        # the newline ending the directive line moves to line N
        self.line = int(m.group(1)) - 1
        name = m.group(2)
        if name is not None:
            fname = name[1:-1] if name.endswith('"') and len(name) > 1 else name[1:]
            fname = re.sub(r"\\(.)", r"\1", fname) or self.original_file
            self.src.set_file(m.end(), fname)
        return m.end()

    def _skip_block_comment(self, offset: int) -> int:
        end = self.text.find("*/", offset + 2)
        if end < 0:
            raise self.error(offset, "unterminated comment")
        self._newlines(offset, end)
        return end + 2

    def _config(self, open_offset: int) -> tuple[str, int]:
        """Raw config text after the ``(`` at ``open_offset``; returns (text, offset of ``)``)."""
        text = self.text
        n = len(text)
        i = open_offset + 1
        depth = 1
        open_loc = self._loc(open_offset)
        parts: list[str] = []
        piece_start = i
        while True:
            m = _CONFIG_SPECIAL.search(text, i)
            if m is None:
                raise self.src.error(open_loc, "unterminated configuration string")
            j = m.start()
            c = text[j]
            if c == "(":
                depth += 1
                i = j + 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    self._newlines(i, j)
                    parts.append(text[piece_start:j])
                    return "".join(parts), j
                i = j + 1
            elif c == "\n":
                self._newlines(i, j + 1)
                i = j + 1
                if i < n and text[i] == "#":
                    # a line directive inside a config string is obeyed and removed
                    parts.append(text[piece_start:i])
                    i = self._directive(i)
                    piece_start = i
            elif c == "#":
                i = j + 1
            elif c == "/":
                self._newlines(i, j)
                i = j
                if j + 1 < n and text[j + 1] == "/":
                    e = text.find("\n", j)
                    i = n if e < 0 else e
                elif j + 1 < n and text[j + 1] == "*":
                    e = text.find("*/", j + 2)
                    if e < 0:
                        raise self.src.error(open_loc, "unterminated configuration string")
                    self._newlines(j, e)
                    i = e + 2
                else:
                    i = j + 1
            elif c in "'\"":
                e = self._skip_quote(j, c)
                if e < 0:
                    raise self.src.error(open_loc, "unterminated configuration string")
                self._newlines(j, e)
                i = e
            else:  # backslash
                if j + 1 < n and text[j + 1] == "<":
                    e = text.find(">", j + 2)
                    if e < 0:
                        raise self.src.error(open_loc, "unterminated configuration string")
                    self._newlines(j, e)
                    i = e + 1
                else:
                    i = j + 1

    def _skip_quote(self, start: int, q: str) -> int:
        text = self.text
        if q == "'":
            e = text.find("'", start + 1)
            return -1 if e < 0 else e + 1
        i = start + 1
        n = len(text)
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
            elif c == '"':
                return i + 1
            else:
                i += 1
        return -1

    def tokens(self) -> Iterator[Token]:
        text = self.text
        n = len(text)
        match = _TOKEN_RE.match
        prev = ""          # type of the previous token
        prev2 = ""
        prev3 = ""
        braces: list[bool] = []   # per open '{': does its '}' admit a config string?
        nesting = 0               # open '{' and group '('
        in_brackets = False
        pending_semi: Token | None = None
        i = 0
        while i < n:
            if text[i] == "#" and (i == 0 or text[i - 1] in "\n\r"):
                i = self._directive(i)
                continue
            m = match(text, i)
            if m is None:
                while text[i] in " \t\f\v":
                    i += 1
                raise self.error(i, f"syntax error near {text[i]!r}")
            kind = m.lastgroup
            assert kind is not None  # every alternative of _TOKEN_RE is a named group
            end = m.end()
            if kind == "ws":
                self._newlines(i, end)
                i = end
                continue
            if kind == "eof":
                break
            i = m.start(kind)
            if kind == "comment":
                i = self._skip_block_comment(i) if text[i + 1] == "*" else end
                continue
            value = m.group(kind)
            col = i - self.line_start + 1
            if kind == "ident":
                ttype = _KEYWORDS.get(value, "IDENT")
            elif kind == "var":
                ttype = "VARIABLE"
            elif kind == "multi":
                ttype = _MULTI[value]
            else:
                ttype = _SINGLE[value]
                if in_brackets and ttype == "_COMMA":
                    ttype = "COMMA"
                if ttype == "LPAR" and self._opens_config(prev, prev2, prev3):
                    # "(config)" is one token: its text, positioned at the "("
                    line = self.line
                    cfg, close = self._config(i)
                    tok = Token("CONFIG", cfg, i, line, col)
                    if pending_semi is not None:
                        yield pending_semi
                        pending_semi = None
                    yield tok
                    prev3, prev2, prev = prev2, prev, "CONFIG"
                    i = close + 1
                    continue
                if ttype == "_SEMI" and self.elide_semicolons and not in_brackets \
                        and prev in _SEMI_DROPPABLE_AFTER and prev2 != "_ELEMENTCLASS":
                    # a ';' between "x" and a following identifier changes nothing for
                    # the grammar; holding it back saves the LALR parser a token
                    if pending_semi is not None:
                        yield pending_semi
                    pending_semi = Token(ttype, value, i, self.line, col)
                    prev3, prev2, prev = prev2, prev, ttype
                    i = end
                    continue
                if ttype == "LBRACE" or ttype == "LPAR":
                    nesting += 1
                    if nesting > MAX_NESTING:
                        raise self.error(i, f"groups and compound classes nest more than "
                                            f"{MAX_NESTING} deep")
                    if ttype == "LBRACE":
                        braces.append(not (prev2 == "_ELEMENTCLASS" and prev == "IDENT"))
                elif ttype == "_RBRACE" or ttype == "_RPAR":
                    nesting -= 1
                    if ttype == "_RBRACE":
                        ttype = "_RBRACE_CFG" if braces and braces.pop() else "_RBRACE"
                elif ttype == "LBRACK":
                    in_brackets = True
                elif ttype == "_RBRACK":
                    in_brackets = False
            if pending_semi is not None:
                if ttype != "IDENT":
                    yield pending_semi
                pending_semi = None
            yield Token("_RBRACE" if ttype == "_RBRACE_CFG" else ttype, value, i, self.line, col)
            prev3, prev2, prev = prev2, prev, ttype
            i = end
        if pending_semi is not None:
            yield pending_semi

    @staticmethod
    def _opens_config(prev: str, prev2: str, prev3: str) -> bool:
        if prev in ("REQUIRE", "DEFINE", "_RBRACE_CFG"):
            return True
        if prev == "IDENT":
            # "elementclass A B (" : B is a synonym target, the '(' starts a group
            return not (prev3 == "_ELEMENTCLASS" and prev2 == "IDENT")
        return False


def config_string_problem(text: str) -> str | None:
    """Why ``text`` cannot be the configuration string between an element's parentheses
    (it leaves them early, never closes a quote or comment, holds a line directive), or
    None when Click's lexer reads all of it, and only it, as one configuration string."""
    # The printer ends a config whose last line holds a comment with a newline, so that
    # the comment cannot swallow the closing parenthesis: read it as it will be printed.
    src = Source(f"({text}\n)", "<config>")
    try:
        cfg, close = _Lexer(src)._config(0)
    except ClickSyntaxError as err:
        return err.message
    if close != len(text) + 2:
        return f"a ')' at character {close} closes it before its end"
    if cfg.rstrip("\n") != text.rstrip("\n"):
        return "a line directive inside it"
    return None


# Groups and compound classes nest at most this deep (Click's own configurations nest a
# few levels; the passes after the parser recurse once per level).
MAX_NESTING = 64

# Ports are small in practice; a bound keeps "[0-99999999]" from expanding forever.
MAX_PORT = 65535

_current: ContextVar[_Lexer] = ContextVar("_current_lexer")


class _LarkLexer(Lexer):
    """Feeds Lark the tokens of the lexer prepared for the current parse."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, data: str) -> Iterator[Token]:  # type: ignore[override]
        return _current.get().tokens()


def _loc(tok: Token) -> Loc:
    # _Lexer gives every token its position; Lark's Token types them as optional
    return Loc(_current.get().src, tok.start_pos, tok.line, tok.column)  # type: ignore[arg-type]


# A port as C's strtol(base 0) reads a whole identifier: 0x hex, 0 octal, decimal; ASCII
# digits only, no '_' (Python's int() takes both '５' and '1_0').
_PORT_RE = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


def _port_number(tok: Token) -> int | None:
    """A port as C's strtol(base 0) reads it, or None; a number longer than any port is
    MAX_PORT + 1 (out of range) without converting it."""
    s = str(tok)
    if not _PORT_RE.fullmatch(s):
        return None
    if len(s) > _MAX_DIGITS:
        return MAX_PORT + 1
    if len(s) > 1 and s[0] == "0" and s[1] in "xX":
        return int(s[2:], 16)
    if len(s) > 1 and s[0] == "0":
        return int(s[1:], 8)
    return int(s, 10)


# A rule's children as Lark passes them: tokens and the nodes built for sub-rules, mixed;
# each callback knows the shape of its own rule.
_Children = list[Any]


class _Build(Transformer[Token, list[Statement]]):
    """Statement tree from the LALR reductions (run inline by Lark, no parse tree)."""

    def start(self, c: _Children) -> list[Statement]:
        stmts: list[Statement] = c[0]
        return stmts

    def stmts(self, c: _Children) -> list[Statement]:
        return [s for s in c if s is not None]

    def empty(self, c: _Children) -> None:
        return None

    def connection(self, c: _Children) -> Connection:
        lead = c[0] if isinstance(c[0], Token) else None
        trail = c[-1] if isinstance(c[-1], Token) else None
        chain = c[1] if lead is not None else c[0]
        return Connection(
            _loc(lead) if lead is not None else None, chain,
            (_loc(trail), str(trail)) if trail is not None else None)

    def connection_bare(self, c: _Children) -> Connection:
        # "->" alone (inside a group or compound): input -> output
        return Connection(_loc(c[0]), [], None)

    def chain(self, c: _Children) -> list[Step]:
        if len(c) == 1:
            return [(None, c[0])]
        steps: list[Step] = c[0]
        steps.append(((_loc(c[1]), str(c[1])), c[2]))
        return steps

    def elts(self, c: _Children) -> list[Elt]:
        return c

    def elt(self, c: _Children) -> Elt:
        in_ports = out_ports = None
        ref = None
        for item in c:
            if isinstance(item, Ports):
                if ref is None:
                    in_ports = item
                else:
                    out_ports = item
            else:
                ref = item
        assert ref is not None
        return Elt(in_ports, ref, out_ports, ref.loc)

    def elt_ports(self, c: _Children) -> Elt:
        return Elt(c[0], None, None, c[0].loc)

    def ports(self, c: _Children) -> Ports:
        lbrack = c[0]
        loc = _loc(lbrack)
        items: list[int] = []
        last = -1
        dash = False
        want_number = True
        for tok in c[1:]:
            if want_number:
                if tok.type != "IDENT":
                    raise _current.get().src.error(_loc(tok), "syntax error: expected port number")
                port = _port_number(tok)
                if port is None:
                    raise _current.get().src.error(
                        _loc(tok), "syntax error: port number should be integer")
                if port > MAX_PORT:
                    text = str(tok) if len(str(tok)) <= 12 else str(tok)[:12] + "..."
                    raise _current.get().src.error(
                        _loc(tok), f"port number {text} out of range (at most {MAX_PORT})")
                if dash:
                    items.extend(range(last + 1, port + 1))
                    last = port
                else:
                    items.append(port)
                    last = port
                want_number = False
            elif tok.type == "DASH" and not dash:
                dash = True
                want_number = True
            elif tok.type == "COMMA":
                dash = False
                want_number = True
            else:
                raise _current.get().src.error(_loc(tok), "syntax error: expected ','")
        if want_number:
            # "[]", "[1,]" and "[1-]" end in an expandable port
            if not items:
                items.append(0)
            items.append(-1)
        return Ports(loc, items)

    def ref_name(self, c: _Children) -> RefName:
        return RefName(_loc(c[0]), str(c[0]), None)

    def ref_name_config(self, c: _Children) -> RefName:
        return RefName(_loc(c[0]), str(c[0]), c[1])

    def ref_decl(self, c: _Children) -> RefDecl:
        cfg = c[3] if len(c) > 3 else None
        return RefDecl(_loc(c[0]), str(c[0]), str(c[2]), _loc(c[2]), None, cfg)

    def ref_decl_compound(self, c: _Children) -> RefDecl:
        cfg = c[3] if len(c) > 3 else None
        return RefDecl(_loc(c[0]), str(c[0]), None, c[2].loc, c[2], cfg)

    def ref_compound(self, c: _Children) -> RefCompound:
        cfg = c[1] if len(c) > 1 else None
        return RefCompound(c[0].loc, c[0], cfg)

    def ref_group(self, c: _Children) -> RefGroup:
        return RefGroup(_loc(c[0]), c[1])

    def config(self, c: _Children) -> Config:
        return Config(_loc(c[0]), str(c[0]))


    def compound(self, c: _Children) -> Compound:
        bodies = [x for x in c[1:] if isinstance(x, Body)]
        dots = c[-1] if isinstance(c[-1], Token) and c[-1].type == "DOTS" else None
        return Compound(_loc(c[0]), bodies, _loc(dots) if dots is not None else None)

    def body(self, c: _Children) -> Body:
        if len(c) == 2:
            return Body(c[0], c[1])
        return Body([], c[0])

    def formals(self, c: _Children) -> list[Formal]:
        return c

    def formal(self, c: _Children) -> Formal:
        if len(c) == 1:
            return Formal(_loc(c[0]), "", str(c[0])[1:])
        return Formal(_loc(c[0]), str(c[0]), str(c[1])[1:])

    def elementclass(self, c: _Children) -> ElementClassStmt:
        return ElementClassStmt(_loc(c[0]), str(c[0]), c[1], None, None)

    def synonym(self, c: _Children) -> ElementClassStmt:
        return ElementClassStmt(_loc(c[0]), str(c[0]), None, str(c[1]), _loc(c[1]))

    def require(self, c: _Children) -> Require:
        return Require(_loc(c[0]), c[1])

    def define(self, c: _Children) -> Define:
        return Define(_loc(c[0]), c[1])


_GRAMMAR = (Path(__file__).with_name("grammar.lark")).read_text()
_PARSER = Lark(_GRAMMAR, parser="lalr", lexer=_LarkLexer, transformer=_Build(),
               maybe_placeholders=False)

_TOKEN_NAMES = {
    "$END": "end of file", "_SEMI": "';'", "LPAR": "'('", "_RPAR": "')'", "LBRACK": "'['",
    "_RBRACK": "']'", "LBRACE": "'{'", "_RBRACE": "'}'", "_BAR": "'|'", "_DBAR": "'||'",
    "DASH": "'-'", "_COMMA": "','", "COMMA": "','", "ARROW": "'->'", "DCOLON": "'::'",
    "DOTS": "'...'", "IDENT": "identifier", "VARIABLE": "variable",
    "_ELEMENTCLASS": "'elementclass'", "REQUIRE": "'require'", "DEFINE": "'define'",
    "CONFIG": "'('",
}


def _syntax_error(src: Source, err: UnexpectedInput) -> ClickSyntaxError:
    tok = getattr(err, "token", None)
    if not isinstance(tok, Token) or tok.type == "$END":
        lex = _current.get()
        return lex.error(len(src.text), "syntax error: unexpected end of file")
    if tok.type == "PROVIDE":
        msg = "'provide' is not supported here"
    else:
        msg = f"syntax error near {str(tok)!r}"
    expected = sorted({_TOKEN_NAMES.get(t, t) for t in getattr(err, "expected", ()) or ()})
    if expected and len(expected) <= 4:
        msg += f" (expected {' or '.join(expected)})"
    return src.error(_loc(tok), msg)


def parse_statements(text: str, filename: str = "<string>") -> tuple[Source, list[Statement]]:
    """The statement tree of ``text`` (no name resolution yet)."""
    src = Source(text, filename)
    token = _current.set(_Lexer(src))
    try:
        try:
            # the inline transformer makes Lark return the statement list, not a Tree
            return src, cast("list[Statement]", _PARSER.parse(text))
        except UnexpectedToken as err:
            raise _syntax_error(src, err) from None
        except UnexpectedInput as err:
            raise _syntax_error(src, err) from None
        except VisitError as err:
            if isinstance(err.orig_exc, ClickSyntaxError):
                raise err.orig_exc from None
            raise
    finally:
        _current.reset(token)


def parse_text(
    text: str,
    filename: str = "<string>",
    *,
    compound_body: bool = False,
    extra_classes: Iterable[str] = (),
) -> nx.MultiDiGraph:
    """Parse a Click configuration (or, with ``compound_body``, an NF body) into the IR.

    Compounds are flattened (``outer/inner`` names, formals substituted, ``$vars`` of
    ``define`` expanded). ``extra_classes`` names element classes beyond
    the class table (:mod:`classes`). Raises :class:`ClickSyntaxError` on bad input.
    """
    # The parse allocates many small, acyclic objects; the cyclic collector would scan
    # them again and again (over half the time for 10,000 elements), so it pauses.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        src, stmts = parse_statements(text, filename)
        return build_graph(src, stmts, parse=parse_statements, compound_body=compound_body,
                           extra_classes=frozenset(extra_classes))
    except RecursionError:
        raise ClickSyntaxError("configuration nested too deeply", SourcePos(filename, 1, 1)) \
            from None
    finally:
        if gc_was_enabled:
            gc.enable()


def parse_file(path: str | Path, *, compound_body: bool = False,
               extra_classes: Iterable[str] = ()) -> nx.MultiDiGraph:
    """Parse a Click configuration file (positions name the file as given); the file is
    read through :mod:`inputs` (size limit, UTF-8)."""
    text = inputs.read_text(path, error=ClickSyntaxError)
    return parse_text(text, str(path), compound_body=compound_body,
                      extra_classes=extra_classes)
