"""One P4 table's contents, with the per-packet lookup the pipeline model runs.

Semantics are P4Runtime's as BMv2 implements them:

* an entry's identity is its match plus its priority (so two ternary entries with the same
  match and different priorities are two entries);
* exact tables: one dict keyed by every key value;
* LPM tables (exact fields, then one LPM field): the longest prefix among entries whose
  exact fields equal the packet's;
* ternary tables: the highest P4Runtime priority among matching entries. On a tie BMv2
  returns the entry with the lowest internal handle (its ``EntryList`` walks entries in
  handle order and keeps the first of a priority), and it gives every new entry the
  lowest free handle; the model numbers entries the same way, so a tie resolves as on
  BMv2 even after deletes.

Lookups take the key values as a tuple of ints in the table's key order. Ternary entries
are grouped by the values of the table's leading exact fields (every element table starts
with chain, NF and element ids) and each group is kept sorted, so a lookup scans only the
entries of its element, best first. The non-exact values are packed into one integer per
lookup, so testing an entry is one AND and one compare.

Idle timeout (tables with ``idle_timeout``: P4 ``support_timeout``), as BMv2 and PI do
it: each entry keeps its TTL (``idle_timeout_ns``, 0 = never ages) and the time of its
last hit, a lookup that matched it; an INSERT or MODIFY counts as a hit (BMv2 resets the
entry's timestamp when PI sets its TTL, which PI does on both). BMv2 keeps times in whole
milliseconds and the TTL as ``idle_timeout_ns // 10**6``: :meth:`Table.elapsed_ns`
answers PI's way from them (32-bit overflow included: a remaining TTL over 4.29 s reads
wrong on BMv2, and so it does here, so that what works here works there), and
:meth:`Table.sweep` finds the entries to notify as BMv2's ageing monitor does.
Only such tables stamp their hits: the others' ``lookup`` is the plain one.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from p4sfc_compiler.dataplane.match import Entry, Exact, Lpm, Match, Ternary
from p4sfc_compiler.dataplane.packet import Hit, Lookup
from p4sfc_compiler.dataplane.program import NO_ACTION, Action
from p4sfc_compiler.dataplane.program import Table as TableSpec

__all__ = ["EntryExists", "EntryMissing", "Hit", "InvalidEntry", "Table", "TableError",
           "TableFull"]


class TableError(Exception):
    """A write the table refuses; the P4Runtime server maps each subclass to a code."""


class EntryExists(TableError):
    """INSERT of an entry whose match and priority are already in the table."""


class EntryMissing(TableError):
    """MODIFY or DELETE of an entry that is not in the table."""


class TableFull(TableError):
    """INSERT into a table holding its declared size."""


class InvalidEntry(TableError):
    """An entry that does not fit the table: unknown field or action, a value wider than
    its field, ternary value bits outside the mask, a missing or needless priority."""


# An entry's identity inside a table: the match in key order (exact: value; ternary:
# (value, mask); LPM: (value, prefix length); absent fields as (0, 0)), then priority.
Slot = int | tuple[int, int]
Identity = tuple[tuple[Slot, ...], int]

_NS_PER_MS = 1_000_000
# PI's remaining TTL of an entry whose TTL is under a millisecond (BMv2 holds 0 ms, "no
# ageing", and PI answers UINT64_MAX, read back as the int64 -1).
_NO_TTL_REMAINING = -1
_U32 = 0xFFFFFFFF  # BMv2's and PI's unsigned int


def _ms(ns: int) -> int:
    return ns // _NS_PER_MS


def _timeout_ms(ttl_ns: int) -> int:
    """The TTL BMv2 holds for ``ttl_ns``: whole ms in an ``unsigned int``."""
    return _ms(ttl_ns) & _U32


def _pair(slot: Slot) -> tuple[int, int]:
    if isinstance(slot, int):
        raise TypeError("a non-exact slot holds (value, mask or prefix length)")
    return slot


class _Ternary(NamedTuple):
    neg_priority: int
    handle: int
    value: int  # the packed non-exact key values of the entry
    mask: int
    hit: Hit


class Table:
    """The contents of one table of the program (``spec``)."""

    def __init__(self, spec: TableSpec, actions: dict[str, Action] | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.size = spec.size
        self._actions = actions or {}
        kinds = [k.match_kind for k in spec.keys]
        self._fields = {k.name: (i, k) for i, k in enumerate(spec.keys)}
        # Leading exact fields: the group key of ternary and LPM entries.
        lead = 0
        while lead < len(kinds) and kinds[lead] == "exact":
            lead += 1
        self._lead = lead
        rest = kinds[lead:]
        if not rest:
            self.kind = "exact"
        elif rest == ["lpm"]:
            self.kind = "lpm"
        elif "exact" in rest and "ternary" not in rest and "lpm" not in rest:
            self.kind = "exact"
        else:
            # Any ternary field (or an exact/LPM field after one) makes BMv2 treat the
            # table as ternary: entries are ranked by priority.
            self.kind = "ternary"
        self.needs_priority = "ternary" in kinds
        # Bit positions of the non-exact-prefix fields in the packed lookup value.
        shifts = []
        total = 0
        for key in reversed(spec.keys[lead:]):
            shifts.append(total)
            total += key.bitwidth
        self._shifts = tuple(reversed(shifts))
        self._entries: dict[Identity, Entry] = {}
        self._hits: dict[Identity, Hit] = {}
        self._exact: dict[tuple[int, ...], Hit] = {}
        # LPM: group -> (prefix lengths longest first, {length: {value >> shift: hit}})
        self._lpm: dict[tuple[int, ...], tuple[list[int], dict[int, dict[int, Hit]]]] = {}
        self._lpm_width = spec.keys[-1].bitwidth if self.kind == "lpm" else 0
        self._ternary: dict[tuple[int, ...], list[_Ternary]] = {}
        self._handles: dict[Identity, int] = {}
        self._free: list[int] = []  # freed handles, lowest first (a heap)
        self._next_handle = 0
        self.aging = spec.idle_timeout
        # idle timeout: TTL per entry, last hit (monotonic ns) per entry's Hit object
        # (id(hit): the lookup has the hit at hand; _hits keeps it alive), and the
        # entries the previous sweep notified (BMv2's prev_sweep_entries)
        self._ttl: dict[Identity, int] = {}
        self._last_hit: dict[int, int] = {}
        self._notified: set[Identity] = set()
        self.clock: Callable[[], int] = time.monotonic_ns  # ns; tests set their own
        self.lookup: Lookup = self._lookup
        if self.aging:
            self.lookup = self._timed_exact() if self.kind == "exact" else self._lookup_timed

    # ---- contents ----

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> Iterator[Entry]:
        return iter(list(self._entries.values()))

    def get(self, match: Iterable[tuple[str, Match]], priority: int | None = None
            ) -> Entry | None:
        """The entry with this match and priority, if the table holds it."""
        return self._entries.get(self._identity(tuple(match), priority))

    def clear(self) -> None:
        for entry in list(self._entries.values()):
            self.delete(entry)

    def insert(self, entry: Entry, idle_timeout_ns: int = 0) -> None:
        ident = self._identity(entry.match, entry.priority)
        self._check_ttl(idle_timeout_ns)
        if ident in self._entries:
            raise EntryExists(f"{self.name}: the entry exists (use MODIFY to change it)")
        if len(self._entries) >= self.size:
            raise TableFull(f"{self.name} is full ({self.size} entries)")
        hit = self._hit(entry)
        self._entries[ident] = entry
        self._hits[ident] = hit
        self._add_lookup(ident, hit)
        if self.aging:
            self._ttl[ident] = idle_timeout_ns
            self._last_hit[id(hit)] = self.clock()

    def modify(self, entry: Entry, idle_timeout_ns: int = 0) -> None:
        """Replace an entry's action; on a table with idle timeout its TTL too, and the
        entry counts as hit now (BMv2 resets the timestamp when PI sets the TTL, which PI
        does on every MODIFY of such a table)."""
        ident = self._identity(entry.match, entry.priority)
        self._check_ttl(idle_timeout_ns)
        if ident not in self._entries:
            raise EntryMissing(f"{self.name}: no such entry to modify")
        hit = self._hit(entry)
        self._remove_lookup(ident, keep_handle=True)
        if self.aging:
            self._last_hit.pop(id(self._hits[ident]), None)
            self._ttl[ident] = idle_timeout_ns
            self._last_hit[id(hit)] = self.clock()
        self._entries[ident] = entry
        self._hits[ident] = hit
        self._add_lookup(ident, hit)

    def delete(self, entry: Entry) -> None:
        ident = self._identity(entry.match, entry.priority)
        if ident not in self._entries:
            raise EntryMissing(f"{self.name}: no such entry to delete")
        self._remove_lookup(ident, keep_handle=False)
        del self._entries[ident]
        hit = self._hits.pop(ident)
        if self.aging:
            del self._ttl[ident]
            del self._last_hit[id(hit)]
            self._notified.discard(ident)

    # ---- idle timeout ----

    def _check_ttl(self, idle_timeout_ns: int) -> None:
        if idle_timeout_ns < 0:
            raise InvalidEntry(f"{self.name}: idle_timeout_ns must be a positive value")
        if idle_timeout_ns and not self.aging:
            raise InvalidEntry(f"{self.name}: idle_timeout_ns must be set to 0 for tables "
                               "which do not support idle timeout")

    def idle(self, entry: Entry) -> tuple[int, int]:
        """(TTL ns, ``time_since_last_hit`` ns) of ``entry``, as BMv2 answers them."""
        return self.idle_timeout_ns(entry), self.elapsed_ns(entry)

    def idle_timeout_ns(self, entry: Entry) -> int:
        """The TTL ``entry`` (in the table) was written with; 0 on a table without idle
        timeout."""
        return self._ttl.get(self._identity(entry.match, entry.priority), 0)

    def last_hit_ns(self, entry: Entry) -> int:
        """The monotonic time of ``entry``'s last hit (or write), in ns."""
        ident = self._identity(entry.match, entry.priority)
        return self._last_hit[id(self._hits[ident])]

    def elapsed_ns(self, entry: Entry, now_ns: int | None = None) -> int:
        """``time_since_last_hit.elapsed_ns`` of ``entry`` exactly as BMv2's PI answers it:
        the TTL minus the remaining TTL, which BMv2 computes in whole ms and PI turns into
        ns in 32-bit unsigned arithmetic (``(timeout_ms - since_ms) * 1000 * 1000`` on
        ``uint32_t``), so the answer is right only while the remaining TTL is under
        2**32 ns (4.29 s) and capped at the TTL; 0 for an entry without TTL (PI cannot
        tell, and says 0)."""
        ttl = self.idle_timeout_ns(entry)
        if ttl == 0:
            return 0
        now = self.clock() if now_ns is None else now_ns
        since_ms = (_ms(now) - _ms(self.last_hit_ns(entry))) & _U32
        timeout_ms = _timeout_ms(ttl)
        if timeout_ms == 0:
            remaining = _NO_TTL_REMAINING
        else:
            remaining = ((timeout_ms - since_ms) * _NS_PER_MS) & _U32 \
                if timeout_ms > since_ms else 0
        return ttl - remaining if ttl >= remaining else 0

    def sweep(self, now_ns: int | None = None) -> list[Entry]:
        """One sweep of BMv2's ageing monitor over this table: the entries to notify.

        An entry is aged when it has a TTL of at least 1 ms and its idle time, in whole
        ms, reached it. Entries the previous notifying sweep reported are left out once,
        so an entry that stays idle is notified again every second sweep (BMv2's
        ``prev_sweep_entries``, which a sweep that notifies nothing also clears)."""
        if not self._ttl:
            self._notified.clear()
            return []
        now_ms = _ms(self.clock() if now_ns is None else now_ns)
        aged = []
        for ident, ttl in self._ttl.items():
            timeout_ms = _timeout_ms(ttl)
            if timeout_ms and now_ms - _ms(self._last_hit[id(self._hits[ident])]) >= timeout_ms:
                aged.append(ident)
        fresh = [ident for ident in aged if ident not in self._notified]
        self._notified = set(fresh)
        return [self._entries[ident] for ident in fresh]

    # ---- the per-packet lookup ----

    # ``lookup`` (set in __init__): the entry ``values`` (the key's values in key order)
    # selects, or None (miss); on a table with idle timeout a hit is stamped.

    def _timed_exact(self) -> Lookup:
        """The stamping lookup of an exact table in one frame (the rewriter's, per packet);
        the clock is read through the table, so a test's clock applies."""
        get = self._exact.get
        stamps = self._last_hit

        def lookup(values: tuple[int, ...]) -> Hit | None:
            hit = get(values)
            if hit is not None:
                stamps[id(hit)] = self.clock()
            return hit
        return lookup

    def _lookup_timed(self, values: tuple[int, ...]) -> Hit | None:
        hit = self._lookup(values)
        if hit is not None:
            self._last_hit[id(hit)] = self.clock()
        return hit

    def _lookup(self, values: tuple[int, ...]) -> Hit | None:
        kind = self.kind
        if kind == "exact":
            return self._exact.get(values)
        lead = self._lead
        group = values[:lead]
        if kind == "lpm":
            found = self._lpm.get(group)
            if found is None:
                return None
            lengths, by_len = found
            v = values[lead]
            width = self._lpm_width
            for plen in lengths:
                hit = by_len[plen].get(v >> (width - plen))
                if hit is not None:
                    return hit
            return None
        rows = self._ternary.get(group)
        if not rows:
            return None
        packed = 0
        for v, shift in zip(values[lead:], self._shifts, strict=True):
            packed |= v << shift
        for row in rows:
            if packed & row.mask == row.value:
                return row.hit
        return None

    # ---- internals ----

    def _identity(self, match: tuple[tuple[str, Match], ...], priority: int | None
                  ) -> Identity:
        canon: list[Slot | None] = [None] * len(self.spec.keys)
        for name, value in match:
            slot = self._fields.get(name)
            if slot is None:
                raise InvalidEntry(f"{self.name} has no match field '{name}'")
            i, key = slot
            if canon[i] is not None:
                raise InvalidEntry(f"{self.name}: match field '{name}' given twice")
            canon[i] = self._canon(key.match_kind, key.bitwidth, name, value)
        for i, key in enumerate(self.spec.keys):
            if canon[i] is None:
                if key.match_kind == "exact":
                    raise InvalidEntry(f"{self.name}: exact field '{key.name}' is missing")
                canon[i] = (0, 0)
        if self.needs_priority:
            if not priority:
                raise InvalidEntry(f"{self.name}: a ternary table's entry needs a priority > 0")
        elif priority:
            raise InvalidEntry(f"{self.name}: entries of this table take no priority")
        return tuple(c for c in canon if c is not None), priority or 0

    def _canon(self, kind: str, width: int, name: str, value: Match) -> Slot:
        limit = 1 << width
        if kind == "exact" and isinstance(value, Exact):
            if not 0 <= value.value < limit:
                raise InvalidEntry(f"{self.name}: '{name}' = {value.value} exceeds {width} bits")
            return value.value
        if kind == "ternary" and isinstance(value, Ternary):
            if not (0 <= value.value < limit and 0 <= value.mask < limit):
                raise InvalidEntry(f"{self.name}: '{name}' exceeds {width} bits")
            if value.value & ~value.mask:
                raise InvalidEntry(f"{self.name}: '{name}' has value bits outside its mask")
            if value.mask == 0:
                raise InvalidEntry(f"{self.name}: don't-care field '{name}' must be left out")
            return (value.value, value.mask)
        if kind == "lpm" and isinstance(value, Lpm):
            if not (0 < value.prefix_len <= width and 0 <= value.value < limit):
                raise InvalidEntry(f"{self.name}: '{name}' has prefix length "
                                   f"{value.prefix_len} of {width} bits")
            if value.value & ((1 << (width - value.prefix_len)) - 1):
                raise InvalidEntry(f"{self.name}: '{name}' has bits past its prefix length")
            return (value.value, value.prefix_len)
        raise InvalidEntry(f"{self.name}: '{name}' is {kind}, not {type(value).__name__}")

    def _hit(self, entry: Entry) -> Hit:
        if entry.action not in self.spec.actions or entry.action == NO_ACTION:
            raise InvalidEntry(f"{self.name}: action {entry.action} is not an entry action "
                               "of the table")
        action = self._actions.get(entry.action)
        given = dict(entry.params)
        if len(given) != len(entry.params):
            raise InvalidEntry(f"{self.name}: a parameter of {entry.action} is given twice")
        if action is None:
            # No action specs known: parameters in the order given.
            return Hit(entry.action, tuple(v for _, v in entry.params), entry)
        params = []
        for p in action.params:
            if p.name not in given:
                raise InvalidEntry(f"{self.name}: {entry.action} needs parameter '{p.name}'")
            v = given.pop(p.name)
            if not 0 <= v < 1 << p.bitwidth:
                raise InvalidEntry(f"{self.name}: {entry.action} parameter '{p.name}' = {v} "
                                   f"exceeds {p.bitwidth} bits")
            params.append(v)
        if given:
            raise InvalidEntry(f"{self.name}: {entry.action} has no parameter "
                               f"'{next(iter(given))}'")
        return Hit(entry.action, tuple(params), entry)

    def _add_lookup(self, ident: Identity, hit: Hit) -> None:
        canon, priority = ident
        if self.kind == "exact":
            self._exact[tuple(v for v in canon if isinstance(v, int))] = hit
            return
        lead = self._lead
        group = tuple(v for v in canon[:lead] if isinstance(v, int))
        if self.kind == "lpm":
            value, plen = _pair(canon[lead])
            lengths, by_len = self._lpm.setdefault(group, ([], {}))
            if plen not in by_len:
                by_len[plen] = {}
                lengths.append(plen)
                lengths.sort(reverse=True)
            by_len[plen][value >> (self._lpm_width - plen)] = hit
            return
        handle = self._handles.get(ident)
        if handle is None:
            handle = heapq.heappop(self._free) if self._free else self._next_handle
            if handle == self._next_handle:
                self._next_handle += 1
            self._handles[ident] = handle
        value = mask = 0
        for slot, shift, key in zip(canon[lead:], self._shifts, self.spec.keys[lead:],
                                    strict=True):
            v, m = self._value_mask(slot, key.match_kind, key.bitwidth)
            value |= v << shift
            mask |= m << shift
        rows = self._ternary.setdefault(group, [])
        row = _Ternary(-priority, handle, value, mask, hit)
        # insort by (priority high first, handle low first)
        lo, hi = 0, len(rows)
        while lo < hi:
            mid = (lo + hi) // 2
            if rows[mid][:2] < row[:2]:
                lo = mid + 1
            else:
                hi = mid
        rows.insert(lo, row)

    @staticmethod
    def _value_mask(slot: Slot, kind: str, width: int) -> tuple[int, int]:
        if isinstance(slot, int):  # an exact field after a ternary one
            return slot, (1 << width) - 1
        value, extra = slot
        if kind == "lpm":
            return value, ((1 << extra) - 1) << (width - extra) if extra else 0
        return value, extra

    def _remove_lookup(self, ident: Identity, *, keep_handle: bool) -> None:
        canon, _ = ident
        if self.kind == "exact":
            del self._exact[tuple(v for v in canon if isinstance(v, int))]
            return
        lead = self._lead
        group = tuple(v for v in canon[:lead] if isinstance(v, int))
        if self.kind == "lpm":
            value, plen = _pair(canon[lead])
            lengths, by_len = self._lpm[group]
            d = by_len[plen]
            del d[value >> (self._lpm_width - plen)]
            if not d:
                del by_len[plen]
                lengths.remove(plen)
                if not lengths:
                    del self._lpm[group]
            return
        handle = self._handles[ident]
        rows = self._ternary[group]
        rows[:] = [r for r in rows if r.handle != handle]
        if not rows:
            del self._ternary[group]
        if not keep_handle:
            del self._handles[ident]
            heapq.heappush(self._free, handle)
