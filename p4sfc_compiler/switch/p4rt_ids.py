"""The P4Runtime ids of a loaded program, read from the P4Info message a controller sent
with SetForwardingPipelineConfig: what the server needs to turn an update's ids into the
device's names and back (tables, match fields, actions, parameters, counters, registers).

The server checks every update against this index the way PI does for BMv2, so the ids,
widths and match kinds it trusts are exactly the ones the controller was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from finsy.proto import p4i

from p4sfc_compiler.p4info.index import ActionInfo, FieldInfo, P4InfoIndex, ParamInfo, TableInfo

_MATCH_KINDS = {p4i.MatchField.EXACT: "exact", p4i.MatchField.LPM: "lpm",
                p4i.MatchField.TERNARY: "ternary", p4i.MatchField.RANGE: "range",
                p4i.MatchField.OPTIONAL: "optional"}

_NOTIFY = p4i.Table.NOTIFY_CONTROL


@dataclass(frozen=True)
class FieldIds:
    id: int
    name: str
    bitwidth: int
    match_kind: str  # exact, lpm, ternary, range, optional


@dataclass(frozen=True)
class ParamIds:
    id: int
    name: str
    bitwidth: int


@dataclass
class ActionIds:
    id: int
    name: str
    params: dict[int, ParamIds]  # by id
    order: tuple[int, ...]  # param ids in declaration order


@dataclass
class TableIds:
    id: int
    name: str
    fields: dict[int, FieldIds]  # by id
    order: tuple[int, ...]  # field ids in key order
    actions: frozenset[int]  # every action the table lists
    default_only: frozenset[int]  # of those, the ones only a default entry may use
    const_default: bool
    size: int
    # P4Info idle_timeout_behavior NOTIFY_CONTROL: PI takes idle_timeout_ns and
    # time_since_last_hit for this table only
    idle_timeout: bool = False

    def __post_init__(self) -> None:
        self.needs_priority = any(f.match_kind in ("ternary", "range", "optional")
                                  for f in self.fields.values())
        # per field id: (position in the key, name, kind, bitwidth), for the fast decode
        self.by_id = {fid: (i, self.fields[fid].name, self.fields[fid].match_kind,
                            self.fields[fid].bitwidth) for i, fid in enumerate(self.order)}
        self.n_exact = sum(1 for f in self.fields.values() if f.match_kind == "exact")


@dataclass(frozen=True)
class ArrayIds:
    """A counter or register array: its id, name, size (and a register's cell width)."""

    id: int
    name: str
    size: int
    bitwidth: int = 0
    unit: int = 0  # counters: CounterSpec.Unit (1 bytes, 2 packets, 3 both)


@dataclass
class ProgramIds:
    tables: dict[int, TableIds] = field(default_factory=dict)
    actions: dict[int, ActionIds] = field(default_factory=dict)
    counters: dict[int, ArrayIds] = field(default_factory=dict)
    registers: dict[int, ArrayIds] = field(default_factory=dict)
    table_ids: dict[str, int] = field(default_factory=dict)  # name -> id
    action_ids: dict[str, int] = field(default_factory=dict)
    field_ids: dict[tuple[int, str], int] = field(default_factory=dict)  # (table, name) -> id
    param_ids: dict[tuple[int, str], int] = field(default_factory=dict)  # (action, name) -> id

    @classmethod
    def from_p4info(cls, info: Any) -> ProgramIds:
        """The index of a ``p4.config.v1.P4Info`` message."""
        ids = cls()
        for a in info.actions:
            params = {p.id: ParamIds(p.id, p.name, p.bitwidth) for p in a.params}
            ids.actions[a.preamble.id] = ActionIds(
                a.preamble.id, a.preamble.name, params, tuple(p.id for p in a.params))
            ids.action_ids[a.preamble.name] = a.preamble.id
            for p in a.params:
                ids.param_ids[(a.preamble.id, p.name)] = p.id
        for t in info.tables:
            tid = t.preamble.id
            fields = {f.id: FieldIds(f.id, f.name, f.bitwidth, _MATCH_KINDS.get(f.match_type, "?"))
                      for f in t.match_fields}
            ids.tables[tid] = TableIds(tid, t.preamble.name, fields,
                                       tuple(f.id for f in t.match_fields),
                                       frozenset(r.id for r in t.action_refs),
                                       frozenset(r.id for r in t.action_refs if r.scope == p4i.ActionRef.DEFAULT_ONLY),
                                       t.const_default_action_id != 0, t.size or 1024,
                                       t.idle_timeout_behavior == _NOTIFY)
            ids.table_ids[t.preamble.name] = tid
            for f in t.match_fields:
                ids.field_ids[(tid, f.name)] = f.id
        for c in info.counters:
            ids.counters[c.preamble.id] = ArrayIds(c.preamble.id, c.preamble.name, c.size,
                                                   unit=c.spec.unit)
        for r in info.registers:
            width = r.type_spec.bitstring.bit.bitwidth
            ids.registers[r.preamble.id] = ArrayIds(r.preamble.id, r.preamble.name, r.size, width)
        return ids


def p4info_index(info: Any) -> P4InfoIndex:
    """The name-level index of a ``P4Info`` message, as ``P4InfoIndex.from_text`` gives it
    for the message's text (without writing and parsing ~100 KB of text)."""
    idx = P4InfoIndex()
    for a in info.actions:
        idx.actions[a.preamble.name] = ActionInfo(
            a.preamble.id, a.preamble.name,
            {p.name: ParamInfo(p.id, p.bitwidth) for p in a.params})
    for t in info.tables:
        fields = {f.name: FieldInfo(f.id, f.bitwidth, _MATCH_KINDS.get(f.match_type, "?"))
                  for f in t.match_fields}
        idx.tables[t.preamble.name] = TableInfo(
            t.preamble.id, t.preamble.name, fields, {r.id for r in t.action_refs}, t.size,
            t.idle_timeout_behavior == _NOTIFY)
    for c in info.counters:
        idx.counters[c.preamble.name] = (c.preamble.id, c.size)
    for r in info.registers:
        idx.registers[r.preamble.name] = (r.preamble.id, r.type_spec.bitstring.bit.bitwidth,
                                          r.size)
    return idx
