"""Where a server element's state lives on its switch, and its entries as P4Runtime ids.

A :class:`TableBinding` names, by P4Info names, the switch table and action that mirror
one element instance (``MyIngress.stage3.rewriter`` / ``MyIngress.stage3.rewrite``), the
fixed leading key fields that isolate it (``chain_id``, ``nf_id``, ``elem_id``: the
chain id without its version, which the agent adds), and the names of the element's keys
and values in the order the element gives them. :class:`Encoder` turns one binding into
entry keys and values in the runtime's integer form (``runtime.outdir.EntryKey``), so
the library compares what it wants with what a switch read returns as integers, like
``p4sfc apply``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.program import (
    ELEMENT_KEY_PREFIX,
    EXEC_COMMON,
    EXEC_COMMON_PARAM,
    INGRESS,
    KIND_SPECS,
    element_control,
)
from p4sfc_compiler.dataplane.reserved import chain_version, with_version
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, MatchItem

CHAIN_FIELD = F.key_name(F.CHAIN_ID)


@dataclass(frozen=True)
class TableBinding:
    """One element instance's slice of a switch table."""

    switch: str
    table: str  # P4Info name
    action: str  # P4Info name
    prefix: tuple[tuple[str, int], ...]  # fixed exact fields: chain_id (base), nf_id, ...
    key_names: tuple[str, ...]  # P4Info match field names, the element's key order
    val_names: tuple[str, ...]  # the action's parameter names, the element's value order

    @property
    def chain_id(self) -> int:
        return dict(self.prefix)[CHAIN_FIELD]

    def describe(self) -> str:
        where = ", ".join(f"{n}={v}" for n, v in self.prefix)
        return f"{self.switch} {self.table} ({where})"


def element_binding(kind: str, switch: str, stage: int, chain_id: int, nf_id: int,
                    elem_id: int) -> TableBinding:
    """The state table of an element of ``kind`` at ``stage``, from the data-plane
    contract: its one state table (``TableSpec.state``), its one action, the element
    prefix (chain, NF, element) and the table's own key fields as the element's keys."""
    spec = KIND_SPECS[kind]
    table = next((t for t in spec.tables if t.state), None)
    if table is None or len(table.actions) != 1:
        raise P4SFCError(f"element kind {kind} has no state table with one action")
    (action,) = table.actions
    path = f"{INGRESS}.stage{stage}"
    prefix = tuple((F.key_name(k), v) for k, v in zip(ELEMENT_KEY_PREFIX,
                                                       (chain_id, nf_id, elem_id), strict=True))
    return TableBinding(switch, f"{path}.{table.name}", f"{path}.{action}", prefix,
                        tuple(F.key_name(k) for k, _ in table.keys),
                        tuple(n for n, _ in spec.table_actions[action]))


@dataclass(frozen=True)
class CounterBinding:
    """One counting element's cells on its switch (``plan.json``'s register slots)."""

    switch: str
    packets: str  # P4Info name of the packet counter array
    length_cells: str  # P4Info name of the length-digit cells' array
    index: int


class Encoder:
    """A binding's keys and values as P4Runtime ids and integers."""

    def __init__(self, index: P4InfoIndex, binding: TableBinding) -> None:
        table = index.table(binding.table)
        action = index.action(binding.action)
        if action.id not in table.actions:
            raise P4SFCError(f"{binding.table}: action {binding.action} is not one of its "
                             "actions")
        names = [n for n, _ in binding.prefix] + list(binding.key_names)
        missing = [n for n in names if n not in table.fields]
        if missing or len(names) != len(table.fields):
            raise P4SFCError(f"{binding.table}: key fields {', '.join(names)} do not match "
                             f"the P4Info's {', '.join(table.fields)}")
        if any(f.match_kind != "exact" for f in table.fields.values()):
            raise P4SFCError(f"{binding.table}: the state library writes exact tables only")
        bad = [n for n in binding.val_names if n not in action.params]
        if bad or len(binding.val_names) != len(action.params):
            raise P4SFCError(f"{binding.action}: parameters {', '.join(binding.val_names)} do "
                             f"not match the P4Info's {', '.join(action.params)}")
        self.binding = binding
        self.table_id = table.id
        self.action_id = action.id
        self._chain_fid = table.fields[CHAIN_FIELD].id if CHAIN_FIELD in table.fields else None
        self._prefix = [(table.fields[n].id, v) for n, v in binding.prefix]
        self._key_fids = [table.fields[n].id for n in binding.key_names]
        self._widths = [table.fields[n].bitwidth for n in binding.key_names]
        self._pids = [action.params[n].id for n in binding.val_names]
        # a key read back belongs to this binding when its fixed fields (version aside) match
        self._fixed = {fid: v for fid, v in self._prefix if fid != self._chain_fid}
        # the element's element_control entries say at which chain versions it exists
        path = binding.table.rsplit(".", 1)[0]
        control = index.tables.get(f"{path}.{element_control(()).name}")
        ctl = control.fields.get(F.key_name(F.CONTROL_KEY)) if control else None
        self._control = (control.id, ctl.id) if control and ctl else None
        self._exec_elem = {a.id: a.params[EXEC_COMMON_PARAM].id for a in index.actions.values()
                           if a.name.startswith(f"{path}.exec_")
                           and EXEC_COMMON_PARAM in a.params}
        ids = dict(binding.prefix)
        self._element = (ids.get(F.key_name(F.NF_ID)), ids.get(F.key_name(F.ELEM_ID)))

    def key(self, keys: tuple[int, ...], version: int) -> EntryKey:
        items: list[MatchItem] = []
        for fid, v in self._prefix:
            items.append((fid, "e", with_version(v, version) if fid == self._chain_fid else v,
                          0))
        items.extend((fid, "e", v, 0) for fid, v in zip(self._key_fids, keys, strict=True))
        return (self.table_id, tuple(sorted(items)), 0)

    def value(self, vals: tuple[int, ...]) -> EntryValue:
        return (self.action_id, tuple(sorted(zip(self._pids, vals, strict=True))))

    def element_versions(self, entries: Mapping[EntryKey, EntryValue]) -> set[int]:
        """The chain versions at which the switch runs this element (it has
        element_control entries executing it): where its state belongs."""
        if self._control is None:
            return set()
        table_id, ctl_fid = self._control
        nf_id, elem_id = self._element
        found: set[int] = set()
        for key, (action_id, params) in entries.items():
            if key[0] != table_id:
                continue
            pid = self._exec_elem.get(action_id)
            element = dict(params).get(pid) if pid is not None else None
            if element is None or EXEC_COMMON.part(element, "elem_id") != elem_id:
                continue
            packed = next((v for f, _, v, _ in key[1] if f == ctl_fid), None)
            if packed is None:
                continue
            chain_id, nf, *_ = F.unpack_control_key(packed)
            if with_version(chain_id, 0) == self.binding.chain_id and nf == nf_id:
                found.add(chain_version(chain_id))
        return found

    def fits(self, keys: tuple[int, ...]) -> bool:
        return all(0 <= v < (1 << w) for v, w in zip(keys, self._widths, strict=True))

    def owns(self, key: EntryKey, version: int) -> bool:
        """Whether a switch entry is of this binding at ``version``."""
        if key[0] != self.table_id:
            return False
        found = {fid: v for fid, _, v, _ in key[1]}
        if self._chain_fid is not None and found.get(self._chain_fid) != with_version(
                self.binding.chain_id, version):
            return False
        return all(found.get(fid) == v for fid, v in self._fixed.items())

    def keys_of(self, key: EntryKey) -> tuple[int, ...]:
        found = {fid: v for fid, _, v, _ in key[1]}
        return tuple(found[fid] for fid in self._key_fids)

    def vals_of(self, value: EntryValue) -> tuple[int, ...] | None:
        if value[0] != self.action_id:
            return None
        params = dict(value[1])
        return tuple(params.get(pid, 0) for pid in self._pids)
