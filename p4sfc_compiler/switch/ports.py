"""The embedded switch's ports: where a frame enters and where the frames the pipeline
sends out go.

* :class:`QueuePorts`: in-process, for tests and for programs that drive the switch from
  Python (``send`` a frame in, ``receive`` / ``collect`` what left on a port).
* :class:`PcapPorts`: a folder of pcap files: ``portN-in.pcap`` is played into port N
  each time it is written or touched while the switch runs (frames of all the files
  changed together in timestamp order); what leaves port N is appended to
  ``portN-out.pcap``.
* :class:`InterfacePorts`: Linux interfaces through AF_PACKET sockets (``1@veth0``), one
  reader thread per interface; frames the switch itself sent are not read back.
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.switch.pcap import PcapError, PcapWriter, read_pcap

# A frame entering port N: the switch runs it through the pipeline.
Inject = Callable[[int, bytes], None]

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # sll_pkttype of a frame this host sent
_POLL = 0.2  # seconds between checks of a stop flag or a pcap folder


class QueuePorts:
    """What left each port, kept in order until taken."""

    def __init__(self) -> None:
        self._queues: dict[int, queue.Queue[bytes]] = {}
        self._lock = threading.Lock()

    def _queue(self, port: int) -> queue.Queue[bytes]:
        with self._lock:
            q = self._queues.get(port)
            if q is None:
                q = self._queues[port] = queue.Queue()
            return q

    def put(self, port: int, frame: bytes) -> None:
        self._queue(port).put(frame)

    def receive(self, port: int, timeout: float | None = 0.0) -> bytes | None:
        """The next frame that left ``port``, waiting up to ``timeout`` seconds (None:
        forever); None when there is none."""
        try:
            return self._queue(port).get(timeout=timeout) if timeout != 0 else \
                self._queue(port).get_nowait()
        except queue.Empty:
            return None

    def collect(self, port: int) -> list[bytes]:
        """Every frame that left ``port`` and was not taken yet."""
        out = []
        q = self._queue(port)
        while True:
            try:
                out.append(q.get_nowait())
            except queue.Empty:
                return out


def parse_interface(spec: str) -> tuple[int, str]:
    """``N@IFNAME`` (BMv2's ``-i`` syntax) as (port, interface name)."""
    port, sep, name = spec.partition("@")
    if not sep or not port.isascii() or not port.isdigit() or not name:
        raise P4SFCError(f"--iface {spec}: expected PORT@INTERFACE, e.g. 1@veth0")
    return int(port), name


class InterfacePorts:
    """Ports bound to Linux interfaces."""

    def __init__(self, interfaces: dict[int, str], inject: Inject,
                 report: Callable[[str], None] | None = None) -> None:
        self.inject = inject
        self.report = report
        self.sockets: dict[int, socket.socket] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        try:
            for port, name in sorted(interfaces.items()):
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                self.sockets[port] = s
                s.bind((name, 0))
                s.settimeout(_POLL)
        except OSError as exc:
            self.close()
            raise P4SFCError(f"interface {name} (port {port}): {exc.strerror or exc}") from None

    def start(self) -> None:
        for port, s in self.sockets.items():
            t = threading.Thread(target=self._read, args=(port, s), daemon=True,
                                 name=f"port{port}")
            t.start()
            self._threads.append(t)

    def _read(self, port: int, s: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                frame, addr = s.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            if addr[2] == PACKET_OUTGOING:
                continue
            _run(self.inject, port, frame, self.report)

    def send(self, port: int, frame: bytes) -> bool:
        """Send on ``port`` if it is an interface port."""
        s = self.sockets.get(port)
        if s is None:
            return False
        try:
            s.send(frame)
        except OSError:
            pass  # an interface that went down drops the frame, as a wire would
        return True

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()
        for s in self.sockets.values():
            s.close()


class PcapPorts:
    """Ports backed by ``portN-in.pcap`` / ``portN-out.pcap`` in one folder."""

    def __init__(self, directory: Path, inject: Inject,
                 report: Callable[[str], None] | None = None) -> None:
        if not directory.is_dir():
            raise P4SFCError(f"--pcap-dir {directory}: no such folder")
        self.directory = directory
        self.inject = inject
        self.report = report
        self._writers: dict[int, PcapWriter] = {}
        self._lock = threading.Lock()
        self._seen: dict[Path, tuple[int, int]] = {p: _stamp(p) for p in self._inputs()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _inputs(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("port*-in.pcap")
                      if p.name[4:-8].isascii() and p.name[4:-8].isdigit())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, daemon=True, name="pcap-ports")
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(_POLL):
            self.play_changed()

    def play_changed(self) -> int:
        """Play the input files written or touched since last seen; frames played."""
        changed = []
        for path in self._inputs():
            stamp = _stamp(path)
            if self._seen.get(path) != stamp:
                self._seen[path] = stamp
                changed.append(path)
        return self.play(changed)

    def play(self, paths: list[Path]) -> int:
        """Play these input files now, their frames in timestamp order."""
        frames = []
        for path in paths:
            port = int(path.name[4:-8])
            try:
                frames += [(ts, i, port, f) for i, (ts, f) in enumerate(read_pcap(path))]
            except (OSError, PcapError) as exc:
                if self.report:
                    self.report(f"{path}: {exc}")
        frames.sort(key=lambda x: (x[0], x[1]))
        for _, _, port, frame in frames:
            _run(self.inject, port, frame, self.report)
        if self.report and paths:
            self.report(f"played {len(frames)} frames from "
                        f"{', '.join(p.name for p in paths)}")
        return len(frames)

    def write(self, port: int, frame: bytes) -> None:
        with self._lock:
            w = self._writers.get(port)
            if w is None:
                w = self._writers[port] = PcapWriter(self.directory / f"port{port}-out.pcap")
            w.write(frame)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for w in self._writers.values():
                w.close()
            self._writers.clear()


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def _run(inject: Inject, port: int, frame: bytes, report: Callable[[str], None] | None) -> None:
    """One frame through the switch from a port's thread. A frame the model fails on is
    dropped and said, so one bad frame does not stop the port for the frames after it."""
    try:
        inject(port, frame)
    except Exception as exc:  # noqa: BLE001 - any model error: report, keep the port up
        if report is not None:
            report(f"port {port}: frame of {len(frame)} bytes dropped: "
                   f"{type(exc).__name__}: {exc}")
