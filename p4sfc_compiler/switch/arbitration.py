"""Controller arbitration as PI does it for BMv2: per device id, the stream connections
ordered by election id; the highest is primary, the others are backups.

A connection's first MasterArbitrationUpdate adds it; a later one changes its election
id. When the primary changes, every connection of the device is told (``Is primary`` with
code OK, ``Is backup`` with ALREADY_EXISTS and the primary's election id); otherwise only
the connection that asked. Two connections of one device cannot hold the same election id
(INVALID_ARGUMENT, which ends that stream). Writes and pipeline changes are accepted from
the primary's election id only; when no controller is connected, only requests without an
election id are (PI's rule, convenient for tools such as grpc_cli).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finsy.proto import p4r, rpc_code

from p4sfc_compiler.switch.p4rt_codec import P4RTError

MAX_CONNECTIONS = 16  # PI's limit per device


@dataclass(eq=False)
class StreamConnection:
    """One StreamChannel of a controller: where its answers go (``send``)."""

    send: Callable[[Any], None]  # a StreamMessageResponse
    device_id: int | None = None
    election_id: int | None = None


def election_int(u: Any) -> int:
    return (u.high << 64) | u.low


@dataclass
class _Device:
    connections: list[StreamConnection] = field(default_factory=list)  # highest first

    def primary(self) -> StreamConnection | None:
        return self.connections[0] if self.connections else None


class Arbiter:
    """The controllers of every device id a stream has named."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[int, _Device] = {}

    def arbitrate(self, conn: StreamConnection, device_id: int, election_id: int) -> None:
        """A MasterArbitrationUpdate on ``conn``; raises P4RTError to end the stream."""
        with self._lock:
            if conn.device_id is not None and conn.device_id != device_id:
                raise P4RTError(rpc_code.FAILED_PRECONDITION, "Invalid device id")
            dev = self._devices.setdefault(device_id, _Device())
            was_primary = dev.primary() is conn
            if conn.device_id is None:
                if len(dev.connections) >= MAX_CONNECTIONS:
                    raise P4RTError(rpc_code.RESOURCE_EXHAUSTED, "Too many connections")
                if any(c.election_id == election_id for c in dev.connections):
                    raise P4RTError(rpc_code.INVALID_ARGUMENT, "Election id already exists")
            else:
                if conn.election_id == election_id:
                    self._notify(device_id, dev, conn)
                    return
                if any(c.election_id == election_id for c in dev.connections if c is not conn):
                    raise P4RTError(rpc_code.INVALID_ARGUMENT, "New election id already exists")
                dev.connections.remove(conn)
            conn.device_id = device_id
            conn.election_id = election_id
            dev.connections.append(conn)
            dev.connections.sort(key=lambda c: -(c.election_id or 0))
            # A new primary (a newcomer on top, or a change of election id that moved
            # the top) is news for everyone; anything else only for the one that asked.
            if (dev.primary() is conn) != was_primary:
                for c in dev.connections:
                    self._notify(device_id, dev, c)
            else:
                self._notify(device_id, dev, conn)

    def leave(self, conn: StreamConnection) -> None:
        """The stream ended: when it was the primary, the next one is told it is."""
        with self._lock:
            if conn.device_id is None:
                return
            dev = self._devices.get(conn.device_id)
            if dev is None or conn not in dev.connections:
                return
            was_primary = dev.primary() is conn
            dev.connections.remove(conn)
            if was_primary:
                for c in dev.connections:
                    self._notify(conn.device_id, dev, c)

    def check_primary(self, device_id: int, election: Any | None) -> None:
        """Raise PERMISSION_DENIED unless ``election`` (a Uint128, or None when the request
        has none) may write to ``device_id``."""
        with self._lock:
            dev = self._devices.get(device_id)
            primary = dev.primary() if dev else None
            if primary is None:
                if election is not None:
                    raise P4RTError(rpc_code.PERMISSION_DENIED, "Not primary")
                return
            if election is None or election_int(election) != primary.election_id:
                raise P4RTError(rpc_code.PERMISSION_DENIED, "Not primary")

    def primary_of(self, device_id: int) -> StreamConnection | None:
        with self._lock:
            dev = self._devices.get(device_id)
            return dev.primary() if dev else None

    def is_primary(self, conn: StreamConnection) -> bool:
        with self._lock:
            if conn.device_id is None:
                return False
            dev = self._devices.get(conn.device_id)
            return dev is not None and dev.primary() is conn

    @staticmethod
    def _notify(device_id: int, dev: _Device, conn: StreamConnection) -> None:
        primary = dev.primary()
        assert primary is not None and primary.election_id is not None
        reply = p4r.StreamMessageResponse()
        arb = reply.arbitration
        arb.device_id = device_id
        arb.election_id.high = primary.election_id >> 64
        arb.election_id.low = primary.election_id & (2**64 - 1)
        if conn is primary:
            arb.status.code = rpc_code.OK
            arb.status.message = "Is primary"
        else:
            arb.status.code = rpc_code.ALREADY_EXISTS
            arb.status.message = "Is backup"
        conn.send(reply)
