"""BMv2 ``simple_switch_grpc`` under test: one network namespace per test, veth pairs for
the switch ports, P4Runtime over a unix socket, frames through AF_PACKET sockets.

BMv2 always opens a Thrift server on 0.0.0.0, so it runs inside a namespace of its own
(``ip netns exec``); its gRPC server listens on a unix socket, which the test reaches from
outside the namespace. The test's packet sockets are opened inside the namespace by a
short-lived thread that joins it with setns(2) (a socket keeps the namespace it was made
in). Needs root, iproute2, simple_switch_grpc and p4c-bm2-ss; :func:`unavailable` says
which is missing so the tests can skip with a reason.
"""

from __future__ import annotations

import ctypes
import os
import queue
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from itertools import count
from pathlib import Path

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33  # as root, past net.core.rmem_max
_names = count()


def unavailable() -> str | None:
    """Why the BMv2 tests cannot run here, or None."""
    if shutil.which("simple_switch_grpc") is None:
        return "simple_switch_grpc (BMv2 with P4Runtime) is not on PATH"
    if shutil.which("p4c-bm2-ss") is None:
        return "p4c-bm2-ss is not on PATH"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    if os.geteuid() != 0:
        return "network namespaces and veth pairs need root"
    try:
        import finsy.proto  # noqa: F401
    except ImportError:
        return "finsy (P4Runtime protobufs) is not installed"
    return None


_compiled: dict[str, bytes] = {}  # P4 source -> BMv2 JSON, for the test session


def compile_p4(source: str, out_dir: Path) -> Path:
    """The BMv2 JSON of a P4 program, by p4c-bm2-ss (once per distinct source)."""
    src = out_dir / "p4sfc.p4"
    src.write_text(source)
    target = out_dir / "p4sfc.json"
    if source in _compiled:
        target.write_bytes(_compiled[source])
        return target
    done = subprocess.run(
        ["p4c-bm2-ss", "--p4v", "16", "-o", str(target), str(src)],
        capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"p4c-bm2-ss failed:\n{done.stdout}{done.stderr}")
    _compiled[source] = target.read_bytes()
    return target


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class Netns:
    """A network namespace with veth pairs, removed on close."""

    def __init__(self) -> None:
        self.name = f"p4sfc-t{os.getpid()}-{next(_names)}"
        _ip("netns", "add", self.name)
        self.path = f"/var/run/netns/{self.name}"
        # no IPv6 autoconfiguration chatter on the test ports
        self.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        self.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
        _ip("-n", self.name, "link", "set", "lo", "up")

    def exec(self, command: list[str]) -> None:
        subprocess.run(["ip", "netns", "exec", self.name, *command], check=True,
                       capture_output=True)

    def veth(self, a: str, b: str) -> None:
        _ip("-n", self.name, "link", "add", a, "type", "veth", "peer", "name", b)
        for end in (a, b):
            _ip("-n", self.name, "link", "set", end, "mtu", "9000")
            _ip("-n", self.name, "link", "set", end, "up")

    def packet_socket(self, ifname: str) -> socket.socket:
        """A raw socket bound to ``ifname`` inside the namespace."""

        def setup(s: socket.socket) -> None:
            # frames are read only after a whole batch is sent: room for thousands
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
            s.setblocking(False)

        return self.socket_in(ifname, ETH_P_ALL, 0, setup)

    def socket_in(self, ifname: str, protocol: int, bind_protocol: int,
                  setup: Callable[[socket.socket], None]) -> socket.socket:
        """An AF_PACKET socket for ``protocol`` bound to ``ifname`` inside the namespace,
        made by a thread that joins it with setns(2) (a socket keeps the namespace it was
        made in, and the test's own thread must stay outside)."""
        made: dict[str, object] = {}

        def inside() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, os.strerror(err))
                finally:
                    os.close(fd)
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(protocol))
                s.bind((ifname, bind_protocol))
                setup(s)
                made["socket"] = s
            except OSError as exc:
                made["error"] = exc

        t = threading.Thread(target=inside)
        t.start()
        t.join()
        if "error" in made:
            raise made["error"]  # type: ignore[misc]
        return made["socket"]  # type: ignore[return-value]

    def close(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class Wire:
    """The far ends of a switch's ports: send frames in, collect what comes out."""

    def __init__(self, sockets: dict[int, socket.socket]) -> None:
        self.sockets = sockets

    def drain(self) -> None:
        self.collect(quiet=0.05)

    def send(self, port: int, frame: bytes, gap: float = 0.002) -> None:
        self.sockets[port].send(frame)
        time.sleep(gap)  # BMv2 drops frames that arrive in a flood

    def collect(self, quiet: float = 0.5, limit: float = 10.0) -> dict[int, list[bytes]]:
        """Frames per port until nothing arrives for ``quiet`` seconds."""
        by_fd = {s.fileno(): (port, s) for port, s in self.sockets.items()}
        got: dict[int, list[bytes]] = {port: [] for port in self.sockets}
        end = time.monotonic() + limit
        while time.monotonic() < end:
            ready, _, _ = select.select(list(by_fd), [], [], quiet)
            if not ready:
                break
            for fd in ready:
                port, s = by_fd[fd]
                while True:
                    try:
                        data, addr = s.recvfrom(65535)
                    except BlockingIOError:
                        break
                    if addr[2] != PACKET_OUTGOING:
                        got[port].append(data)
        return got

    def close(self) -> None:
        for s in self.sockets.values():
            s.close()


class P4RuntimeClient:
    """The primary controller of one device: pipeline, writes and reads over P4Runtime."""

    def __init__(self, address: str, device_id: int, election_low: int = 1) -> None:
        import grpc
        from finsy.proto import p4r, p4r_grpc

        self.p4r = p4r
        self.device_id = device_id
        self.election = p4r.Uint128(high=0, low=election_low)
        # wildcard reads of a whole counter array (80 cells a slot) pass gRPC's 4 MB default
        self.channel = grpc.insecure_channel(
            address, options=[("grpc.max_receive_message_length", 64 << 20)])
        grpc.channel_ready_future(self.channel).result(timeout=20)
        self.stub = p4r_grpc.P4RuntimeStub(self.channel)
        self._requests: queue.Queue = queue.Queue()
        self._stream = self.stub.StreamChannel(iter(self._requests.get, None))
        self._requests.put(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
            device_id=device_id, election_id=self.election)))
        reply = next(self._stream)
        if reply.arbitration.status.code != 0:
            raise RuntimeError(f"not primary: {reply.arbitration.status}")

    def set_pipeline(self, p4info_text: str, device_json: bytes) -> None:
        from finsy.proto import p4i
        from google.protobuf import text_format

        p4r = self.p4r
        info = text_format.Parse(p4info_text, p4i.P4Info())
        self.stub.SetForwardingPipelineConfig(p4r.SetForwardingPipelineConfigRequest(
            device_id=self.device_id, election_id=self.election,
            action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
            config=p4r.ForwardingPipelineConfig(p4info=info, p4_device_config=device_json),
        ))

    def write_text(self, txtpb: str) -> None:
        """Apply a WriteRequest given in protobuf text; raise with every failed update."""
        from google.protobuf import text_format

        request = text_format.Parse(txtpb, self.p4r.WriteRequest())
        request.device_id = self.device_id
        request.election_id.CopyFrom(self.election)
        self.write(request)

    def write(self, request) -> None:
        import grpc

        try:
            self.stub.Write(request)
        except grpc.RpcError as exc:
            raise RuntimeError(self._describe(exc, request)) from None

    def _describe(self, exc, request) -> str:
        from finsy.proto import rpc_status

        lines = [f"Write failed: {exc.code()} {exc.details()}"]
        for key, value in exc.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status = rpc_status.Status.FromString(value)
                for i, detail in enumerate(status.details):
                    err = self.p4r.Error()
                    detail.Unpack(err)
                    if err.canonical_code != 0:
                        lines.append(f"  update {i}: {err.canonical_code} {err.message}: "
                                     f"{request.updates[i]}")
        return "\n".join(lines)

    def insert(self, entity) -> None:
        p4r = self.p4r
        self.write(p4r.WriteRequest(
            device_id=self.device_id, election_id=self.election,
            updates=[p4r.Update(type=p4r.Update.INSERT, entity=entity)],
        ))

    def read(self, entity) -> list:
        p4r = self.p4r
        out = []
        for reply in self.stub.Read(p4r.ReadRequest(device_id=self.device_id, entities=[entity])):
            out.extend(reply.entities)
        return out

    def close(self) -> None:
        self._requests.put(None)
        with suppress(Exception):
            self._stream.cancel()
        self.channel.close()


def _terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)  # BMv2 takes a few seconds to exit on SIGTERM
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Switch:
    """A running simple_switch_grpc with its ports on veth pairs in ``ns``."""

    def __init__(self, ns: Netns, name: str, ports: Iterable[int], device_id: int,
                 workdir: Path, thrift_port: int) -> None:
        self.name = name
        self.ns = ns
        self.thrift_port = thrift_port
        self.ports = sorted(ports)
        self.workdir = workdir
        self.socket_path = workdir / f"{name}.grpc.sock"
        args = ["simple_switch_grpc", "--device-id", str(device_id),
                "--thrift-port", str(thrift_port), "--log-file", str(workdir / name),
                "--log-flush", "-L", os.environ.get("P4SFC_BMV2_LOG", "debug"), "--no-p4"]
        for p in self.ports:
            args += ["-i", f"{p}@{self.iface(p)}"]
        args += ["--", "--grpc-server-addr", f"unix:{self.socket_path}"]
        self.stderr = open(workdir / f"{name}.stderr", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns.name, *args],
                                     stdout=self.stderr, stderr=subprocess.STDOUT)
        # (bench/dataplane_instructions.py runs the switch under valgrind: slower to start)
        deadline = time.monotonic() + float(os.environ.get("P4SFC_BMV2_START_SECONDS", "20"))
        while not self.socket_path.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name}: simple_switch_grpc did not start: "
                                   f"{(workdir / f'{name}.stderr').read_text()}")
            time.sleep(0.05)
        self.client = P4RuntimeClient(f"unix:{self.socket_path}", device_id)

    def iface(self, port: int) -> str:
        return f"{self.name}p{port}"

    def log_text(self) -> str:
        """BMv2's log, oldest first. It appends .txt to --log-file and rotates at 5 MB
        (``s1.1.txt`` is older than ``s1.txt``), dropping the oldest files."""
        rotated = sorted(self.workdir.glob(f"{self.name}.*.txt"),
                         key=lambda p: -int(p.name.split(".")[1]))
        files = [*rotated, self.workdir / f"{self.name}.txt"]
        return "".join(p.read_text(errors="replace") for p in files if p.exists())

    def packets_received(self) -> int:
        """How many frames came in from the ports (BMv2 numbers them 0, 1, ...; a
        recirculated pass of packet N is N.1, N.2...)."""
        ids = re.findall(r"\[(\d+)\.0\] \[cxt 0\] Processing packet received", self.log_text())
        return max(map(int, ids)) + 1 if ids else 0

    def stop(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
            self.client = None
        _terminate(self.proc)
        self.stderr.close()


def counter_cells(switch: Switch, p4info_index, name: str) -> dict[int, int]:
    """Every cell of an indirect packet counter over P4Runtime: index -> packets."""
    client = switch.client
    p4r = client.p4r
    entity = p4r.Entity(counter_entry=p4r.CounterEntry(
        counter_id=p4info_index.counters[name][0]))
    return {e.counter_entry.index.index: e.counter_entry.data.packet_count
            for e in client.read(entity)}


class Lab:
    """A compiled deployment on BMv2: one switch per topology switch, links as veth pairs
    between switch ports, every other port wired to a test socket (``wire.send((sw, port),
    frame)``). The program is compiled by p4c-bm2-ss, loaded with the compiler's own
    P4Info, and each switch gets its ``.txtpb`` WriteRequest."""

    def __init__(self, files: dict[str, str], topology, workdir: Path, load: bool = True) -> None:
        """``load=False``: the switches start empty (no program, no entries) and without
        the test's own controller, for a P4Runtime client under test."""
        self.topology = topology
        self.workdir = workdir
        self.load = load
        self.ns = Netns()
        self.switches: dict[str, Switch] = {}
        self.wire: Wire | None = None
        try:
            self._start(files)
        except BaseException:
            self.close()
            raise

    def _start(self, files: dict[str, str]) -> None:
        device_json = compile_p4(files["p4/p4sfc.p4"], self.workdir).read_bytes()
        self.device_json = device_json
        linked = {}
        for lk in self.topology.links:
            linked[(lk.a, lk.a_port)] = (lk.b, lk.b_port)
        sockets: dict[tuple[str, int], socket.socket] = {}
        for name, sw in self.topology.switches.items():
            for port in sw.ports:
                if (name, port) in linked:
                    other, other_port = linked[(name, port)]
                    self.ns.veth(f"{name}p{port}", f"{other}p{other_port}")
                elif not any(
                    (lk.b, lk.b_port) == (name, port) for lk in self.topology.links
                ):
                    self.ns.veth(f"{name}p{port}", f"{name}h{port}")
                    sockets[(name, port)] = self.ns.packet_socket(f"{name}h{port}")
        self.wire = Wire(sockets)  # type: ignore[arg-type]
        for i, (name, sw) in enumerate(sorted(self.topology.switches.items())):
            switch = Switch(self.ns, name, sw.ports, sw.device_id, self.workdir, 9090 + i)
            self.switches[name] = switch
            if not self.load:
                switch.client.close()
                switch.client = None
                continue
            switch.client.set_pipeline(files["p4/p4sfc.p4info.txtpb"], device_json)
            entries = files.get(f"switches/{name}.txtpb")
            if entries:
                switch.client.write_text(entries)
        self.wire.drain()

    def addresses(self) -> dict[str, str]:
        """Each switch's P4Runtime address (a unix socket)."""
        return {n: f"unix:{s.socket_path}" for n, s in self.switches.items()}

    def logs(self) -> str:
        return "\n".join(f"==== {n}\n{s.log_text()[-20000:]}" for n, s in self.switches.items())

    def close(self) -> None:
        for sw in self.switches.values():
            sw.stop()
        if self.wire is not None:
            self.wire.close()
        self.ns.close()


class ClickServer:
    """The real ``click`` running a server config inside the lab's namespace."""

    def __init__(self, ns: Netns, config: str, workdir: Path, name: str) -> None:
        self.path = workdir / f"{name}.click"
        self.path.write_text(config)
        self.log = open(workdir / f"{name}.click.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, "click", "-f", str(self.path)],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir,
        )
        time.sleep(1.0)  # FromDevice opens its socket at start-up; nothing to poll for
        if self.proc.poll() is not None:
            self.log.close()
            raise RuntimeError(f"click exited: {(workdir / f'{name}.click.log').read_text()}")

    def stop(self) -> None:
        _terminate(self.proc)
        self.log.close()
