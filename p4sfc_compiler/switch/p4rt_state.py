"""What the embedded switch holds behind its P4Runtime server: the loaded program (a
:class:`~p4sfc_compiler.switch.device.Device` and the ids of its P4Info), the pipeline that
runs frames through it, and the one lock that keeps packets and writes apart.

Writes apply a batch under the lock (CONTINUE_ON_ERROR, as BMv2: every update is tried,
each gets its own status), so a packet sees the device before or after a batch, never
half of it. Reads answer from the same state under the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from finsy.proto import p4r, rpc_code

from p4sfc_compiler.dataplane.match import Entry
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.switch.device import Device, program_params_from_p4info
from p4sfc_compiler.switch.p4rt_codec import (
    P4RTError,
    canonical,
    check_read_ageing,
    entry_of,
    entry_to_proto,
    idle_timeout_of,
    match_of,
    match_to_proto,
    table_of,
)
from p4sfc_compiler.switch.p4rt_ids import ArrayIds, ProgramIds, p4info_index
from p4sfc_compiler.switch.tables import EntryExists, EntryMissing, TableError, TableFull

INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
_CFG = p4r.SetForwardingPipelineConfigRequest


class Processor(Protocol):
    """The pipeline model: every frame that leaves the switch for one that enters."""

    def process(self, in_port: int, frame: bytes) -> list[tuple[int, bytes]]: ...


@dataclass
class Loaded:
    """One program as the device runs it, and what GetForwardingPipelineConfig returns."""

    device: Device
    ids: ProgramIds
    pipeline: Processor
    p4info: Any  # p4.config.v1.P4Info
    device_config: bytes
    cookie: int | None


# The first update of a Write that a test wants refused: called with each update's
# position since it was armed; a P4RTError it returns is that update's error.
FaultHook = Callable[[Any], P4RTError | None]


class SwitchState:
    """The device of one switch (``device_id``) and the program loaded on it."""

    def __init__(self, device_id: int, make_pipeline: Callable[[Device], Processor]) -> None:
        self.device_id = device_id
        self.make_pipeline = make_pipeline
        self.lock = threading.RLock()
        self.loaded: Loaded | None = None
        self.saved: Loaded | None = None  # VERIFY_AND_SAVE, waiting for COMMIT
        self.fault: FaultHook | None = None

    # -- pipeline config ----------------------------------------------------------

    def set_config(self, action: int, config: Any) -> None:
        """SetForwardingPipelineConfig's actions as PI handles them for BMv2; the device
        config bytes are kept (and returned) but not needed: the P4Info names the program."""
        if action == _CFG.UNSPECIFIED:
            raise P4RTError(rpc_code.INVALID_ARGUMENT, "Invalid SetForwardingPipeline action")
        if action == _CFG.COMMIT:
            with self.lock:
                if self.saved is None:
                    raise P4RTError(rpc_code.FAILED_PRECONDITION,
                                    "No saved forwarding pipeline config to commit "
                                    "(send VERIFY_AND_SAVE first)")
                self.loaded, self.saved = self.saved, None
            return
        loaded = self._verify(config)
        if action == _CFG.VERIFY:
            return
        if action == _CFG.VERIFY_AND_SAVE:
            with self.lock:
                self.saved = loaded
            return
        with self.lock:
            if action == _CFG.RECONCILE_AND_COMMIT and self.loaded is not None:
                self._reconcile(self.loaded, loaded)
            self.loaded = loaded
            self.saved = None

    def _verify(self, config: Any) -> Loaded:
        try:
            params = program_params_from_p4info(p4info_index(config.p4info), "the P4Info sent")
        except P4SFCError as exc:
            raise P4RTError(rpc_code.INVALID_ARGUMENT, str(exc)) from None
        device = Device.from_params(params)
        cookie = config.cookie.cookie if config.HasField("cookie") else None
        return Loaded(device, ProgramIds.from_p4info(config.p4info), self.make_pipeline(device),
                      config.p4info, config.p4_device_config, cookie)

    @staticmethod
    def _reconcile(old: Loaded, new: Loaded) -> None:
        """Keep the forwarding state across a RECONCILE_AND_COMMIT (PI replays it)."""
        for name, table in old.device.tables.items():
            target = new.device.tables.get(name)
            if target is None:
                raise P4RTError(rpc_code.UNKNOWN, "Error when reconciling config")
            for entry in table.entries():
                try:
                    target.insert(entry, table.idle_timeout_ns(entry))
                except TableError:
                    raise P4RTError(rpc_code.UNKNOWN, "Error when reconciling config") from None
        new.device.clone_sessions.update(old.device.clone_sessions)

    def get_config(self, response_type: int, out: Any) -> None:
        req = p4r.GetForwardingPipelineConfigRequest
        with self.lock:
            loaded = self.loaded
        if loaded is None:
            return  # PI: no config set yet, an empty answer
        if response_type not in (req.ALL, req.COOKIE_ONLY, req.P4INFO_AND_COOKIE,
                                 req.DEVICE_CONFIG_AND_COOKIE):
            raise P4RTError(rpc_code.INVALID_ARGUMENT,
                            "Invalid response_type in GetForwardingPipelineConfigRequest")
        if response_type in (req.ALL, req.P4INFO_AND_COOKIE):
            out.p4info.CopyFrom(loaded.p4info)
        if response_type in (req.ALL, req.DEVICE_CONFIG_AND_COOKIE):
            out.p4_device_config = loaded.device_config
        if loaded.cookie is not None:
            out.cookie.cookie = loaded.cookie

    def require(self) -> Loaded:
        loaded = self.loaded
        if loaded is None:
            raise P4RTError(rpc_code.FAILED_PRECONDITION,
                            "No forwarding pipeline config set for this device")
        return loaded

    # -- writes -------------------------------------------------------------------

    def write(self, updates: Any) -> list[P4RTError | None]:
        """Apply a batch in order; each update's error (None: applied)."""
        with self.lock:
            loaded = self.require()
            results: list[P4RTError | None] = []
            for update in updates:
                try:
                    fault = self.fault(update) if self.fault is not None else None
                    if fault is not None:
                        raise fault
                    self._update(loaded, update)
                    results.append(None)
                except P4RTError as exc:
                    results.append(exc)
            return results

    def _update(self, loaded: Loaded, update: Any) -> None:
        kind = update.type
        if kind not in (INSERT, MODIFY, DELETE):
            raise P4RTError(rpc_code.INVALID_ARGUMENT, "Update type is not set"
                            if kind == p4r.Update.UNSPECIFIED else "Invalid update type")
        which = update.entity.WhichOneof("entity")
        if which == "table_entry":
            te = update.entity.table_entry
            entry = entry_of(te, loaded.ids, kind)
            ttl = 0 if kind == DELETE else idle_timeout_of(te, loaded.ids.tables[te.table_id])
            table = loaded.device.tables[entry.table]
            try:
                if kind == INSERT:
                    table.insert(entry, ttl)
                elif kind == MODIFY:
                    table.modify(entry, ttl)
                else:
                    table.delete(entry)
            except EntryExists:
                raise P4RTError(rpc_code.ALREADY_EXISTS, "Match entry exists, use MODIFY if "
                                "you wish to change action") from None
            except EntryMissing:
                raise P4RTError(rpc_code.NOT_FOUND, "Cannot find match entry") from None
            except TableFull:
                raise P4RTError(rpc_code.RESOURCE_EXHAUSTED,
                                f"Table {entry.table} is full ({table.size} entries)") from None
            except TableError as exc:
                raise P4RTError(rpc_code.INVALID_ARGUMENT, str(exc)) from None
        elif which == "packet_replication_engine_entry":
            self._pre_update(loaded.device, kind, update.entity.packet_replication_engine_entry)
        elif which == "register_entry":
            raise P4RTError(rpc_code.UNIMPLEMENTED, "Register writes are not supported yet")
        elif which == "counter_entry":
            self._counter_update(loaded, kind, update.entity.counter_entry)
        else:
            raise P4RTError(rpc_code.UNIMPLEMENTED,
                            f"{which or 'an unset entity'} writes are not supported")

    @staticmethod
    def _pre_update(device: Device, kind: int, pre: Any) -> None:
        if pre.WhichOneof("type") != "clone_session_entry":
            raise P4RTError(rpc_code.UNIMPLEMENTED, "Only clone sessions are supported")
        cs = pre.clone_session_entry
        if cs.session_id == 0:
            raise P4RTError(rpc_code.INVALID_ARGUMENT, "0 is not a valid session id")
        sessions = device.clone_sessions
        if kind == INSERT and cs.session_id in sessions:
            raise P4RTError(rpc_code.ALREADY_EXISTS,
                            f"Clone session {cs.session_id} already exists")
        if kind != INSERT and cs.session_id not in sessions:
            raise P4RTError(rpc_code.NOT_FOUND, f"Clone session {cs.session_id} does not exist")
        if kind == DELETE:
            del sessions[cs.session_id]
        else:
            sessions[cs.session_id] = tuple((r.egress_port, r.instance) for r in cs.replicas)

    @staticmethod
    def _counter_update(loaded: Loaded, kind: int, ce: Any) -> None:
        """A MODIFY sets one cell (P4Runtime's way to reset a counter)."""
        if kind != MODIFY:
            raise P4RTError(rpc_code.INVALID_ARGUMENT,
                            "Only MODIFY is supported for counter entries")
        info = loaded.ids.counters.get(ce.counter_id)
        if info is None:
            raise P4RTError(rpc_code.INVALID_ARGUMENT, "Invalid P4 id")
        if not ce.HasField("index"):
            raise P4RTError(rpc_code.UNIMPLEMENTED,
                            "Wildcard write is not supported for indirect counters yet")
        cells = loaded.device.counters[info.name].cells
        index = _index(ce.index.index, info)
        cells.packets[index] = ce.data.packet_count
        cells.bytes[index] = ce.data.byte_count

    # -- reads --------------------------------------------------------------------

    def read(self, entities: Any, out: Any) -> None:
        """Answer a ReadRequest's entities into the ReadResponse ``out``."""
        with self.lock:
            loaded = self.require()
            for entity in entities:
                which = entity.WhichOneof("entity")
                if which == "table_entry":
                    self._read_tables(loaded, entity.table_entry, out)
                elif which == "counter_entry":
                    self._read_counters(loaded, entity.counter_entry, out)
                elif which == "register_entry":
                    self._read_registers(loaded, entity.register_entry, out)
                elif which == "packet_replication_engine_entry":
                    self._read_sessions(loaded.device, entity.packet_replication_engine_entry,
                                        out)
                else:
                    raise P4RTError(rpc_code.UNIMPLEMENTED,
                                    f"{which or 'an unset entity'} reads are not supported")

    @staticmethod
    def _read_tables(loaded: Loaded, te: Any, out: Any) -> None:
        ids = loaded.ids
        if te.table_id == 0:
            tables = list(ids.tables.values())
        else:
            tables = [table_of(te, ids)]
        if te.is_default_action:
            for t in tables:
                check_read_ageing(te, t)
            return  # every table's default is the const NoAction, not an entry
        since = te.HasField("time_since_last_hit")
        for t in tables:
            check_read_ageing(te, t)
            table = loaded.device.tables[t.name]
            if te.match:
                match, priority = match_of(te, t)
                found = table.get(match, priority)
                entries = [] if found is None else [found]
            else:
                entries = list(table.entries())
            for entry in entries:
                e = out.entities.add().table_entry
                entry_to_proto(_by_table(entry, t.name), ids, e)
                if table.aging:
                    e.idle_timeout_ns = table.idle_timeout_ns(entry)
                    if since:
                        e.time_since_last_hit.elapsed_ns = table.elapsed_ns(entry)

    @staticmethod
    def _arrays(infos: dict[int, Any], array_id: int, entity: Any) -> Iterator[tuple[Any, int]]:
        """(array info, index) of every cell a counter or register read asks for: one
        array or all (id 0), one cell or all (no index)."""
        if array_id == 0:
            arrays = list(infos.values())
        else:
            info = infos.get(array_id)
            if info is None:
                raise P4RTError(rpc_code.INVALID_ARGUMENT, "Invalid P4 id")
            arrays = [info]
        for info in arrays:
            indexes = ([_index(entity.index.index, info)] if entity.HasField("index")
                       else range(info.size))
            for i in indexes:
                yield info, i

    @classmethod
    def _read_counters(cls, loaded: Loaded, ce: Any, out: Any) -> None:
        counters = loaded.device.counters
        for info, i in cls._arrays(loaded.ids.counters, ce.counter_id, ce):
            cells = counters[info.name].cells
            e = out.entities.add().counter_entry
            e.counter_id = info.id
            e.index.index = i
            e.data.packet_count = cells.packets[i]
            e.data.byte_count = cells.bytes[i]

    @classmethod
    def _read_registers(cls, loaded: Loaded, re_: Any, out: Any) -> None:
        """BMv2 answers UNIMPLEMENTED; the embedded switch answers (P4Data bitstrings)."""
        registers = loaded.device.registers
        for info, i in cls._arrays(loaded.ids.registers, re_.register_id, re_):
            e = out.entities.add().register_entry
            e.register_id = info.id
            e.index.index = i
            e.data.bitstring = canonical(registers[info.name].cells[i])

    @staticmethod
    def _read_sessions(device: Device, pre: Any, out: Any) -> None:
        if pre.WhichOneof("type") != "clone_session_entry":
            raise P4RTError(rpc_code.UNIMPLEMENTED, "Only clone sessions are supported")
        wanted = pre.clone_session_entry.session_id
        for sid, replicas in sorted(device.clone_sessions.items()):
            if wanted and sid != wanted:
                continue
            cs = out.entities.add().packet_replication_engine_entry.clone_session_entry
            cs.session_id = sid
            for port, instance in replicas:
                cs.replicas.add(egress_port=port, instance=instance)

    # -- idle timeout -------------------------------------------------------------

    def sweep_idle(self) -> Any | None:
        """One sweep of the ageing monitor over the loaded program's tables with idle
        timeout: an ``IdleTimeoutNotification`` naming the entries to report (table,
        match, priority, TTL, as PI sends them), or None when there are none."""
        with self.lock:
            loaded = self.loaded
            if loaded is None:
                return None
            note = p4r.IdleTimeoutNotification()
            for table in loaded.device.ageing_tables:
                for entry in table.sweep():
                    e = note.table_entry.add()
                    match_to_proto(entry, loaded.ids, e)
                    e.idle_timeout_ns = table.idle_timeout_ns(entry)
        if not note.table_entry:
            return None
        note.timestamp = time.monotonic_ns()  # PI: steady_clock, when it sends
        return note

    # -- packets ------------------------------------------------------------------

    def process(self, in_port: int, frame: bytes) -> list[tuple[int, bytes]]:
        """Run one frame through the loaded program (nothing leaves without one)."""
        with self.lock:
            loaded = self.loaded
            if loaded is None:
                return []
            return loaded.pipeline.process(in_port, frame)


def _index(index: int, info: ArrayIds) -> int:
    if index < 0:
        raise P4RTError(rpc_code.INVALID_ARGUMENT, "A negative number is not a valid index value")
    if index >= info.size:
        raise P4RTError(rpc_code.OUT_OF_RANGE,
                        f"Index {index} is out of range for {info.name} (size {info.size})")
    return index


def _by_table(entry: Entry, table: str) -> Entry:
    return entry if entry.table == table else entry._replace(table=table)
