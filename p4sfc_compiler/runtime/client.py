"""One P4Runtime connection to a switch, over finsy's low-level ``P4Client``: connect with a
deadline, arbitrate, get or set the pipeline, read table entries and clone sessions, write
batches and report each failed update.

Every step that waits on the switch has a deadline, so an unreachable or silent switch is
an error after a few seconds, never a hang.

Idle timeout (tables whose P4Info says ``NOTIFY_CONTROL``, the rewriter's): ``table_update``
gives an entry its TTL, :meth:`Connection.read_table` returns each entry's TTL and, when
asked, its time since the last hit (BMv2: whole ms since, capped at the TTL; 0 for an
entry without TTL), and :meth:`Connection.idle_timeouts` /
:meth:`Connection.next_idle_timeout` deliver the IdleTimeoutNotifications the switch
sends the primary on its stream (BMv2: at most every second, again every second sweep
while the entry stays idle). Table entries travel as ids and integers
(:mod:`.outdir`'s ``EntryKey`` / ``EntryValue``); values read back are compared as
integers, so the canonical byte strings a switch returns need no special care.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from finsy import P4Client, P4ClientError
from finsy.grpcutil import GRPCStatusCode
from finsy.proto import p4i, p4r
from google.protobuf import text_format

from p4sfc_compiler.dataplane.reserved import CONTROLLER_ELECTION_ID
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, MatchItem

CONNECT_TIMEOUT = 3.0


class SwitchError(P4SFCError):
    """A switch refused or did not answer: one line naming the switch."""


@dataclass(frozen=True)
class UpdateError:
    index: int  # in the batch
    code: str
    message: str


class EntryAge(NamedTuple):
    """One entry of a table read: its action, its TTL (0: it never ages) and, when the
    read asked for it, the ns since its last hit (else None)."""

    value: EntryValue
    idle_timeout_ns: int
    elapsed_ns: int | None


class IdleTimeout(NamedTuple):
    """One IdleTimeoutNotification: the entries idle past their TTL (key, TTL) and the
    switch's timestamp (ns, its monotonic clock)."""

    timestamp_ns: int
    entries: tuple[tuple[EntryKey, int], ...]


def p4info_cookie(p4info_text: str) -> int:
    """The pipeline cookie p4sfc sets with a P4Info: 64 bits of its SHA-256."""
    return int.from_bytes(hashlib.sha256(p4info_text.encode()).digest()[:8], "big")


def _int(b: bytes) -> int:
    return int.from_bytes(b, "big")


class Connection:
    """The primary controller of one device (``async with``); with ``primary=False`` a
    reader that does not arbitrate (P4Runtime lets any client read)."""

    def __init__(self, name: str, address: str, device_id: int, election_id: int = CONTROLLER_ELECTION_ID,
                 timeout: float = CONNECT_TIMEOUT, primary: bool = True) -> None:
        self.name = name
        self.primary = primary
        self.address = address
        self.device_id = device_id
        self.election = p4r.Uint128(high=election_id >> 64, low=election_id & (2**64 - 1))
        self.timeout = timeout
        self.client = P4Client(address, wait_for_ready=False)
        self.widths: dict[tuple[int, int], int] = {}  # (table id, field id) -> bytes
        self.param_widths: dict[tuple[int, int], int] = {}  # (action id, param id) -> bytes
        # the stream's IdleTimeoutNotifications, read by one task once someone asks
        self._idle: asyncio.Queue[IdleTimeout | SwitchError] | None = None
        self._pump: asyncio.Task[None] | None = None

    def _error(self, what: str) -> SwitchError:
        return SwitchError(f"switch {self.name} ({self.address}): {what}")

    async def __aenter__(self) -> Connection:
        await self.client.open()
        try:
            await self._connect()
        except BaseException:
            await self.client.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        await self.client.close()

    async def _connect(self) -> None:
        channel = self.client.channel
        assert channel is not None
        try:
            await asyncio.wait_for(channel.channel_ready(), self.timeout)
        except TimeoutError:
            raise self._error(
                f"no P4Runtime server answers within {self.timeout:g} s") from None
        if not self.primary:
            return
        try:
            await self.client.send(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
                device_id=self.device_id, election_id=self.election)))
            reply = await asyncio.wait_for(self.client.receive(), self.timeout)
        except TimeoutError:
            raise self._error("no answer to arbitration (is the device id right?)") from None
        except P4ClientError as exc:
            raise self._arbitration_error(exc.code.name, exc.message) from None
        if reply.HasField("error"):
            raise self._arbitration_error(
                GRPCStatusCode(reply.error.canonical_code).name, reply.error.message)
        status = reply.arbitration.status
        if status.code != 0:
            primary = reply.arbitration.election_id
            raise self._error(
                f"not primary: another controller holds election id "
                f"{(primary.high << 64) | primary.low} (ours: {self._election_int()}; "
                "use --election-id)")

    def _election_int(self) -> int:
        return (self.election.high << 64) | self.election.low

    def _arbitration_error(self, code: str, message: str) -> SwitchError:
        text = message.strip().rstrip(".")
        if "device" in text.lower():
            return self._error(f"device id {self.device_id} refused: {text} (use --device-id)")
        if "election" in text.lower():
            return self._error(f"election id {self._election_int()} refused: {text} "
                               "(use --election-id)")
        return self._error(f"arbitration failed: {code} {text}")

    async def _request(self, msg: Any, what: str) -> Any:
        try:
            return await self.client.request(msg)
        except P4ClientError as exc:
            raise self._error(f"{what}: {exc.code.name} {exc.message.strip()}") from None

    # -- pipeline ---------------------------------------------------------------

    async def get_p4info(self) -> str | None:
        """The switch's P4Info in protobuf text, or None when it has no pipeline."""
        try:
            reply = await self.client.request(p4r.GetForwardingPipelineConfigRequest(
                device_id=self.device_id,
                response_type=p4r.GetForwardingPipelineConfigRequest.P4INFO_AND_COOKIE))
        except P4ClientError as exc:
            if exc.is_pipeline_missing:
                return None
            raise self._error(f"reading the pipeline: {exc.code.name} {exc.message}") from None
        if not reply.config.HasField("p4info"):
            return None
        return text_format.MessageToString(reply.config.p4info)

    async def get_cookie(self) -> int | None:
        """The cookie the switch's pipeline was set with, or None (no pipeline, or none
        given)."""
        try:
            reply = await self.client.request(p4r.GetForwardingPipelineConfigRequest(
                device_id=self.device_id,
                response_type=p4r.GetForwardingPipelineConfigRequest.COOKIE_ONLY))
        except P4ClientError as exc:
            if exc.is_pipeline_missing:
                return None
            raise self._error(f"reading the pipeline: {exc.code.name} {exc.message}") from None
        return reply.config.cookie.cookie if reply.config.HasField("cookie") else None

    async def set_pipeline(self, p4info_text: str, device_config: bytes) -> None:
        """Load a program; its cookie is :func:`p4info_cookie` of the P4Info, so a later
        check that the switch runs this P4Info needs only the cookie."""
        info = text_format.Parse(p4info_text, p4i.P4Info())
        config = p4r.ForwardingPipelineConfig(p4info=info, p4_device_config=device_config)
        config.cookie.cookie = p4info_cookie(p4info_text)
        await self._request(p4r.SetForwardingPipelineConfigRequest(
            device_id=self.device_id, election_id=self.election,
            action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT, config=config,
        ), f"setting the pipeline of device {self.device_id} (is --device-id right?)")

    def use_index(self, index: P4InfoIndex) -> None:
        """Byte widths of every match field and action parameter, for encoding."""
        for t in index.tables.values():
            for f in t.fields.values():
                self.widths[(t.id, f.id)] = (f.bitwidth + 7) // 8
        for a in index.actions.values():
            for p in a.params.values():
                self.param_widths[(a.id, p.id)] = (p.bitwidth + 7) // 8

    # -- reads ------------------------------------------------------------------

    async def read_entries(self) -> dict[EntryKey, EntryValue]:
        """Every table entry of the device (default entries aside)."""
        request = p4r.ReadRequest(device_id=self.device_id,
                                  entities=[p4r.Entity(table_entry=p4r.TableEntry())])
        out: dict[EntryKey, EntryValue] = {}
        try:
            async for reply in self.client.request_iter(request):
                for entity in reply.entities:
                    te = entity.table_entry
                    if te.is_default_action:
                        continue
                    out[_key_of(te)] = _value_of(te)
        except P4ClientError as exc:
            raise self._error(f"reading entries: {exc.code.name} {exc.message}") from None
        return out

    async def read_idle(self, table_id: int) -> dict[EntryKey, int]:
        """Nanoseconds since each entry of a table with idle timeout was last hit
        (P4Runtime time_since_last_hit; entries without a TTL read 0)."""
        return {k: age.elapsed_ns or 0
                for k, age in (await self.read_table(table_id, since_last_hit=True)).items()}

    async def read_clone_sessions(self) -> dict[int, tuple[tuple[int, int], ...]] | None:
        """Clone sessions by id, or None when the switch cannot read them back."""
        request = p4r.ReadRequest(device_id=self.device_id, entities=[p4r.Entity(
            packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
                clone_session_entry=p4r.CloneSessionEntry()))])
        out = {}
        try:
            async for reply in self.client.request_iter(request):
                for entity in reply.entities:
                    cs = entity.packet_replication_engine_entry.clone_session_entry
                    out[cs.session_id] = tuple(sorted(
                        (r.egress_port, r.instance) for r in cs.replicas))
        except P4ClientError:
            return None
        return out

    async def read_counter(self, counter_id: int, indexes: list[int] | None = None
                           ) -> dict[int, int]:
        """Packets per cell of an indirect counter array: every cell (a wildcard read;
        cells a switch leaves out are 0), or the ``indexes`` given, in one request."""
        if indexes is None:
            entries = [p4r.CounterEntry(counter_id=counter_id)]
        else:
            entries = [p4r.CounterEntry(counter_id=counter_id, index=p4r.Index(index=i))
                       for i in indexes]
        request = p4r.ReadRequest(device_id=self.device_id,
                                  entities=[p4r.Entity(counter_entry=e) for e in entries])
        cells = dict.fromkeys(indexes or (), 0)
        try:
            async for reply in self.client.request_iter(request):
                for entity in reply.entities:
                    entry = entity.counter_entry
                    cells[entry.index.index] = entry.data.packet_count
        except P4ClientError as exc:
            raise self._error(f"reading counter {counter_id}: {exc.code.name} "
                              f"{exc.message.strip()}") from None
        return cells

    @staticmethod
    def counter_update(counter_id: int, index: int, packets: int = 0) -> Any:
        """A MODIFY setting one counter cell (P4Runtime's way to reset a counter)."""
        entry = p4r.CounterEntry(counter_id=counter_id, index=p4r.Index(index=index))
        entry.data.packet_count = packets
        return p4r.Update(type=cast(Any, p4r.Update.MODIFY),
                          entity=p4r.Entity(counter_entry=entry))

    async def read_table(self, table_id: int, since_last_hit: bool = False
                         ) -> dict[EntryKey, EntryAge]:
        """Every entry of one table with its TTL and, with ``since_last_hit``, the time
        since its last hit (a table without idle timeout refuses that: INVALID_ARGUMENT)."""
        te = p4r.TableEntry(table_id=table_id)
        if since_last_hit:
            te.time_since_last_hit.SetInParent()
        request = p4r.ReadRequest(device_id=self.device_id,
                                  entities=[p4r.Entity(table_entry=te)])
        out: dict[EntryKey, EntryAge] = {}
        try:
            async for reply in self.client.request_iter(request):
                for entity in reply.entities:
                    e = entity.table_entry
                    elapsed = (e.time_since_last_hit.elapsed_ns
                               if e.HasField("time_since_last_hit") else None)
                    out[_key_of(e)] = EntryAge(_value_of(e), e.idle_timeout_ns, elapsed)
        except P4ClientError as exc:
            raise self._error(f"reading table {table_id}: {exc.code.name} "
                              f"{exc.message.strip()}") from None
        return out

    # -- idle timeout notifications ------------------------------------------------

    async def next_idle_timeout(self, timeout: float | None = None) -> IdleTimeout | None:
        """The next IdleTimeoutNotification on this (primary) connection's stream, or None
        after ``timeout`` seconds without one. The stream's other messages are dropped
        (arbitration news, PacketIn): one reader owns the stream from the first call."""
        if not self.primary:
            raise self._error("idle timeout notifications go to the primary only")
        if self._idle is None:
            self._idle = asyncio.Queue()
            self._pump = asyncio.create_task(self._read_stream(self._idle))
        try:
            item = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            return None
        if isinstance(item, SwitchError):
            self._idle.put_nowait(item)  # every later call fails the same way
            raise item
        return item

    async def idle_timeouts(self) -> AsyncIterator[IdleTimeout]:
        """The IdleTimeoutNotifications as they come, until the stream ends (then
        :class:`SwitchError`)."""
        while True:
            note = await self.next_idle_timeout()
            if note is not None:
                yield note

    async def _read_stream(self, queue: asyncio.Queue[IdleTimeout | SwitchError]) -> None:
        try:
            while True:
                msg = await self.client.receive()
                if msg.HasField("idle_timeout_notification"):
                    note = msg.idle_timeout_notification
                    queue.put_nowait(IdleTimeout(note.timestamp, tuple(
                        (_key_of(te), te.idle_timeout_ns) for te in note.table_entry)))
        except P4ClientError as exc:
            queue.put_nowait(self._error(f"stream ended: {exc.code.name} {exc.message}"))
        except RuntimeError as exc:  # finsy's end of stream
            queue.put_nowait(self._error(f"stream ended: {exc}"))

    # -- writes -----------------------------------------------------------------

    def table_update(self, kind: int, key: EntryKey, value: EntryValue | None,
                     idle_timeout_ns: int = 0) -> Any:
        """One INSERT / MODIFY / DELETE of a table entry; ``idle_timeout_ns`` > 0 gives it
        a TTL (tables with idle timeout only; on BMv2 whole ms, at least 1 ms to age), and
        a MODIFY restarts the entry's idle time, without it stops the ageing."""
        table_id, items, priority = key
        te = p4r.TableEntry(table_id=table_id, priority=priority)
        if idle_timeout_ns and kind != p4r.Update.DELETE:
            te.idle_timeout_ns = idle_timeout_ns
        for fid, kind_char, v, extra in items:
            size = self.widths[(table_id, fid)]
            fm = te.match.add()
            fm.field_id = fid
            if kind_char == "e":
                fm.exact.value = v.to_bytes(size, "big")
            elif kind_char == "t":
                fm.ternary.value = v.to_bytes(size, "big")
                fm.ternary.mask = extra.to_bytes(size, "big")
            else:
                fm.lpm.value = v.to_bytes(size, "big")
                fm.lpm.prefix_len = extra
        if value is not None and kind != p4r.Update.DELETE:
            action_id, params = value
            act = te.action.action
            act.action_id = action_id
            for pid, pv in params:
                p = act.params.add()
                p.param_id = pid
                p.value = pv.to_bytes(self.param_widths[(action_id, pid)], "big")
        return p4r.Update(type=cast(Any, kind), entity=p4r.Entity(table_entry=te))

    @staticmethod
    def session_update(kind: int, session_id: int, replicas: tuple[tuple[int, int], ...]) -> Any:
        cs = p4r.CloneSessionEntry(session_id=session_id)
        if kind != p4r.Update.DELETE:
            for port, instance in replicas:
                cs.replicas.add(egress_port=port, instance=instance)
        return p4r.Update(type=cast(Any, kind), entity=p4r.Entity(
            packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
                clone_session_entry=cs)))

    async def write(self, updates: list[Any]) -> list[UpdateError]:
        """Write one batch (CONTINUE_ON_ERROR, all BMv2 offers); the failed updates.

        When the switch fails the batch without saying which updates failed, every update
        is reported failed (its effect unknown: callers undo them leniently)."""
        if not updates:
            return []
        request = p4r.WriteRequest(device_id=self.device_id, election_id=self.election,
                                   atomicity=p4r.WriteRequest.CONTINUE_ON_ERROR,
                                   updates=updates)
        try:
            await self.client.request(request)
        except P4ClientError as exc:
            if exc.code.name in ("UNAVAILABLE", "PERMISSION_DENIED", "FAILED_PRECONDITION",
                                 "DEADLINE_EXCEEDED") and not exc.details:
                raise self._error(f"write refused: {exc.code.name} {exc.message}") from None
            if not exc.details:
                return [UpdateError(i, exc.code.name, exc.message or "write failed")
                        for i in range(len(updates))]
            return [UpdateError(i, err.canonical_code.name, err.message)
                    for i, err in sorted(exc.details.items())]
        return []


def _key_of(te: Any) -> EntryKey:
    items: list[MatchItem] = []
    for m in te.match:
        which = m.WhichOneof("field_match_type")
        if which == "exact":
            items.append((m.field_id, "e", _int(m.exact.value), 0))
        elif which == "ternary":
            items.append((m.field_id, "t", _int(m.ternary.value), _int(m.ternary.mask)))
        elif which == "lpm":
            items.append((m.field_id, "l", _int(m.lpm.value), m.lpm.prefix_len))
        else:
            items.append((m.field_id, which or "?", 0, 0))
    return (te.table_id, tuple(sorted(items)), te.priority)


def _value_of(te: Any) -> EntryValue:
    act = te.action.action
    return (act.action_id, tuple(sorted((p.param_id, _int(p.value)) for p in act.params)))
