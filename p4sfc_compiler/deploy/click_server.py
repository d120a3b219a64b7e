"""A server of the deployment run by the real ``click`` (``p4sfc run --nf-runner click``):
its generated configuration, unchanged, in a network namespace of its own where the
configuration's interface is one end of a veth pair; this process holds the other end
(an AF_PACKET socket) and talks to ``click``'s ControlSocket (``-u``, a unix socket) to
read handlers. Needs root (namespaces) and ``click`` on PATH.

A frame is done when ``FromDevice`` has counted it and the output ``Queue`` is empty;
what ``ToDevice`` sent is then read off the socket until it stays quiet for
:data:`QUIET` seconds (a server answers at once or not at all)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from p4sfc_compiler.backend.clickgen import ALERT_SINK
from p4sfc_compiler.deploy.servers import Count, ElementKey
from p4sfc_compiler.deploy.wiring import ServerSite
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.frontend.parser import parse_text

CLICK = "click"
QUIET = 0.01  # seconds without a frame after the queue emptied: the answer is complete
START = 10.0  # seconds click may take to open its control socket
PACKET_OUTGOING = 4
_COUNTERS = ("Counter", "AverageCounter")


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise P4SFCError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class ClickServer:
    """One server's configuration in the real click."""

    def __init__(self, site: ServerSite, index: int) -> None:
        assert site.config is not None
        if shutil.which(CLICK) is None:
            raise P4SFCError("--nf-runner click: click is not on PATH")
        if os.geteuid() != 0:
            raise P4SFCError("--nf-runner click: needs root (each server's click runs in a "
                             "network namespace of its own)")
        self.site = site
        text = site.config.read_text()
        m = re.search(r"FromDevice\((\"?)([^,\")]+)\1", text)
        if m is None:
            raise P4SFCError(f"{site.config}: no FromDevice (compile with the device I/O)")
        iface = m.group(2)
        graph = parse_text(text, str(site.config))
        self.classes: dict[str, str] = {n: d["cls"] for n, d in graph.nodes(data=True)}
        # run after each frame is done (the state library mirrors click's mappings)
        self.after_push: list[Callable[[], None]] = []
        self._counters: dict[ElementKey, str] = {}
        for name, d in graph.nodes(data=True):
            inst, sep, inner = name.partition("/")
            if sep and inst in site.instances and d["cls"] in _COUNTERS:
                chain, nf, _ = site.instances[inst]
                self._counters[(chain, nf, inner)] = name
        self._alerts = ALERT_SINK in graph
        self.ns = f"p4sfc-{os.getpid()}-{index}"
        self.host_if = f"p4r{os.getpid() % 100000}x{index}"[:15]
        self._tmp = tempfile.TemporaryDirectory(prefix="p4sfc-click-")
        self._sock: socket.socket | None = None
        self._ctl: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.received = 0
        try:
            self._start(iface)
        except BaseException:
            self.close()
            raise

    def _start(self, iface: str) -> None:
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", iface,
            "netns", self.ns)
        for args in (("link", "set", self.host_if, "up"),
                     ("-n", self.ns, "link", "set", iface, "up"),
                     ("-n", self.ns, "link", "set", "lo", "up")):
            _ip(*args)
        # no IPv6 chatter (router solicitations) on either end: only the switch's frames
        subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{self.host_if}.disable_ipv6=1"],
                       capture_output=True)
        subprocess.run(["ip", "netns", "exec", self.ns, "sysctl", "-qw",
                        f"net.ipv6.conf.{iface}.disable_ipv6=1"], capture_output=True)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        s.bind((self.host_if, 0))
        self._sock = s
        ctl_path = Path(self._tmp.name) / "ctl"
        log = Path(self._tmp.name) / "click.log"
        assert self.site.config is not None
        with open(log, "wb") as out:
            self._proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, CLICK, "-u", str(ctl_path), "-f",
                 str(self.site.config)], stdout=out, stderr=subprocess.STDOUT,
                cwd=self.site.config.parent)
        deadline = time.monotonic() + START
        while True:
            if self._proc.poll() is not None:
                raise P4SFCError(f"click on {self.site.config} exited: "
                                 f"{log.read_text(errors='replace').strip()[:300]}")
            if ctl_path.exists():
                try:
                    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    ctl.connect(str(ctl_path))
                    self._ctl = ctl
                    self._banner()
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise P4SFCError(f"click on {self.site.config} did not start in {START:g} s")
            time.sleep(0.05)
        self._drain(0.2)  # whatever the interfaces said coming up

    # -- the ControlSocket ---------------------------------------------------------

    def _line(self) -> bytes:
        assert self._ctl is not None
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = self._ctl.recv(1)
            if not chunk:
                raise P4SFCError(f"click on {self.site.config}: control socket closed")
            buf += chunk
        return buf

    def _banner(self) -> None:
        self._line()  # Click::ControlSocket/1.x

    def read(self, handler: str) -> str:
        assert self._ctl is not None
        self._ctl.sendall(f"READ {handler}\r\n".encode())
        status = self._line()
        if not status.startswith(b"200"):
            raise P4SFCError(f"click: READ {handler}: {status.decode(errors='replace').strip()}")
        size = int(self._line().split()[1])
        data = b""
        while len(data) < size:
            data += self._ctl.recv(size - len(data))
        return data.decode().strip()

    # -- frames --------------------------------------------------------------------

    def _drain(self, quiet: float) -> list[bytes]:
        assert self._sock is not None
        out: list[bytes] = []
        self._sock.settimeout(quiet)
        while True:
            try:
                frame, addr = self._sock.recvfrom(65535)
            except TimeoutError:
                return out
            if addr[2] != PACKET_OUTGOING:
                out.append(frame)

    def push(self, frame: bytes) -> list[bytes]:
        assert self._sock is not None
        self.received += 1
        self._sock.send(frame)
        deadline = time.monotonic() + 5
        while int(self.read("p4sfc_in.count")) < self.received or \
                int(self.read("p4sfc_out.length")) > 0:
            if time.monotonic() > deadline:
                raise P4SFCError(f"click on {self.site.config}: frame {self.received} "
                                 "not taken in 5 s")
            time.sleep(0.001)
        out = self._drain(QUIET)
        for hook in self.after_push:
            hook()
        return out

    def counts(self) -> dict[ElementKey, Count]:
        return {k: Count(int(self.read(f"{n}.count")), int(self.read(f"{n}.byte_count")))
                for k, n in self._counters.items()}

    def alerts(self) -> int:
        return int(self.read(f"{ALERT_SINK}.count")) if self._alerts else 0

    def close(self) -> None:
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        self._tmp.cleanup()
