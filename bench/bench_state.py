"""The state library (Issue 13): update rate blocking vs non-blocking, sync lag, and the
share of a NAT's packets handled in the switch.

Run by hand: ``python bench/bench_state.py [--flows 1000] [--packets 20] [--updates 3000]``.

1. Updates per second, blocking vs non-blocking, same run, against the embedded switch
   in a process of its own (``p4sfc switch``, as a switch is: the library's process does
   not share its interpreter) and, as root with ``simple_switch_grpc`` on PATH, against
   BMv2; sync lag (a change to the switch's acceptance) median and p99 for non-blocking.
2. A NAT chain with FLOWS flows of PACKETS packets (a quarter UDP), interleaved, through
   the embedded deployment (switch + engine server in this process): the share of packets
   no server saw, with state sync off, blocking and non-blocking, for the default table
   size (1024 entries: the mappings do not all fit) and a table that holds them all.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.statesync import stateful_elements
from p4sfc_compiler.deploy.traffic import flows_trace
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology
from p4sfc_compiler.runtime.outdir import load_out_dir
from p4sfc_compiler.state.agent import SwitchAgent
from p4sfc_compiler.state.table import P4SFCTable

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "examples" / "paper-topology.json"


def nat_chain(tmp: Path, table_size: int) -> Path:
    chain = {"name": "nat", "NFs": [{"name": "n1", "type": "nat", "location": "srv1"}],
             "Links": [], "Route": {"ingress": {"switch": "s1", "port": 1},
                                    "egress": {"switch": "s1", "port": 2}, "match": {}}}
    folder = tmp / f"nat-{table_size}"
    folder.mkdir()
    (folder / "chain.json").write_text(json.dumps(chain))
    compile_chains(load_chains(folder / "chain.json"), load_topology(TOPOLOGY),
                   out_dir=folder / "out", table_size=table_size)
    return folder / "out"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


Rates = tuple[float, float, list[float], list[float]]


def update_rates(out: Path, address: str, n: int) -> Rates:
    """(blocking updates/s, non-blocking updates/s, non-blocking lags in s of a burst of
    ``n`` creates and of creates paced at one per millisecond)."""
    plan = load_out_dir(out)
    (el,) = stateful_elements(out)
    b = el.binding
    with SwitchAgent("s1", address, 0, plan.index) as agent:
        table = P4SFCTable(b.key_names, b.val_names, agent=agent, binding=b)
        table.flush(10)

        def keys(base: int, i: int) -> tuple[int, ...]:
            return (0x0A000000 + base + i, 1024 + i % 50000, 0x0A000101, 80, 6)

        vals = (0xC0A80001, 50000, 0x0A000101, 80, 0)
        t0 = time.perf_counter()
        for i in range(n):
            table.create(keys(0, i), vals, blocking=True)
        blocking = n / (time.perf_counter() - t0)
        for i in range(n):
            table.remove(keys(0, i))
        table.flush(30)
        table.stats.lags.clear()
        t0 = time.perf_counter()
        for i in range(n):
            table.create(keys(1 << 20, i), vals, blocking=False)
        table.flush(60)
        nonblocking = n / (time.perf_counter() - t0)
        burst = list(table.stats.lags)
        for i in range(n):
            table.remove(keys(1 << 20, i))
        table.flush(30)
        # paced: one create per millisecond, as flows arrive, not a burst
        table.stats.lags.clear()
        for i in range(min(n, 1000)):
            table.create(keys(2 << 20, i), vals, blocking=False)
            time.sleep(0.001)
        table.flush(30)
        paced = list(table.stats.lags)
        for i in range(min(n, 1000)):
            table.remove(keys(2 << 20, i))
        table.flush(30)
    return blocking, nonblocking, burst, paced


def _apply(out: Path, address: str) -> None:
    """``p4sfc apply --pipeline`` of OUT onto the switch at ``address``."""
    r = subprocess.run([shutil.which("p4sfc") or "p4sfc", "apply", str(out), "--pipeline",
                        "--switch", f"s1={address}"], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stdout + r.stderr)


def embedded_process(out: Path, n: int) -> Rates:
    port = _free_port()
    address = f"127.0.0.1:{port}"
    p4sfc = shutil.which("p4sfc") or "p4sfc"
    proc = subprocess.Popen([p4sfc, "switch", "--grpc", address],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        _apply(out, address)
        return update_rates(out, address, n)
    finally:
        proc.terminate()
        proc.wait(10)


def bmv2(out: Path, n: int) -> Rates | None:
    sys.path.insert(0, str(ROOT / "tests"))
    from support.bmv2 import Lab, unavailable  # noqa: PLC0415 - the test lab, optional

    if unavailable() is not None:
        return None
    files = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*")
             if p.is_file() and p.suffix in (".p4", ".txtpb", ".json")}
    with tempfile.TemporaryDirectory() as work:
        lab = Lab(files, load_topology(TOPOLOGY), Path(work), load=False)
        try:
            (out / "p4" / "p4sfc.json").write_bytes(lab.device_json)
            address = lab.addresses()["s1"]
            _apply(out, address)
            return update_rates(out, address, n)
        finally:
            lab.close()


def nat_share(out: Path, frames: list[bytes], mode: str) -> tuple[float, float, int]:
    """(share of packets no server saw, packets/s, mapping entries in the switch)."""
    with Deployment(out, state=mode) as d:
        t0 = time.perf_counter()
        quiet = 0
        for f in frames:
            quiet += d.inject("s1", 1, f).server_visits == 0
        rate = len(frames) / (time.perf_counter() - t0)
        on_switch = 0
        if d.state is not None:
            d.state.flush(30)
            on_switch = sum(s.on_switch for s in d.state.summary())
    return quiet / len(frames), rate, on_switch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--packets", type=int, default=20)
    ap.add_argument("--updates", type=int, default=3000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = max(4096, 4 * args.flows)
        out_big = nat_chain(Path(tmp), big)
        print(f"updates ({args.updates} creates each, one table):")
        rows = [("embedded switch (own process)", embedded_process(out_big, args.updates))]
        if os.geteuid() == 0:
            got = bmv2(out_big, args.updates)
            if got is not None:
                rows.append(("BMv2 simple_switch_grpc", got))
        for name, (blocking, nonblocking, burst, paced) in rows:
            print(f"  {name}: blocking {blocking:,.0f}/s, non-blocking {nonblocking:,.0f}/s "
                  f"({nonblocking / blocking:.1f}x)")
            for what, lags in (("a burst", burst), ("paced 1/ms", paced)):
                ms = [x * 1000 for x in lags]
                print(f"    non-blocking sync lag, {what}: median {statistics.median(ms):.2f} "
                      f"ms, p99 {_pct(ms, 0.99):.2f} ms")
        frames = flows_trace(args.flows, args.packets, seed=1)
        print(f"NAT, {args.flows} flows x {args.packets} packets ({len(frames)} frames), "
              "embedded deployment:")
        for size, out in ((1024, nat_chain(Path(tmp), 1024)), (big, out_big)):
            for mode in ("off", "blocking", "nonblocking"):
                share, rate, on_switch = nat_share(out, frames, mode)
                print(f"  table {size:5}, sync {mode:11}: {100 * share:5.1f} % of packets "
                      f"handled in the switch, {rate:,.0f} packets/s, {on_switch} mapping "
                      "entries in the switch")


if __name__ == "__main__":
    main()
