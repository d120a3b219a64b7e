"""NF engine speed: packets per second through the library firewall NF alone (issue 12
target: >= 50,000 packets/s on one core), and the real click's figure when ``click`` is
on PATH. Run by hand:

    python bench/bench_engine.py [N_PACKETS]

The trace is tests/golden/click/nf_firewall/in.pcap (300 mixed frames: TCP, UDP, ICMP,
fragments, bad headers, ARP, ...) repeated to N packets. The engine's figure is the push
loop only (building the engine is reported apart); click's is the whole process run on
the same N packets from a pcap, minus its run on an empty pcap (start-up).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from p4sfc_compiler.engine.engine import Engine  # noqa: E402
from p4sfc_compiler.engine.pcap import read_pcap, write_pcap  # noqa: E402

NF = REPO / "examples" / "nfs" / "firewall.click"
TRACE = REPO / "tests" / "golden" / "click" / "nf_firewall" / "in.pcap"


def engine_pps(frames: list[bytes]) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    eng = Engine.from_text(NF.read_text(), str(NF), compound_body=True)
    t1 = time.perf_counter()
    eng.push_body(frames)
    t2 = time.perf_counter()
    passed = sum(len(v) for v in eng.body_outputs().values())
    return len(frames) / (t2 - t1), t1 - t0, passed


def click_pps(frames: list[bytes]) -> float | None:
    click = shutil.which("click")
    if click is None:
        return None
    body = NF.read_text()
    config = (f"elementclass Firewall {{\n{body}\n}}\n"
              "FromDump(in.pcap, STOP true, TIMING false) -> Firewall -> Discard;\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "fw.click").write_text(config)

        def run(records: list[bytes]) -> float:
            write_pcap(folder / "in.pcap", [(f, (0, 0)) for f in records])
            t0 = time.perf_counter()
            subprocess.run([click, "-f", "fw.click"], cwd=folder, check=True,
                           capture_output=True)
            return time.perf_counter() - t0

        idle = min(run([]) for _ in range(3))
        busy = run(frames)
    return len(frames) / max(busy - idle, 1e-9)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    base = [frame for frame, _ in read_pcap(TRACE)]
    frames = (base * (n // len(base) + 1))[:n]
    pps, build, passed = engine_pps(frames)
    print(f"packets={n} (firewall NF; {passed} left by output 0)")
    print(f"engine: build {build * 1000:.1f} ms, {pps:,.0f} packets/s")
    cpps = click_pps(frames)
    print("click: not on PATH" if cpps is None else f"click:  {cpps:,.0f} packets/s")


if __name__ == "__main__":
    main()
