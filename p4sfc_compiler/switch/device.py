"""The embedded switch's device state: every table, counter, register and clone session of
one loaded p4sfc program, and the recognition of a p4sfc program from its P4Info.

The embedded switch accepts only p4sfc programs. SetForwardingPipelineConfig gives it a
P4Info; :func:`program_params_from_p4info` derives the program's parameters from it and
checks that the P4Info ``p4info.write`` renders for them is the one given (names and
ids), so the model that runs (built from the same parameters) is the program the
controller meant. The device config bytes (BMv2's JSON, for instance) are not needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p4sfc_compiler.backend.entry_formats import entry_from_runtime_json
from p4sfc_compiler.dataplane.program import (
    ALL_KINDS,
    CLASSIFY_CHAIN_NAME,
    INGRESS,
    Program,
    ProgramParams,
    build_program,
    push_chain_action,
)
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.families.kind_model import CounterCells
from p4sfc_compiler.p4info.index import P4InfoIndex, first_difference
from p4sfc_compiler.p4info.write import render_p4info
from p4sfc_compiler.switch.tables import Table

# A clone session's replicas: (egress port, instance) in order.
Replicas = tuple[tuple[int, int], ...]


class NotP4SFCProgram(P4SFCError):
    """A P4Info that is not one of a p4sfc program the embedded switch can run."""


@dataclass
class CounterArray:
    """An indexed counter: packets and bytes per index (P4Runtime reads both)."""

    name: str
    size: int
    cells: CounterCells = field(init=False)

    def __post_init__(self) -> None:
        self.cells = CounterCells(self.size)

    def clear(self) -> None:
        self.cells.clear()


@dataclass
class RegisterArray:
    """A register: ``size`` cells of ``bitwidth`` bits (writes wrap as on the switch)."""

    name: str
    bitwidth: int
    size: int
    cells: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cells = [0] * self.size
        self.mask = (1 << self.bitwidth) - 1

    def clear(self) -> None:
        # in place: the pipeline's models hold the list
        self.cells[:] = [0] * self.size


class Device:
    """Everything a loaded program holds at run time."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.params = program.params
        self.tables: dict[str, Table] = {
            name: Table(spec, program.actions) for name, spec in program.tables.items()
        }
        self.registers: dict[str, RegisterArray] = {
            name: RegisterArray(name, r.bitwidth, r.size)
            for name, r in program.registers.items()
        }
        self.counters: dict[str, CounterArray] = {
            name: CounterArray(name, c.size) for name, c in program.counters.items()
        }
        self.clone_sessions: dict[int, Replicas] = {}
        # the tables BMv2's ageing monitor sweeps
        self.ageing_tables = [t for t in self.tables.values() if t.aging]

    @classmethod
    def from_params(cls, params: ProgramParams) -> Device:
        return cls(build_program(params))

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"table {name} is not in the program") from None

    def load_runtime_json(self, data: dict[str, Any]) -> None:
        """Insert a compile output's ``<switch>-runtime.json`` (clone sessions, then table
        entries), as ``p4sfc apply`` writes them to an empty switch."""
        index = P4InfoIndex.from_text(render_p4info(self.program))
        for cs in data.get("clone_session_entries", ()):
            self.clone_sessions[int(cs["clone_session_id"])] = tuple(
                (int(r["egress_port"]), int(r["instance"])) for r in cs["replicas"])
        for row in data.get("table_entries", ()):
            entry = entry_from_runtime_json(row, index)
            self.table(entry.table).insert(entry)

    def reset_state(self) -> None:
        """Counters and registers back to 0 (tables and sessions stay)."""
        for c in self.counters.values():
            c.clear()
        for r in self.registers.values():
            r.clear()

    def counter_value(self, name: str, index: int) -> tuple[int, int]:
        """(packets, bytes) of one counter cell."""
        cells = self.counters[name].cells
        return cells.packets[index], cells.bytes[index]


_STAGE_CONTROL = f"{INGRESS}.stage{{}}.element_control"
_PUSH_CHAIN_1 = f"{INGRESS}.{push_chain_action(1)}"
_CLASSIFY_CHAIN = f"{INGRESS}.{CLASSIFY_CHAIN_NAME}"


def program_params_from_p4info(p4info: str | P4InfoIndex, source: str = "P4Info"
                               ) -> ProgramParams:
    """The parameters of the p4sfc program whose P4Info is ``p4info`` (protobuf text or
    an index), checked: the P4Info written for them must equal the one given in names and
    ids, else :class:`NotP4SFCProgram` naming the first difference."""
    theirs = (p4info if isinstance(p4info, P4InfoIndex)
              else _parse(p4info, source))
    stages = 0
    while _STAGE_CONTROL.format(stages) in theirs.tables:
        stages += 1
    if stages == 0:
        raise NotP4SFCProgram(f"{source} is not a p4sfc program (no table "
                              f"{_STAGE_CONTROL.format(0)})")
    classify = theirs.tables.get(_CLASSIFY_CHAIN)
    if _PUSH_CHAIN_1 not in theirs.actions or classify is None:
        missing = _CLASSIFY_CHAIN if classify is None else _PUSH_CHAIN_1
        raise NotP4SFCProgram(f"{source} is not a p4sfc program ({missing} is missing)")
    # one push_chain_<n> per chain length the program carries
    max_chain = 0
    while f"{INGRESS}.{push_chain_action(max_chain + 1)}" in theirs.actions:
        max_chain += 1
    prefix = f"{INGRESS}.stage0.exec_"
    kinds = tuple(k for k in ALL_KINDS if prefix + k in theirs.actions)
    # Registers, and the counter externs of one cell per slot, are register_size long.
    sizes = {r[2] for r in theirs.registers.values()}
    sizes |= {c[1] for c in theirs.counters.values()}
    register_size = min(sizes) if sizes else ProgramParams().register_size
    try:
        params = ProgramParams(stages=stages, max_chain=max_chain, table_size=classify.size,
                               register_size=register_size, kinds=kinds)
    except ValueError as exc:
        raise NotP4SFCProgram(f"{source} is not a p4sfc program: {exc}") from None
    ours = P4InfoIndex.from_text(render_p4info(build_program(params)))
    diff = first_difference(ours, theirs) or _register_difference(ours, theirs)
    if diff is None:
        extra = sorted(set(theirs.actions) - set(ours.actions))
        diff = f"action {extra[0]} is not in ours" if extra else None
    if diff is not None:
        raise NotP4SFCProgram(f"{source} is not the p4sfc program with {_describe(params)}: "
                              f"{diff}")
    return params


def _parse(text: str, source: str) -> P4InfoIndex:
    try:
        return P4InfoIndex.from_text(text, source)
    except (KeyError, IndexError) as exc:
        raise NotP4SFCProgram(f"{source} is not a P4Info: {exc}") from None


def _register_difference(ours: P4InfoIndex, theirs: P4InfoIndex) -> str | None:
    for name, counter in sorted(ours.counters.items()):
        other_counter = theirs.counters.get(name)
        if other_counter is None:
            return f"counter {name} is missing"
        if other_counter != counter:
            return (f"counter {name} is id {other_counter[0]} of {other_counter[1]} cells, "
                    f"not id {counter[0]} of {counter[1]}")
    extra_counters = sorted(set(theirs.counters) - set(ours.counters))
    if extra_counters:
        return f"counter {extra_counters[0]} is not in ours"
    for name, reg in sorted(ours.registers.items()):
        other = theirs.registers.get(name)
        if other is None:
            return f"register {name} is missing"
        if other != reg:
            return (f"register {name} is id {other[0]} bit<{other[1]}>[{other[2]}], "
                    f"not id {reg[0]} bit<{reg[1]}>[{reg[2]}]")
    extra = sorted(set(theirs.registers) - set(ours.registers))
    return f"register {extra[0]} is not in ours" if extra else None


def _describe(p: ProgramParams) -> str:
    return (f"{p.stages} stages, {p.max_chain} NF ids, tables of {p.table_size}, "
            f"registers of {p.register_size}, kinds {', '.join(p.kinds)}")
