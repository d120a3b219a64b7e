"""Compile N chains x 5 NFs, in memory (issue target: 1,000 chains < 5 s, < 1 GB).
Run by hand; the growth from 100 to 1,000 to 10,000 chains should be linear:

    python bench/bench_compile.py 100 1000 10000
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chains import load_chain_set  # noqa: E402

from p4sfc_compiler.backend.compile import compile_chains  # noqa: E402


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def run(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        chains, topo = load_chain_set(Path(tmp), n)
        t0 = _clock()
        result = compile_chains(
            chains, topo, stages=8, table_size=max(1024, 64 * n), out_dir=Path(tmp) / "out"
        )
        t1 = _clock()
        dt, cpu = t1[0] - t0[0], t1[1] - t0[1]
    entries = sum(result.entries_per_switch.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"chains={n:6d} wall={dt:7.3f} s cpu={cpu:7.3f} s  per-chain={1000 * cpu / n:6.3f} ms cpu  "
        f"entries={entries} ({entries / n:.1f}/chain)  peak RSS={rss:.0f} MB"
    )


def main() -> None:
    for arg in sys.argv[1:] or ["1000"]:
        run(int(arg))


if __name__ == "__main__":
    main()
