"""``p4sfc destroy``: remove one chain of a compile output from its switches.

On every switch of the chain: connect and become primary, check the switch runs OUT's
P4Info, read every table entry back and take those the chain owns (its ``chain_id``, as
for apply). Then the classification entries are deleted on every switch, alone (no packet
enters the chain from then on; when one of them fails, nothing else is deleted anywhere),
then per switch the rest in the reverse of the order apply writes them, and last the
clone sessions no other chain on the switch uses (``plan.json`` lists the chains sharing
each session; a sharing chain counts while it has entries there), when every entry of the
switch went.

Nothing of the chain on a switch: nothing is written there. Other chains' entries and
entries no chain of OUT owns are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from p4sfc_compiler.dataplane.reserved import CONTROLLER_ELECTION_ID
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.runtime.apply import (
    BATCH,
    DELETE,
    Names,
    Target,
    check_pipeline,
    select_targets,
)
from p4sfc_compiler.runtime.client import CONNECT_TIMEOUT, Connection
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, OutDir, SwitchPlan


@dataclass
class DeleteFailure:
    switch: str
    chain: str
    what: str  # "TABLE [key]" or "clone session N"
    reason: str  # the switch's

    def one_line(self) -> str:
        return (f"switch {self.switch}: chain '{self.chain}': delete of {self.what} "
                f"failed: {self.reason}")


@dataclass
class DestroyResult:
    switch: str
    address: str
    chain: str
    found: int = 0  # the chain's entries on the switch before
    deleted: int = 0
    sessions_deleted: int = 0
    sessions_kept: list[int] = field(default_factory=list)  # shared with other chains
    writes: int = 0
    seconds: float = 0.0  # connecting, reading back and writing on this switch
    failures: list[DeleteFailure] = field(default_factory=list)
    stopped: bool = False  # a classification entry stayed (here or on another
    # switch): nothing else of the chain was deleted


def check_chain(out: OutDir, chain: str) -> None:
    if chain not in out.chain_ids:
        raise P4SFCError(f"unknown chain '{chain}': {out.path} has chains "
                         f"{', '.join(sorted(out.chain_ids)) or '(none)'}")


def destroy_targets(out: OutDir, chain: str, selectors: Sequence[str],
                    device_id: int | None) -> list[Target]:
    """The switches to clean: those the chain has entries on in OUT, or those
    ``selectors`` name (as for apply)."""
    check_chain(out, chain)
    if selectors:
        return select_targets(out, selectors, device_id)
    targets = [t for t in select_targets(out, (), None)
               if any(e.chain == chain for e in t.plan.entries)]
    if device_id is not None:
        if len(targets) != 1:
            raise P4SFCError("--device-id needs exactly one switch (--switch NAME)")
        targets = [Target(targets[0].plan, targets[0].address, device_id)]
    return targets


def deletion_order(sw: SwitchPlan, chain: str, existing: dict[EntryKey, EntryValue],
                   names: Names) -> tuple[list[EntryKey], list[EntryKey]]:
    """The chain's entries present on the switch: (classification entries, the rest), the
    rest in the reverse of apply's order; entries of the chain OUT does not list (an
    older compile's) go first among the rest."""
    owned = [k for k, v in existing.items() if names.owner(k, v) == chain]
    claims = [k for k in owned if k[0] == names.claim_table]
    applied = [e.key for e in sw.chain_entries(chain) if e.key in existing]
    listed = set(applied)
    rest = sorted((k for k in owned if k not in listed and k[0] != names.claim_table),
                  key=repr)
    rest += [k for k in reversed(applied) if k[0] != names.claim_table]
    return claims, rest


def own_sessions(sw: SwitchPlan, chain: str, present: set[str] | None = None
                 ) -> tuple[list[int], list[int]]:
    """The chain's clone sessions on this switch: (to delete, to keep). A session stays
    while another chain sharing it is on the switch (``present``: the owners of the
    entries read back; None: every chain of the plan counts as present)."""
    alone: list[int] = []
    shared: list[int] = []
    for cs in sw.clone_sessions:
        if chain not in cs.chains:
            continue
        others = set(cs.chains) - {chain}
        if present is not None:
            others &= present
        (shared if others else alone).append(cs.session_id)
    return alone, shared


class _Switch:
    """One switch's part of a destroy: its connection, what to delete, what happened."""

    def __init__(self, conn: Connection, target: Target, result: DestroyResult,
                 names: Names, batch: int) -> None:
        self.conn = conn
        self.target = target
        self.result = result
        self.names = names
        self.batch = batch
        self.claims: list[EntryKey] = []
        self.rest: list[EntryKey] = []
        self.present: set[str] = set()  # owner chains of the entries read back

    async def prepare(self, out: OutDir) -> None:
        await check_pipeline(self.conn, out, self.target, "give the right --device-id",
                             "destroy needs the program OUT was compiled for")
        self.conn.use_index(out.index)
        existing = await self.conn.read_entries()
        self.present = {self.names.owner(k, v) for k, v in existing.items()}
        self.claims, self.rest = deletion_order(self.target.plan, self.result.chain,
                                                existing, self.names)
        self.result.found = len(self.claims) + len(self.rest)

    async def delete(self, keys: list[EntryKey]) -> None:
        conn, result, names = self.conn, self.result, self.names
        began = time.monotonic()
        for i in range(0, len(keys), self.batch):
            part = keys[i:i + self.batch]
            errors = await conn.write([conn.table_update(DELETE, k, None) for k in part])
            result.writes += 1
            bad = {e.index: e for e in errors}
            for j, key in enumerate(part):
                err = bad.get(j)
                if err is None or err.code == "NOT_FOUND":  # gone is what we want
                    result.deleted += 1
                else:
                    result.failures.append(DeleteFailure(
                        result.switch, result.chain,
                        f"{names.table(key)} [{names.match(key)}]",
                        f"{err.code} {err.message.strip()}"))
        result.seconds += time.monotonic() - began


async def destroy_chain(out: OutDir, targets: Sequence[Target], chain: str, *,
                        election_id: int = CONTROLLER_ELECTION_ID, batch: int = BATCH,
                        timeout: float = CONNECT_TIMEOUT) -> list[DestroyResult]:
    """Remove ``chain`` from every target: connect to all and read them back first, then
    delete its classification entries on every switch, and only when all of them went,
    the rest of its entries and its own clone sessions, switch by switch."""
    check_chain(out, chain)
    names = Names(out)
    async with AsyncExitStack() as stack:
        parts = []
        for target in targets:
            sw = target.plan
            began = time.monotonic()
            conn = await stack.enter_async_context(Connection(
                sw.name, target.address, target.device_id, election_id, timeout))
            part = _Switch(conn, target, DestroyResult(sw.name, target.address, chain),
                           names, batch)
            await part.prepare(out)
            part.result.seconds = time.monotonic() - began
            parts.append(part)
        for part in parts:
            await part.delete(part.claims)
        if any(p.result.failures for p in parts):
            for p in parts:
                p.result.stopped = True
            return [p.result for p in parts]
        for part in parts:
            await part.delete(part.rest)
            alone, part.result.sessions_kept = own_sessions(part.target.plan, chain,
                                                            part.present)
            if alone and not part.result.failures:
                began = time.monotonic()
                await _delete_sessions(part.conn, alone, part.result)
                part.result.seconds += time.monotonic() - began
    return [p.result for p in parts]


async def destroy_switch(out: OutDir, target: Target, chain: str, *, election_id: int = CONTROLLER_ELECTION_ID,
                         batch: int = BATCH, timeout: float = CONNECT_TIMEOUT) -> DestroyResult:
    """One switch alone (its classification entries, then the rest)."""
    (result,) = await destroy_chain(out, [target], chain, election_id=election_id,
                                    batch=batch, timeout=timeout)
    return result


async def _delete_sessions(conn: Connection, sessions: list[int],
                           result: DestroyResult) -> None:
    have = await conn.read_clone_sessions()
    if have is None:
        # not readable back: delete them where the chain was (NOT_FOUND is fine)
        todo = sessions if result.found else []
    else:
        todo = [s for s in sessions if s in have]
    for sid in todo:
        errors = await conn.write([conn.session_update(DELETE, sid, ())])
        result.writes += 1
        if errors and errors[0].code != "NOT_FOUND":
            result.failures.append(DeleteFailure(
                result.switch, result.chain, f"clone session {sid}",
                f"{errors[0].code} {errors[0].message.strip()}"))
        else:
            result.sessions_deleted += 1
