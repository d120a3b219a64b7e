"""The project's error types. Every user-facing error carries where it happened."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters that would break a one-line message or act on a terminal: C0 and C1
# controls (newline, escape, ...), line and paragraph separators, lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``),
    so that a message quoting user text stays one line and changes no terminal state.
    With ``keep_lines``, tab and newline stay as they are (for tables and trees, which
    lay out several lines anyway)."""
    if keep_lines:
        return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in "\t\n" else _escape(m), text)
    return _UNPRINTABLE.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if c in special:
        return special[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


@dataclass(frozen=True, order=True)
class SourcePos:
    """A position in a source file; lines and columns count from 1.

    A value in a JSON file is placed by its JSON path instead (``path``, line and column
    0): ``chain.json: NFs[2].config.acl``, as spec errors name values.
    """

    file: str
    line: int
    col: int
    path: str = ""

    @classmethod
    def json(cls, file: str, path: str) -> SourcePos:
        """The value at ``path`` of the JSON file ``file``."""
        return cls(file, 0, 0, path)

    def __str__(self) -> str:
        if self.path:
            return f"{self.file}: {self.path}"
        return f"{self.file}:{self.line}:{self.col}"


class P4SFCError(Exception):
    """Base of every error the CLI reports as one line instead of a traceback.

    ``pos`` locates the error in a source file; ``source_line`` (optional) is the text
    of that line, printed with a caret under ``pos.col``.
    """

    def __init__(
        self, message: str, pos: SourcePos | None = None, source_line: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.source_line = source_line

    def __str__(self) -> str:
        head = f"{self.pos}: {self.message}" if self.pos else self.message
        if self.source_line is None or self.pos is None:
            return head
        caret = " " * max(self.pos.col - 1, 0) + "^"
        return f"{head}\n    {self.source_line}\n    {caret}"

    def one_line(self) -> str:
        """The error as a single line (file:line:col: message), for the CLI; control
        characters in it (a file name or a key with a newline) are escaped."""
        return printable(f"{self.pos}: {self.message}" if self.pos else self.message)


class ClickSyntaxError(P4SFCError):
    """Bad Click configuration text (lexical, syntactic or graph-level)."""


class SpecError(P4SFCError):
    """A chain.json / topology.json problem; the message names the JSON path."""


class CatalogError(P4SFCError):
    """A malformed row in elements/catalog.yaml."""


class CapacityError(P4SFCError):
    """The plan does not fit the P4 program (table sizes, chain length, stages)."""
