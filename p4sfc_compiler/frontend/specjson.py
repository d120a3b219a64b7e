"""Reading a JSON spec file so that every problem names the file and the JSON path.

Messages start with the file and the path of the offending value (``chain.json:
NFs[2].location: ...``), so a user can find it without reading a traceback. Keys given
twice in one object are an error, not silently the last one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from p4sfc_compiler.errors import SourcePos, SpecError

# NF names become Click element-class names when the emitter wraps an NF body, so they
# must be Click identifiers that cannot be mistaken for port numbers.
NF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Chain, switch and server names end up in file names and messages, nowhere else.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


def json_path(path: str, key: str | int) -> str:
    """``path`` extended by an object key (``NFs.name``) or a list index (``NFs[2]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def spec_error(file: str, path: str, message: str) -> SpecError:
    """The error for ``message`` about the value at ``path`` (``""``: the whole file)."""
    return SpecError(f"{file}: {path}: {message}" if path else f"{file}: {message}")


def describe(value: Any) -> str:
    """A decoded JSON value as a message shows it: its kind and a short excerpt."""
    kind = {
        bool: "boolean", int: "number", float: "number", str: "string",
        list: "list", dict: "object", type(None): "null",
    }.get(type(value), type(value).__name__)
    text = json.dumps(value) if not isinstance(value, dict | list) else ""
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}".strip()


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

    def as_str(self, value: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {describe(value)}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(path, f"bad name {value!r} (letters, digits, '_'{_extra(pattern)})")
        return value

    def as_int(self, value: Any, path: str, low: int, high: int) -> int:
        # JSON true/false decode to bool, which Python counts as int: refuse them.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"expected an integer, got {describe(value)}")
        if not low <= value <= high:
            raise self.fail(path, f"{value} is out of range {low}..{high}")
        return value


def _extra(pattern: re.Pattern[str]) -> str:
    return "; not starting with a digit" if pattern is NF_NAME else ", '.', '-'"


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def read_json(path: Path) -> Any:
    """The decoded file; unreadable files, bad JSON and duplicate keys are SpecErrors."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        # json gives no position for a hook failure; the key name is enough to find it.
        raise SpecError(f"{file}: duplicate key {exc.args[0]!r} in an object") from exc
    except json.JSONDecodeError as exc:
        raise SpecError(f"invalid JSON: {exc.msg}", SourcePos(file, exc.lineno, exc.colno)) from exc
