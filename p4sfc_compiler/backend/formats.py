"""Entry output formats: the P4 tutorials' runtime JSON and a P4Runtime WriteRequest
in protobuf text (what p4runtime-sh's ``Write`` reads).

Both are checked against a P4Info index first: every table, field, action and parameter
must exist, every match kind must agree and every value must fit its bit width.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from p4sfc_compiler.backend.entries import CLONE_INSTANCE, CloneSession, Entry
from p4sfc_compiler.backend.p4info_index import P4InfoIndex
from p4sfc_compiler.errors import CapacityError, P4SFCError
from p4sfc_compiler.families.base import Exact, Lpm, Match, Ternary

_KIND = {Exact: "exact", Ternary: "ternary", Lpm: "lpm"}


def check_entry(entry: Entry, index: P4InfoIndex) -> None:
    """Raise a P4SFCError naming the entry's table when it does not fit the P4Info."""
    where = f"entry of {entry.table}"
    field_widths, param_widths = _shape(entry, index)
    for (name, value), width in zip(entry.match, field_widths, strict=True):
        _fits(where, name, value.value, width)
        if isinstance(value, Ternary):
            _fits(where, name + " mask", value.mask, width)
            if value.value & ~value.mask:
                raise P4SFCError(f"{where}: field '{name}' has value bits outside its mask")
        elif isinstance(value, Lpm):
            if not 0 <= value.prefix_len <= width:
                raise P4SFCError(f"{where}: field '{name}' prefix length {value.prefix_len}")
            if value.value & ((1 << (width - value.prefix_len)) - 1):
                raise P4SFCError(f"{where}: field '{name}' has bits beyond its prefix length")
    for (name, value), width in zip(entry.params, param_widths, strict=True):
        _fits(where, name, value, width)


def _shape(entry: Entry, index: P4InfoIndex) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check what an entry names against the P4Info (table, fields and match kinds,
    action, parameters, priority); the bit widths its values must fit. Entries of one
    shape repeat by the thousand, so each shape is checked once per index."""
    key = (
        entry.table,
        tuple((name, type(value)) for name, value in entry.match),
        entry.action,
        tuple(name for name, _ in entry.params),
        bool(entry.priority),
    )
    cache = index.entry_shapes
    if key in cache:
        return cache[key]
    table = index.table(entry.table)
    where = f"entry of {entry.table}"
    field_widths = []
    for name, value in entry.match:
        f = table.fields.get(name)
        if f is None:
            raise P4SFCError(f"{where}: match field '{name}' is not a key of the table")
        kind = _KIND[type(value)]
        if kind != f.match_kind:
            raise P4SFCError(f"{where}: field '{name}' is {f.match_kind}, the entry gives {kind}")
        field_widths.append(f.bitwidth)
    given_fields = {name for name, _ in entry.match}
    for name in table.exact_fields:
        if name not in given_fields:
            raise P4SFCError(f"{where}: exact field '{name}' is missing")
    action = index.action(entry.action)
    if action.id not in table.actions:
        raise P4SFCError(f"{where}: action '{entry.action}' is not an action of the table")
    if len(entry.params) != len(action.params) or any(
        name not in action.params for name, _ in entry.params
    ):
        raise P4SFCError(
            f"{where}: action '{entry.action}' takes ({', '.join(action.params)}), "
            f"the entry gives ({', '.join(name for name, _ in entry.params)})"
        )
    if table.needs_priority and not entry.priority:
        raise P4SFCError(f"{where}: a ternary entry needs a priority above 0")
    shape = (tuple(field_widths), tuple(action.params[name].bitwidth for name, _ in entry.params))
    cache[key] = shape
    return shape


def _fits(where: str, name: str, value: int, width: int) -> None:
    if value < 0 or value >> width:
        raise P4SFCError(f"{where}: {name} = {value} does not fit in {width} bits")


def check_capacity(entries: Iterable[Entry], index: P4InfoIndex, switch: str) -> None:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.table] = counts.get(e.table, 0) + 1
    for table, n in sorted(counts.items()):
        size = index.table(table).size
        if size and n > size:
            raise CapacityError(
                f"switch {switch}: {n} entries for {table}, which holds {size} "
                "(raise --table-size)"
            )


def _json_match(value: Match) -> Any:
    if isinstance(value, Exact):
        return value.value
    if isinstance(value, Ternary):
        return [value.value, value.mask]
    return [value.value, value.prefix_len]


def runtime_json(
    entries: Iterable[Entry],
    *,
    p4info: str,
    bmv2_json: str,
    target: str = "bmv2",
    clone_sessions: Iterable[CloneSession] = (),
) -> dict[str, Any]:
    """The P4 tutorials' runtime JSON (``table_entries``, ``clone_session_entries``)."""
    rows = []
    for e in entries:
        row: dict[str, Any] = {
            "table": e.table,
            "match": {k: _json_match(v) for k, v in e.match},
            "action_name": e.action,
            "action_params": dict(e.params),
        }
        if e.priority is not None:
            row["priority"] = e.priority
        rows.append(row)
    out: dict[str, Any] = {"target": target, "p4info": p4info, "bmv2_json": bmv2_json}
    sessions = [
        {
            "clone_session_id": cs.session_id,
            "replicas": [{"egress_port": cs.port, "instance": CLONE_INSTANCE}],
        }
        for cs in clone_sessions
    ]
    if sessions:
        out["clone_session_entries"] = sessions
    out["table_entries"] = rows
    return out


def _escape_byte(b: int) -> str:
    ch = chr(b)
    if ch in "\\\"'":
        return "\\" + ch
    return ch if 0x20 <= b < 0x7F else f"\\{b:03o}"


_ESCAPED = tuple(_escape_byte(b) for b in range(256))


def escape_bytes(data: bytes) -> str:
    """Bytes as a text-format string literal, octal escapes for non-printables."""
    return '"' + "".join([_ESCAPED[b] for b in data]) + '"'


@lru_cache(maxsize=65536)
def _literal(value: int, size: int) -> str:
    """A value as a P4Runtime byte string of ``size`` bytes (ids and ports repeat a lot)."""
    return escape_bytes(value.to_bytes(size, "big"))


def write_request_txtpb(
    entries: Iterable[Entry],
    index: P4InfoIndex,
    *,
    device_id: int,
    election_low: int = 1,
    clone_sessions: Iterable[CloneSession] = (),
) -> str:
    """A P4Runtime ``WriteRequest`` inserting every clone session, then every entry, in
    protobuf text format (sessions first: an Alert's entry must find its session)."""
    out = [
        f"device_id: {device_id}",
        f"election_id {{ high: 0 low: {election_low} }}",
        "atomicity: CONTINUE_ON_ERROR",
    ]
    for cs in clone_sessions:
        # egress_port (not the newer bytes ``port``): what BMv2's PI and p4runtime-sh take
        out.append("\n".join([
            "updates {", "  type: INSERT", "  entity {", "    packet_replication_engine_entry {",
            "      clone_session_entry {", f"        session_id: {cs.session_id}",
            f"        replicas {{ egress_port: {cs.port} instance: {CLONE_INSTANCE} }}",
            "      }", "    }", "  }", "}",
        ]))
    for e in entries:
        table = index.table(e.table)
        action = index.action(e.action)
        lines = ["updates {", "  type: INSERT", "  entity {", "    table_entry {",
                 f"      table_id: {table.id}"]
        for name, value in e.match:
            f = table.fields[name]
            size = (f.bitwidth + 7) // 8
            v = _literal(value.value, size)
            if isinstance(value, Exact):
                body = f"exact {{ value: {v} }}"
            elif isinstance(value, Ternary):
                if value.mask == 0:
                    continue  # a ternary wildcard is omitted, as P4Runtime requires
                body = f"ternary {{ value: {v} mask: {_literal(value.mask, size)} }}"
            else:
                if value.prefix_len == 0:
                    continue  # likewise an LPM default route
                body = f"lpm {{ value: {v} prefix_len: {value.prefix_len} }}"
            lines.append(f"      match {{ field_id: {f.id} {body} }}")
        lines += ["      action {", "        action {", f"          action_id: {action.id}"]
        for name, value in e.params:
            p = action.params[name]
            v = _literal(value, (p.bitwidth + 7) // 8)
            lines.append(f"          params {{ param_id: {p.id} value: {v} }}")
        lines += ["        }", "      }"]
        if e.priority is not None:
            lines.append(f"      priority: {e.priority}")
        lines += ["    }", "  }", "}"]
        out.append("\n".join(lines))
    return "\n".join(out) + "\n"
