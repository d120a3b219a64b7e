"""What the dynamic data plane costs per packet on BMv2, against native P4 programs of
the same elements (issue 10; the paper's section IV-B, Fig. 6).

    sudo PATH=/opt/p4tools/bin:$PATH PYTHONPATH=$PWD python bench/bench_dataplane.py
    ... --only chain --stages 16,8,2 --repeats 3

Run as root with p4c-bm2-ss and simple_switch_grpc on PATH. Every program runs alone on
a fresh simple_switch_grpc (logging off) in a network namespace of its own: frames of one
TCP flow go in on port 1, out of port 2 (bench/native/lab.py). Per case and program:

* lossless rate: a probe far above capacity estimates it, then a binary search on the
  paced send rate for the highest rate at which every frame comes out and the egress
  keeps pace (a queue that grows within a short trial is an overload too). A trial that
  fails is run once more: a rate fails when two trials in a row lose frames;
* sustained rate: the egress rate when offered twice the lossless rate;
* latency: kernel receive time minus send time at a quarter of the lossless rate,
  median and 99th percentile.

Each point is searched ``--repeats`` times (default 3) and the medians are reported,
each run with the load average it ran under. Cases: ``forward`` (one table, native only),
``classifier``, ``rewriter``, ``route``, ``counter`` (one element each) and ``chain``
(firewall -> monitor -> router, the library NFs): native, and the dynamic program p4sfc
compiles for the same NFs, elements at ``--element-stages`` (default 8) and the chain
at each of ``--stages`` (default 16, 8, 2: 1, 1 and 4 passes; 1, 2 and 5 before the
compiler removed the repeated CheckIPHeaders). Before measuring, a few frames check that
each program forwards the flow and that native and dynamic emit the same bytes.

Writes ``--out`` (default bench/out/dataplane): ``runs.csv`` (every repeat),
``summary.csv`` (medians, dynamic / native), ``compile.csv`` (p4c wall time, entries per
chain) and ``fig6.png`` (when matplotlib imports). Stops by itself; the defaults take
about 10-15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from native.cases import (  # noqa: E402
    NATIVE_DIR,
    Case,
    bench_frames,
    cases,
    compile_dynamic,
    dynamic_rewriter_txtpb,
    frame_id,
    native_entries,
    passes,
)
from native.lab import BenchLab, Compiled, Trial, compile_p4, p4c_version  # noqa: E402
from support.bmv2 import unavailable  # noqa: E402

from p4sfc_compiler.backend.entry_formats import write_request_txtpb  # noqa: E402
from p4sfc_compiler.p4info.index import P4InfoIndex  # noqa: E402

CASE_ORDER = ("forward", "classifier", "rewriter", "route", "counter", "chain")


@dataclass
class Variant:
    """One program to measure: a case, native or dynamic at some stage count."""

    case: Case
    program: str  # "native" or "dynamic"
    stages: int | None
    passes: int
    compiled: Compiled
    p4info: str
    writes: list[str]
    entries: int
    source_lines: int

    @property
    def label(self) -> str:
        if self.program == "native":
            return f"{self.case.name}/native"
        return f"{self.case.name}/dynamic-s{self.stages}"


@dataclass
class Settings:
    repeats: int
    max_frames: int
    trial_seconds: float
    size: int
    steps: int
    probe_rate: float
    verbose: bool = False


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


# ---------------------------------------------------------------------------------------
# programs


def native_variant(case: Case, cache: Path) -> Variant:
    compiled = compile_p4(case.native_path, cache, includes=[NATIVE_DIR / "headers.p4"])
    index = P4InfoIndex.from_text(compiled.p4info, case.native)
    entries = native_entries(case, index)
    writes = [write_request_txtpb(entries, index, device_id=0)] if entries else []
    lines = len(case.native_path.read_text().splitlines())
    return Variant(case, "native", None, 1, compiled, compiled.p4info, writes, len(entries),
                   lines)


def dynamic_variant(case: Case, stages: int, cache: Path, work: Path) -> Variant:
    folder = work / f"{case.name}-s{stages}"
    result, _ = compile_dynamic(case, folder, stages)
    source = folder / "p4sfc.p4"
    source.write_text(result.files["p4/p4sfc.p4"])
    compiled = compile_p4(source, cache)
    writes = [result.files.get("switches/s1.txtpb", "")]
    if case.flows:
        writes.append(dynamic_rewriter_txtpb(result, case))
    entries = result.entries_per_switch.get("s1", 0) + len(case.flows)
    return Variant(case, "dynamic", stages, passes(result), compiled,
                   result.files["p4/p4sfc.p4info.txtpb"], writes, entries,
                   len(source.read_text().splitlines()))


# ---------------------------------------------------------------------------------------
# measurements


class Runner:
    def __init__(self, lab: BenchLab, settings: Settings) -> None:
        self.lab = lab
        self.s = settings
        self.id_base = 0
        self.trials = 0
        self.cpu_s = 0.0  # switch CPU time over lossless trials
        self.cpu_frames = 0

    def trial(self, rate: float, n: int | None = None) -> Trial:
        if n is None:
            n = int(rate * self.s.trial_seconds)
        n = max(200, min(self.s.max_frames, n))
        frames = bench_frames(n, self.s.size, self.id_base)
        ids = [(self.id_base + i) & 0xFFFF for i in range(n)]
        self.id_base = (self.id_base + n) & 0xFFFF
        self.trials += 1
        t = self.lab.trial(frames, ids, rate, frame_id)
        if t.lossless:
            self.cpu_s += t.cpu_s
            self.cpu_frames += t.received
        if self.s.verbose:
            log(f"    trial {rate:9.0f} pps: offered {t.offered:9.0f}, out {t.received}/{t.sent} "
                f"at {t.out_rate:9.0f} pps, elsewhere {t.elsewhere}, median "
                f"{t.median_us:8.0f} us{'' if t.lossless else '  (loss or lag)'}")
        return t

    def holds(self, rate: float) -> bool:
        """A rate holds when a trial at it is lossless; a failed trial is tried once more
        (a 2-core machine sometimes stalls BMv2's threads long enough to overflow its
        64-packet egress queue, at any rate), so a rate fails only twice in a row."""
        return self.trial(rate).lossless or self.trial(rate).lossless

    def search(self) -> tuple[float, float]:
        """The lossless rate, and the probe's egress rate (an estimate of capacity)."""
        rate = self.s.probe_rate
        for _ in range(3):  # the probe must overload the switch
            probe = self.trial(rate, self.s.max_frames)
            if probe.received < 0.95 * probe.sent:
                break
            rate *= 2
        estimate = max(probe.out_rate, 50.0)
        lo, hi = 0.5 * estimate, 1.15 * estimate
        for _ in range(4):  # make sure the lower end holds
            if self.holds(lo):
                break
            hi, lo = lo, lo / 2
        else:
            return 0.0, estimate
        for _ in range(self.s.steps):
            if hi - lo < 0.02 * lo:
                break
            mid = (lo + hi) / 2
            if self.holds(mid):
                lo = mid
            else:
                hi = mid
        return lo, estimate

    def run(self) -> dict[str, float]:
        t0 = time.monotonic()
        load_before = loadavg()
        lossless, estimate = self.search()
        base = lossless if lossless > 0 else estimate / 2
        over = self.trial(2 * base)
        lat_rate = max(20.0, base / 4)
        lat = self.trial(lat_rate, int(lat_rate * 2 * self.s.trial_seconds))
        load = loadavg()
        return {
            "lossless_pps": round(lossless, 1),
            "probe_pps": round(estimate, 1),
            "sustained_pps": round(over.out_rate, 1),
            "overload_offered_pps": round(over.offered, 1),
            "overload_loss": round(1 - over.received / over.sent, 4),
            "latency_rate_pps": round(lat.offered, 1),
            "latency_median_us": round(lat.median_us, 1),
            "latency_p99_us": round(lat.latency_us(0.99), 1),
            "latency_loss": round(1 - lat.received / lat.sent, 4),
            "cpu_us_per_packet": round(1e6 * self.cpu_s / max(1, self.cpu_frames), 1),
            "trials": self.trials,
            "seconds": round(time.monotonic() - t0, 1),
            "load1_before": round(load_before[0], 2),
            "load1": round(load[0], 2),
            "load5": round(load[1], 2),
            "load15": round(load[2], 2),
        }


def check_output(lab: BenchLab, variant: Variant, size: int) -> bytes:
    """A few frames slowly: each must leave on port 2 and nowhere else; the first one out."""
    frames = bench_frames(5, size, 60000)
    got = lab.send_slowly(frames)
    if len(got[2]) != len(frames) or got[1] or got[3]:
        raise RuntimeError(f"{variant.label}: {len(frames)} frames in, "
                           f"{ {p: len(v) for p, v in got.items()} } out per port")
    return got[2][0]


def measure(variant: Variant, settings: Settings, work: Path) -> tuple[list[dict], bytes]:
    lab = BenchLab(work / variant.label.replace("/", "-"), variant.compiled, variant.p4info,
                   variant.writes)
    try:
        first = check_output(lab, variant, settings.size)
        rows = []
        for r in range(settings.repeats):
            runner = Runner(lab, settings)
            row = runner.run()
            row.update(repeat=r)
            rows.append(row)
            log(f"  {variant.label:28s} run {r}: lossless {row['lossless_pps']:>8.0f} pps, "
                f"sustained {row['sustained_pps']:>8.0f} pps, latency "
                f"{row['latency_median_us']:>7.0f} / {row['latency_p99_us']:>7.0f} us, "
                f"{row['cpu_us_per_packet']:.0f} us CPU/packet "
                f"(load {row['load1']:.2f}, {row['trials']} trials, {row['seconds']} s)")
        return rows, first
    finally:
        lab.close()


# ---------------------------------------------------------------------------------------
# output

RUN_FIELDS = ["case", "program", "stages", "passes", "repeat", "lossless_pps", "probe_pps",
              "sustained_pps", "overload_offered_pps", "overload_loss", "latency_rate_pps",
              "latency_median_us", "latency_p99_us", "latency_loss", "cpu_us_per_packet", "trials", "seconds",
              "load1_before", "load1", "load5", "load15", "frame_bytes", "time"]
SUMMARY_FIELDS = ["case", "program", "stages", "passes", "entries", "lossless_pps",
                  "sustained_pps", "latency_median_us", "latency_p99_us", "cpu_us_per_packet",
                  "lossless_vs_native", "extra_latency_us", "load1_median", "same_output"]


def summarize(variant: Variant, rows: list[dict], native: dict | None, same: str) -> dict:
    def med(k: str) -> float:
        return round(statistics.median(r[k] for r in rows), 1)

    out = {"case": variant.case.name, "program": variant.program,
           "stages": variant.stages or "", "passes": variant.passes,
           "entries": variant.entries, "lossless_pps": med("lossless_pps"),
           "sustained_pps": med("sustained_pps"), "latency_median_us": med("latency_median_us"),
           "latency_p99_us": med("latency_p99_us"), "load1_median": med("load1"),
           "cpu_us_per_packet": med("cpu_us_per_packet"),
           "same_output": same, "lossless_vs_native": "", "extra_latency_us": ""}
    if native is not None and native["lossless_pps"]:
        out["lossless_vs_native"] = round(out["lossless_pps"] / native["lossless_pps"], 3)
        out["extra_latency_us"] = round(out["latency_median_us"] - native["latency_median_us"], 1)
    return out


def plot(summary: list[dict], path: Path) -> str:
    """Fig. 6's layout: per element (and the chain), native next to dynamic; throughput
    above, latency (median, p99 as the whisker) below, and the switch's CPU time per
    packet (the steadiest of the three on a shared machine) at the bottom."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no plot (pip install matplotlib)"
    groups = [c for c in CASE_ORDER if any(r["case"] == c for r in summary)]
    programs: list[str] = []
    for r in summary:
        label = "native" if r["program"] == "native" else f"p4sfc {r['passes']} pass" + (
            "es" if r["passes"] > 1 else "") + f" (S={r['stages']})"
        r["_label"] = label
        if label not in programs:
            programs.append(label)
    fig, (top, bottom, cpu) = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
    colors = {label: f"C{k}" for k, label in enumerate(programs)}
    width = 0.8 / max(len([r for r in summary if r["case"] == g]) for g in groups)
    seen: set[str] = set()
    for g, case in enumerate(groups):
        rows = [r for r in summary if r["case"] == case]
        for k, row in enumerate(rows):
            x = g + (k - (len(rows) - 1) / 2) * width
            label = row["_label"]
            legend = label if label not in seen else None
            seen.add(label)
            kpps = row["lossless_pps"] / 1000
            top.bar(x, kpps, width, color=colors[label], label=legend)
            top.annotate(f"{kpps:.1f}", (x, kpps), ha="center", va="bottom", fontsize=7)
            med = row["latency_median_us"] / 1000
            p99 = max(0.0, row["latency_p99_us"] - row["latency_median_us"]) / 1000
            bottom.bar(x, med, width, yerr=[[0], [p99]], capsize=2, color=colors[label])
            bottom.annotate(f"{med:.2f}", (x, med), ha="center", va="bottom", fontsize=7)
            us = row["cpu_us_per_packet"]
            cpu.bar(x, us, width, color=colors[label])
            cpu.annotate(f"{us:.0f}", (x, us), ha="center", va="bottom", fontsize=7)
    top.set_ylabel("lossless throughput (kpps)")
    top.set_yscale("log")
    top.legend(fontsize=8)
    top.set_title("BMv2 simple_switch_grpc: native P4 vs p4sfc's dynamic program")
    bottom.set_ylabel("latency (ms), median; whisker p99")
    cpu.set_ylabel("switch CPU per packet (us)")
    cpu.set_xticks(range(len(groups)), groups)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    for r in summary:
        r.pop("_label", None)
    return f"plot: {path}"


def write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def markdown(summary: list[dict]) -> str:
    lines = ["| case | program | passes | lossless pps | sustained pps | latency median / p99 (us) "
             "| switch CPU us/packet | lossless vs native | load |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in summary:
        prog = "native" if r["program"] == "native" else f"dynamic S={r['stages']}"
        lines.append(f"| {r['case']} | {prog} | {r['passes']} | {r['lossless_pps']:.0f} | "
                     f"{r['sustained_pps']:.0f} | {r['latency_median_us']:.0f} / "
                     f"{r['latency_p99_us']:.0f} | {r['cpu_us_per_packet']:.0f} | "
                     f"{r['lossless_vs_native']} | "
                     f"{r['load1_median']} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(CASE_ORDER),
                    help=f"cases to run, comma-separated (of {', '.join(CASE_ORDER)})")
    ap.add_argument("--stages", default="16,8,2",
                    help="stage settings for the chain's dynamic program (default 16,8,2)")
    ap.add_argument("--element-stages", default="8",
                    help="stage settings for the single elements' dynamic program (default 8)")
    ap.add_argument("--no-native", action="store_true", help="measure the dynamic programs only")
    ap.add_argument("--no-dynamic", action="store_true", help="measure the native programs only")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-frames", type=int, default=5000, help="frames per trial at most")
    ap.add_argument("--trial-seconds", type=float, default=1.0, help="length of a search trial")
    ap.add_argument("--steps", type=int, default=6, help="binary search steps at most")
    ap.add_argument("--probe-rate", type=float, default=60000.0)
    ap.add_argument("--size", type=int, default=64, help="frame size in bytes (no FCS)")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "dataplane")
    ap.add_argument("--no-cache", action="store_true",
                    help="compile with p4c again (and time it) instead of reusing --out's cache")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--plot-from", type=Path, metavar="SUMMARY_CSV",
                    help="only draw the plot from an earlier summary.csv (no root, no tools)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every trial")
    args = ap.parse_args(argv)

    if args.plot_from is not None:
        with args.plot_from.open() as f:
            rows = [dict(r) for r in csv.DictReader(f)]
        for r in rows:
            for k in ("lossless_pps", "latency_median_us", "latency_p99_us", "cpu_us_per_packet"):
                r[k] = float(r[k])
            r["passes"] = int(r["passes"])
        log(plot(rows, args.plot_from.with_name("fig6.png")))
        return 0
    reason = unavailable()
    if reason:
        print(f"bench_dataplane: {reason}", file=sys.stderr)
        return 2
    wanted = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = sorted(set(wanted) - set(CASE_ORDER))
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)} (of {', '.join(CASE_ORDER)})")
    chain_stages = [int(s) for s in args.stages.split(",") if s]
    element_stages = [int(s) for s in args.element_stages.split(",") if s]
    settings = Settings(args.repeats, args.max_frames, args.trial_seconds, args.size,
                        args.steps, args.probe_rate, args.verbose)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "p4c-cache"
    all_cases = cases()
    started = time.monotonic()
    log(f"p4c: {p4c_version()}; load {loadavg()}; cases {', '.join(wanted)}")

    runs: list[dict] = []
    summary: list[dict] = []
    compile_rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="p4sfc-dp-") as tmp:
        work = Path(tmp)
        if args.no_cache:  # each distinct program compiles (and is timed) once in this run
            cache = work / "p4c-cache"
        for name in [c for c in CASE_ORDER if c in wanted]:
            case = all_cases[name]
            variants: list[Variant] = []
            if not args.no_native:
                variants.append(native_variant(case, cache))
            if case.nfs and not args.no_dynamic:
                for s in chain_stages if name == "chain" else element_stages:
                    variants.append(dynamic_variant(case, s, cache, work))
            native_summary = None
            native_first = None
            for v in variants:
                compile_rows.append({
                    "case": name, "program": v.program, "stages": v.stages or "",
                    "passes": v.passes, "p4c_seconds": round(v.compiled.seconds, 2),
                    "cached": v.compiled.cached, "entries": v.entries,
                    "p4_lines": v.source_lines, "bmv2_json_bytes": len(v.compiled.json),
                    "tables": len(json.loads(v.compiled.json)["pipelines"][0]["tables"]),
                })
                log(f"{v.label}: {v.passes} pass(es), {v.entries} entries, p4c "
                    f"{v.compiled.seconds:.1f} s{' (cached)' if v.compiled.cached else ''}")
                rows, first = measure(v, settings, work)
                same = ""
                if v.program == "native":
                    native_first = first
                elif native_first is not None:
                    same = "yes" if first == native_first else "NO"
                    if same == "NO":
                        log(f"  WARNING: {v.label} emits {first.hex()}, native "
                            f"{native_first.hex()}")
                for r in rows:
                    r.update(case=name, program=v.program, stages=v.stages or "",
                             passes=v.passes, frame_bytes=args.size,
                             time=time.strftime("%Y-%m-%dT%H:%M:%S"))
                runs.extend(rows)
                row = summarize(v, rows, native_summary, same)
                if v.program == "native":
                    native_summary = row
                summary.append(row)
                write_csv(args.out / "runs.csv", RUN_FIELDS, runs)
                write_csv(args.out / "summary.csv", SUMMARY_FIELDS, summary)
    write_csv(args.out / "compile.csv", ["case", "program", "stages", "passes", "p4c_seconds",
                                         "cached", "entries", "p4_lines", "bmv2_json_bytes",
                                         "tables"], compile_rows)
    log("")
    log(markdown(summary))
    if not args.no_plot:
        log(plot(summary, args.out / "fig6.png"))
    chain_native = next((r for r in summary if r["case"] == "chain" and r["program"] == "native"),
                        None)
    chain_default = next((r for r in summary if r["case"] == "chain" and r["stages"] == 8), None)
    if chain_native and chain_default:
        ratio = chain_default["lossless_pps"] / max(1e-9, chain_native["lossless_pps"])
        extra = chain_default["latency_median_us"] - chain_native["latency_median_us"]
        log(f"targets (chain, 8 stages): lossless {ratio:.0%} of native (target >= 50%): "
            f"{'met' if ratio >= 0.5 else 'MISSED'}; latency +{extra:.0f} us (target <= "
            f"1000 us): {'met' if extra <= 1000 else 'MISSED'}")
    log(f"wrote {args.out}/summary.csv, runs.csv, compile.csv in "
        f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
