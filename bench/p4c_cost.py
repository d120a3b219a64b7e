"""What the dynamic program costs p4c: compile time, BMv2 JSON size and instructions (issue 10).

    PATH=/opt/p4tools/bin:$PATH PYTHONPATH=$PWD python bench/p4c_cost.py
    ... [--stages 2,8,16] [--against REV ...] [--repeats 3] [--instructions] [--out DIR]

Renders the default program at each stage count from the working tree and from each
git revision of ``--against`` (checked out in a temporary worktree), compiles every one
with ``p4c-bm2-ss`` ``--repeats`` times, interleaved so that a slow minute of the machine
hits all alike, and reports the fastest and the median user time, the BMv2 JSON size
and the ratio to the first ``--against`` revision. Two runs of one file on a shared
2-core machine differ by 10 % and more, so only interleaved runs compare.

``--instructions`` adds p4c's instructions under valgrind's callgrind, with the Boehm
collector off (``GC_DONT_GC=1``; with it on, valgrind takes hours): the same count on
every run, which wall time is not. A stage of the program costs p4c about 4.3 G of
them, and at 8 stages one run takes some five minutes. p4c's time follows its IR: about
a hundred type-inference and name-resolution passes go over every statement of every
stage, so a statement less in a stage is eight less at 8 stages. Results go to ``--out``
as ``p4c_cost.json`` and ``p4c_cost.md``.

Needs p4c-bm2-ss (and valgrind for ``--instructions``); git for ``--against``.
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

ROOT = Path(__file__).resolve().parent.parent
RENDER = ("import sys; from p4sfc_compiler.backend.render_p4 import render_p4; "
          "from p4sfc_compiler.dataplane.program import ProgramParams; "
          "sys.stdout.write(render_p4(ProgramParams(stages=int(sys.argv[1]))))")


def render(tree: Path, stages: int) -> str:
    """The default program of the source tree ``tree`` at ``stages`` stages."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([sys.executable, "-c", RENDER, str(stages)], cwd=tree, env=env,
                          check=True, capture_output=True, text=True).stdout


def compile_once(p4: Path, out: Path) -> float:
    """p4c-bm2-ss's user CPU seconds for ``p4``."""
    before = os.times()
    subprocess.run(["p4c-bm2-ss", "-o", str(out), str(p4)], check=True,
                   capture_output=True)
    after = os.times()
    return after.children_user - before.children_user


def instructions(p4: Path, out: Path) -> int:
    """p4c-bm2-ss's instructions for ``p4`` under callgrind (collector off)."""
    log = out.with_suffix(".callgrind")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={log}",
                    "p4c-bm2-ss", "-o", str(out), str(p4)],
                   env=dict(os.environ, GC_DONT_GC="1"), check=True, capture_output=True)
    match = re.search(r"^totals:\s*(\d+)", log.read_text(), re.M)
    if not match:
        raise RuntimeError(f"no totals in {log}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stages", default="2,8,16", help="stage counts (default 2,8,16)")
    ap.add_argument("--against", action="append", default=[], metavar="REV",
                    help="a git revision to compare with (repeatable; the first is the base)")
    ap.add_argument("--repeats", type=int, default=3, help="compiles of each program")
    ap.add_argument("--instructions", action="store_true",
                    help="also count p4c's instructions under callgrind (slow)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "p4c_cost")
    args = ap.parse_args(argv)
    if shutil.which("p4c-bm2-ss") is None:
        print("p4c-bm2-ss is not on PATH: nothing to measure", file=sys.stderr)
        return 2
    if args.instructions and shutil.which("valgrind") is None:
        print("--instructions needs valgrind on PATH", file=sys.stderr)
        return 2
    stages = [int(s) for s in args.stages.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="p4c-cost-"))
    trees: dict[str, Path] = {}
    try:
        for rev in args.against:
            tree = work / f"tree-{len(trees)}"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f",
                            str(tree), rev], check=True, capture_output=True)
            trees[rev] = tree
        trees["working tree"] = ROOT
        programs: list[tuple[str, int, Path]] = []
        for label, tree in trees.items():
            for s in stages:
                p4 = work / f"{len(programs)}.p4"
                p4.write_text(render(tree, s))
                programs.append((label, s, p4))
        times: dict[int, list[float]] = {i: [] for i in range(len(programs))}
        for r in range(args.repeats):
            for i, (label, s, p4) in enumerate(programs):
                t0 = time.monotonic()
                times[i].append(compile_once(p4, p4.with_suffix(".json")))
                print(f"[{r + 1}/{args.repeats}] {label} S={s}: {times[i][-1]:.2f} s user "
                      f"({time.monotonic() - t0:.1f} s wall)", file=sys.stderr)
        rows = []
        for i, (label, s, p4) in enumerate(programs):
            row = {"program": label, "stages": s, "user_s_min": min(times[i]),
                   "user_s_median": statistics.median(times[i]),
                   "json_bytes": p4.with_suffix(".json").stat().st_size}
            if args.instructions:
                print(f"callgrind {label} S={s} ...", file=sys.stderr)
                row["instructions"] = instructions(p4, p4.with_suffix(".json"))
            rows.append(row)
    finally:
        for tree in trees.values():
            if tree != ROOT:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    base = {r["stages"]: r for r in rows if args.against and r["program"] == args.against[0]}
    lines = ["| program | stages | p4c user s (min / median) | x base | BMv2 JSON MB |"
             + (" instructions (G) | x base |" if args.instructions else ""),
             "|---|---|---|---|---|" + ("---|---|" if args.instructions else "")]
    for r in rows:
        b = base.get(r["stages"])
        ratio = f"{r['user_s_median'] / b['user_s_median']:.2f}" if b else ""
        line = (f"| {r['program']} | {r['stages']} | {r['user_s_min']:.2f} / "
                f"{r['user_s_median']:.2f} | {ratio} | {r['json_bytes'] / 1e6:.2f} |")
        if args.instructions:
            iratio = f"{r['instructions'] / b['instructions']:.3f}" if b else ""
            line += f" {r['instructions'] / 1e9:.2f} | {iratio} |"
        lines.append(line)
    (args.out / "p4c_cost.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.out / "p4c_cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
