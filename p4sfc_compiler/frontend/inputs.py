"""Reading the user's files: every chain, topology, state and Click file comes in here.

One place decides what a hostile or broken file can do to the compiler, so every reader
(chain.json, topology.json, ``--state`` plan.json, NF ``.click`` files, ``p4sfc parse
FILE``, ``require(library ...)``) gets the same answers:

- a file is at most :data:`MAX_FILE_BYTES`; a bigger one (or an endless one such as
  ``/dev/zero``) is refused after reading that much;
- text is UTF-8; a byte that is not is reported at its ``file:line:col``; line ends are
  read as Python's text mode reads them (``\\r\\n`` and ``\\r`` become ``\\n``);
- JSON nests at most :data:`MAX_JSON_DEPTH` lists and objects deep; an integer literal of
  more than :data:`MAX_NUMBER_DIGITS` digits is kept as a :class:`HugeNumber`, which no
  field accepts (so the error names its JSON path); ``NaN`` and ``Infinity`` (not JSON)
  and keys given twice in one object are refused.

Every problem is a :class:`~p4sfc_compiler.errors.P4SFCError` (of the class the caller
asks for) whose one line names the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from p4sfc_compiler.errors import P4SFCError, SourcePos, SpecError

MAX_FILE_BYTES = 16 * 1024 * 1024
# Chain files nest 4 deep (chain list, chain, Route, match); plan.json about 7.
MAX_JSON_DEPTH = 64
# The widest integer field is a 64-bit device id (20 digits); a longer literal is only
# kept as text, so that the field's range check reports it (and Python never has to
# convert thousands of digits).
MAX_NUMBER_DIGITS = 40


class HugeNumber:
    """A JSON integer literal too long to be any field's value; ``text`` is the literal."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        digits = len(self.text.lstrip("-"))
        return f"{self.text[:12]}...({digits} digits)"


def is_file(path: Path) -> bool:
    """Whether ``path`` names a file; a name the system refuses (too long, a NUL byte)
    is no file rather than an exception."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_bytes(path: Path | str, *, error: type[P4SFCError] = P4SFCError) -> bytes:
    """The file's bytes, at most :data:`MAX_FILE_BYTES`."""
    file = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error(f"{file}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a file name with a NUL byte
        raise error(f"{file}: cannot read: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise error(f"{file}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
                    "the limit for an input file")
    return data


def decode_text(data: bytes, file: str, *, error: type[P4SFCError] = P4SFCError) -> str:
    """``data`` as UTF-8 text with universal newlines; a bad byte is an error at its place."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        # the line's text before the bad byte is valid UTF-8: count its characters
        col = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        raise error(
            f"not UTF-8 text: byte 0x{data[start]:02x} cannot start or continue a character",
            SourcePos(file, line, col),
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_text(path: Path | str, *, error: type[P4SFCError] = P4SFCError) -> str:
    """The file as text: size limit, UTF-8, universal newlines."""
    return decode_text(read_bytes(path, error=error), str(path), error=error)


# ---------------------------------------------------------------------------------------
# JSON


class _DuplicateKey(Exception):
    pass


class _NotJson(Exception):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _parse_int(text: str) -> int | HugeNumber:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        return HugeNumber(text)
    return int(text)


def _parse_constant(name: str) -> Any:
    raise _NotJson(name)


# A string or a bracket, for finding where a file nests too deeply (strings may hold
# brackets); or a string or a non-JSON constant.
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_CONSTANTS = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN', re.S)


def _position(file: str, text: str, offset: int) -> SourcePos:
    line = text.count("\n", 0, offset) + 1
    return SourcePos(file, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _too_deep_at(text: str) -> int:
    """Offset of the first bracket that opens level MAX_JSON_DEPTH + 1 (0 if none)."""
    depth = 0
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return m.start()
        elif c in "]}":
            depth -= 1
    return 0


def _depth_exceeds(value: Any) -> bool:
    """Whether a decoded value nests deeper than MAX_JSON_DEPTH (without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            items: Any = v.values()
        elif isinstance(v, list):
            items = v
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False


def decode_json(text: str, file: str, *, error: type[P4SFCError] = SpecError) -> Any:
    """Decoded JSON text, within the limits above."""
    too_deep = False
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_int=_parse_int,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        too_deep = True
    except _DuplicateKey as exc:
        # json gives no position for a hook failure; the key name is enough to find it.
        raise error(f"{file}: duplicate key {exc.args[0]!r} in an object") from None
    except _NotJson as exc:
        at = next((m.start() for m in _CONSTANTS.finditer(text) if m.group()[0] != '"'), 0)
        raise error(f"invalid JSON: {exc.args[0]} is not a JSON value",
                    _position(file, text, at)) from None
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON: {exc.msg}", SourcePos(file, exc.lineno, exc.colno)) from None
    if too_deep or _depth_exceeds(value):
        raise error(f"lists and objects nest more than {MAX_JSON_DEPTH} deep",
                    _position(file, text, _too_deep_at(text)))
    return value


def read_json(path: Path | str, *, error: type[P4SFCError] = SpecError) -> Any:
    """The decoded JSON file; every problem is an ``error`` naming the file."""
    return decode_json(read_text(path, error=error), str(path), error=error)
