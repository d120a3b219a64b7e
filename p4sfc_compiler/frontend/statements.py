"""The statement tree of a Click configuration, and where each piece of it came from.

The parser builds these nodes; the resolve pass (:mod:`resolve`) reads them. They hold
text and positions only: no name has been looked up yet. ``Source`` maps offsets to files
(line directives, ``require(library ...)`` files) and lines, so any pass can turn a
:class:`Loc` into an error with its source line.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from p4sfc_compiler.errors import ClickSyntaxError, SourcePos

# ---------------------------------------------------------------- source positions


class Source:
    """The text being parsed; maps offsets to files (line directives) and lines."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self._file_offsets: list[int] = [0]
        self._file_names: list[str] = [filename]
        self._line_starts: list[int] | None = None

    def set_file(self, offset: int, name: str) -> None:
        self._file_offsets.append(offset)
        self._file_names.append(name)

    def file_at(self, offset: int) -> str:
        return self._file_names[bisect.bisect_right(self._file_offsets, offset) - 1]

    def line_text(self, offset: int) -> str:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        k = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[k]
        end = self.text.find("\n", start)
        return self.text[start:end if end >= 0 else len(self.text)].rstrip("\r")

    def error(self, loc: Loc | None, message: str) -> ClickSyntaxError:
        if loc is None:
            return ClickSyntaxError(message, SourcePos(self.filename, 1, 1))
        # the location may belong to another file (require(library ...))
        return ClickSyntaxError(message, loc.pos(), loc.src.line_text(loc.offset))


class Loc:
    """Where a token starts: offset into the source plus logical line and column."""

    __slots__ = ("src", "offset", "line", "col")

    def __init__(self, src: Source, offset: int, line: int, col: int) -> None:
        self.src = src
        self.offset = offset
        self.line = line
        self.col = col

    def pos(self) -> SourcePos:
        return SourcePos(self.src.file_at(self.offset), self.line, self.col)


# ---------------------------------------------------------------- statement tree


@dataclass(slots=True)
class Config:
    loc: Loc
    text: str


@dataclass(slots=True)
class Ports:
    """Port list as Click keeps it: numbers, a trailing -1 marks an expandable list."""

    loc: Loc
    items: list[int]


@dataclass(slots=True)
class RefName:
    loc: Loc
    name: str
    config: Config | None


@dataclass(slots=True)
class RefDecl:
    loc: Loc
    name: str
    cls_name: str | None
    cls_loc: Loc
    compound: Compound | None
    config: Config | None


@dataclass(slots=True)
class RefCompound:
    loc: Loc
    compound: Compound
    config: Config | None


@dataclass(slots=True)
class RefGroup:
    loc: Loc
    stmts: list[Statement]


Ref = RefName | RefDecl | RefCompound | RefGroup


@dataclass(slots=True)
class Elt:
    in_ports: Ports | None
    ref: Ref | None
    out_ports: Ports | None
    loc: Loc


# An arrow (its position and "->" or "=>") and the elements after it; the first step
# of a connection has no arrow.
Arrow = tuple[Loc, str]
Step = tuple[Arrow | None, list[Elt]]


@dataclass(slots=True)
class Connection:
    lead: Loc | None  # a leading arrow: an implicit 'input' precedes
    steps: list[Step]
    trail: Arrow | None  # a trailing arrow: an implicit 'output' follows


@dataclass(slots=True)
class Formal:
    loc: Loc
    keyword: str
    name: str


@dataclass(slots=True)
class Body:
    formals: list[Formal]
    stmts: list[Statement]


@dataclass(slots=True)
class Compound:
    loc: Loc
    bodies: list[Body]
    dots: Loc | None


@dataclass(slots=True)
class ElementClassStmt:
    loc: Loc
    name: str
    compound: Compound | None
    synonym: str | None
    synonym_loc: Loc | None


@dataclass(slots=True)
class Require:
    loc: Loc
    config: Config


@dataclass(slots=True)
class Define:
    loc: Loc
    config: Config


Statement = Connection | ElementClassStmt | Require | Define

# Parses text (named by a file name) into its statement tree; the resolve pass calls it
# for ``require(library FILE)``, which is how it reads other files without importing the
# parser.
ParseStatements = Callable[[str, str], tuple[Source, list[Statement]]]
