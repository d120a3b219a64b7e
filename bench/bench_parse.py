"""Parser benchmark (a script, not a test): the whole corpus and a 10,000-element config.

Run: python bench/bench_parse.py [--elements N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from p4sfc_compiler.frontend import parser as click_parser  # noqa: E402
from p4sfc_compiler.frontend.printer import to_click  # noqa: E402

SHARED = ROOT.parent / "shared" / "click-corpus"
CLASSES = ("Counter", "Paint(1)", "Strip(14)", "Unstrip(14)", "SetIPDSCP(5)",
           "CheckIPHeader", "DecIPTTL", "Null")


def generated_config(n: int) -> str:
    """n elements: declarations, a long chain with anonymous elements, fan-out by ports."""
    lines = ["src :: InfiniteSource(LIMIT 10);", "cl :: Classifier(12/0800, -);"]
    half = n // 2
    for i in range(half):
        lines.append(f"e{i} :: {CLASSES[i % len(CLASSES)]};")
    chain = " -> ".join(f"e{i}" for i in range(half))
    lines.append(f"src -> cl -> {chain};")
    rest = n - half - 2
    anon = " -> ".join(CLASSES[i % len(CLASSES)] for i in range(rest))
    lines.append(f"cl [1] -> {anon} -> Discard;")
    return "\n".join(lines) + "\n"


CPU: dict[str, float] = {}


def timed(fn, *args, repeat: int = 3, **kw):
    """Best wall time of ``repeat`` runs (and, in CPU["last"], the best CPU time).

    The machine is shared; CPU time is the steadier number when others are busy.
    """
    best = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(*args, **kw)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    CPU["last"] = best_cpu
    return best, result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--elements", type=int, default=10_000)
    ap.add_argument("--profile", action="store_true")
    opts = ap.parse_args()

    if SHARED.is_dir():
        files = [p for sub in ("conf", "conf-other", "generated")
                 for p in sorted((SHARED / sub).rglob("*")) if p.is_file()]
        texts = [(p, p.read_text()) for p in files]

        def parse_corpus() -> int:
            ok = 0
            for p, text in texts:
                try:
                    click_parser.parse_text(text, str(p))
                    ok += 1
                except click_parser.ClickSyntaxError:
                    pass
            return ok

        t, ok = timed(parse_corpus)
        size = sum(len(t) for _, t in texts)
        print(f"corpus: {len(texts)} files ({size / 1024:.0f} KiB), {ok} parsed, "
              f"{t * 1000:.1f} ms (best of 3)")
    else:
        print(f"corpus: {SHARED} not found, skipped")

    text = generated_config(opts.elements)
    # the breakdown runs with the cyclic GC paused, as parse_text does
    gc.disable()
    ntokens = 0

    def lex_only() -> int:
        return sum(1 for _ in click_parser._Lexer(click_parser.Source(text, "gen")).tokens())

    t_lex, ntokens = timed(lex_only)
    t_tree, _ = timed(click_parser.parse_statements, text, "gen.click")
    gc.enable()
    t_all, g = timed(click_parser.parse_text, text, "gen.click", repeat=5)
    cpu_all = CPU["last"]
    print(f"generated: {g.number_of_nodes()} elements, {g.number_of_edges()} connections, "
          f"{len(text) / 1024:.0f} KiB")
    print(f"  lex only        {t_lex * 1000:8.1f} ms  ({ntokens} tokens)")
    print(f"  lex + LALR tree {t_tree * 1000:8.1f} ms")
    print(f"  full parse_text {t_all * 1000:8.1f} ms  (resolve + flatten + IR: "
          f"{(t_all - t_tree) * 1000:.1f} ms); CPU time {cpu_all * 1000:.1f} ms")
    t_print, out = timed(to_click, g)
    print(f"  to_click        {t_print * 1000:8.1f} ms")
    t_flat, _ = timed(click_parser.parse_text, out, "printed.click")
    print(f"  reparse printed {t_flat * 1000:8.1f} ms")
    print(f"target < 1000 ms for {opts.elements} elements: "
          f"{'met' if t_all < 1.0 else 'NOT met'} (wall), "
          f"{'met' if cpu_all < 1.0 else 'NOT met'} (CPU); load average "
          f"{os.getloadavg()[0]:.1f}")
    if opts.profile:
        prof = cProfile.Profile()
        prof.enable()
        click_parser.parse_text(text, "gen.click")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
