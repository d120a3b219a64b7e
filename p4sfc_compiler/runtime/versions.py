"""Chain id versions on a switch, for make-before-break updates of a running chain.

A chain id's top bit is its version (``dataplane.reserved.CHAIN_VERSION_BIT``); a compile
emits version 0. Every entry of a chain carries its id: in a ``chain_id`` key field, in
the high bits of element_control's packed ``ctl`` field, or in ``push_chain``'s
``chain_id`` parameter (the classification entries, or "claims", which send packets into
the chain). This module reads an entry's version and rewrites an entry to another one;
:mod:`.apply` decides which version a chain is applied at.
"""

from __future__ import annotations

from dataclasses import dataclass

from p4sfc_compiler.dataplane.fields import (
    CONTROL_KEY,
    key_name,
    pack_control_key,
    unpack_control_key,
)
from p4sfc_compiler.dataplane.reserved import chain_version, with_version
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, MatchItem


@dataclass(frozen=True)
class ChainIdFields:
    """Where entries carry a chain id, by P4Info ids."""

    chain_field: dict[int, int]  # table id -> its chain_id field id
    ctl_field: dict[int, int]  # table id -> its packed ctl field id
    chain_param: dict[int, int]  # action id -> its chain_id param id

    @classmethod
    def of(cls, index: P4InfoIndex) -> ChainIdFields:
        return cls(
            {t.id: f.id for t in index.tables.values()
             for n, f in t.fields.items() if n == "chain_id"},
            {t.id: f.id for t in index.tables.values()
             for n, f in t.fields.items() if n == key_name(CONTROL_KEY)},
            {a.id: p.id for a in index.actions.values()
             for n, p in a.params.items() if n == "chain_id"},
        )

    def chain_id(self, key: EntryKey, value: EntryValue) -> int | None:
        """The chain id (with its version) an entry carries, or None."""
        fid = self.chain_field.get(key[0])
        if fid is not None:
            return next((v for f, _, v, _ in key[1] if f == fid), None)
        ctl = self.ctl_field.get(key[0])
        if ctl is not None:
            packed = next((v for f, _, v, _ in key[1] if f == ctl), None)
            return None if packed is None else unpack_control_key(packed)[0]
        pid = self.chain_param.get(value[0])
        return next((v for p, v in value[1] if p == pid), None)

    def version(self, key: EntryKey, value: EntryValue) -> int:
        cid = self.chain_id(key, value)
        return 0 if cid is None else chain_version(cid)

    def at_version(self, key: EntryKey, value: EntryValue, version: int
                   ) -> tuple[EntryKey, EntryValue]:
        """The entry with its chain id at ``version``."""
        fid = self.chain_field.get(key[0])
        ctl = self.ctl_field.get(key[0])
        if fid is not None or ctl is not None:
            items: list[MatchItem] = []
            for f, kind, v, extra in key[1]:
                if f == fid:
                    v = with_version(v, version)
                elif f == ctl:
                    chain_id, *rest = unpack_control_key(v)
                    v = pack_control_key(with_version(chain_id, version), *rest)
                items.append((f, kind, v, extra))
            return (key[0], tuple(items), key[2]), value
        pid = self.chain_param.get(value[0])
        if pid is None:
            return key, value
        params = tuple((p, with_version(v, version) if p == pid else v) for p, v in value[1])
        return key, (value[0], params)
