"""The one owner of a server's connection to a switch: the state library's writer.

A :class:`SwitchAgent` runs a worker thread with its own event loop and one
:class:`~p4sfc_compiler.runtime.client.Connection` (the runtime's client: arbitration,
deadlines, per-update errors), primary with its own election id. Tables register with it;
a change to a table wakes the worker, which takes every table's dirty keys and writes
them in batches (deletes first, so an eviction frees its place before the insert that
takes it). Non-blocking creates return at once and coalesce; :meth:`flush` (what a
blocking create calls) waits until everything changed before the call has been written.

Connection loss is one path: the changes of the failed write go back to their tables,
the worker reconnects with backoff, reads every entry of the switch, finds for each
table the chain version at which the switch runs its element (the element's
element_control entries; the classification entries decide when both versions are
there), hands each table what the switch holds of it there
(:meth:`P4SFCTable.reconcile`) and writes the differences before any new change. A server hit on a key the switch should hold (``suspect``) triggers the same
read, at most once per ``recheck`` seconds, so state the switch lost without the
connection dropping (a restart behind a proxy, a chain moved to its other version by a
re-apply) is installed again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from p4sfc_compiler.dataplane.reserved import STATE_ELECTION_ID, chain_version, with_version
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.runtime.apply import DELETE, INSERT, MODIFY
from p4sfc_compiler.runtime.client import CONNECT_TIMEOUT, Connection, SwitchError
from p4sfc_compiler.runtime.outdir import CLASSIFY_CHAIN_TABLE, EntryKey, EntryValue
from p4sfc_compiler.state.binding import Encoder
from p4sfc_compiler.state.table import Change, P4SFCTable

BATCH = 256
RECHECK_SECONDS = 1.0
# Entries of keys with a timeout carry this TTL, so the switch keeps their last hit. BMv2
# keeps TTLs in 32 bits of nanoseconds (a longer one reads back as nonsense) and stops
# counting time_since_last_hit at the TTL, so the TTL is short and the agent reads the
# idle times every IDLE_POLL seconds (< the TTL): a read under the TTL dates the last hit,
# one at the TTL says it is older than the last read's. Mapping timeouts (Click's: 5
# minutes to a day) are the library's, not the switch's.
IDLE_TTL_NS = 4_000_000_000
IDLE_POLL = 2.0
T = TypeVar("T")

# A write's per-update error code -> what it means for the key
_OUTCOME = {"ALREADY_EXISTS": "exists", "NOT_FOUND": "missing",
            "RESOURCE_EXHAUSTED": "full"}


@dataclass
class AgentStats:
    writes: int = 0  # Write RPCs
    updates: int = 0  # updates in them
    reconnects: int = 0
    reconciles: int = 0
    connected: bool = False
    last_error: str = ""


class SwitchAgent:
    """One switch's writer for every P4SFCTable of a server. Use as a context manager
    (or ``start``/``close``)."""

    def __init__(self, switch: str, address: str, device_id: int, index: P4InfoIndex, *,
                 election_id: int = STATE_ELECTION_ID, timeout: float = CONNECT_TIMEOUT,
                 batch: int = BATCH, recheck: float = RECHECK_SECONDS,
                 log: Callable[[str], None] | None = None) -> None:
        self.switch = switch
        self.address = address
        self.device_id = device_id
        self.index = index
        self.election_id = election_id
        self.timeout = timeout
        self.batch = batch
        self.recheck = recheck
        self.log = log or (lambda line: None)
        self.stats = AgentStats()
        self._tables: list[tuple[P4SFCTable, Encoder]] = []
        # per table (by id): the chain version its element runs at on the switch, None
        # when the switch does not run it (yet, or any more): its changes wait
        self._where: dict[int, int | None] = {}
        self._cond = threading.Condition()
        self._changes = 0  # bumped by every wake (a table change)
        self._written = 0  # the change count the last completed round started from
        self._need_reconcile = True
        self._suspect = False
        self._last_check = 0.0
        self._last_poll = 0.0
        self._stop = False
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._signalled = False

    # -- life ---------------------------------------------------------------------

    def __enter__(self) -> SwitchAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> SwitchAgent:
        _hold_switch_interval()
        self._thread = threading.Thread(target=self._run, name=f"p4sfc-state-{self.switch}",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self, flush_timeout: float = 5.0) -> None:
        """Write what is pending (bounded), then stop and disconnect."""
        if self._thread is None:
            return
        try:
            self.flush(flush_timeout)
        except P4SFCError as exc:
            self.log(f"state agent {self.switch}: closing with changes unwritten: {exc}")
        with self._cond:
            self._stop = True
        self._signalled = False
        self._signal()
        self._thread.join(self.timeout + 5)
        self._thread = None
        _release_switch_interval()

    def register(self, table: P4SFCTable) -> None:
        assert table.binding is not None
        with self._cond:
            self._tables.append((table, Encoder(self.index, table.binding)))
            self._need_reconcile = True
            self._changes += 1
        self._signal()

    # -- the tables' side -----------------------------------------------------------

    def wake(self) -> None:
        with self._cond:
            self._changes += 1
        self._signal()

    def suspect(self) -> None:
        with self._cond:
            self._suspect = True
        self._signal()

    def _signal(self) -> None:
        """Wake the worker's event loop (it waits on an asyncio event, never on a lock,
        so its stream stays served); one pending signal is enough."""
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not self._signalled:
            self._signalled = True
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass  # the loop closed: the worker has stopped

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every change made before this call was written (or refused)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._changes
        self._signalled = False
        self._signal()
        with self._cond:
            # a pending reconcile (after a reconnect) is part of "written": the switch
            # may have lost entries whose changes were written long ago
            while self._written < target or self._need_reconcile:
                if self._thread is None or not self._thread.is_alive():
                    raise P4SFCError(f"state agent {self.switch}: not running")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise P4SFCError(
                        f"state agent {self.switch} ({self.address}): changes not written "
                        f"within {timeout:g} s ({self.stats.last_error or 'no answer'})")
                self._cond.wait(left if left is not None else 0.5)

    def refresh_idle(self, table: P4SFCTable) -> None:
        """Read the switch's time_since_last_hit of the table's entries now and tell the
        table (raises P4SFCError when the switch is not reached)."""
        enc = next((e for t, e in self._tables if t is table), None)
        version = self._where.get(id(table))
        if enc is None or version is None:
            return

        async def read(conn: Connection) -> None:
            await self._poll_idle(conn, table, enc, version)

        self.call(read)

    def call(self, job: Callable[[Connection], Coroutine[Any, Any, T]],
             timeout: float | None = None) -> T:
        """Run ``job`` with the agent's connection on its worker (reads and writes that
        are not table changes: counters, idle times); a P4SFCError when the switch is not
        reached."""
        loop, conn = self._loop, self._conn
        if loop is None or conn is None:
            raise P4SFCError(f"state agent {self.switch} ({self.address}): not connected"
                             f"{': ' + self.stats.last_error if self.stats.last_error else ''}")
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(job(conn), loop)
        try:
            return future.result(timeout if timeout is not None else self.timeout + 2)
        except TimeoutError:
            future.cancel()
            raise P4SFCError(f"state agent {self.switch} ({self.address}): no answer") from None

    async def _poll_idle(self, conn: Connection, table: P4SFCTable, enc: Encoder,
                         version: int) -> None:
        got = await conn.read_idle(enc.table_id)
        table.note_idle({enc.keys_of(k): ns / 1e9 for k, ns in got.items()
                         if enc.owns(k, version)}, IDLE_TTL_NS / 1e9)

    def version_of(self, table: P4SFCTable) -> int | None:
        """The chain version the table's entries are written at; None: the switch does
        not run its element (the chain is not applied, or was destroyed)."""
        return self._where.get(id(table))

    # -- the worker ---------------------------------------------------------------------

    def _run(self) -> None:
        # asyncio.run cancels what the gRPC channel leaves pending when it closes
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._signalled = False
        backoff = 0.05
        while not self._stopping():
            try:
                async with Connection(self.switch, self.address, self.device_id,
                                      self.election_id, self.timeout) as conn:
                    conn.use_index(self.index)
                    self._conn = conn
                    self.stats.connected = True
                    backoff = 0.05
                    await self._serve(conn)
                    return
            except (SwitchError, OSError) as exc:
                self.stats.last_error = str(exc)
                self.log(f"state agent {self.switch}: {exc}")
            except Exception as exc:  # noqa: BLE001 - the worker must survive a bad reply
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self.log(f"state agent {self.switch}: {self.stats.last_error}")
            finally:
                self._conn = None
                self.stats.connected = False
            with self._cond:
                self._need_reconcile = True
            self.stats.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    def _stopping(self) -> bool:
        with self._cond:
            return self._stop

    async def _serve(self, conn: Connection) -> None:
        assert self._event is not None
        watch = asyncio.create_task(self._watch(conn))
        try:
            while True:
                # re-armed before the check: a change after it sets the event again
                self._event.clear()
                self._signalled = False
                with self._cond:
                    idle = (self._changes == self._written and not self._need_reconcile
                            and not self._due_check())
                    if self._stop and self._changes == self._written:
                        return
                if time.monotonic() - self._last_poll >= IDLE_POLL:
                    self._last_poll = time.monotonic()
                    for table, enc in list(self._tables):
                        version = self._where.get(id(table))
                        if version is not None and table.aging():
                            await self._poll_idle(conn, table, enc, version)
                if idle:
                    waiter = asyncio.create_task(self._event.wait())
                    await asyncio.wait({waiter, watch}, timeout=min(self.recheck, IDLE_POLL),
                                       return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    if watch.done():
                        raise SwitchError(f"switch {self.switch}: {watch.result()}")
                    continue
                with self._cond:
                    started = self._changes
                    if self._due_check():
                        self._suspect = False
                        self._last_check = time.monotonic()
                        self._need_reconcile = True
                reconciling = self._need_reconcile
                if reconciling:
                    await self._reconcile(conn)
                await self._write_round(conn)
                with self._cond:
                    self._written = max(self._written, started)
                    if reconciling:
                        self._need_reconcile = False
                    self._cond.notify_all()
        finally:
            watch.cancel()

    async def _watch(self, conn: Connection) -> str:
        """Read the stream until it ends: a switch that restarts or drops us ends it,
        and a controller with a higher election id makes us a backup."""
        while True:
            try:
                msg = await conn.client.receive()
            except Exception as exc:  # noqa: BLE001 - any end of the stream is a loss
                return f"stream ended ({type(exc).__name__})"
            if msg.HasField("arbitration") and msg.arbitration.status.code != 0:
                return "another controller became primary"

    def _due_check(self) -> bool:
        return self._suspect and time.monotonic() - self._last_check >= self.recheck

    async def _reconcile(self, conn: Connection) -> None:
        entries = await conn.read_entries()
        claims = _running_versions(self.index, entries)
        self.stats.reconciles += 1
        for table, enc in self._tables:
            present = enc.element_versions(entries)
            version: int | None
            if len(present) == 1:
                (version,) = present
            elif present:  # both: mid make-before-break; the claims say which runs
                version = claims.get(enc.binding.chain_id, self._where.get(id(table)) or 0)
            else:
                version = None
            self._where[id(table)] = version
            if version is None:
                table.reconcile({})
                continue
            found: dict[tuple[int, ...], tuple[int, ...]] = {}
            for key, value in entries.items():
                if enc.owns(key, version):
                    vals = enc.vals_of(value)
                    found[enc.keys_of(key)] = vals if vals is not None else (-1,)
            table.reconcile(found)

    async def _write_round(self, conn: Connection) -> None:
        work: list[tuple[P4SFCTable, Encoder, Change]] = []
        for table, enc in list(self._tables):
            if self._where.get(id(table)) is not None:
                work.extend((table, enc, c) for c in table.take())
        deletes = [w for w in work if w[2].want is None]
        others = [w for w in work if w[2].want is not None]
        for group in (deletes, others):
            for i in range(0, len(group), self.batch):
                await self._write(conn, group[i:i + self.batch])

    async def _write(self, conn: Connection,
                     work: list[tuple[P4SFCTable, Encoder, Change]]) -> None:
        updates: list[Any] = []
        for table, enc, c in work:
            version = self._where.get(id(table))
            assert version is not None
            key = enc.key(c.keys, version)
            if c.want is None:
                updates.append(conn.table_update(DELETE, key, None))
            else:
                kind = INSERT if c.have is None else MODIFY
                # a TTL makes the switch keep when it last used the entry (expiry)
                ttl = IDLE_TTL_NS if c.timeout else 0
                updates.append(conn.table_update(kind, key, enc.value(c.want), ttl))
        try:
            errors = await conn.write(updates)
        except SwitchError:
            for table, _, c in work:
                table.settle(c, "lost")
            raise
        self.stats.writes += 1
        self.stats.updates += len(updates)
        failed = {e.index: e for e in errors}
        for i, (table, _, c) in enumerate(work):
            err = failed.get(i)
            if err is None:
                table.settle(c, "ok")
                continue
            outcome = _OUTCOME.get(err.code, "refused")
            if c.have is None and c.want is not None and _bmv2_full(err.code, err.message):
                outcome = "full"
            if outcome == "missing" and c.want is None:
                outcome = "ok"  # a DELETE of what is gone already
            if err.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
                outcome = "lost"
            table.settle(c, outcome, f"{table.name}: {err.code} {err.message.strip()}")
            if outcome == "refused":
                self.log(f"state agent {self.switch}: {table.name}: {err.code} "
                         f"{err.message.strip()}")


# The worker needs the interpreter for every step of a write (the loop's wake-up, the
# gRPC completions, the settling); beside a CPU-bound packet path (the NF engine in the
# same process) the default 5 ms switch interval made each of them wait its turn, and a
# non-blocking write lagged 25 ms behind its change. While agents run, the interval is
# at most 1 ms (measured: a NAT's packets handled in the switch went from 30 % to 84 %
# of the possible 90 % with no loss of packet rate).
SWITCH_INTERVAL = 0.001
_interval_lock = threading.Lock()
_interval_users = 0
_interval_before = 0.0


def _hold_switch_interval() -> None:
    global _interval_users, _interval_before
    with _interval_lock:
        if _interval_users == 0:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval_before, SWITCH_INTERVAL))
        _interval_users += 1


def _release_switch_interval() -> None:
    global _interval_users
    with _interval_lock:
        _interval_users -= 1
        if _interval_users == 0:
            sys.setswitchinterval(_interval_before)


def _bmv2_full(code: str, message: str) -> bool:
    """BMv2 (PI) answers an INSERT into a full table with UNKNOWN "Error when adding
    match entry to target", not the specification's RESOURCE_EXHAUSTED (see
    ``switch/p4rt_state.py``, which answers RESOURCE_EXHAUSTED on purpose)."""
    return code == "UNKNOWN" and "adding match entry" in message


def _running_versions(index: P4InfoIndex, entries: dict[EntryKey, EntryValue]
                      ) -> dict[int, int]:
    """Each chain's running version: the version its classification entries push."""
    claim = index.tables.get(CLASSIFY_CHAIN_TABLE)
    if claim is None:
        return {}
    out: dict[int, int] = {}
    for key, (action_id, params) in entries.items():
        if key[0] != claim.id:
            continue
        action = next((a for a in index.actions.values() if a.id == action_id), None)
        if action is None or "chain_id" not in action.params:
            continue
        pid = action.params["chain_id"].id
        cid = dict(params).get(pid)
        if cid is not None:
            out[with_version(cid, 0)] = chain_version(cid)
    return out
