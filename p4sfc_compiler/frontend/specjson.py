"""Checking decoded JSON spec files so that every problem names the file and the JSON path.

Messages start with the file and the path of the offending value (``chain.json:
NFs[2].location: ...``), so a user can find it without reading a traceback. Files are
read and decoded by :mod:`inputs` (size, encoding, nesting and number limits, duplicate
keys); :class:`JsonReader` checks each field where a reader takes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from p4sfc_compiler.errors import SpecError
from p4sfc_compiler.frontend import inputs
from p4sfc_compiler.frontend.inputs import HugeNumber

# NF names become Click element-class names when the emitter wraps an NF body, so they
# must be Click identifiers that cannot be mistaken for port numbers.
NF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Chain, switch and server names end up in file names and messages, nowhere else.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


# Object keys a JSON path shows as they are (``NFs[0].config.acl``); any other key is
# quoted (``config['a.b']``), so that a path stays one unambiguous line.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_@/-]{1,64}\Z")
# Characters a string field may not hold: C0 and C1 controls (DEL included). Multi-line
# fields (configuration strings) may hold tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def json_path(path: str, key: str | int) -> str:
    """``path`` extended by an object key (``NFs.name``) or a list index (``NFs[2]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not _PLAIN_KEY.match(key):
        return f"{path}[{excerpt(key)}]"
    return f"{path}.{key}" if path else key


def excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted as ``repr`` quotes it (control characters escaped), cut after
    ``limit`` characters (``'aaaa...'``), for messages."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit])[:-1] + "..." + repr(text[:limit])[-1]


def located(file: str, path: str, message: str) -> str:
    """``message`` about the value at ``path`` of ``file`` (``""``: the whole file), as
    every spec error reads: ``chain.json: NFs[2].location: message``."""
    return f"{file}: {path}: {message}" if path else f"{file}: {message}"


def spec_error(file: str, path: str, message: str) -> SpecError:
    """The error for ``message`` about the value at ``path`` (``""``: the whole file)."""
    return SpecError(located(file, path, message))


def describe(value: Any) -> str:
    """A decoded JSON value as a message shows it: its kind and a short excerpt
    (``null``, ``boolean true``, ``number 2.7``, ``string "x"``, ``list``)."""
    if value is None:
        return "null"
    if isinstance(value, HugeNumber):
        return f"number {value!r}"
    if isinstance(value, dict | list):
        return "object" if isinstance(value, dict) else "list"
    kind = "string" if isinstance(value, str) else "boolean" if isinstance(value, bool) else "number"
    text = json.dumps(value[:41] if isinstance(value, str) else value)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


class JsonReader:
    """Type and key checks over one decoded JSON file, failing with the JSON path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> SpecError:
        return spec_error(self.file, path, message)

    def as_obj(
        self, value: Any, path: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {describe(value)}")
        for key in required:
            if key not in value:
                raise self.fail(json_path(path, key), "required key is missing")
        allowed = list(required) + list(optional)
        for key in value:
            if key not in allowed:
                raise self.fail(json_path(path, key), f"unknown key (allowed: {', '.join(allowed)})")
        return value

    def as_list(self, value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {describe(value)}")
        if non_empty and not value:
            raise self.fail(path, "must not be empty")
        return value

    def as_str(
        self,
        value: Any,
        path: str,
        pattern: re.Pattern[str] | None = None,
        *,
        multiline: bool = False,
    ) -> str:
        """A string; with ``pattern``, a name matching it. No string holds control
        characters (but tab, newline and CR in a ``multiline`` one) or lone surrogates
        (``"\\ud800"`` decodes to one; it cannot be written out again)."""
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {describe(value)}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(
                path, f"bad name {excerpt(value)} (letters, digits, '_'{_extra(pattern)})"
            )
        bad = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
        if bad is not None:
            raise self.fail(path, f"control character {excerpt(bad.group())} in a string")
        bad = _SURROGATE.search(value)
        if bad is not None:
            raise self.fail(path, f"lone surrogate \\u{ord(bad.group()):04x} in a string "
                                  "(not a Unicode character)")
        return value

    def as_int(self, value: Any, path: str, low: int, high: int) -> int:
        """An integer in ``low..high``; not a boolean, not 2.0."""
        if isinstance(value, HugeNumber):
            raise self.fail(path, f"a number of {len(value.text.lstrip('-'))} digits is out "
                                  f"of range {low}..{high}")
        # JSON true/false decode to bool, which Python counts as int: refuse them.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"expected an integer, got {describe(value)}")
        if not low <= value <= high:
            raise self.fail(path, f"{value} is out of range {low}..{high}")
        return value


def _extra(pattern: re.Pattern[str]) -> str:
    return "; not starting with a digit" if pattern is NF_NAME else ", '.', '-'"


def read_json(path: Path) -> Any:
    """The decoded file; every problem is a SpecError naming the file (:mod:`inputs`)."""
    return inputs.read_json(path, error=SpecError)
