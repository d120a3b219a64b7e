"""Protobuf text format without protobuf: a reader into nested dicts, and the quoting of
string and bytes literals. P4Info and WriteRequest texts are read and written with it, so a
P4Info written by p4c can be compared with ours."""

from __future__ import annotations

import re
from typing import Any


def quote(s: str) -> str:
    """A text-format string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _escape_byte(b: int) -> str:
    ch = chr(b)
    if ch in "\\\"'":
        return "\\" + ch
    return ch if 0x20 <= b < 0x7F else f"\\{b:03o}"


_ESCAPED = tuple(_escape_byte(b) for b in range(256))


def escape_bytes(data: bytes) -> str:
    """Bytes as a text-format string literal, octal escapes for non-printables."""
    return '"' + "".join([_ESCAPED[b] for b in data]) + '"'


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<punct>[{}<>:;,\[\]])
      | (?P<word>[-+]?[A-Za-z0-9_.]+)
    )""",
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _unquote(token: str) -> str:
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            octal = re.match(r"[0-7]{1,3}", body[i + 1:])
            if octal:
                out.append(chr(int(octal.group(), 8)))
                i += 1 + len(octal.group())
                continue
            hexa = re.match(r"x([0-9A-Fa-f]{1,2})", body[i + 1:])
            if hexa:
                out.append(chr(int(hexa.group(1), 16)))
                i += 1 + len(hexa.group())
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _tokens(text: str) -> list[tuple[str, str]]:
    result = []
    pos = 0
    space = re.compile(r"\s*")
    while True:
        blank = space.match(text, pos)
        assert blank is not None  # \s* matches anywhere
        pos = blank.end()
        if pos >= len(text):
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"bad protobuf text at offset {pos}: {text[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "comment":
            continue
        assert kind is not None
        result.append((kind, m.group(kind)))
    return result


def _scalar(kind: str, token: str) -> Any:
    if kind == "string":
        return _unquote(token)
    if re.fullmatch(r"[-+]?(0x[0-9A-Fa-f]+|\d+)", token):
        return int(token, 0)
    if re.fullmatch(r"[-+]?\d*\.\d+([eE][-+]?\d+)?", token):
        return float(token)
    if token in ("true", "false"):
        return token == "true"
    return token  # an enum value name


def parse_text_format(text: str) -> dict[str, list[Any]]:
    """A protobuf text message as ``{field: [value, ...]}``; sub-messages are such dicts.

    Every field maps to a list, repeated or not, since text format does not say which.
    Adjacent string literals concatenate, as in protobuf.
    """
    toks = _tokens(text)
    pos = 0

    def message(closer: str | None) -> dict[str, list[Any]]:
        nonlocal pos
        msg: dict[str, list[Any]] = {}
        while True:
            if pos >= len(toks):
                if closer is None:
                    return msg
                raise ValueError("unexpected end of protobuf text")
            kind, tok = toks[pos]
            if kind == "punct" and tok == closer:
                pos += 1
                return msg
            if kind == "punct" and tok in ";,":
                pos += 1
                continue
            if kind != "word":
                raise ValueError(f"expected a field name, got {tok!r}")
            name = tok
            pos += 1
            has_colon = pos < len(toks) and toks[pos] == ("punct", ":")
            if has_colon:
                pos += 1
            if pos >= len(toks):
                raise ValueError(f"field {name} has no value")
            kind, tok = toks[pos]
            if kind == "punct" and tok in "{<":
                pos += 1
                msg.setdefault(name, []).append(message("}" if tok == "{" else ">"))
            elif kind == "punct" and tok == "[":
                pos += 1
                while toks[pos] != ("punct", "]"):
                    if toks[pos] == ("punct", ","):
                        pos += 1
                        continue
                    k, t = toks[pos]
                    msg.setdefault(name, []).append(_scalar(k, t))
                    pos += 1
                pos += 1
            elif has_colon and kind in ("string", "word"):
                pos += 1
                value = _scalar(kind, tok)
                while kind == "string" and pos < len(toks) and toks[pos][0] == "string":
                    value += _unquote(toks[pos][1])
                    pos += 1
                msg.setdefault(name, []).append(value)
            else:
                raise ValueError(f"bad value for field {name}: {tok!r}")

    return message(None)
