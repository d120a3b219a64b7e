"""Name -> id resolution through a P4Info (ours, or the one p4c wrote).

Entries are written by name; this index turns them into P4Runtime ids and checks that
every table, match field, action and parameter exists with a fitting bit width.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.textformat import parse_text_format

MATCH_KINDS = {"EXACT": "exact", "LPM": "lpm", "TERNARY": "ternary", "RANGE": "range",
               "OPTIONAL": "optional"}


@dataclass(frozen=True)
class FieldInfo:
    id: int
    bitwidth: int
    match_kind: str  # exact, lpm, ternary, range, optional


@dataclass(frozen=True)
class ParamInfo:
    id: int
    bitwidth: int


@dataclass
class TableInfo:
    id: int
    name: str
    fields: dict[str, FieldInfo]
    actions: set[int]
    size: int
    idle_timeout: bool = False  # idle_timeout_behavior NOTIFY_CONTROL

    @cached_property
    def exact_fields(self) -> tuple[str, ...]:
        """Fields every entry must give (P4Runtime has no wildcard for them)."""
        return tuple(n for n, f in self.fields.items() if f.match_kind == "exact")

    @cached_property
    def needs_priority(self) -> bool:
        """Entries of tables with ternary, range or optional fields carry a priority."""
        return any(f.match_kind in ("ternary", "range", "optional") for f in self.fields.values())


@dataclass
class ActionInfo:
    id: int
    name: str
    params: dict[str, ParamInfo]


@dataclass
class P4InfoIndex:
    tables: dict[str, TableInfo] = field(default_factory=dict)
    actions: dict[str, ActionInfo] = field(default_factory=dict)
    registers: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # id, width, size
    counters: dict[str, tuple[int, int]] = field(default_factory=dict)  # id, size
    # entry shape -> bit widths its values must fit (checks.check_entry fills it)
    entry_shapes: dict[tuple[object, ...], tuple[tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_text(cls, text: str, source: str = "<p4info>") -> P4InfoIndex:
        try:
            msg = parse_text_format(text)
        except ValueError as exc:
            raise P4SFCError(f"{source}: not a P4Info in protobuf text format: {exc}") from None
        idx = cls()
        for a in msg.get("actions", []):
            pre = a["preamble"][0]
            params = {
                p["name"][0]: ParamInfo(p["id"][0], p.get("bitwidth", [0])[0])
                for p in a.get("params", [])
            }
            idx.actions[pre["name"][0]] = ActionInfo(pre["id"][0], pre["name"][0], params)
        for t in msg.get("tables", []):
            pre = t["preamble"][0]
            fields = {
                f["name"][0]: FieldInfo(
                    f["id"][0], f.get("bitwidth", [0])[0], MATCH_KINDS[f["match_type"][0]]
                )
                for f in t.get("match_fields", [])
            }
            actions = {r["id"][0] for r in t.get("action_refs", [])}
            idx.tables[pre["name"][0]] = TableInfo(
                pre["id"][0], pre["name"][0], fields, actions, t.get("size", [0])[0],
                t.get("idle_timeout_behavior", ["NO_TIMEOUT"])[0] == "NOTIFY_CONTROL",
            )
        for c in msg.get("counters", []):
            pre = c["preamble"][0]
            idx.counters[pre["name"][0]] = (pre["id"][0], c.get("size", [0])[0])
        for r in msg.get("registers", []):
            pre = r["preamble"][0]
            width = r["type_spec"][0]["bitstring"][0]["bit"][0]["bitwidth"][0]
            idx.registers[pre["name"][0]] = (pre["id"][0], width, r.get("size", [0])[0])
        return idx

    @classmethod
    def from_file(cls, path: Path) -> P4InfoIndex:
        return cls.from_text(path.read_text(), str(path))

    def table(self, name: str) -> TableInfo:
        try:
            return self.tables[name]
        except KeyError:
            raise P4SFCError(f"table '{name}' is not in the P4Info") from None

    def action(self, name: str) -> ActionInfo:
        try:
            return self.actions[name]
        except KeyError:
            raise P4SFCError(f"action '{name}' is not in the P4Info") from None


def summarize(p4info: dict[str, list[Any]]) -> dict[str, Any]:
    """The name-level content of a parsed P4Info, ids resolved to names.

    ``{"tables": {name: {"keys": [(field, bitwidth, MATCH)], "actions": [names],
    "size": n, "idle_timeout": behaviour}}, "actions": {name: [(param, bitwidth)]}, "registers": {name:
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
            "idle_timeout": one(t, "idle_timeout_behavior", "NO_TIMEOUT"),
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


def first_difference(ours: P4InfoIndex, theirs: P4InfoIndex) -> str | None:
    """What first differs between two P4Infos in names and ids (tables, their match
    fields, actions and sizes; actions and their parameters), said in a few words; None
    when entries written by ``ours`` mean the same on ``theirs``."""
    for name, t in sorted(ours.tables.items()):
        o = theirs.tables.get(name)
        if o is None:
            return f"table {name} is missing"
        if o.id != t.id:
            return f"table {name} has id {o.id}, not {t.id}"
        for fname, f in t.fields.items():
            of = o.fields.get(fname)
            if of is None:
                return f"table {name} has no match field '{fname}'"
            if of != f:
                return (f"match field '{fname}' of table {name} is {of.match_kind} "
                        f"bit<{of.bitwidth}> id {of.id}, not {f.match_kind} bit<{f.bitwidth}> "
                        f"id {f.id}")
        if set(o.fields) != set(t.fields):
            extra = sorted(set(o.fields) - set(t.fields))
            return f"table {name} has other match fields ({', '.join(extra)})"
        if o.actions != t.actions:
            return f"table {name} has other actions"
        if o.size != t.size:
            return f"table {name} holds {o.size} entries, not {t.size}"
        if o.idle_timeout != t.idle_timeout:
            return (f"table {name} {'supports' if o.idle_timeout else 'has no'} idle timeout"
                    f" in ours, not in theirs")
    for name, a in sorted(ours.actions.items()):
        oa = theirs.actions.get(name)
        if oa is None:
            return f"action {name} is missing"
        if oa.id != a.id:
            return f"action {name} has id {oa.id}, not {a.id}"
        if oa.params != a.params:
            return f"action {name} has other parameters ({', '.join(oa.params)})"
    extra_tables = sorted(set(theirs.tables) - set(ours.tables))
    if extra_tables:
        return f"table {extra_tables[0]} is not in ours"
    return None
