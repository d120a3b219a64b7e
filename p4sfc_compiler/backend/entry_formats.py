"""Entry output formats: the P4 tutorials' runtime JSON and a P4Runtime WriteRequest
in protobuf text (what p4runtime-sh's ``Write`` reads). The entries were checked against
the P4Info first (:mod:`.entry_checks`)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from p4sfc_compiler.backend.entries import CloneSession
from p4sfc_compiler.dataplane.match import Entry, Exact, Lpm, Match, Ternary
from p4sfc_compiler.dataplane.reserved import CLONE_INSTANCE, CONTROLLER_ELECTION_ID
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.p4info.textformat import escape_bytes

_KIND = {Exact: "exact", Ternary: "ternary", Lpm: "lpm"}


def _json_match(value: Match) -> Any:
    if isinstance(value, Exact):
        return value.value
    if isinstance(value, Ternary):
        return [value.value, value.mask]
    return [value.value, value.prefix_len]


def entry_from_runtime_json(row: dict[str, Any], index: P4InfoIndex) -> Entry:
    """One ``table_entries`` row read back by name; the P4Info says which list is a
    ternary ``[value, mask]`` and which an LPM ``[value, prefix_len]``."""
    table = index.table(row["table"])
    match: list[tuple[str, Match]] = []
    for name, v in row["match"].items():
        f = table.fields.get(name)
        if f is None:
            raise P4SFCError(f"table {table.name} has no match field '{name}'")
        if f.match_kind == "exact":
            match.append((name, Exact(int(v))))
        elif f.match_kind == "ternary":
            match.append((name, Ternary(int(v[0]), int(v[1]))))
        elif f.match_kind == "lpm":
            match.append((name, Lpm(int(v[0]), int(v[1]))))
        else:
            raise P4SFCError(f"table {table.name}: match kind {f.match_kind} is not supported")
    params = tuple((name, int(v)) for name, v in row["action_params"].items())
    return Entry(row["table"], tuple(match), row["action_name"], params, row.get("priority"))


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


@lru_cache(maxsize=65536)
def _literal(value: int, size: int) -> str:
    """A value as a P4Runtime byte string of ``size`` bytes (ids and ports repeat a lot)."""
    return escape_bytes(value.to_bytes(size, "big"))


def write_request_txtpb(
    entries: Iterable[Entry],
    index: P4InfoIndex,
    *,
    device_id: int,
    election_low: int = CONTROLLER_ELECTION_ID,
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
                body = f"ternary {{ value: {v} mask: {_literal(value.mask, size)} }}"
            else:
                body = f"lpm {{ value: {v} prefix_len: {value.prefix_len} }}"
            lines.append(f"      match {{ field_id: {f.id} {body} }}")
        lines += ["      action {", "        action {", f"          action_id: {action.id}"]
        for name, param_value in e.params:
            p = action.params[name]
            v = _literal(param_value, (p.bitwidth + 7) // 8)
            lines.append(f"          params {{ param_id: {p.id} value: {v} }}")
        lines += ["        }", "      }"]
        if e.priority is not None:
            lines.append(f"      priority: {e.priority}")
        lines += ["    }", "  }", "}"]
        out.append("\n".join(lines))
    return "\n".join(out) + "\n"
