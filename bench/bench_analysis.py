"""Analysis of 1,000 chains x 5 NFs (issue target: < 2 s, < 500 MB). Run by hand:

    python bench/bench_analysis.py [N_CHAINS]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chains import load_chain_set  # noqa: E402

from p4sfc_compiler.analysis.plan import build_plan  # noqa: E402


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        t0 = _clock()
        chains, topo = load_chain_set(Path(tmp), n)
        t1 = _clock()
        plan = build_plan(chains, topo, stages=8)
        t2 = _clock()
    placed = sum(len(c.nfs) for c in plan.chains)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"chains={n} nfs={placed}")
    print(f"write+load+validate: wall {t1[0] - t0[0]:.3f} s, cpu {t1[1] - t0[1]:.3f} s")
    print(f"analysis (build_plan): wall {t2[0] - t1[0]:.3f} s, cpu {t2[1] - t1[1]:.3f} s")
    print(f"peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
