"""Chain id versions on a switch, for make-before-break updates of a running chain.

A chain id's top bit is its version (``dataplane.reserved.CHAIN_VERSION_BIT``); a compile
emits version 0. Every entry of a chain carries its id: in a ``chain_id`` key field, in
a packed key field (element_control's ``ctl``, a classify table's key), or in ``push_chain``'s
``chain_id`` parameter (the classification entries, or "claims", which send packets into
the chain). This module reads an entry's version and rewrites an entry to another one;
:mod:`.apply` decides which version a chain is applied at.
"""

from __future__ import annotations

from dataclasses import dataclass

from p4sfc_compiler.dataplane.fields import CHAIN_ID, PACKED_KEYS, key_name
from p4sfc_compiler.dataplane.packing import Packing
from p4sfc_compiler.dataplane.reserved import chain_version, with_version
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, MatchItem

# Packed key fields holding a chain id, by P4Info name.
_PACKED_WITH_CHAIN = {key_name(expr): p for expr, p in PACKED_KEYS.items() if CHAIN_ID in p.names}


@dataclass(frozen=True)
class ChainIdFields:
    """Where entries carry a chain id, by P4Info ids."""

    # table id -> its chain_id field id, with the packing when the chain id is a part of
    # a packed field (element_control's ctl, a classify table's key)
    chain_field: dict[int, tuple[int, Packing | None]]
    chain_param: dict[int, int]  # action id -> its chain_id param id

    @classmethod
    def of(cls, index: P4InfoIndex) -> ChainIdFields:
        fields: dict[int, tuple[int, Packing | None]] = {}
        for t in index.tables.values():
            for n, f in t.fields.items():
                if n == key_name(CHAIN_ID):
                    fields[t.id] = (f.id, None)
                elif n in _PACKED_WITH_CHAIN:
                    fields[t.id] = (f.id, _PACKED_WITH_CHAIN[n])
        return cls(fields, {a.id: p.id for a in index.actions.values()
                            for n, p in a.params.items() if n == "chain_id"})

    def chain_id(self, key: EntryKey, value: EntryValue) -> int | None:
        """The chain id (with its version) an entry carries, or None."""
        field = self.chain_field.get(key[0])
        if field is not None:
            fid, packing = field
            v = next((v for f, _, v, _ in key[1] if f == fid), None)
            return v if v is None or packing is None else packing.part(v, CHAIN_ID)
        pid = self.chain_param.get(value[0])
        return next((v for p, v in value[1] if p == pid), None)

    def version(self, key: EntryKey, value: EntryValue) -> int:
        cid = self.chain_id(key, value)
        return 0 if cid is None else chain_version(cid)

    def at_version(self, key: EntryKey, value: EntryValue, version: int
                   ) -> tuple[EntryKey, EntryValue]:
        """The entry with its chain id at ``version``."""
        field = self.chain_field.get(key[0])
        if field is not None:
            fid, packing = field
            items: list[MatchItem] = []
            for f, kind, v, extra in key[1]:
                if f == fid:
                    if packing is None:
                        v = with_version(v, version)
                    else:
                        parts = list(packing.unpack(v))
                        at = packing.index(CHAIN_ID)
                        parts[at] = with_version(parts[at], version)
                        v = packing.pack(*parts)
                items.append((f, kind, v, extra))
            return (key[0], tuple(items), key[2]), value
        pid = self.chain_param.get(value[0])
        if pid is None:
            return key, value
        params = tuple((p, with_version(v, version) if p == pid else v) for p, v in value[1])
        return key, (value[0], params)
