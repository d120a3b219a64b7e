"""A compile output folder (``p4sfc compile -o OUT``) as the runtime needs it: the P4Info,
and per switch its address, device id, clone sessions and entries with their owner chains.

Entries are read from ``switches/<sw>-runtime.json`` and resolved by name through the
P4Info into ids and integers (:class:`WantedEntry`); the ``.txtpb`` files are not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from p4sfc_compiler.backend.entry_formats import entry_from_runtime_json
from p4sfc_compiler.dataplane.match import Entry, Exact, Ternary
from p4sfc_compiler.dataplane.program import CLASSIFY_CHAIN_NAME, INGRESS
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex

CLASSIFY_CHAIN_TABLE = f"{INGRESS}.{CLASSIFY_CHAIN_NAME}"

# A match field as P4Runtime carries it, ids and integers: (field id, kind, value, mask or
# prefix length); kind "e" exact (0), "t" ternary (mask), "l" lpm (prefix length).
MatchItem = tuple[int, str, int, int]
# The identity of a table entry on a switch: table id, match items by field id, priority.
EntryKey = tuple[int, tuple[MatchItem, ...], int]
# What an entry does: action id, (param id, value) by param id.
EntryValue = tuple[int, tuple[tuple[int, int], ...]]


@dataclass(frozen=True)
class WantedEntry:
    key: EntryKey
    value: EntryValue
    chain: str
    table: str  # names, for messages
    match_text: str


@dataclass(frozen=True)
class CloneSession:
    session_id: int
    replicas: tuple[tuple[int, int], ...]  # (egress port, instance)
    chains: tuple[str, ...]


@dataclass(frozen=True)
class RegisterSlot:
    """Where an element's switch state is: one index of each of its register arrays."""

    chain: str
    nf: str
    element: str
    registers: tuple[str, ...]  # P4Info names
    index: int


@dataclass
class SwitchPlan:
    name: str
    address: str
    device_id: int
    entries: list[WantedEntry] = field(default_factory=list)
    clone_sessions: list[CloneSession] = field(default_factory=list)
    registers: list[RegisterSlot] = field(default_factory=list)

    def chain_entries(self, chain: str) -> list[WantedEntry]:
        """The chain's entries in the order apply writes them (classification last)."""
        mine = [e for e in self.entries if e.chain == chain]
        return ([e for e in mine if e.table != CLASSIFY_CHAIN_TABLE]
                + [e for e in mine if e.table == CLASSIFY_CHAIN_TABLE])


@dataclass
class OutDir:
    path: Path
    p4info_path: Path
    p4info_text: str
    index: P4InfoIndex
    chain_ids: dict[str, int]
    switches: dict[str, SwitchPlan]

    @property
    def device_json(self) -> Path:
        return self.p4info_path.with_name("p4sfc.json")

    def chain_names(self) -> dict[int, str]:
        return {cid: name for name, cid in self.chain_ids.items()}


def _bad(path: Path, why: str) -> P4SFCError:
    return P4SFCError(f"{path}: not a p4sfc compile output folder ({why})")


def load_out_dir(path: Path) -> OutDir:
    """Read OUT/ (plan.json, the P4Info, the runtime JSON of every switch); one-line
    errors when it is not what ``p4sfc compile`` writes."""
    if not path.is_dir():
        raise P4SFCError(f"{path}: no such folder (give the -o folder of p4sfc compile)")
    plan_path = path / "plan.json"
    if not plan_path.is_file():
        raise _bad(path, "no plan.json")
    try:
        plan = json.loads(plan_path.read_text())
        p4info_rel = plan["program"]["p4info"]
        chain_ids = {c["name"]: int(c["chain_id"]) for c in plan["chains"]}
        switches_json: dict[str, Any] = plan["switches"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad(path, f"plan.json: {exc.__class__.__name__} {exc}") from None
    p4info_path = path / p4info_rel
    if not p4info_path.is_file():
        raise _bad(path, f"no {p4info_rel}")
    p4info_text = p4info_path.read_text()
    index = P4InfoIndex.from_text(p4info_text, str(p4info_path))
    switches = {}
    for name, sw in sorted(switches_json.items()):
        try:
            plan_sw = SwitchPlan(name, str(sw["address"]), int(sw["device_id"]))
            owner = {i: chain for chain, idx in sw["entries_by_chain"].items() for i in idx}
            sessions = {cs["session"]: tuple(cs["chains"]) for cs in sw["clone_sessions"]}
            runtime = [f for f in sw["entries"] if f.endswith("-runtime.json")]
            plan_sw.registers = [
                RegisterSlot(str(r["chain"]), str(r["nf"]), str(r["element"]),
                             tuple(str(x) for x in r["registers"]), int(r["index"]))
                for r in sw.get("registers", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad(path, f"plan.json: switches.{name}: {exc}") from None
        if runtime:
            rj_path = path / runtime[0]
            if not rj_path.is_file():
                raise _bad(path, f"no {runtime[0]}")
            try:
                rj = json.loads(rj_path.read_text())
                rows = rj["table_entries"]
                for cs in rj.get("clone_session_entries", []):
                    sid = int(cs["clone_session_id"])
                    plan_sw.clone_sessions.append(CloneSession(
                        sid,
                        tuple((int(r["egress_port"]), int(r["instance"])) for r in cs["replicas"]),
                        sessions.get(sid, ()),
                    ))
                plan_sw.entries = [
                    resolve_row(row, index, owner.get(i, "")) for i, row in enumerate(rows)
                ]
            except (ValueError, KeyError, TypeError) as exc:
                raise _bad(path, f"{runtime[0]}: {exc.__class__.__name__} {exc}") from None
        switches[name] = plan_sw
    return OutDir(path, p4info_path, p4info_text, index, chain_ids, switches)


def entry_by_ids(entry: Entry, index: P4InfoIndex) -> tuple[EntryKey, EntryValue]:
    """An entry (names) as the runtime client writes and reads it (P4Info ids)."""
    table = index.table(entry.table)
    items: list[MatchItem] = []
    for name, m in entry.match:
        fid = table.fields[name].id
        if isinstance(m, Exact):
            items.append((fid, "e", m.value, 0))
        elif isinstance(m, Ternary):
            items.append((fid, "t", m.value, m.mask))
        else:
            items.append((fid, "l", m.value, m.prefix_len))
    action = index.action(entry.action)
    params = []
    for pname, pv in entry.params:
        p = action.params.get(pname)
        if p is None:
            raise P4SFCError(f"action {action.name} has no parameter '{pname}'")
        params.append((p.id, pv))
    key: EntryKey = (table.id, tuple(sorted(items)), entry.priority or 0)
    return key, (action.id, tuple(sorted(params)))


def resolve_row(row: dict[str, Any], index: P4InfoIndex, chain: str) -> WantedEntry:
    """One runtime JSON entry by ids: what the switch will hold for it."""
    entry = entry_from_runtime_json(row, index)
    key, value = entry_by_ids(entry, index)
    text = ", ".join(f"{k}={v}" for k, v in row["match"].items())
    return WantedEntry(key, value, chain, index.table(entry.table).name, text)
