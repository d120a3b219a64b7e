"""``P4SFCTable`` (paper Table II): an element's mapping table, mirrored into the switch.

The table keeps two views of every key: what the server wants the switch to answer
(``desired``: the element's state, authoritative) and what the switch was last known to
hold (``installed``: confirmed writes, or a read of the switch). Every change marks its
key dirty; the switch agent (:mod:`.agent`) turns dirty keys into the writes that make
the switch equal the server (INSERT, MODIFY or DELETE), so changes to one key between two
flushes coalesce into at most one write, and a reconnect is the same mechanism after a
read of the switch. A key the switch has no room for (or refuses) is *parked*: it stays
on the server only, which is correct (a switch miss goes to the server), and the space
policy (:mod:`.policy`) may later give it the place of a less active key.

Without an agent the table is the server's alone (the engine's software chain).
Every method is thread-safe: the packet path creates while handlers read and the agent's
worker thread settles writes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.state.binding import TableBinding
from p4sfc_compiler.state.modes import BLOCKING, METHODS, NON_BLOCKING
from p4sfc_compiler.state.policy import MostActive, SpacePolicy

Keys = tuple[int, ...]
Vals = tuple[int, ...]


class SwitchAgent(Protocol):
    """What a table needs of its writer (``agent.SwitchAgent``, which imports this
    module)."""

    def register(self, table: P4SFCTable) -> None: ...
    def wake(self) -> None: ...
    def suspect(self) -> None: ...
    def flush(self, timeout: float | None = None) -> None: ...
    def refresh_idle(self, table: P4SFCTable) -> None: ...


UNKNOWN: Vals = (-1,)
LAG_SAMPLES = 100_000  # installed, values not known (an INSERT found the key present)


@dataclass
class Change:
    """One write the agent should make: the switch has ``have``, should have ``want``
    (None: no entry)."""

    keys: Keys
    want: Vals | None
    have: Vals | None
    timeout: float | None = None  # the key's idle timeout: the entry's TTL on the switch


@dataclass
class TableStats:
    creates: int = 0
    removes: int = 0
    expired: int = 0
    writes: int = 0  # updates the switch accepted
    full: int = 0  # inserts refused for lack of space
    evicted: int = 0  # installed keys that gave their place to a more active one
    refused: int = 0  # other refusals (the key stays on the server)
    server_hits: int = 0  # get() on a key the switch was believed to hold
    messages: list[str] = field(default_factory=list)  # the last refusals, one line each
    # seconds from a change to the switch's acceptance of it (the sync lag), the last
    # LAG_SAMPLES changes
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_SAMPLES))


@dataclass
class _Meta:
    timeout: float | None
    group: object
    used: float  # server clock of the last create/get
    activity: int = 1


class P4SFCTable:
    """``init(key_names, val_names)``, ``create``, ``get``, ``remove`` of paper Table II."""

    def __init__(self, key_names: Iterable[str], val_names: Iterable[str], *,
                 agent: SwitchAgent | None = None, binding: TableBinding | None = None,
                 method: str = NON_BLOCKING, policy: SpacePolicy | None = None,
                 clock: Callable[[], float] = time.monotonic, name: str = "") -> None:
        if method not in METHODS:
            raise P4SFCError(f"update method {method!r}: {' or '.join(METHODS)}")
        self.key_names = tuple(key_names)
        self.val_names = tuple(val_names)
        if binding is not None and (binding.key_names != self.key_names
                                    or binding.val_names != self.val_names):
            raise P4SFCError(f"{name or binding.table}: the binding's names differ from the "
                             "table's")
        self.name = name or (binding.describe() if binding else "table")
        self.method = method
        self.policy: SpacePolicy = policy or MostActive()
        self.clock = clock
        self.binding = binding
        self.stats = TableStats()
        self._lock = threading.RLock()
        self._desired: dict[Keys, Vals] = {}
        self._meta: dict[Keys, _Meta] = {}
        self._installed: dict[Keys, Vals] = {}
        self._dirty: dict[Keys, None] = {}  # insertion-ordered set
        self._since: dict[Keys, float] = {}  # when each key in flight became dirty
        # the table's clock at the switch's last use of each installed key, as far as
        # known: its write, or a later hit the agent's idle reads date
        self._switch_used: dict[Keys, float] = {}
        self._parked: set[Keys] = set()
        self._parked_full = False  # a key was parked for lack of space
        self._evicted_for: set[Keys] = set()  # keys an eviction made room for
        self._expire_callbacks: list[Callable[[Keys], None]] = []
        # installed keys by activity, least first: built when a full table needs a
        # victim, dropped each round (activities move on)
        self._ranked: list[tuple[int, Keys]] | None = None
        self.agent = agent
        if agent is not None:
            if binding is None:
                raise P4SFCError(f"{self.name}: a table mirrored to a switch needs a binding")
            agent.register(self)

    # -- the element's side (paper Table II) --------------------------------------

    def create(self, keys: Keys, vals: Vals, timeout: float | None = None,
               group: object = None, *, blocking: bool | None = None) -> None:
        self._check(keys, self.key_names, "keys")
        self._check(vals, self.val_names, "values")
        with self._lock:
            self.stats.creates += 1
            old = self._meta.get(keys)
            self._desired[keys] = tuple(vals)
            self._meta[keys] = _Meta(timeout, group if group is not None else keys,
                                     self.clock(), old.activity + 1 if old else 1)
            self._touch(keys)
        self._sync(blocking)

    def get(self, keys: Keys) -> Vals | None:
        with self._lock:
            vals = self._desired.get(keys)
            meta = self._meta.get(keys)
            if vals is None or meta is None:
                return None
            meta.used = self.clock()
            meta.activity += 1
            if self._installed.get(keys) == vals and keys not in self._dirty:
                # The switch should have answered this packet: in flight before the
                # write, or the switch lost the entry. The agent checks when it can.
                self.stats.server_hits += 1
                if self.agent is not None:
                    self.agent.suspect()
            elif keys in self._parked and self._would_evict(keys):
                self._parked.discard(keys)
                self._touch(keys)
        return vals

    def remove(self, keys: Keys, *, blocking: bool | None = None) -> None:
        with self._lock:
            if self._desired.pop(keys, None) is None:
                return
            self.stats.removes += 1
            self._meta.pop(keys, None)
            self._parked.discard(keys)
            self._evicted_for.discard(keys)
            self._touch(keys)
            self._unpark_one()
        self._sync(blocking)

    def teardown(self, timeout: float | None = 5.0) -> None:
        """The element stops (its NF is torn down): every key leaves the switch, then
        the table holds nothing."""
        with self._lock:
            keys = list(self._desired)
        for k in keys:
            self.remove(k, blocking=False)
        self.flush(timeout)

    def on_expire(self, callback: Callable[[Keys], None]) -> None:
        self._expire_callbacks.append(callback)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every change made so far has reached the switch (or was refused)."""
        if self.agent is not None:
            self.agent.flush(timeout)

    # -- views ----------------------------------------------------------------------

    def items(self) -> dict[Keys, Vals]:
        with self._lock:
            return dict(self._desired)

    def installed(self) -> dict[Keys, Vals]:
        """What the switch holds, as far as the table knows."""
        with self._lock:
            return dict(self._installed)

    def parked(self) -> set[Keys]:
        with self._lock:
            return set(self._parked)

    def __len__(self) -> int:
        with self._lock:
            return len(self._desired)

    # -- expiry ---------------------------------------------------------------------

    def expire(self, now: float | None = None) -> list[Keys]:
        """Remove the keys whose group was idle longer than its timeout on the server
        and (for keys the switch holds) on the switch; the expire callbacks run here, on
        the caller's thread. Returns the keys removed."""
        now = self.clock() if now is None else now
        with self._lock:
            groups: dict[object, list[Keys]] = {}
            for keys, meta in self._meta.items():
                if meta.timeout is not None:
                    groups.setdefault(meta.group, []).append(keys)
            candidates: list[tuple[list[Keys], float]] = []
            for members in groups.values():
                timeout = min(self._meta[k].timeout or 0.0 for k in members)
                if now - max(self._meta[k].used for k in members) > timeout:
                    candidates.append((members, timeout))
            on_switch = any(k in self._installed for members, _ in candidates
                            for k in members)
        if on_switch and self.agent is not None:
            try:
                self.agent.refresh_idle(self)
            except P4SFCError:
                return []  # the switch is not reached: what it used is unknown, keep all
        gone: list[Keys] = []
        with self._lock:
            used = {k: self._switch_used.get(k, now) for k in self._installed}
        for members, timeout in candidates:
            if any(k in used and now - used[k] < timeout for k in members):
                continue  # the switch used it since
            gone.extend(members)
        for keys in gone:
            with self._lock:
                if keys not in self._desired:
                    continue
                self.stats.expired += 1
            self.remove(keys, blocking=False)
            for cb in self._expire_callbacks:
                cb(keys)
        return gone

    # -- the agent's side -------------------------------------------------------------

    def take(self) -> list[Change]:
        """The writes that bring the switch to the server's state; the keys are clean
        until settled or changed again."""
        out: list[Change] = []
        with self._lock:
            dirty, self._dirty = self._dirty, {}
            self._ranked = None
            for keys in dirty:
                want = None if keys in self._parked else self._desired.get(keys)
                have = self._installed.get(keys)
                if want != have:
                    meta = self._meta.get(keys)
                    out.append(Change(keys, want, have, meta.timeout if meta else None))
                else:
                    self._since.pop(keys, None)
        return out

    def settle(self, change: Change, outcome: str, message: str = "") -> None:
        """What the switch did with a change: ``ok``, ``exists`` (INSERT of a key it
        holds), ``missing`` (MODIFY/DELETE of a key it lacks), ``full``, ``refused``,
        ``lost`` (not written: the connection went)."""
        keys = change.keys
        with self._lock:
            if outcome == "ok":
                self.stats.writes += 1
                since = self._since.pop(keys, None)
                if since is not None:
                    self.stats.lags.append(self.clock() - since)
                if change.want is None:
                    self._installed.pop(keys, None)
                    self._switch_used.pop(keys, None)
                    self._unpark_one()
                else:
                    self._installed[keys] = change.want
                    self._switch_used[keys] = self.clock()  # a write counts as a use
                    self._evicted_for.discard(keys)
                return
            if outcome == "exists":
                self._installed[keys] = UNKNOWN
            elif outcome == "missing":
                self._installed.pop(keys, None)
            elif outcome == "full":
                self.stats.full += 1
                self._on_full(keys)
                return
            elif outcome == "refused":
                self.stats.refused += 1
                self.stats.messages = [*self.stats.messages[-9:], message]
                if change.want is not None:
                    self._parked.add(keys)
                return
            self._touch(keys)  # "exists", "missing", "lost": try again

    def reconcile(self, found: dict[Keys, Vals]) -> None:
        """The switch holds ``found`` of this table: every difference is dirty."""
        with self._lock:
            self._installed = dict(found)
            for keys in list(self._desired) + list(found):
                self._touch(keys)

    def aging(self) -> bool:
        """Whether an installed key has a timeout (the agent then reads idle times)."""
        with self._lock:
            return any(m.timeout is not None for k, m in self._meta.items()
                       if k in self._installed)

    def note_idle(self, elapsed: dict[Keys, float], cap: float) -> None:
        """The switch's seconds since each key's last hit; a value at ``cap`` (the TTL,
        where the switch stops counting) says only "not since the last read"."""
        now = self.clock()
        with self._lock:
            for keys, seconds in elapsed.items():
                if keys in self._installed and seconds < cap - 0.005:
                    self._switch_used[keys] = max(self._switch_used.get(keys, 0.0),
                                                  now - seconds)

    def dirty(self) -> bool:
        with self._lock:
            return bool(self._dirty)

    # -- inside -------------------------------------------------------------------------

    def _touch(self, keys: Keys) -> None:
        if keys not in self._dirty:
            self._since[keys] = self.clock()
        self._dirty[keys] = None
        if self.agent is not None:
            self.agent.wake()

    def _sync(self, blocking: bool | None) -> None:
        if self.agent is None:
            return
        if blocking if blocking is not None else self.method == BLOCKING:
            self.agent.flush()

    def _rank(self) -> list[tuple[int, Keys]]:
        if self._ranked is None:
            self._ranked = sorted((m.activity, k) for k in self._installed
                                  if (m := self._meta.get(k)) is not None
                                  and k not in self._parked)
        return self._ranked

    def _would_evict(self, keys: Keys) -> bool:
        if not self._parked_full:
            return False
        return self.policy.victim(keys, self._meta[keys].activity, self._rank()) is not None

    def _on_full(self, keys: Keys) -> None:
        self._parked_full = True
        meta = self._meta.get(keys)
        ranked = self._rank()
        victim = None
        # a key that already evicted one for its place and still did not get in waits
        # on the server: no second eviction for it (the switch refuses it for another
        # reason, or others took the place first)
        if meta is not None and keys not in self._evicted_for:
            victim = self.policy.victim(keys, meta.activity, ranked)
        if victim is None:
            self._parked.add(keys)
            return
        self._evicted_for.add(keys)
        ranked[:] = [r for r in ranked if r[1] != victim]
        self.stats.evicted += 1
        self._parked.add(victim)
        self._touch(victim)  # its DELETE frees the place ...
        self._touch(keys)  # ... which this key's INSERT, in the next round, takes

    def _unpark_one(self) -> None:
        """Space was freed: the most active parked key tries again."""
        live = [k for k in self._parked if k in self._desired]
        self._parked = set(live)
        if live:
            best = max(live, key=lambda k: self._meta[k].activity)
            self._parked.discard(best)
            self._touch(best)

    def _check(self, values: Keys, names: tuple[str, ...], what: str) -> None:
        if len(values) != len(names):
            raise P4SFCError(f"{self.name}: {len(values)} {what} for {len(names)} names "
                             f"({', '.join(names)})")
