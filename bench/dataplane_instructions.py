"""BMv2's instructions per packet, native against dynamic: the steady measure (issue 10).

    sudo PATH=/opt/p4tools/bin:$PATH PYTHONPATH=$PWD python bench/dataplane_instructions.py
    ... [--only chain] [--stages 8] [--frames 40,200] [--out DIR]

The timing bench's lossless rate swings by a quarter between repeats of one program, and
perf's split by tens of microseconds between days; instructions barely move. Each
program runs in simple_switch_grpc under valgrind's callgrind, with instrumentation on
only while the bench flow's frames pass (``callgrind_control -i on/off``), once with the
fewer and once with the more frames of ``--frames``: the difference of the two counts
over the difference of the frames is the instructions per packet (what switching the
instrumentation costs cancels out). All threads count; idle ones add well under 1 %.
Repeat runs mostly agree to 2 %, but one in ten or so is off by up to a fifth (threads
that wake on timers), hence the median of ``--repeats``. Results go to ``--out`` as
``instructions.json`` and ``instructions.md``.

Needs root, valgrind, p4c-bm2-ss and simple_switch_grpc.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_dataplane import CASE_ORDER, Variant, dynamic_variant, native_variant  # noqa: E402
from native.cases import bench_frames, cases  # noqa: E402
from native.lab import BenchLab  # noqa: E402
from support.bmv2 import unavailable  # noqa: E402

# valgrind starts the switch some ten times slower than it runs alone
START_SECONDS = "300"


def _wrapper(folder: Path, switch: str) -> Path:
    """A ``simple_switch_grpc`` that runs the real one under callgrind, instrumentation
    off until asked, its counts where ``P4SFC_CALLGRIND_OUT`` says."""
    script = folder / "simple_switch_grpc"
    script.write_text(
        "#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
        '--callgrind-out-file="$P4SFC_CALLGRIND_OUT" ' + f'{switch} "$@"\n')
    script.chmod(0o755)
    return folder


def _instructions(out: Path) -> int:
    """The instructions of the dumps callgrind wrote to ``out``'s folder after the
    first (``callgrind_control -d``), summed over threads."""
    total = 0
    for f in out.parent.glob(out.name + ".*"):
        m = re.search(r"^totals: (\d+)", f.read_text(errors="replace"), re.M)
        total += int(m.group(1)) if m else 0
    return total


def count(v: Variant, frames: int, work: Path, gap: float) -> int:
    """Instructions BMv2 spends while ``frames`` frames of the flow pass through, sent
    ``gap`` seconds apart (under valgrind a packet takes tens of milliseconds: sent
    faster, frames queue and the ports drop some)."""
    work.mkdir(parents=True)
    out = work / "callgrind.out"
    os.environ["P4SFC_CALLGRIND_OUT"] = str(out)
    lab = BenchLab(work / "lab", v.compiled, v.p4info, v.writes)
    try:
        lab.send_slowly(bench_frames(20, 64, 1000), gap=0.05)  # warm up, not counted
        pid = str(lab.pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        got = lab.send_slowly(bench_frames(frames, 64, 2000), gap=gap)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
        received = sum(len(f) for f in got.values())
        if received != frames:
            raise SystemExit(f"{v.case.name} {v.program}: {received} of {frames} frames out")
    finally:
        lab.close()
    time.sleep(0.5)
    return _instructions(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="chain", help="cases, comma-separated (default chain)")
    ap.add_argument("--stages", default="8", help="dynamic stage settings")
    ap.add_argument("--frames", default="40,200", help="the two frame counts")
    ap.add_argument("--repeats", type=int, default=3, help="runs per program (median)")
    ap.add_argument("--gap", type=float, default=0.08, help="seconds between frames")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "dataplane")
    args = ap.parse_args(argv)
    why = unavailable() or (None if shutil.which("valgrind") else "valgrind is not on PATH")
    if why:
        print(f"skipped: {why}")
        return 0
    few, many = sorted(int(n) for n in args.frames.split(","))
    names = [n for n in CASE_ORDER if n in args.only.split(",")]
    work = Path(tempfile.mkdtemp(prefix="p4sfc-instr-"))
    cache = work / "p4c"
    switch = shutil.which("simple_switch_grpc")
    assert switch is not None
    variants: list[Variant] = []
    for name in names:
        case = cases()[name]
        variants.append(native_variant(case, cache))
        variants += [dynamic_variant(case, int(s), cache, work)
                     for s in args.stages.split(",")]
    os.environ["PATH"] = f"{_wrapper(work, switch)}{os.pathsep}{os.environ['PATH']}"
    os.environ["P4SFC_BMV2_START_SECONDS"] = START_SECONDS
    rows = []
    for i, v in enumerate(variants):
        runs = []
        for r in range(args.repeats):
            counts = [count(v, n, work / f"run{i}-{r}-{n}", args.gap) for n in (few, many)]
            runs.append((counts[1] - counts[0]) / (many - few))
        per = statistics.median(runs)
        label = v.program if v.stages is None else f"{v.program} S={v.stages}"
        print(f"{v.case.name} {label}: {per:,.0f} instructions a packet", flush=True)
        rows.append({"case": v.case.name, "program": v.program, "stages": v.stages,
                     "passes": v.passes, "instructions_per_packet": round(per),
                     "runs": [round(x) for x in runs]})
    native = {r["case"]: r["instructions_per_packet"] for r in rows if r["program"] == "native"}
    lines = ["| case | program | passes | instructions / packet | x native |", "|---|---|---|---|---|"]
    for r in rows:
        label = r["program"] if r["stages"] is None else f"{r['program']} S={r['stages']}"
        ratio = r["instructions_per_packet"] / native[r["case"]]
        lines.append(f"| {r['case']} | {label} | {r['passes']} | "
                     f"{r['instructions_per_packet']:,} | {ratio:.2f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "instructions.json").write_text(json.dumps(rows, indent=1) + "\n")
    (args.out / "instructions.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
