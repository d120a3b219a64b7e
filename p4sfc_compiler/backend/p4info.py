"""P4Info of the dynamic program, written as protobuf text format without protobuf.

Ids follow p4c's scheme, so they usually equal the ids p4c assigns: the entity type's
prefix byte in the high 8 bits (P4Ids.Prefix) and the low 24 bits of the Jenkins
one-at-a-time hash of the fully qualified name; collisions probe upwards in name order.
Clients should still resolve entities by name (the P4Runtime notes say so too).

:func:`parse_text_format` reads any protobuf text message into nested dicts, so a P4Info
written by p4c can be compared with ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from p4sfc_compiler.backend.program import Program

# P4Ids.Prefix in p4/config/v1/p4info.proto.
PREFIX_ACTION = 0x01
PREFIX_TABLE = 0x02
PREFIX_REGISTER = 0x16

_MATCH_TYPES = {"exact": "EXACT", "ternary": "TERNARY", "lpm": "LPM", "range": "RANGE",
                "optional": "OPTIONAL"}


def jenkins_hash(name: str) -> int:
    """Jenkins one-at-a-time hash over the UTF-8 bytes of ``name`` (32 bits)."""
    h = 0
    for byte in name.encode():
        h = (h + byte) & 0xFFFFFFFF
        h = (h + (h << 10)) & 0xFFFFFFFF
        h ^= h >> 6
    h = (h + (h << 3)) & 0xFFFFFFFF
    h ^= h >> 11
    return (h + (h << 15)) & 0xFFFFFFFF


def assign_ids(names_by_prefix: dict[int, Iterable[str]]) -> dict[tuple[int, str], int]:
    """Ids as p4c assigns them: names sorted per type, linear probing on collision."""
    used: set[int] = set()
    ids: dict[tuple[int, str], int] = {}
    for prefix, names in names_by_prefix.items():
        for name in sorted(set(names), key=lambda n: n.encode()):
            low = jenkins_hash(name)
            for step in range(1 << 24):
                candidate = (prefix << 24) | ((low + step) & 0xFFFFFF)
                if candidate not in used:
                    break
            else:  # pragma: no cover - 16M names of one type
                raise ValueError(f"no P4Runtime id left for {name}")
            used.add(candidate)
            ids[(prefix, name)] = candidate
    return ids


def aliases(names: Iterable[str]) -> dict[str, str]:
    """Shortest dot-separated suffix of each name that no other name ends with."""
    all_names = sorted(set(names))
    counts: dict[tuple[str, ...], int] = {}
    for name in all_names:
        parts = tuple(name.split("."))
        for k in range(1, len(parts) + 1):
            counts[parts[-k:]] = counts.get(parts[-k:], 0) + 1
    result = {}
    for name in all_names:
        parts = tuple(name.split("."))
        k = 1
        while k < len(parts) and counts[parts[-k:]] > 1:
            k += 1
        result[name] = ".".join(parts[-k:])
    return result


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def open(self, name: str) -> None:
        self.lines.append("  " * self.depth + name + " {")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.lines.append("  " * self.depth + "}")

    def field(self, name: str, value: int | str, enum: bool = False) -> None:
        text = str(value) if isinstance(value, int) or enum else _quote(value)
        self.lines.append("  " * self.depth + f"{name}: {text}")


def render_p4info(program: Program) -> str:
    """The program's P4Info (p4.config.v1.P4Info) in protobuf text format."""
    ids = assign_ids({
        PREFIX_TABLE: program.tables,
        PREFIX_ACTION: program.actions,
        PREFIX_REGISTER: program.registers,
    })
    alias = aliases([*program.tables, *program.actions, *program.registers])
    w = _Writer()
    w.lines += ["# proto-file: p4/config/v1/p4info.proto",
                "# proto-message: p4.config.v1.P4Info", ""]

    def preamble(prefix: int, name: str, annotations: Iterable[str] = ()) -> None:
        w.open("preamble")
        w.field("id", ids[(prefix, name)])
        w.field("name", name)
        w.field("alias", alias[name])
        for a in annotations:
            w.field("annotations", a)
        w.close()

    w.open("pkg_info")
    w.field("arch", "v1model")
    w.close()

    for table in sorted(program.tables.values(), key=lambda t: t.name):
        w.open("tables")
        preamble(PREFIX_TABLE, table.name)
        for i, key in enumerate(table.keys, start=1):
            w.open("match_fields")
            w.field("id", i)
            w.field("name", key.field)
            w.field("bitwidth", key.bitwidth)
            w.field("match_type", _MATCH_TYPES[key.match_kind], enum=True)
            w.close()
        for action in table.actions:
            w.open("action_refs")
            w.field("id", ids[(PREFIX_ACTION, action)])
            if action == table.default_action:
                # Our tables keep their miss behaviour fixed: NoAction, default only.
                w.field("annotations", "@defaultonly")
                w.field("scope", "DEFAULT_ONLY", enum=True)
            w.close()
        default_id = ids[(PREFIX_ACTION, table.default_action)]
        w.field("const_default_action_id", default_id)
        w.open("initial_default_action")
        w.field("action_id", default_id)
        w.close()
        w.field("size", table.size)
        w.close()

    for action in sorted(program.actions.values(), key=lambda a: a.name):
        w.open("actions")
        # p4c marks the core library's NoAction this way; keep the texts comparable.
        notes = ['@noWarn("unused")'] if action.name == "NoAction" else []
        preamble(PREFIX_ACTION, action.name, notes)
        for i, param in enumerate(action.params, start=1):
            w.open("params")
            w.field("id", i)
            w.field("name", param.name)
            w.field("bitwidth", param.bitwidth)
            w.close()
        w.close()

    for reg in sorted(program.registers.values(), key=lambda r: r.name):
        w.open("registers")
        preamble(PREFIX_REGISTER, reg.name)
        w.open("type_spec")
        w.open("bitstring")
        w.open("bit")
        w.field("bitwidth", reg.bitwidth)
        w.close()
        w.close()
        w.close()
        w.field("size", reg.size)
        w.close()

    w.open("type_info")
    w.close()
    return "\n".join(w.lines) + "\n"


# ---------------------------------------------------------------------------
# Reading protobuf text format back.

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
        pos = space.match(text, pos).end()
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


def summarize(p4info: dict[str, list[Any]]) -> dict[str, Any]:
    """The name-level content of a parsed P4Info, ids resolved to names.

    ``{"tables": {name: {"keys": [(field, bitwidth, MATCH)], "actions": [names],
    "size": n}}, "actions": {name: [(param, bitwidth)]}, "registers": {name:
    (bitwidth, size)}}`` — what must agree between p4c's P4Info and ours.
    """
    def one(msg: dict[str, list[Any]], name: str, default: Any = None) -> Any:
        values = msg.get(name)
        return values[0] if values else default

    action_names = {one(one(a, "preamble"), "id"): one(one(a, "preamble"), "name")
                    for a in p4info.get("actions", [])}
    tables = {}
    for t in p4info.get("tables", []):
        tables[one(one(t, "preamble"), "name")] = {
            "keys": [(one(m, "name"), one(m, "bitwidth"), one(m, "match_type"))
                     for m in t.get("match_fields", [])],
            "actions": [action_names[one(r, "id")] for r in t.get("action_refs", [])],
            "size": one(t, "size"),
        }
    actions = {
        one(one(a, "preamble"), "name"): [(one(p, "name"), one(p, "bitwidth"))
                                          for p in a.get("params", [])]
        for a in p4info.get("actions", [])
    }
    registers = {}
    for r in p4info.get("registers", []):
        bit = one(one(one(r, "type_spec", {}), "bitstring", {}), "bit", {})
        registers[one(one(r, "preamble"), "name")] = (one(bit, "bitwidth"), one(r, "size"))
    return {"tables": tables, "actions": actions, "registers": registers}
