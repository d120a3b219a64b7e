"""One BMv2 switch in a network namespace of its own, for the data-plane bench: a program
compiled by p4c (cached), its entries over P4Runtime, paced traffic in on port 1, frames
counted and timestamped out of port 2.

Builds on tests/support/bmv2.py (namespace, veth pairs, simple_switch_grpc, P4Runtime
client). The sender's socket receives nothing (protocol 0), so its own frames cost no
copies; the receivers take kernel receive timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME),
compared with the sender's CLOCK_REALTIME just before each send: same host, same clock.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import select
import shutil
import socket
import statistics
import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from support.bmv2 import ETH_P_ALL, PACKET_OUTGOING, SO_RCVBUFFORCE, Netns, Switch

SO_TIMESTAMPNS = 35  # = SCM_TIMESTAMPNS (x86-64 and most Linux ports)
PR_SET_TIMERSLACK = 29
PORTS = (1, 2, 3)
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Compiled:
    json: bytes
    p4info: str
    seconds: float  # p4c's wall time when it compiled this source
    cached: bool


def p4c_version() -> str:
    done = subprocess.run(["p4c-bm2-ss", "--version"], capture_output=True, text=True)
    return " ".join((done.stdout + done.stderr).split())


def compile_p4(source: Path, cache: Path | None, *, includes: Sequence[Path] = (),
               defines: Sequence[str] = ()) -> Compiled:
    """p4c-bm2-ss on ``source`` (JSON and P4Info), cached by the source text, the
    ``includes`` it pulls in, the preprocessor ``defines`` and p4c's version."""
    key = hashlib.sha256()
    for p in (source, *includes):
        key.update(p.read_bytes())
    key.update(p4c_version().encode())
    key.update(" ".join(defines).encode())
    folder = None
    if cache is not None:
        folder = cache / key.hexdigest()[:20]
        done = folder / "seconds"
        if done.exists():
            return Compiled((folder / "prog.json").read_bytes(),
                            (folder / "prog.p4info.txtpb").read_text(),
                            float(done.read_text()), True)
    out = folder or Path(os.environ.get("TMPDIR", "/tmp")) / f"p4c-{key.hexdigest()[:20]}"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["p4c-bm2-ss", "--p4v", "16", *(f"-D{d}" for d in defines),
         "--p4runtime-files", str(out / "prog.p4info.txtpb"), "-o", str(out / "prog.json"),
         str(source)],
        capture_output=True, text=True, timeout=900,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"p4c-bm2-ss {source} failed:\n{proc.stdout}{proc.stderr}")
    (out / "seconds").write_text(f"{seconds:.3f}\n")
    compiled = Compiled((out / "prog.json").read_bytes(),
                        (out / "prog.p4info.txtpb").read_text(), seconds, False)
    if folder is None:
        shutil.rmtree(out, ignore_errors=True)
    return compiled


def _receiver(s: socket.socket) -> None:
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setblocking(False)


def _sender(s: socket.socket) -> None:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)


@dataclass
class Trial:
    rate: float  # asked for
    sent: int
    received: int  # distinct frames of this trial on the egress port
    elsewhere: int  # frames on other ports
    offered: float  # measured send rate, frames/s
    out_rate: float  # measured egress rate, frames/s
    latencies_ns: list[int] = field(default_factory=list)
    cpu_s: float = 0.0  # CPU time simple_switch_grpc used during the trial (all threads)

    @property
    def lossless(self) -> bool:
        """Every frame out, and the egress kept pace with the sender (no queue that
        grows: a short trial could hide an overload in BMv2's buffers)."""
        return self.received == self.sent and self.out_rate >= 0.97 * self.offered

    def latency_us(self, q: float) -> float:
        if not self.latencies_ns:
            return float("nan")
        xs = sorted(self.latencies_ns)
        return xs[min(len(xs) - 1, int(q * len(xs)))] / 1000.0

    @property
    def median_us(self) -> float:
        return statistics.median(self.latencies_ns) / 1000.0 if self.latencies_ns else float("nan")


class BenchLab:
    """simple_switch_grpc running ``json`` with ports 1, 2, 3 on veth pairs whose far ends
    (``s1h1``...) belong to the lab."""

    def __init__(self, workdir: Path, program: Compiled, p4info: str, writes: Sequence[str],
                 log_level: str = "off") -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.ns = Netns()
        self.switch: Switch | None = None
        self.rx: dict[int, socket.socket] = {}
        try:
            for p in PORTS:
                self.ns.veth(f"s1p{p}", f"s1h{p}")
            self.tx = self.ns.socket_in("s1h1", 0, 0, _sender)
            for p in PORTS:
                self.rx[p] = self.ns.socket_in(f"s1h{p}", ETH_P_ALL, ETH_P_ALL, _receiver)
            old = os.environ.get("P4SFC_BMV2_LOG")
            os.environ["P4SFC_BMV2_LOG"] = log_level
            try:
                self.switch = Switch(self.ns, "s1", PORTS, 0, workdir, 9090)
            finally:
                if old is None:
                    del os.environ["P4SFC_BMV2_LOG"]
                else:
                    os.environ["P4SFC_BMV2_LOG"] = old
            self.switch.client.set_pipeline(p4info, program.json)
            for w in writes:
                if w:
                    self.switch.client.write_text(w)
            self.drain()
        except BaseException:
            self.close()
            raise
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0)  # sleeps that end on time (1 us)

    @property
    def pid(self) -> int:
        """The simple_switch_grpc process (``ip netns exec`` execs it in place)."""
        assert self.switch is not None
        return self.switch.proc.pid

    # -- frames -----------------------------------------------------------------------

    def _read(self, port: int, into: list[tuple[bytes, int]]) -> int:
        s = self.rx[port]
        n = 0
        while True:
            try:
                data, anc, _, addr = s.recvmsg(65535, 64)
            except BlockingIOError:
                return n
            if addr[2] == PACKET_OUTGOING:
                continue
            ts = 0
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", raw[:16])
                    ts = sec * 1_000_000_000 + nsec
            into.append((data, ts))
            n += 1

    def collect(self, quiet: float = 0.3, limit: float = 20.0, expect: int | None = None
                ) -> dict[int, list[tuple[bytes, int]]]:
        """Frames (with receive times) per port until nothing arrives for ``quiet``
        seconds, or ``expect`` frames came out of port 2 and ``quiet / 5`` passed."""
        got: dict[int, list[tuple[bytes, int]]] = {p: [] for p in PORTS}
        by_fd = {s.fileno(): p for p, s in self.rx.items()}
        end = time.monotonic() + limit
        while time.monotonic() < end:
            wait = quiet
            if expect is not None and len(got[2]) >= expect:
                wait = quiet / 5
            ready, _, _ = select.select(list(by_fd), [], [], wait)
            if not ready:
                break
            for fd in ready:
                self._read(by_fd[fd], got[by_fd[fd]])
        return got

    def drain(self) -> None:
        self.collect(quiet=0.1, limit=30.0)

    def send_slowly(self, frames: Sequence[bytes], gap: float = 0.002) -> dict[int, list[bytes]]:
        """Send ``frames`` 2 ms apart; the frames out, per port."""
        self.drain()
        for f in frames:
            self.tx.send(f)
            time.sleep(gap)
        got = self.collect(quiet=0.5)
        return {p: [d for d, _ in v] for p, v in got.items()}

    def paced(self, frames: Sequence[bytes], rate: float) -> list[int]:
        """Send ``frames`` at ``rate`` frames/s; the send time of each (CLOCK_REALTIME ns).
        Paced by sleeping: when a sleep ends late, the frames due go out together."""
        n = len(frames)
        sent = [0] * n
        interval = 1e9 / rate
        send = self.tx.send
        now_ns = time.time_ns
        start = now_ns() + 1_000_000
        i = 0
        while i < n:
            now = now_ns()
            due = start + int(i * interval)
            if now < due:
                time.sleep((due - now) / 1e9)
                continue
            while i < n and start + int(i * interval) <= now:
                sent[i] = now_ns()
                send(frames[i])
                i += 1
        return sent

    def cpu_seconds(self) -> float:
        """User + system time of simple_switch_grpc so far (every thread)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def trial(self, frames: Sequence[bytes], ids: Sequence[int], rate: float,
              frame_id: Callable[[bytes], int | None]) -> Trial:
        """Send ``frames`` (IP ids ``ids``) at ``rate``; what came out of port 2."""
        self.drain()
        cpu0 = self.cpu_seconds()
        sent_at = self.paced(frames, rate)
        got = self.collect(expect=len(frames))
        cpu = self.cpu_seconds() - cpu0
        index = {ident: i for i, ident in enumerate(ids)}
        seen: dict[int, int] = {}
        for data, ts in got[2]:
            i = index.get(frame_id(data) if frame_id(data) is not None else -1)
            if i is not None and i not in seen:
                seen[i] = ts
        lat = [ts - sent_at[i] for i, ts in seen.items()]
        offered = (len(frames) - 1) / max(1e-9, (sent_at[-1] - sent_at[0]) / 1e9)
        out = 0.0
        if len(seen) > 1:
            times = sorted(seen.values())
            out = (len(times) - 1) / max(1e-9, (times[-1] - times[0]) / 1e9)
        elsewhere = sum(len(v) for p, v in got.items() if p != 2)
        return Trial(rate, len(frames), len(seen), elsewhere, offered, out, lat, cpu)

    def close(self) -> None:
        if self.switch is not None:
            self.switch.stop()
            self.switch = None
        for s in [*self.rx.values(), getattr(self, "tx", None)]:
            if s is not None:
                s.close()
        self.rx = {}
        self.ns.close()
