"""State sync in a deployment: each split NF's server element mirrored into its switch.

For every server, the stateful elements of its split NFs' server halves (``plan.json``:
an element on ``both`` sides of an NF placed ``split``, whose kind has a state table in
the data-plane contract) get a :class:`~p4sfc_compiler.state.table.P4SFCTable` bound to
the element's slice of that table on the NF's switch (chain id, NF id, element id and
stage from the plan), written by one :class:`~p4sfc_compiler.state.agent.SwitchAgent`
per switch. The engine's rewriters then create, use and remove mappings through it
(``families/mirror.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from p4sfc_compiler.dataplane.program import (
    COUNTER_LEN,
    COUNTER_PACKETS,
    KIND_SPECS,
    STATE_TABLES,
)
from p4sfc_compiler.deploy.click_server import ClickServer
from p4sfc_compiler.deploy.wiring import ServerSite
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.families.counters.behaviour import Counter
from p4sfc_compiler.families.rewriter.behaviour import Rewriter
from p4sfc_compiler.families.rewriter.dump import mapping_handlers, parse_mappings
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.state.agent import SwitchAgent
from p4sfc_compiler.state.binding import CounterBinding, TableBinding, element_binding
from p4sfc_compiler.state.counter import CounterValue, P4SFCCounter
from p4sfc_compiler.state.modes import METHODS, NON_BLOCKING, SYNC_MODES
from p4sfc_compiler.state.table import P4SFCTable

# element kinds whose server half keeps state the switch can hold
STATE_KINDS = tuple(k for k, spec in KIND_SPECS.items()
                    if any(t.name in STATE_TABLES for t in spec.tables))


@dataclass(frozen=True)
class StatefulElement:
    chain: str
    nf: str
    element: str
    binding: TableBinding


@dataclass(frozen=True)
class SplitCounter:
    chain: str
    nf: str
    element: str
    binding: CounterBinding


def _split_elements(plan: dict) -> Iterator[tuple[dict, dict, dict]]:
    """(chain, NF, element) of every element both halves of a split NF run."""
    for chain in plan["chains"]:
        for nf in chain["nfs"]:
            if nf.get("placement") != "split":
                continue
            for e in nf["elements"]:
                if e.get("side") == "both":
                    yield chain, nf, e


def split_counters(out: Path) -> list[SplitCounter]:
    """The counting elements both halves of a split NF run (a miss counts on the server,
    a hit on the switch), with their switch slot, from OUT's plan.json."""
    plan = json.loads((out / "plan.json").read_text())
    slots = {(r["chain"], r["nf"], r["element"]): r for sw in plan["switches"].values()
             for r in sw.get("registers", [])}
    found: list[SplitCounter] = []
    for chain, nf, e in _split_elements(plan):
        slot = slots.get((chain["name"], nf["name"], e["name"]))
        if e.get("kind") != "counter" or slot is None:
            continue
        names = {n.rsplit(".", 1)[-1]: n for n in slot["registers"]}
        binding = CounterBinding(nf["switch"], names[COUNTER_PACKETS], names[COUNTER_LEN],
                                 int(slot["index"]))
        found.append(SplitCounter(chain["name"], nf["name"], e["name"], binding))
    return found


def stateful_elements(out: Path) -> list[StatefulElement]:
    """Every element whose state the switch mirrors, from OUT's plan.json."""
    plan = json.loads((out / "plan.json").read_text())
    found: list[StatefulElement] = []
    for chain, nf, e in _split_elements(plan):
        if e.get("kind") not in STATE_KINDS:
            continue
        binding = element_binding(e["kind"], nf["switch"], int(e["stage"]),
                                  int(chain["chain_id"]), int(nf["nf_id"]), int(e["elem_id"]))
        found.append(StatefulElement(chain["name"], nf["name"], e["name"], binding))
    return found


@dataclass(frozen=True)
class StateSummary:
    """One mirrored element after a run: its mappings on the server and the switch."""

    element: str  # chain/nf/element
    method: str
    entries: int  # keys the server holds
    on_switch: int  # of them, installed in the switch
    parked: int  # kept on the server (table full, or refused)
    writes: int  # updates the switch accepted
    full: int
    refused: int
    reconnects: int


EXPIRY_INTERVAL = 1.0  # seconds between expiry checks in a running deployment


class StateSync:
    """The state library of a deployment: agents per switch, tables per element."""

    def __init__(self, out: Path, index: P4InfoIndex,
                 addresses: dict[str, tuple[str, int]], *, method: str = NON_BLOCKING,
                 log: Callable[[str], None] | None = None) -> None:
        if method not in METHODS:
            raise P4SFCError(f"state sync {method!r}: one of {', '.join(SYNC_MODES)}")
        self.method = method
        self.index = index
        self.addresses = addresses
        self.log = log
        self.elements = {(s.chain, s.nf, s.element): s for s in stateful_elements(out)}
        self.counter_slots = {(c.chain, c.nf, c.element): c for c in split_counters(out)}
        self.counters: dict[tuple[str, str, str], P4SFCCounter] = {}
        self._last_expiry = time.monotonic()
        self.agents: dict[str, SwitchAgent] = {}
        self.tables: dict[tuple[str, str, str], P4SFCTable] = {}

    def _agent(self, switch: str) -> SwitchAgent:
        agent = self.agents.get(switch)
        if agent is None:
            address, device_id = self.addresses[switch]
            agent = SwitchAgent(switch, address, device_id, self.index, log=self.log)
            self.agents[switch] = agent.start()
        return agent

    def attach(self, site: ServerSite, elements: dict[str, object]) -> int:
        """Give each stateful element of a server (engine instances by name) its table;
        the number attached."""
        n = 0
        for name, element in elements.items():
            inst, sep, inner = name.partition("/")
            if not sep or inst not in site.instances:
                continue
            chain, nf, part = site.instances[inst]
            if isinstance(element, Counter) and part == "miss":
                n += self._attach_counter(chain, nf, inner, element)
                continue
            if not isinstance(element, Rewriter):
                continue
            found = self.elements.get((chain, nf, inner))
            if found is None or part != "miss":
                continue
            element.attach_mirror(self._table(chain, nf, inner, found.binding))
            n += 1
        return n

    def attach_click(self, site: ServerSite, server: ClickServer) -> int:
        """The real click cannot call the library: after each frame, its rewriters'
        mapping handlers are read and the table made equal to them (new mappings
        created, gone ones removed), so the switch holds click's mappings as it holds
        the engine's; a flow's second packet may still reach click while the write is
        under way, which click handles as it would have anyway."""
        n = 0
        for name, cls in server.classes.items():
            inst, sep, inner = name.partition("/")
            if not sep or inst not in site.instances or not mapping_handlers(cls):
                continue
            chain, nf, part = site.instances[inst]
            found = self.elements.get((chain, nf, inner))
            if found is None or part != "miss":
                continue
            table = self._table(chain, nf, inner, found.binding)
            server.after_push.append(_mirror_handlers(server, name, cls, table))
            n += 1
        return n

    def _table(self, chain: str, nf: str, inner: str, b: TableBinding) -> P4SFCTable:
        table = P4SFCTable(b.key_names, b.val_names, agent=self._agent(b.switch),
                           binding=b, method=self.method, name=f"{chain}/{nf}/{inner}")
        self.tables[(chain, nf, inner)] = table
        return table

    def _attach_counter(self, chain: str, nf: str, inner: str, element: Counter) -> int:
        slot = self.counter_slots.get((chain, nf, inner))
        if slot is None:
            return 0
        b = slot.binding

        def local() -> CounterValue:
            return CounterValue(element.count, element.byte_count)

        def set_local(v: CounterValue) -> None:
            element.count, element.byte_count = v.packets, v.bytes

        counter = P4SFCCounter(f"{chain}/{nf}/{inner}", local=local, set_local=set_local,
                               agent=self._agent(b.switch), binding=b)
        self.counters[(chain, nf, inner)] = counter
        element.total = counter.get
        return 1

    def summary(self) -> list[StateSummary]:
        out = []
        for (chain, nf, element), t in sorted(self.tables.items()):
            agent = self.agents[t.binding.switch] if t.binding else None
            items, installed = t.items(), t.installed()
            out.append(StateSummary(
                f"{chain}/{nf}/{element}", self.method, len(items),
                sum(1 for k, v in items.items() if installed.get(k) == v), len(t.parked()),
                t.stats.writes, t.stats.full, t.stats.refused,
                agent.stats.reconnects if agent else 0))
        return out

    def flush(self, timeout: float | None = 10.0) -> None:
        for agent in self.agents.values():
            agent.flush(timeout)

    def expire(self, now: float | None = None) -> int:
        """Expire idle mappings now (on the caller's thread: the packet path's)."""
        self._last_expiry = time.monotonic()
        return sum(len(t.expire(now)) for t in self.tables.values())

    def tick(self) -> None:
        """Between frames: expire idle mappings every :data:`EXPIRY_INTERVAL` seconds,
        as a Click rewriter's garbage collection timer does."""
        if time.monotonic() - self._last_expiry >= EXPIRY_INTERVAL:
            self.expire()

    def close(self, teardown: bool = True) -> None:
        """Stop syncing; with ``teardown`` (the NFs stop with it) the mirrored entries
        leave the switches first, so nothing of the servers' state stays behind."""
        try:
            if teardown:
                for table in self.tables.values():
                    try:
                        table.teardown()
                    except P4SFCError:
                        pass  # the switch is gone: nothing of it to clean
        finally:
            for agent in self.agents.values():
                agent.close()
            self.agents.clear()


def _mirror_handlers(server: ClickServer, element: str, cls: str, table: P4SFCTable
                     ) -> Callable[[], None]:
    handlers = mapping_handlers(cls)

    def sync() -> None:
        now: dict[tuple[int, ...], tuple[int, ...]] = {}
        for handler, protos in handlers:
            now.update(parse_mappings(server.read(f"{element}.{handler}"), protos))
        have = table.items()
        for keys in have.keys() - now.keys():
            table.remove(keys)
        for keys, vals in now.items():
            if have.get(keys) != vals:
                table.create(keys, vals)
    return sync
