"""The embedded switch's ports: in-process queues, PacketIn / PacketOut through the CPU port,
pcap files (``p4sfc switch --pcap-dir`` as a user runs it), and Linux interfaces (as root,
in a network namespace of its own). What leaves each port is compared with what the same
switch state gives in-process, so the ports are checked, not the pipeline."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from finsy.proto import p4r
from support.p4rt import Controller
from support.traces import trace

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.cli import main
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.runtime import pipeline as pipeline_mod
from p4sfc_compiler.runtime.apply import apply_switches, select_targets
from p4sfc_compiler.runtime.outdir import load_out_dir
from p4sfc_compiler.runtime.pipeline import NO_JSON
from p4sfc_compiler.switch.embedded import EmbeddedSwitch
from p4sfc_compiler.switch.pcap import PcapWriter, read_pcap
from p4sfc_compiler.switch.ports import parse_interface

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
PORTS = (1, 2, 3)  # the paper topology's switch ports (3: the server)


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chains = load_chains(EX / "paper-chain.json")
    topo = load_topology(EX / "paper-topology.json")
    validate(chains, topo)
    out = tmp_path_factory.mktemp("paper") / "out"
    compile_chains(chains, topo, out_dir=out)
    return out


@pytest.fixture(autouse=True)
def no_p4c(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_mod.shutil, "which", lambda _name: None)


def _apply(out: Path, address: str) -> None:
    plan = load_out_dir(out)
    (result,) = asyncio.run(apply_switches(
        plan, select_targets(plan, (f"s1={address}",), None), device_config=NO_JSON))
    assert not result.failures


def _frames() -> list[bytes]:
    return [bytes(f) for f in trace()]


@pytest.fixture(scope="module")
def expected(paper: Path) -> dict[int, list[bytes]]:
    """What leaves each port for the trace into port 1, from in-process ports."""
    with EmbeddedSwitch() as sw:
        _apply(paper, sw.address)
        for f in _frames():
            sw.send(1, f)
        got = {p: sw.collect(p) for p in PORTS}
    assert got[3], "the trace reaches the server port"
    return got


def test_pcap_files_round_trip(tmp_path: Path) -> None:
    w = PcapWriter(tmp_path / "x.pcap")
    for i, f in enumerate(_frames()):
        w.write(f, timestamp=1000 + i / 10)
    w.close()
    got = read_pcap(tmp_path / "x.pcap")
    assert [f for _, f in got] == _frames()
    assert [round(t, 1) for t, _ in got] == [round(1000 + i / 10, 1) for i in range(len(got))]


def test_in_process_queues_and_packet_in_out(paper: Path,
                                             expected: dict[int, list[bytes]]) -> None:
    with EmbeddedSwitch(cpu_port=3) as sw:
        assert sw.send(1, _frames()[0]) is None and sw.collect(3) == []  # no program: none
        _apply(paper, sw.address)
        with Controller(sw.address, 0, 5) as c:
            assert c.arbitrate().arbitration.status.code == 0
            for f in _frames():
                sw.send(1, f)
            # what goes to the CPU port arrives as PacketIn, in order
            got = [c.receive().packet.payload for _ in expected[3]]
            assert got == expected[3]
            assert sw.collect(2) == expected[2] and sw.collect(3) == []
            # a PacketOut enters the pipeline at the CPU port: the frame from the server
            # port is sent to its NF again (the server did not run it), so it comes back
            c.send(p4r.StreamMessageRequest(packet=p4r.PacketOut(payload=got[0])))
            assert c.receive().packet.payload == got[0]
        assert sw.receive(2, timeout=0.05) is None


def test_switch_command_with_a_pcap_folder(paper: Path, tmp_path: Path,
                                           expected: dict[int, list[bytes]]) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "p4sfc_compiler.cli", "switch", "--grpc",
                             "127.0.0.1:0", "--pcap-dir", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"P4Runtime on (\S+);", line)
        assert m, line
        r = CliRunner().invoke(main, ["apply", str(paper), "--pipeline", "--switch",
                                      f"s1={m.group(1)}"])
        assert r.exit_code == 0, r.output
        w = PcapWriter(tmp_path / "port1-in.tmp")
        for f in _frames():
            w.write(f)
        w.close()
        (tmp_path / "port1-in.tmp").rename(tmp_path / "port1-in.pcap")  # appears whole
        deadline = time.monotonic() + 10
        out3 = tmp_path / "port3-out.pcap"
        while time.monotonic() < deadline:
            if out3.exists() and len(read_pcap(out3)) >= len(expected[3]):
                break
            time.sleep(0.1)
        for p in PORTS:
            path = tmp_path / f"port{p}-out.pcap"
            got = [f for _, f in read_pcap(path)] if path.exists() else []
            assert got == expected[p], p
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "played 17 frames from port1-in.pcap" in err and "stopped" in err, err


def test_interface_specs() -> None:
    assert parse_interface("1@veth0") == (1, "veth0")
    for bad in ("veth0", "x@veth0", "1@", "@veth0"):
        with pytest.raises(Exception, match="expected PORT@INTERFACE"):
            parse_interface(bad)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                    reason="needs root and iproute2 (a network namespace with veth pairs)")
def test_switch_command_on_interfaces(paper: Path, tmp_path: Path,
                                      expected: dict[int, list[bytes]]) -> None:
    from support.bmv2 import Netns

    ns = Netns()
    proc = None
    try:
        for p in PORTS:
            ns.veth(f"sw{p}", f"h{p}")
        sock = f"unix:{tmp_path}/p4rt.sock"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, sys.executable, "-m", "p4sfc_compiler.cli",
             "switch", "--grpc", sock, *(a for p in PORTS for a in ("--iface", f"{p}@sw{p}"))],
            stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stderr is not None
        assert "P4Runtime on" in proc.stderr.readline()
        r = CliRunner().invoke(main, ["apply", str(paper), "--pipeline", "--switch",
                                      f"s1={sock}"])
        assert r.exit_code == 0, r.output
        socks = {p: ns.packet_socket(f"h{p}") for p in PORTS}
        for f in _frames():
            socks[1].send(f)
            time.sleep(0.002)
        got: dict[int, list[bytes]] = {p: [] for p in PORTS}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(got[3]) < len(expected[3]):
            for p, s in socks.items():
                try:
                    while True:
                        got[p].append(s.recv(65535))
                except BlockingIOError:
                    pass
            time.sleep(0.05)
        time.sleep(0.2)
        for p, s in socks.items():
            try:
                while True:
                    got[p].append(s.recv(65535))
            except BlockingIOError:
                pass
            s.close()
        # host sockets see their own frames as outgoing: keep what the switch sent
        sent = set(_frames())
        assert {p: [f for f in fs if f not in sent or p != 1] for p, fs in got.items()} == {
            1: [], 2: expected[2], 3: expected[3]}
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
        ns.close()
    assert proc.returncode == 0


def test_switch_command_errors_are_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        r = CliRunner().invoke(main, ["switch", "--grpc", f"127.0.0.1:{port}"])
    assert r.exit_code == 1, r.output
    assert r.output.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]
    for args, message in (
            (["--grpc", "nowhere"], "--grpc nowhere: expected HOST:PORT"),
            (["--iface", "eth0"], "--iface eth0: expected PORT@INTERFACE, e.g. 1@veth0"),
            (["--pcap-dir", str(tmp_path / "none")], "no such folder")):
        r = CliRunner().invoke(main, ["switch", "--grpc", "127.0.0.1:0", *args]
                               if args[0] != "--grpc" else ["switch", *args])
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
        assert message in r.output, r.output


def test_a_frame_the_switch_fails_on_is_dropped_and_said(tmp_path: Path) -> None:
    from p4sfc_compiler.switch.ports import PcapPorts

    said: list[str] = []
    taken: list[bytes] = []

    def inject(port: int, frame: bytes) -> None:
        if frame == b"bad":
            raise ValueError("the model failed")
        taken.append(frame)

    ports = PcapPorts(tmp_path, inject, said.append)
    w = PcapWriter(tmp_path / "port4-in.pcap")
    for f in (b"one", b"bad", b"two"):
        w.write(f)
    w.close()
    assert ports.play_changed() == 3
    assert taken == [b"one", b"two"]
    assert said == ["port 4: frame of 3 bytes dropped: ValueError: the model failed",
                    "played 3 frames from port4-in.pcap"]
    assert ports.play_changed() == 0  # unchanged since: not played again
    ports.close()
