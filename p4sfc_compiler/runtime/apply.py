"""``p4sfc apply``: make each switch hold exactly the entries of a compile output.

Per switch: connect and become primary; load OUT's pipeline (``--pipeline``) or check the
switch runs OUT's P4Info; write the missing clone sessions; read every table entry back
and write only the difference (INSERT, MODIFY, DELETE), in batches. Every switch is
prepared so before the first entry is written anywhere.

A chain is applied all or nothing, across every switch it touches. BMv2 only offers
CONTINUE_ON_ERROR, so the client keeps what it wrote for each chain on each switch and,
when any update of the chain fails on any switch, undoes it everywhere and reports the
failing entry. Order, phase by phase over all the switches: stale classification entries
are deleted first (the chain stops taking traffic), then the other entries, and the
classification entries go in last, only when everything else of the chain is in place on
every switch.

A running chain (one with a classification entry) is changed make-before-break: its new
entries go in beside the old ones under the other version of its chain id
(:mod:`.versions`), its classification entries flip to the new version, and after a
drain time the old version's entries are deleted. No packet sees a half-written chain.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from finsy.proto import p4r

from p4sfc_compiler.dataplane.fields import (
    KEY_EXPRESSIONS,
    KEY_NAMES,
    PACKED_KEYS,
    SLICE_NAMES,
)
from p4sfc_compiler.dataplane.match import Exact, Lpm, Match, Ternary, is_dont_care
from p4sfc_compiler.dataplane.packing import unpack_match
from p4sfc_compiler.dataplane.program import is_state_table
from p4sfc_compiler.dataplane.reserved import CONTROLLER_ELECTION_ID, with_version
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex, first_difference
from p4sfc_compiler.runtime.client import (
    CONNECT_TIMEOUT,
    Connection,
    SwitchError,
    p4info_cookie,
)
from p4sfc_compiler.runtime.outdir import (
    CLASSIFY_CHAIN_TABLE,
    EntryKey,
    EntryValue,
    OutDir,
    SwitchPlan,
    WantedEntry,
)
from p4sfc_compiler.runtime.pipeline import NO_JSON, no_device_config_hint
from p4sfc_compiler.runtime.versions import ChainIdFields

BATCH = 256  # updates per Write: BMv2's per-update errors fit the client's metadata limit
# Seconds between a running chain's flip to its new version and its old version's removal:
# a packet still recirculating or at a server under the old version finishes there.
DRAIN_SECONDS = 0.2

INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
_VERB: dict[int, str] = {INSERT: "insert", MODIFY: "modify", DELETE: "delete"}

# (switch, updates done, updates in all)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Op:
    kind: int
    key: EntryKey
    value: EntryValue | None  # what the entry does after the update (None: deleted)
    old: EntryValue | None  # what it did before (None: absent)
    chain: str

    def undo(self) -> Op:
        if self.kind == INSERT:
            return Op(DELETE, self.key, None, self.value, self.chain)
        if self.kind == DELETE:
            return Op(INSERT, self.key, self.old, None, self.chain)
        return Op(MODIFY, self.key, self.old, self.value, self.chain)


@dataclass
class ChainFailure:
    switch: str
    chain: str
    operation: str  # insert / modify / delete
    table: str
    key: str
    reason: str  # the switch's
    rollback: str = "rolled back"

    def one_line(self) -> str:
        return (f"switch {self.switch}: chain '{self.chain}' not applied ({self.rollback}): "
                f"{self.operation} into {self.table} [{self.key}] failed: {self.reason}")


@dataclass
class SwitchResult:
    switch: str
    address: str
    device_id: int
    pipeline_set: bool = False
    inserted: int = 0
    modified: int = 0
    deleted: int = 0
    unchanged: int = 0
    sessions_written: int = 0
    writes: int = 0  # Write RPCs
    seconds: float = 0.0  # in all: connect, pipeline, read back, writes
    write_seconds: float = 0.0  # in table-entry Write requests
    chains: list[str] = field(default_factory=list)  # chains applied (or unchanged)
    failures: list[ChainFailure] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return self.inserted + self.modified + self.deleted


@dataclass(frozen=True)
class Target:
    """A switch of OUT and where to reach it."""

    plan: SwitchPlan
    address: str
    device_id: int


def select_targets(out: OutDir, selectors: Sequence[str], device_id: int | None) -> list[Target]:
    """The switches to apply: every switch with entries, or those ``selectors`` name.

    A selector is a switch name, a ``HOST:PORT`` address of the topology, or
    ``NAME=ADDRESS`` (that switch, reached at another address: ``s1=unix:/tmp/s1.sock``).
    """
    by_name = out.switches
    chosen: dict[str, str] = {}
    for sel in selectors:
        name, sep, address = sel.partition("=")
        if sep:
            if name not in by_name:
                raise P4SFCError(f"--switch {sel}: no switch '{name}' in {out.path} "
                                 f"(switches: {', '.join(by_name)})")
            chosen[name] = address
        elif sel in by_name:
            chosen[sel] = by_name[sel].address
        else:
            hits = [n for n, sw in by_name.items() if sw.address == sel]
            if not hits:
                raise P4SFCError(f"--switch {sel}: neither a switch name nor a switch address "
                                 f"of {out.path} (switches: {', '.join(by_name)})")
            chosen.update((n, sel) for n in hits)
    if not selectors:
        chosen = {n: sw.address for n, sw in by_name.items() if sw.entries}
    if device_id is not None and len(chosen) != 1:
        raise P4SFCError("--device-id needs exactly one switch (--switch NAME)")
    return [Target(by_name[n], a, by_name[n].device_id if device_id is None else device_id)
            for n, a in sorted(chosen.items())]


class Names:
    """Ids back to names, for messages, and the owner chain of an entry read back."""

    def __init__(self, out: OutDir) -> None:
        index = out.index
        self.tables = {t.id: t for t in index.tables.values()}
        self.fields = {(t.id, f.id): n for t in index.tables.values() for n, f in t.fields.items()}
        self.ids = ChainIdFields.of(index)
        self.chains = out.chain_names()
        self.chain_ids = set(out.chain_ids)
        self.claim_table = index.tables[CLASSIFY_CHAIN_TABLE].id
        self.state_tables = frozenset(t.id for n, t in index.tables.items()
                                      if is_state_table(n))

    def kept_state(self, existing: dict[EntryKey, EntryValue], versions: dict[str, int]
                   ) -> dict[EntryKey, EntryValue]:
        """``existing`` without the run-time state an apply leaves alone: the state
        tables' entries (written by the servers' state library) of chains of OUT at the
        version each is applied at. Their other versions' and other chains' entries
        stay in, to be deleted like any entry OUT does not list."""
        out = {}
        for key, value in existing.items():
            if key[0] in self.state_tables:
                chain = self.owner(key, value)
                if versions.get(chain) == self.ids.version(key, value):
                    continue
            out[key] = value
        return out

    def without_state(self, existing: dict[EntryKey, EntryValue]
                      ) -> dict[EntryKey, EntryValue]:
        return {k: v for k, v in existing.items() if k[0] not in self.state_tables}

    def table(self, key: EntryKey) -> str:
        t = self.tables.get(key[0])
        return t.name if t else f"table id {key[0]}"

    def match(self, key: EntryKey) -> str:
        """An entry's key for messages, a packed field's parts by their own names."""
        parts = []
        for fid, kind, v, extra in key[1]:
            name = self.fields.get((key[0], fid), f"field {fid}")
            m: Match = Exact(v) if kind == "e" else Ternary(v, extra) if kind == "t" else Lpm(
                v, extra)
            packing = PACKED_KEYS.get(KEY_EXPRESSIONS.get(name, ""))
            if packing is None:
                parts.append(_show(name, m))
                continue
            for (part, width), pm in zip(packing.parts, unpack_match(packing, m).values(),
                                         strict=True):
                if is_dont_care(pm):
                    continue
                if isinstance(pm, Ternary) and pm.mask == (1 << width) - 1:
                    pm = Exact(pm.value)  # an exact part of a ternary field
                parts.append(_show(KEY_NAMES.get(part, SLICE_NAMES.get(part, part)), pm))
        if key[2]:
            parts.append(f"priority={key[2]}")
        return ", ".join(parts)

    def owner(self, key: EntryKey, value: EntryValue) -> str:
        """The chain an entry belongs to, whichever version of its id it carries."""
        chain_id = self.ids.chain_id(key, value)
        if chain_id is None:
            return "(no chain)"
        base = with_version(chain_id, 0)
        return self.chains.get(base, f"chain id {base}")


# Phases of an apply, each run on every switch before the next: stale classifications
# of chains not running out; the entries; classifications in; after the drain, what
# running chains no longer use (their old version, stale classifications).
PHASES = 4


def chain_versions(wanted: dict[str, Iterable[WantedEntry]],
                   existing: dict[str, dict[EntryKey, EntryValue]], names: Names
                   ) -> dict[str, int]:
    """The chain id version each chain of OUT is applied at, given every switch's
    entries (by switch name). A running chain (a classification entry on a switch of the
    apply) stays at a version whose entries already equal OUT's (the classifications are
    then fixed in place); otherwise it moves to the other version: make-before-break. A
    chain with no classification entry here keeps the one version its entries have (an
    apply to some switches only may not see the classifications elsewhere), else goes in
    at version 0."""
    live: dict[str, Counter[int]] = {}
    have: dict[tuple[str, str, int], dict[EntryKey, EntryValue]] = {}
    for sw, entries in existing.items():
        for key, value in entries.items():
            chain = names.owner(key, value)
            version = names.ids.version(key, value)
            if key[0] == names.claim_table:
                live.setdefault(chain, Counter())[version] += 1
            else:
                have.setdefault((sw, chain, version), {})[key] = value
    want: dict[tuple[str, str, int], dict[EntryKey, EntryValue]] = {}
    chains: set[str] = set()
    for sw, entries_of in wanted.items():
        for w in entries_of:
            chains.add(w.chain)
            if w.key[0] == names.claim_table:
                continue
            for version in (0, 1):
                key, value = names.ids.at_version(w.key, w.value, version)
                want.setdefault((sw, w.chain, version), {})[key] = value
    switches = set(existing) | set(wanted)
    out: dict[str, int] = {}
    for chain in chains:
        running = live.get(chain)
        if not running:
            found = {v for (_, c, v) in have if c == chain}
            out[chain] = found.pop() if len(found) == 1 else 0
            continue
        ready = [v for v in (0, 1) if all(
            have.get((sw, chain, v), {}) == want.get((sw, chain, v), {}) for sw in switches)]
        ready.sort(key=lambda v: -running[v])
        out[chain] = ready[0] if ready else 1 - running.most_common(1)[0][0]
    return out


def plan_ops(wanted_entries: Iterable[WantedEntry], existing: dict[EntryKey, EntryValue],
             names: Names, versions: dict[str, int] | None = None,
             running: frozenset[str] = frozenset()) -> tuple[list[list[Op]], int]:
    """The updates that turn ``existing`` into the wanted entries (each chain at its
    version of ``versions``, default 0), in :data:`PHASES` phases, and how many are
    unchanged. What a running chain no longer uses is deleted only in the last phase."""
    versions = versions or {}
    wanted: dict[EntryKey, tuple[EntryValue, str]] = {}
    for w in wanted_entries:
        key, value = names.ids.at_version(w.key, w.value, versions.get(w.chain, 0))
        wanted[key] = (value, w.chain)
    phases: list[list[Op]] = [[] for _ in range(PHASES)]
    claims_out, main, claims_in, after_drain = phases
    main_del: list[Op] = []
    unchanged = 0
    for key, (value, chain) in wanted.items():
        have = existing.get(key)
        if have == value:
            unchanged += 1
            continue
        op = Op(INSERT if have is None else MODIFY, key, value, have, chain)
        (claims_in if key[0] == names.claim_table else main).append(op)
    for key, have in existing.items():
        if key not in wanted:
            chain = names.owner(key, have)
            op = Op(DELETE, key, None, have, chain)
            if chain in running:
                after_drain.append(op)
            else:
                (claims_out if key[0] == names.claim_table else main_del).append(op)
    phases[1] = main_del + main
    return phases, unchanged


class _Applier:
    """The writes to one switch. ``failed`` is shared by every switch of the apply: a
    chain that fails on one switch is written no further anywhere and undone everywhere."""

    def __init__(self, conn: Connection, target: Target, names: Names, batch: int,
                 progress: Progress | None, result: SwitchResult,
                 failed: dict[str, ChainFailure]) -> None:
        self.conn = conn
        self.target = target
        self.names = names
        self.batch = batch
        self.progress = progress
        self.result = result
        self.done: dict[str, list[Op]] = {}
        self.failed = failed
        self.count = 0
        self.total = 0

    async def run_phase(self, ops: list[Op]) -> None:
        pending: list[Op] = []
        for op in ops:
            if op.chain in self.failed:
                continue
            pending.append(op)
            if len(pending) >= self.batch:
                await self._write(pending)
                pending = []
        await self._write(pending)

    async def _write(self, ops: list[Op]) -> None:
        ops = [op for op in ops if op.chain not in self.failed]
        if not ops:
            return
        began = time.monotonic()
        updates = [self.conn.table_update(op.kind, op.key, op.value) for op in ops]
        errors = await self.conn.write(updates)
        self.result.write_seconds += time.monotonic() - began
        self.result.writes += 1
        bad = {e.index: e for e in errors}
        for i, op in enumerate(ops):
            err = bad.get(i)
            if err is None:
                self.done.setdefault(op.chain, []).append(op)
            elif op.chain not in self.failed:
                failure = ChainFailure(
                    self.target.plan.name, op.chain, _VERB[op.kind], self.names.table(op.key),
                    self.names.match(op.key), f"{err.code} {err.message.strip()}")
                self.failed[op.chain] = failure
                self.result.failures.append(failure)
        self.count += len(ops)
        if self.progress:
            self.progress(self.target.plan.name, self.count, self.total)

    async def roll_back(self) -> None:
        """Undo, in reverse order, what this switch took of every failed chain."""
        for chain, failure in self.failed.items():
            undo = [op.undo() for op in reversed(self.done.pop(chain, []))]
            problems = []
            for start in range(0, len(undo), self.batch):
                part = undo[start:start + self.batch]
                errors = await self.conn.write(
                    [self.conn.table_update(op.kind, op.key, op.value) for op in part])
                self.result.writes += 1
                problems += [e for e in errors
                             if e.code not in ("NOT_FOUND", "ALREADY_EXISTS")]
            if problems:
                note = (f"rollback incomplete on switch {self.target.plan.name}: "
                        f"{len(problems)} of {len(undo)} updates failed, first: "
                        f"{problems[0].message.strip()}")
                failure.rollback = (note if failure.rollback in (ROLLED_BACK, NOTHING_WRITTEN)
                                    else f"{failure.rollback}; {note}")
            elif undo and failure.rollback == NOTHING_WRITTEN:
                failure.rollback = ROLLED_BACK


ROLLED_BACK = "rolled back"
NOTHING_WRITTEN = "nothing of it was written"


async def apply_switch(out: OutDir, target: Target, *, device_config: bytes | None = None,
                       election_id: int = CONTROLLER_ELECTION_ID, batch: int = BATCH,
                       progress: Progress | None = None,
                       timeout: float = CONNECT_TIMEOUT,
                       drain: float = DRAIN_SECONDS) -> SwitchResult:
    """Apply OUT's entries for one switch (see :func:`apply_switches`)."""
    (result,) = await apply_switches(out, [target], device_config=device_config,
                                     election_id=election_id, batch=batch, progress=progress,
                                     timeout=timeout, drain=drain)
    return result


async def apply_switches(out: OutDir, targets: Sequence[Target], *,
                         device_config: bytes | None = None, election_id: int = CONTROLLER_ELECTION_ID,
                         batch: int = BATCH, progress: Progress | None = None,
                         timeout: float = CONNECT_TIMEOUT,
                         drain: float = DRAIN_SECONDS) -> list[SwitchResult]:
    """Apply OUT's entries to these switches; load the pipeline first when
    ``device_config`` (BMv2: p4c's JSON; the embedded switch takes any)
    is given.

    Every switch is reached, checked and read back before anything is written anywhere.
    Then each phase (:data:`PHASES`) runs on every switch before the next, so a chain's
    classification entries go in only once its other entries are on all its switches. A
    running chain whose entries change is installed beside itself under the other chain
    id version (:func:`chain_versions`), its classifications flip to it (MODIFY), and
    ``drain`` seconds later its old version is deleted. A chain with a failed update on
    any switch is written no further and undone on every switch."""
    names = Names(out)
    failed: dict[str, ChainFailure] = {}
    async with AsyncExitStack() as stack:
        prepared: list[tuple[Connection, Target, SwitchResult, dict[EntryKey, EntryValue],
                             float]] = []
        for target in targets:
            start = time.monotonic()
            sw = target.plan
            result = SwitchResult(sw.name, target.address, target.device_id)
            conn = await stack.enter_async_context(Connection(
                sw.name, target.address, target.device_id, election_id, timeout))
            await _load_or_check_pipeline(conn, out, target, device_config, result)
            conn.use_index(out.index)
            await _apply_sessions(conn, sw, result)
            existing = {} if result.pipeline_set else await conn.read_entries()
            prepared.append((conn, target, result, existing, time.monotonic() - start))
        existing_by = {t.plan.name: e for _, t, _, e, _ in prepared}
        # run-time state never makes a chain look changed
        versions = chain_versions({t.plan.name: t.plan.entries for _, t, _, _, _ in prepared},
                                  {n: names.without_state(e) for n, e in existing_by.items()},
                                  names)
        running = frozenset(
            names.owner(k, v) for e in existing_by.values() for k, v in e.items()
            if k[0] == names.claim_table)
        appliers: list[tuple[_Applier, list[list[Op]], float]] = []
        for conn, target, result, existing, own in prepared:
            phases, result.unchanged = plan_ops(target.plan.entries,
                                                names.kept_state(existing, versions), names,
                                                versions, running)
            applier = _Applier(conn, target, names, batch, progress, result, failed)
            applier.total = sum(len(p) for p in phases)
            if progress:
                progress(target.plan.name, 0, applier.total)
            appliers.append((applier, phases, own))
        began = time.monotonic()
        for phase in range(PHASES):
            if phase == PHASES - 1 and any(p[phase] for _, p, _ in appliers):
                # packets already inside the old version finish there
                await asyncio.sleep(drain)
            for applier, phases, _ in appliers:
                await applier.run_phase(phases[phase])
        for failure in failed.values():
            failure.rollback = NOTHING_WRITTEN
        for applier, _, _ in appliers:
            await applier.roll_back()
        shared = (time.monotonic() - began) / max(1, len(appliers))
    results = []
    for applier, _, own in appliers:
        result = applier.result
        for ops in applier.done.values():
            for op in ops:
                if op.kind == INSERT:
                    result.inserted += 1
                elif op.kind == MODIFY:
                    result.modified += 1
                else:
                    result.deleted += 1
        result.chains = sorted({w.chain for w in applier.target.plan.entries} - set(failed))
        result.seconds = own + shared
        results.append(result)
    return results


async def _load_or_check_pipeline(conn: Connection, out: OutDir, target: Target,
                                  device_config: bytes | None, result: SwitchResult) -> None:
    if device_config is None:
        await check_pipeline(conn, out, target, "run with --pipeline, or give the right "
                             "--device-id", "run with --pipeline to load OUT's program")
        return
    try:
        await conn.set_pipeline(out.p4info_text, device_config)
    except SwitchError as exc:
        if device_config != NO_JSON:
            raise
        raise SwitchError(f"{exc.message} ({no_device_config_hint(out)})") from None
    result.pipeline_set = True


async def check_pipeline(conn: Connection, out: OutDir, target: Target, no_program_hint: str,
                         other_hint: str) -> bool:
    """Raise unless the switch runs OUT's P4Info (names, ids, widths). False when the
    device has no program and ``no_program_hint`` is empty (the caller reports it)."""
    name = target.plan.name
    # The cookie p4sfc loads a program with names its P4Info: when it matches, the
    # P4Info (~100 KB of text to compare) need not be read at all.
    if await conn.get_cookie() == p4info_cookie(out.p4info_text):
        return True
    text = await conn.get_p4info()
    if text is None:
        if not no_program_hint:
            return False
        raise SwitchError(f"switch {name} ({target.address}): device {target.device_id} "
                          f"has no P4 program ({no_program_hint})")
    theirs = P4InfoIndex.from_text(text, f"switch {name}'s P4Info")
    diff = first_difference(out.index, theirs)
    if diff is not None:
        raise SwitchError(f"switch {name} ({target.address}) runs another P4Info than "
                          f"{out.p4info_path}: {diff} ({other_hint})")
    return True


async def _apply_sessions(conn: Connection, sw: SwitchPlan, result: SwitchResult) -> None:
    """Clone sessions first: an Alert's entry must find its session. A session the
    switch refuses stops the switch's apply (nothing else was written yet)."""
    if not sw.clone_sessions:
        return
    have = await conn.read_clone_sessions()
    ops = []
    for cs in sw.clone_sessions:
        replicas = tuple(sorted(cs.replicas))
        if have is not None and have.get(cs.session_id) == replicas:
            continue
        kind = MODIFY if have is not None and cs.session_id in have else INSERT
        ops.append((kind, cs))
    for kind, cs in ops:
        errors = await conn.write([conn.session_update(kind, cs.session_id, cs.replicas)])
        if errors and errors[0].code == "ALREADY_EXISTS" and kind == INSERT:
            errors = await conn.write([conn.session_update(MODIFY, cs.session_id, cs.replicas)])
        result.writes += 1
        if errors:
            raise SwitchError(f"switch {sw.name}: clone session {cs.session_id} "
                              f"(chains {', '.join(cs.chains)}) refused: {errors[0].code} "
                              f"{errors[0].message.strip()}")
        result.sessions_written += 1


def _show(name: str, m: Match) -> str:
    if isinstance(m, Exact):
        return f"{name}={m.value}"
    if isinstance(m, Ternary):
        return f"{name}={m.value:#x}&&&{m.mask:#x}"
    return f"{name}={m.value:#x}/{m.prefix_len}"
