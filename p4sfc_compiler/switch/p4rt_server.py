"""The embedded switch's P4Runtime gRPC service (finsy's generated servicer base), answering
as BMv2's PI server does: the same checks in the same order, the same codes and messages.

* StreamChannel: arbitration (:mod:`.arbitration`), PacketOut into the pipeline at the CPU
  port and PacketIn of what the pipeline sends to it (when a CPU port is set), and the
  ageing monitor's IdleTimeoutNotifications (:mod:`.ageing`), all to the primary only.
* Set/GetForwardingPipelineConfig, Write, Read: against :class:`.p4rt_state.SwitchState`.
  A request for another device id than the switch's finds no program there
  (FAILED_PRECONDITION "No forwarding pipeline config set for this device", as BMv2 says for
  a device it was not started as); SetForwardingPipelineConfig for another device id is
  NOT_FOUND (BMv2 answers UNKNOWN "Error when trying to assign device" and stops serving).
* A Write with failed updates ends with UNKNOWN "Write failure." and a ``google.rpc.Status``
  in the ``grpc-status-details-bin`` trailer holding one ``p4.v1.Error`` per update up to
  the last failed one, in order (PI's ``P4ErrorReporter``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import grpc
from finsy.proto import p4r, p4r_grpc, rpc_code, rpc_status

from p4sfc_compiler.switch.arbitration import Arbiter, StreamConnection, election_int
from p4sfc_compiler.switch.p4rt_codec import P4RTError
from p4sfc_compiler.switch.p4rt_state import SwitchState

P4RUNTIME_API_VERSION = "1.3.0"  # what BMv2's PI server says
ERROR_SPACE = "ALL-sswitch-p4org"
READ_CHUNK = 10_000  # entities per ReadResponse

_GRPC_CODES = {c.value[0]: c for c in grpc.StatusCode}


class _Status(NamedTuple):
    """A ``grpc.Status`` for ``abort_with_status`` (code, details, trailing metadata)."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, bytes], ...]


def _abort(context: grpc.ServicerContext, err: P4RTError) -> None:
    context.abort(_GRPC_CODES.get(err.code, grpc.StatusCode.UNKNOWN), err.message)


def write_status(results: list[P4RTError | None]) -> _Status | None:
    """PI's Write status for per-update results; None when every update succeeded."""
    last = max((i for i, r in enumerate(results) if r is not None), default=-1)
    if last < 0:
        return None
    status = rpc_status.Status(code=rpc_code.UNKNOWN, message="Write failure.")
    for r in results[:last + 1]:
        err = p4r.Error(canonical_code=rpc_code.OK) if r is None else p4r.Error(
            canonical_code=r.code, message=r.message, space=ERROR_SPACE)
        status.details.add().Pack(err)
    return _Status(grpc.StatusCode.UNKNOWN, "Write failure.",
                   (("grpc-status-details-bin", status.SerializeToString()),))


class P4RuntimeService(p4r_grpc.P4RuntimeServicer):
    """One switch's P4Runtime service."""

    def __init__(self, state: SwitchState, cpu_port: int | None = None,
                 emit: Callable[[int, bytes], None] | None = None) -> None:
        self.state = state
        self.arbiter = Arbiter()
        self.cpu_port = cpu_port
        # where PacketOut frames go: the switch runs them and delivers their outputs
        self.emit = emit
        self._streams: set[queue.Queue[Any]] = set()
        self._streams_lock = threading.Lock()

    # -- unary RPCs ---------------------------------------------------------------

    def Capabilities(self, request: Any, context: grpc.ServicerContext) -> Any:
        return p4r.CapabilitiesResponse(p4runtime_api_version=P4RUNTIME_API_VERSION)

    def SetForwardingPipelineConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            self.arbiter.check_primary(
                request.device_id,
                request.election_id if request.HasField("election_id") else None)
            if request.device_id != self.state.device_id:
                raise P4RTError(rpc_code.NOT_FOUND,
                                f"Device {request.device_id} not found (this switch is device "
                                f"{self.state.device_id})")
            self.state.set_config(request.action, request.config)
        except P4RTError as err:
            _abort(context, err)
        return p4r.SetForwardingPipelineConfigResponse()

    def GetForwardingPipelineConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        reply = p4r.GetForwardingPipelineConfigResponse()
        try:
            self._device(request.device_id)
            self.state.get_config(request.response_type, reply.config)
        except P4RTError as err:
            _abort(context, err)
        return reply

    def Write(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            self.arbiter.check_primary(
                request.device_id,
                request.election_id if request.HasField("election_id") else None)
            self._device(request.device_id)
            if request.atomicity != p4r.WriteRequest.CONTINUE_ON_ERROR:
                raise P4RTError(rpc_code.UNIMPLEMENTED,
                                "Support for atomic write modes has not been implemented yet")
            results = self.state.write(request.updates)
        except P4RTError as err:
            _abort(context, err)
        status = write_status(results)
        if status is not None:
            context.abort_with_status(status)
        return p4r.WriteResponse()

    def Read(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        """The entities in replies of at most READ_CHUNK (PI sends one reply, which a
        client's 4 MiB message limit refuses past some 80,000 entries)."""
        reply = p4r.ReadResponse()
        try:
            self._device(request.device_id)
            self.state.read(request.entities, reply)
        except P4RTError as err:
            _abort(context, err)
        if len(reply.entities) <= READ_CHUNK:
            yield reply
            return
        for start in range(0, len(reply.entities), READ_CHUNK):
            yield p4r.ReadResponse(entities=reply.entities[start:start + READ_CHUNK])

    def _device(self, device_id: int) -> None:
        if device_id != self.state.device_id:
            raise P4RTError(rpc_code.FAILED_PRECONDITION,
                            "No forwarding pipeline config set for this device")
        self.state.require()

    # -- the stream ---------------------------------------------------------------

    def StreamChannel(self, request_iterator: Iterator[Any],
                      context: grpc.ServicerContext) -> Iterator[Any]:
        """Answers come from a queue: arbitration news for this stream can be raised by
        another stream's request, and PacketIn by the ports' threads."""
        out: queue.Queue[Any] = queue.Queue()
        conn = StreamConnection(send=out.put)
        with self._streams_lock:
            self._streams.add(out)
        reader = threading.Thread(target=self._read_stream, args=(request_iterator, conn, out),
                                  name="p4rt-stream", daemon=True)
        def gone() -> None:
            # the client went away: another controller may take over at once
            self.arbiter.leave(conn)
            out.put(None)
        context.add_callback(gone)
        reader.start()
        try:
            while True:
                item = out.get()
                if item is None:
                    return
                if isinstance(item, P4RTError):
                    _abort(context, item)
                yield item
        finally:
            with self._streams_lock:
                self._streams.discard(out)
            self.arbiter.leave(conn)

    def _read_stream(self, requests: Iterator[Any], conn: StreamConnection,
                     out: queue.Queue[Any]) -> None:
        try:
            for request in requests:
                which = request.WhichOneof("update")
                if which == "arbitration":
                    arb = request.arbitration
                    try:
                        self.arbiter.arbitrate(conn, arb.device_id, election_int(arb.election_id))
                    except P4RTError as err:
                        out.put(err)
                        return
                elif which == "packet":
                    self._packet_out(conn, request.packet.payload)
        except grpc.RpcError:
            pass  # the client went away
        finally:
            self.arbiter.leave(conn)
            out.put(None)

    def _packet_out(self, conn: StreamConnection, payload: bytes) -> None:
        """PI drops a PacketOut from a backup; the frame enters at the CPU port."""
        if self.cpu_port is None or self.emit is None or not self.arbiter.is_primary(conn):
            return
        if conn.device_id != self.state.device_id:
            return
        try:
            self.emit(self.cpu_port, payload)
        except Exception:  # noqa: BLE001 - a frame the model fails on must not end the stream
            return  # dropped, as the switch would drop a frame it cannot parse

    def packet_in(self, frame: bytes) -> None:
        """A frame the pipeline sent to the CPU port: to the primary controller's stream."""
        self.to_primary(p4r.StreamMessageResponse(packet=p4r.PacketIn(payload=frame)))

    def idle_timeout(self, notification: Any) -> None:
        """An ``IdleTimeoutNotification`` of the ageing monitor: to the primary's stream."""
        self.to_primary(p4r.StreamMessageResponse(idle_timeout_notification=notification))

    def to_primary(self, message: Any) -> None:
        """A stream message for the primary controller, dropped when there is none (PI's
        ``send_stream_message``)."""
        primary = self.arbiter.primary_of(self.state.device_id)
        if primary is not None:
            primary.send(message)

    def close_streams(self) -> None:
        """End every open stream (the server is stopping)."""
        with self._streams_lock:
            for out in self._streams:
                out.put(None)
