"""Packets per second through the embedded switch's pipeline (p4sfc_compiler.switch), the
same chains and frames as the data-plane bench's BMv2 runs: the library firewall ->
monitor -> router chain on the switch alone at 16 / 8 / 2 stages (1, 1 and 4 passes), and
the paper chain's switch part (frames back from the IPS's server: monitor, firewall, NAT
with one installed mapping). Single-threaded CPU time of ``Pipeline.process`` per frame;
no BMv2 needed (compare with bench/README.md's "switch CPU us/packet").

    PYTHONPATH=$PWD .venv/bin/python bench/bench_switch.py [--frames 3000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "switch")]

from scenarios import SCENARIOS, Scenario, _solo, trace_bytes  # noqa: E402
from support.embedded import EmbeddedLab  # noqa: E402
from support.sfc import tag  # noqa: E402


def chain_scenario(stages: int) -> Scenario:
    names = ["firewall", "monitor", "router"]
    chain = _solo({"type": names[0]})
    chain["NFs"] = [{"name": f"n{i}", "type": t, "location": "srv1"}
                    for i, t in enumerate(names)]
    chain["Links"] = [{"from": f"n{i}", "to": f"n{i + 1}"} for i in range(len(names) - 1)]
    return Scenario(f"chain-s{stages}", chain, options={"stages": stages})


def run(scenario: Scenario, frames_in: list[tuple[tuple[str, int], bytes]], n: int,
        with_entries: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        result, topology = scenario.compile(Path(tmp))
    lab = EmbeddedLab(result.files, topology)
    if with_entries:
        for sw, entries in scenario.entries(result).items():
            lab.insert(sw, entries)
    batch = [frames_in[i % len(frames_in)] for i in range(n)]
    start = time.process_time()
    for where, frame in batch:
        lab.send(where, frame)
    cpu = time.process_time() - start
    out = sum(len(v) for v in lab.collect().values())
    return {"frames": n, "out": out, "us_per_frame": cpu / n * 1e6, "pps": n / cpu}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3000)
    args = ap.parse_args(argv)
    trace = trace_bytes()
    rows = []
    for stages in (16, 8, 2):
        s = chain_scenario(stages)
        rows.append((s.name, run(s, [(("s1", 1), f) for f in trace], args.frames)))
    paper = SCENARIOS["paper-s8c8"]
    with tempfile.TemporaryDirectory() as tmp:
        result, _ = paper.compile(Path(tmp))
    cid = json.loads(result.files["plan.json"])["chains"][0]["chain_id"]
    back = [(("s1", 3), tag(f, cid, [2, 3, 4])) for f in trace]
    rows.append(("paper switch part, s8", run(paper, back, args.frames, with_entries=True)))
    print("| case | frames | frames out | CPU us/frame | frames/s |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['frames']} | {r['out']} | {r['us_per_frame']:.0f} | "
              f"{r['pps']:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
