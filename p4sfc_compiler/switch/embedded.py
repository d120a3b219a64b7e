"""The embedded switch as one object: P4Runtime server, device state, pipeline and ports.

``with EmbeddedSwitch() as sw:`` starts the gRPC server on a free loopback port in
background threads (``sw.address``); ``p4sfc switch`` runs the same object until a signal.
Frames come in through ``send`` (in-process), pcap files or interfaces; what the pipeline
sends out goes, per port, to the CPU port's controller (PacketIn), an interface, the pcap
folder, or else the in-process queue that ``receive`` / ``collect`` read.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from finsy.proto import p4r_grpc, rpc_code

from p4sfc_compiler.errors import P4SFCError, printable
from p4sfc_compiler.switch.ageing import SWEEP_INTERVAL_S, AgeingMonitor
from p4sfc_compiler.switch.p4rt_codec import P4RTError
from p4sfc_compiler.switch.p4rt_server import P4RuntimeService
from p4sfc_compiler.switch.p4rt_state import FaultHook, SwitchState
from p4sfc_compiler.switch.pipeline import Pipeline
from p4sfc_compiler.switch.ports import InterfacePorts, PcapPorts, QueuePorts

# Streams hold a worker each for their lifetime (at most 16 arbitrating per device id,
# PI's limit); the rest serve unary calls.
WORKERS = 32
MAX_MESSAGE = 256 * 1024 * 1024  # PI's receive limit


class EmbeddedSwitch:
    """One switch (``device_id``) serving P4Runtime at ``grpc_address`` (port 0: a free
    one, read back from ``address``)."""

    def __init__(self, grpc_address: str = "127.0.0.1:0", *, device_id: int = 0,
                 cpu_port: int | None = None, pcap_dir: Path | None = None,
                 interfaces: dict[int, str] | None = None,
                 report: Callable[[str], None] | None = None,
                 ageing_interval: float = SWEEP_INTERVAL_S) -> None:
        self.requested = grpc_address
        self.device_id = device_id
        self.cpu_port = cpu_port
        self.state = SwitchState(device_id, Pipeline)
        self.service = P4RuntimeService(self.state, cpu_port, self.send)
        # idle timeouts: BMv2's sweep cadence unless a test wants it faster
        self.ageing = AgeingMonitor(self.state.sweep_idle, self.service.idle_timeout,
                                    ageing_interval)
        self.queues = QueuePorts()
        self._pcap_dir = pcap_dir
        self._interfaces = dict(interfaces or {})
        self._report = report  # news of the ports (pcap files played), one line each
        self.pcaps: PcapPorts | None = None
        self.ifaces: InterfacePorts | None = None
        self._server: Any = None
        self.address = ""

    # -- life ---------------------------------------------------------------------

    def start(self) -> EmbeddedSwitch:
        _check_bindable(self.requested)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS,
                                                        thread_name_prefix="p4rt"),
                             options=[("grpc.max_receive_message_length", MAX_MESSAGE),
                                      ("grpc.so_reuseport", 0)])
        p4r_grpc.add_P4RuntimeServicer_to_server(self.service, server)
        try:
            port = server.add_insecure_port(self.requested)
        except RuntimeError:
            port = 0
        if port == 0 and not self.requested.startswith("unix:"):
            raise P4SFCError(f"cannot listen on {self.requested} (address in use, or not "
                             "an address of this host)")
        host = self.requested.rsplit(":", 1)[0]
        self.address = self.requested if self.requested.startswith("unix:") else f"{host}:{port}"
        try:
            if self._pcap_dir is not None:
                self.pcaps = PcapPorts(self._pcap_dir, self.send, self._report)
            if self._interfaces:
                self.ifaces = InterfacePorts(self._interfaces, self.send, self._report)
        except BaseException:
            self._close_ports()
            raise
        server.start()
        self._server = server
        self.ageing.start()
        if self.pcaps is not None:
            self.pcaps.start()
        if self.ifaces is not None:
            self.ifaces.start()
        return self

    def stop(self, grace: float = 0.5) -> None:
        """Stop serving (open streams end), close the ports and their files."""
        self._close_ports()
        if self._server is not None:
            self.ageing.stop()
            self.service.close_streams()
            self._server.stop(grace).wait()
            self._server = None

    def _close_ports(self) -> None:
        if self.ifaces is not None:
            self.ifaces.close()
            self.ifaces = None
        if self.pcaps is not None:
            self.pcaps.close()
            self.pcaps = None

    def __enter__(self) -> EmbeddedSwitch:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- frames -------------------------------------------------------------------

    def send(self, port: int, frame: bytes) -> None:
        """A frame enters ``port``; what the pipeline sends out is delivered at once."""
        for out_port, out in self.state.process(port, frame):
            self._deliver(out_port, out)

    def _deliver(self, port: int, frame: bytes) -> None:
        if port == self.cpu_port:
            self.service.packet_in(frame)
        elif self.ifaces is not None and self.ifaces.send(port, frame):
            pass
        elif self.pcaps is not None:
            self.pcaps.write(port, frame)
        else:
            self.queues.put(port, frame)

    def receive(self, port: int, timeout: float | None = 0.0) -> bytes | None:
        """The next frame that left ``port`` (in-process ports), or None."""
        return self.queues.receive(port, timeout)

    def collect(self, port: int) -> list[bytes]:
        """Every frame that left ``port`` and was not taken yet (in-process ports)."""
        return self.queues.collect(port)

    # -- test hooks ---------------------------------------------------------------

    def fail_update(self, k: int, message: str = "injected failure") -> None:
        """Make the ``k``-th update written from now on (1-based, across Writes) fail
        with INTERNAL, once; the switch state is left as if it had never been sent."""
        seen = [0]

        def hook(update: Any) -> P4RTError | None:
            seen[0] += 1
            if seen[0] == k:
                self.state.fault = None
                return P4RTError(rpc_code.INTERNAL, message)
            return None
        self.state.fault = hook

    def set_fault(self, hook: FaultHook | None) -> None:
        """Any per-update fault hook (None: none)."""
        self.state.fault = hook


def _check_bindable(address: str) -> None:
    """A one-line error for a TCP address the server cannot listen on (gRPC would only
    log it): in use, or not an address of this host."""
    if address.startswith("unix:"):
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise P4SFCError(f"--grpc {printable(address)}: expected HOST:PORT")
    host = host.strip("[]") or "0.0.0.0"
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise P4SFCError(f"--grpc {printable(address)}: {exc.strerror}") from None
    family, _, _, _, sockaddr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(sockaddr)
        except OSError as exc:
            raise P4SFCError(f"cannot listen on {printable(address)}: "
                             f"{exc.strerror or exc}") from None
