"""Protobuf text format: a small reader (for P4Info files, ours or p4c's) and string escaping.

Parsed messages are plain dicts ``{field: [value, ...]}``: every field maps to a list
because any field may repeat. Scalars stay as written: ints as ``int``, strings as
``str`` when they are ASCII and ``bytes`` otherwise, enum names as ``str``.
"""

from __future__ import annotations

import re

from p4sfc_compiler.errors import P4SFCError

Message = dict[str, list]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<num>-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)[fF]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}<>:\[\],;])
    """,
    re.X,
)

_ESCAPES = {"n": 10, "r": 13, "t": 9, "\\": 92, "'": 39, '"': 34, "a": 7, "b": 8, "f": 12, "v": 11}


def _unescape(body: str) -> bytes:
    out = bytearray()
    i = 0
    raw = body.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        nxt = chr(raw[i + 1])
        if nxt in "01234567":
            j = i + 1
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "01234567":
                j += 1
            out.append(int(raw[i + 1 : j], 8) & 0xFF)
            i = j
        elif nxt in "xX":
            j = i + 2
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(raw[i + 2 : j], 16))
            i = j
        else:
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return bytes(out)


def _escape_byte(b: int) -> str:
    ch = chr(b)
    if ch in "\\\"'":
        return "\\" + ch
    return ch if 0x20 <= b < 0x7F else f"\\{b:03o}"


_ESCAPED = tuple(_escape_byte(b) for b in range(256))


def escape_bytes(data: bytes) -> str:
    """Bytes as a text-format string literal, octal escapes for non-printables."""
    return '"' + "".join([_ESCAPED[b] for b in data]) + '"'


def parse(text: str, source: str = "<textproto>") -> Message:
    """Parse a text-format message into nested dicts."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    line = 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise P4SFCError(f"{source}:{line}: unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind != "ws":
            tokens.append((kind, m.group(), line))
        line += m.group().count("\n")
        pos = m.end()
    msg, i = _message(tokens, 0, source, closing=None)
    return msg


def _message(tokens, i: int, source: str, closing: str | None) -> tuple[Message, int]:
    msg: Message = {}
    while i < len(tokens):
        kind, value, line = tokens[i]
        if closing is not None and value == closing:
            return msg, i + 1
        if kind != "ident":
            raise P4SFCError(f"{source}:{line}: expected a field name, found {value!r}")
        name = value
        i += 1
        if i < len(tokens) and tokens[i][1] == ":":
            i += 1
        if i >= len(tokens):
            raise P4SFCError(f"{source}:{line}: field '{name}' has no value")
        kind, value, line = tokens[i]
        if value in "{<":
            sub, i = _message(tokens, i + 1, source, "}" if value == "{" else ">")
            msg.setdefault(name, []).append(sub)
        elif kind == "str":
            data = b""
            while i < len(tokens) and tokens[i][0] == "str":  # adjacent literals concatenate
                data += _unescape(tokens[i][1][1:-1])
                i += 1
            # names are ASCII; anything else (P4Runtime values) stays bytes
            msg.setdefault(name, []).append(data.decode("ascii") if data.isascii() else data)
        elif kind == "num":
            text = value.rstrip("fF")
            num = float(text) if re.search(r"[.eE]", text) and "x" not in text.lower() else int(text, 0)
            msg.setdefault(name, []).append(num)
            i += 1
        elif kind == "ident":
            msg.setdefault(name, []).append(value)
            i += 1
        else:
            raise P4SFCError(f"{source}:{line}: unexpected {value!r} after '{name}'")
        if i < len(tokens) and tokens[i][1] in ",;":
            i += 1
    if closing is not None:
        raise P4SFCError(f"{source}: unbalanced braces: missing {closing!r}")
    return msg, i
