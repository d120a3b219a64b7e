"""Name -> id resolution through a P4Info (ours, or the one p4c wrote).

Entries are written by name; this index turns them into P4Runtime ids and checks that
every table, match field, action and parameter exists with a fitting bit width.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from p4sfc_compiler.backend.p4info import parse_text_format
from p4sfc_compiler.errors import P4SFCError

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
    # entry shape -> bit widths its values must fit (formats.check_entry fills it)
    entry_shapes: dict[tuple, tuple[tuple[int, ...], tuple[int, ...]]] = field(
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
                pre["id"][0], pre["name"][0], fields, actions, t.get("size", [0])[0]
            )
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
