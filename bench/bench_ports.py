"""Frames per second through a switch's ports: ``p4sfc switch --iface`` (the embedded
switch, ports on veth pairs) against BMv2 ``simple_switch_grpc`` (log level off), same
program, entries, frames and namespace layout, in the same run. Run by hand as root with
p4c-bm2-ss and simple_switch_grpc on PATH (without them, the embedded switch alone):

    python bench/bench_ports.py [--seconds 1] [--rates 500,1000,2000,4000,8000]

The paper chain's switch part: the trace's frames as they come back from the IPS's server
(SFC header, NFs monitor, firewall, NAT left) into the server port, so every frame runs
the monitor's classifier and counters, the firewall and the NAT's switch part. At each
offered rate, frames are sent paced for ``--seconds``; what leaves all ports is counted
and compared with what the same frames give through the embedded switch in-process (the
expected count). Reported per rate: delivered / expected; and the highest rate without
loss.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.sfc import tag, untag  # noqa: E402
from support.traces import trace  # noqa: E402

from p4sfc_compiler.backend.compile import compile_chains  # noqa: E402
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate  # noqa: E402
from p4sfc_compiler.runtime.apply import apply_switches, select_targets  # noqa: E402
from p4sfc_compiler.runtime.outdir import load_out_dir  # noqa: E402
from p4sfc_compiler.runtime.pipeline import NO_JSON  # noqa: E402
from p4sfc_compiler.switch.embedded import EmbeddedSwitch  # noqa: E402

PACKET_OUTGOING = 4
PORTS = (1, 2, 3)
SERVER_PORT = 3


def server_frames(out_path: Path) -> tuple[list[bytes], list[int]]:
    """Frames back from the server after the IPS, and how many frames leave for each."""
    out = load_out_dir(out_path)
    with EmbeddedSwitch() as sw:
        asyncio.run(apply_switches(out, select_targets(out, (f"s1={sw.address}",), None),
                                   device_config=NO_JSON))
        for f in trace():
            sw.send(1, bytes(f))
        back = []
        for f in sw.collect(SERVER_PORT):
            t = untag(f)
            assert t is not None
            back.append(tag(t.inner, t.chain_id, t.nf_ids[1:]))
        expected = []
        for f in back:
            sw.send(SERVER_PORT, f)
            expected.append(sum(len(sw.collect(p)) for p in PORTS))
    return back, expected


def offer(sockets: dict[int, socket.socket], frames: list[bytes], rate: int,
          seconds: float) -> tuple[int, int]:
    """Send ``frames`` round-robin into the server port at ``rate`` frames/s for
    ``seconds``; (frames sent, frames that left the switch)."""
    for s in sockets.values():  # drain
        _drain(s)
    n = int(rate * seconds)
    gap = 1.0 / rate
    start = time.perf_counter()
    for i in range(n):
        while time.perf_counter() < start + i * gap:
            pass
        sockets[SERVER_PORT].send(frames[i % len(frames)])
    deadline = time.monotonic() + 2.0
    got = 0
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        new = sum(_drain(s) for s in sockets.values())
        got += new
        if new:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 0.3:
            break
        time.sleep(0.01)
    return n, got


def _drain(s: socket.socket) -> int:
    count = 0
    while True:
        try:
            _, addr = s.recvfrom(65535)
        except BlockingIOError:
            return count
        if addr[2] != PACKET_OUTGOING:
            count += 1


@contextmanager
def embedded_on_veths(work: Path, out_path: Path) -> Iterator[dict[int, socket.socket]]:
    from support.bmv2 import Netns

    ns = Netns()
    proc = None
    try:
        for p in PORTS:
            ns.veth(f"s1p{p}", f"s1h{p}")
        sock = f"unix:{work}/embedded.sock"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, sys.executable, "-m", "p4sfc_compiler.cli",
             "switch", "--grpc", sock, *(a for p in PORTS for a in ("--iface", f"{p}@s1p{p}"))],
            stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if not re.search("P4Runtime on", line):
            raise SystemExit(f"p4sfc switch did not start: {line}")
        out = load_out_dir(out_path)
        (res,) = asyncio.run(apply_switches(out, select_targets(out, (f"s1={sock}",), None),
                                            device_config=NO_JSON))
        assert not res.failures
        yield {p: ns.packet_socket(f"s1h{p}") for p in PORTS}
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
        ns.close()


@contextmanager
def bmv2(work: Path, files: dict[str, str], topo) -> Iterator[dict[int, socket.socket]]:  # type: ignore[no-untyped-def]
    from support.bmv2 import Lab

    os.environ["P4SFC_BMV2_LOG"] = "off"
    lab = Lab(files, topo, work, load=True)
    try:
        assert lab.wire is not None
        yield {p: lab.wire.sockets[("s1", p)] for p in PORTS}
    finally:
        lab.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rates", default="500,1000,2000,4000,8000")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    if os.geteuid() != 0:
        raise SystemExit("needs root (a network namespace with veth pairs)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chains = load_chains(ROOT / "examples" / "paper-chain.json")
        topo = load_topology(ROOT / "examples" / "paper-topology.json")
        validate(chains, topo)
        result = compile_chains(chains, topo, out_dir=work / "out")
        frames, expected = server_frames(work / "out")
        kinds = [("embedded (p4sfc switch --iface)", lambda: embedded_on_veths(work, work / "out"))]
        if all(shutil.which(t) for t in ("p4c-bm2-ss", "simple_switch_grpc")):
            (work / "bmv2").mkdir()
            kinds.append(("BMv2 (log off)", lambda: bmv2(work / "bmv2", result.files, topo)))
        else:
            print("BMv2 skipped: p4c-bm2-ss or simple_switch_grpc is not on PATH")
        print(f"{len(frames)} distinct frames, {sum(expected)} leave for one of each")
        for name, make in kinds:
            with make() as sockets:
                best = 0
                print(f"== {name}")
                for rate in rates:
                    sent, got = offer(sockets, frames, rate, args.seconds)
                    want = sum(expected[i % len(frames)] for i in range(sent))
                    lossless = got >= want
                    best = rate if lossless and rate > best else best
                    print(f"  {rate:6d} frames/s offered: {got}/{want} out "
                          f"({got / want:.1%}){'' if lossless else '  loss'}")
                print(f"  highest rate without loss: {best or '-'} frames/s")


if __name__ == "__main__":
    main()
