"""Where BMv2 spends its time per packet, native against dynamic (issue 10, second part).

    sudo PATH=/opt/p4tools/bin:$PATH PYTHONPATH=$PWD python bench/dataplane_profile.py
    ... --only chain --stages 16,8,2 [--no-perf]

For each program (the cases of bench_dataplane.py: native, and dynamic at each stage
setting) three views, written to ``--out`` (default bench/out/dataplane) as
``profile.json`` and ``profile.md``:

* static, from p4c's BMv2 JSON: tables (and how many p4c made for straight-line code,
  ``tbl_*``), key fields and bits per table, conditionals, parser states, PHV size;
* per packet, from BMv2's own trace (``--log-level trace``) of a few frames: passes,
  parser states and extracts, checksums, tables applied (hit / miss; element-control
  misses = stages with nothing to do), conditions, actions, primitives, registers;
* per packet CPU time, from ``perf record`` (DWARF call graphs) on simple_switch_grpc
  while it forwards the flow at 80 % of its capacity with logging off: every sample
  goes to one bucket by the BMv2 functions on its stack (log strings built with logging
  off, match lookups, actions, conditions, packet/PHV creation and reset, parser,
  checksums, deparser, queues and threads), scaled by the switch's CPU time per packet.

Needs root, p4c-bm2-ss, simple_switch_grpc and (for the CPU view) perf.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_dataplane import CASE_ORDER, Variant, dynamic_variant, native_variant  # noqa: E402
from native.cases import bench_frames, cases  # noqa: E402
from native.lab import BenchLab  # noqa: E402
from support.bmv2 import unavailable  # noqa: E402

# ---------------------------------------------------------------------------------------
# static: the BMv2 JSON


def static_view(device_json: bytes) -> dict:
    j = json.loads(device_json)
    header_types = {h["name"]: h for h in j["header_types"]}

    def width(f: list) -> int:
        return int(f[1]) if isinstance(f[1], int) else 0

    fields = bits = 0
    meta_fields = 0
    for h in j["headers"]:
        ht = header_types[h["header_type"]]
        n = len(ht["fields"])
        fields += n
        bits += sum(width(f) for f in ht["fields"])
        if h.get("metadata"):
            meta_fields += n
    tables = []
    for p in j["pipelines"]:
        for t in p["tables"]:
            tables.append({
                "name": t["name"],
                "pipeline": p["name"],
                "match_type": t["match_type"],
                "key_fields": len(t["key"]),
                "synthesized": t["name"].startswith("tbl_"),
            })
    key_bits = {}
    for p in j["pipelines"]:
        for t in p["tables"]:
            total = 0
            for k in t["key"]:
                target = k.get("target")
                if isinstance(target, list) and len(target) == 2:
                    hname, fname = target
                    h = next((x for x in j["headers"] if x["name"] == hname), None)
                    if h is not None:
                        for f in header_types[h["header_type"]]["fields"]:
                            if f[0] == fname:
                                total += width(f)
            key_bits[t["name"]] = total
    for t in tables:
        t["key_bits"] = key_bits[t["name"]]
    widest = max(tables, key=lambda t: t["key_bits"], default=None)
    return {
        "tables": len(tables),
        "tables_synthesized": sum(t["synthesized"] for t in tables),
        "conditionals": sum(len(p.get("conditionals", [])) for p in j["pipelines"]),
        "actions": len(j["actions"]),
        "parser_states": sum(len(p["parse_states"]) for p in j["parsers"]),
        "header_instances": len(j["headers"]),
        "phv_fields": fields,
        "phv_metadata_fields": meta_fields,
        "phv_bits": bits,
        "widest_key": None if widest is None else
        {k: widest[k] for k in ("name", "key_fields", "key_bits", "match_type")},
    }


# ---------------------------------------------------------------------------------------
# per packet: BMv2's trace

_TAG = re.compile(r"\[(\d+)\.(\d+)\] \[cxt \d+\] (.*)$")
_RULES = [
    ("parser_states", re.compile(r"^Parser '[^']+' entering state")),
    ("extracts", re.compile(r"^Extracting (variable-sized )?header")),
    ("parser_sets", re.compile(r"^Parser set:")),
    ("checksum_verify", re.compile(r"^Verified checksum")),
    ("checksum_update", re.compile(r"^Updating checksum")),
    ("conditions", re.compile(r"Condition \".*\" \(node_\d+\) is (true|false)$")),
    ("actions", re.compile(r"^Action (?!entry)\S+$")),
    ("primitives", re.compile(r"Primitive ")),
    ("registers", re.compile(r"^(Read|Wrote) register")),
    ("deparsed_headers", re.compile(r"^Deparsing header")),
]
_ACTION = re.compile(r"^Action (?!entry)(\S+)$")
_APPLY = re.compile(r"^Applying table '([^']+)'")
_RESULT = re.compile(r"^Table '([^']+)': (hit|miss)")


def trace_counts(log: str) -> dict:
    """Per packet averages of what BMv2 did, from its trace log (lines tagged
    ``[packet.copy]``; a recirculated pass of packet N is N.1, N.2...)."""
    per: dict[int, Counter] = defaultdict(Counter)
    passes: dict[int, set[int]] = defaultdict(set)
    by_action: Counter = Counter()  # primitives per action (stage suffixes merged)
    action = ""
    for line in log.splitlines():
        m = _TAG.search(line)
        if m is None:
            continue
        pkt, copy, text = int(m.group(1)), int(m.group(2)), m.group(3)
        c = per[pkt]
        passes[pkt].add(copy)
        act = _ACTION.search(text)
        if act is not None:
            action = re.sub(r"stage\d+\.|_\d+$", "", act.group(1))
        elif "Primitive " in text:
            by_action[action] += 1
        a = _APPLY.search(text)
        if a is not None:
            name = a.group(1)
            c["tables_applied"] += 1
            if name.startswith("tbl_"):
                c["tables_synthesized"] += 1
            continue
        r = _RESULT.search(text)
        if r is not None:
            name, how = r.groups()
            if not name.startswith("tbl_"):
                c[f"p4_tables_{how}"] += 1
                if name.endswith("element_control") and how == "miss":
                    c["element_control_misses"] += 1
                if name.endswith("element_control") and how == "hit":
                    c["elements_run"] += 1
            continue
        for key, rx in _RULES:
            if rx.search(text):
                c[key] += 1
                break
    if not per:
        return {}
    keys = sorted({k for c in per.values() for k in c})
    n = len(per)
    out = {k: round(sum(c[k] for c in per.values()) / n, 2) for k in keys}
    out["passes"] = round(sum(len(p) for p in passes.values()) / n, 2)
    out["packets"] = n
    out["primitives_by_action"] = {a: round(k / n, 1) for a, k in by_action.most_common(6)}
    return out


def traced(variant: Variant, frames: int, work: Path) -> dict:
    lab = BenchLab(work / f"trace-{variant.label.replace('/', '-')}", variant.compiled,
                   variant.p4info, variant.writes, log_level="trace")
    try:
        got = lab.send_slowly(bench_frames(frames, 64, 50000), gap=0.02)
        assert lab.switch is not None
        log = lab.switch.log_text()
    finally:
        lab.close()
    counts = trace_counts(log)
    counts["frames_out"] = len(got[2])
    return counts


# ---------------------------------------------------------------------------------------
# CPU: perf samples by bucket

# A sample goes to the first bucket (in this order) any frame of its stack matches: the
# BMv2 construct that owns the work. Separately, a sample is "log strings" when a frame of
# it formats a log message that is never printed (BMv2 built with logging macros
# evaluates their arguments, then the logger drops the message: log level off).
BUCKETS: list[tuple[str, re.Pattern]] = [
    ("parser", re.compile(r"bm::Parser::parse")),
    ("deparser", re.compile(r"bm::Deparser::deparse")),
    ("checksums", re.compile(r"verify_checksums|update_checksums|bm::Checksum")),
    ("actions + primitives", re.compile(r"bm::ActionFnEntry::")),
    ("table applies (key, lookup, entry)", re.compile(r"bm::MatchTableAbstract::apply_action")),
    ("conditions", re.compile(r"bm::Conditional::")),
    ("packet + PHV create / reset / copy", re.compile(
        r"PHVFactory|bm::PHV::|PHVSource|reset_metadata|bm::Header::reset|push_back_header"
        r"|bm::Packet::Packet|Packet::clone|new_packet_ptr|copy_headers|Packet::~Packet"
        r"|bm::Header::Header|release_packet")),
    ("pipeline control", re.compile(r"bm::Pipeline::apply|ControlFlow")),
    ("queues, threads, packet I/O", re.compile(
        r"ingress_thread|egress_thread|transmit_thread|receive_|Queue|queue|pcap|DevMgr"
        r"|PortMonitor|TransmitFn|futex|cond_wait|cond_signal|poll|select")),
]
LOG = re.compile(
    r"dump_entry_string|key_to_string|dump_hexstring|get_unique_id|Logger|spdlog|fmt::"
    r"|basic_ostream|basic_ios|ostringstream|__ostream_insert|StreamStateSaver|has_facet"
    r"|_M_cache_locale|bm::operator<<|dump_match_entry|dump_key_params|SourceInfo|to_string")


def _bucket(stack: list[str]) -> str:
    for name, rx in BUCKETS:
        if any(rx.search(sym) for sym in stack):
            return name
    if stack and stack[0].endswith("[k]"):
        return "kernel (other)"
    return "other"


def perf_buckets(data: Path) -> tuple[dict[str, float], dict[str, float], int]:
    """Share of samples per bucket, the share of each that formats unprinted log
    strings, and the number of samples."""
    proc = subprocess.run(
        ["perf", "script", "-i", str(data), "-F", "ip,sym,dso"],
        capture_output=True, text=True, timeout=1200,
    )
    counts: Counter = Counter()
    logs: Counter = Counter()
    stack: list[str] = []
    total = 0

    def flush() -> None:
        nonlocal total
        if stack:
            b = _bucket(stack)
            counts[b] += 1
            if any(LOG.search(sym) for sym in stack):
                logs[b] += 1
            total += 1
            stack.clear()

    for line in proc.stdout.splitlines():
        if not line.strip():
            flush()
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        sym = parts[1]
        if "[kernel" in sym:
            sym = sym.split(" (")[0] + " [k]"
        stack.append(sym)
    flush()
    n = max(1, total)
    return ({k: v / n for k, v in counts.most_common()},
            {k: logs[k] / n for k in counts}, total)


def profiled(variant: Variant, seconds: float, work: Path) -> dict:
    """CPU per packet and its split, at 80 % of the switch's capacity, logging off."""
    lab = BenchLab(work / f"perf-{variant.label.replace('/', '-')}", variant.compiled,
                   variant.p4info, variant.writes)
    try:
        probe = bench_frames(4000, 64, 0)
        ids = [i for i in range(4000)]
        from native.cases import frame_id

        t = lab.trial(probe, ids, 60000.0, frame_id)
        rate = max(100.0, 0.8 * t.out_rate)
        n = int(rate * seconds)
        frames = bench_frames(n, 64, 10000)
        data = work / f"{variant.label.replace('/', '-')}.perf"
        perf = subprocess.Popen(
            ["perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-p",
             str(lab.pid), "-o", str(data), "--", "sleep", str(seconds + 0.5)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        cpu0 = lab.cpu_seconds()
        lab.paced(frames, rate)
        got = lab.collect()
        cpu = lab.cpu_seconds() - cpu0
        perf.wait()
    finally:
        lab.close()
    out = len(got[2])
    buckets, logs, samples = perf_buckets(data)
    us = 1e6 * cpu / max(1, out)
    return {"rate_pps": round(rate), "frames_out": out, "frames_sent": n,
            "cpu_us_per_packet": round(us, 1), "samples": samples,
            "buckets_us": {k: round(v * us, 1) for k, v in buckets.items()},
            "log_strings_us": {k: round(v * us, 1) for k, v in logs.items()},
            "log_strings_total_us": round(sum(logs.values()) * us, 1)}


# ---------------------------------------------------------------------------------------


TRACE_KEYS = ["passes", "parser_states", "extracts", "checksum_verify", "checksum_update",
              "tables_applied", "tables_synthesized", "p4_tables_hit", "p4_tables_miss",
              "element_control_misses", "elements_run", "conditions", "actions",
              "primitives", "registers", "deparsed_headers"]


def markdown(results: list[dict]) -> str:
    labels = [r["label"] for r in results]
    out = ["### Static (p4c's BMv2 JSON)", "",
           "| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for key in ["tables", "tables_synthesized", "conditionals", "actions", "parser_states",
                "header_instances", "phv_fields", "phv_bits"]:
        out.append(f"| {key} | " + " | ".join(str(r["static"][key]) for r in results) + " |")
    out.append("| widest key | " + " | ".join(
        f"{r['static']['widest_key']['key_fields']} fields, {r['static']['widest_key']['key_bits']}"
        f" bits" if r["static"]["widest_key"] else "-" for r in results) + " |")
    out += ["", "### Per packet (BMv2 trace)", "",
            "| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for key in TRACE_KEYS:
        out.append(f"| {key} | " + " | ".join(str(r["trace"].get(key, 0)) for r in results)
                   + " |")
    out += ["", "Primitives per packet by action (most first): "]
    for r in results:
        top = ", ".join(f"{a} {k}" for a, k in r["trace"].get("primitives_by_action", {}).items())
        out.append(f"- {r['label']}: {top}")
    if all("cpu" in r for r in results):
        names = []
        for r in results:
            for k in r["cpu"]["buckets_us"]:
                if k not in names:
                    names.append(k)
        out += ["", "### CPU per packet (perf, us; logging off, 80 % load)", "",
                "Each cell: the bucket's time, and in brackets the part of it spent formatting "
                "log messages nobody prints.", "",
                "| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        out.append("| **total** | " + " | ".join(
            f"**{r['cpu']['cpu_us_per_packet']}** ({r['cpu']['log_strings_total_us']})"
            for r in results) + " |")
        for k in names:
            out.append(f"| {k} | " + " | ".join(
                f"{r['cpu']['buckets_us'].get(k, 0.0)} ({r['cpu']['log_strings_us'].get(k, 0.0)})"
                for r in results) + " |")
        out += ["", "### Unit costs (us per operation: bucket time / trace count)", "",
                "| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for name, bucket, count in [
            ("per table apply", "table applies (key, lookup, entry)", "tables_applied"),
            ("per primitive", "actions + primitives", "primitives"),
            ("per condition", "conditions", "conditions"),
            ("per parser state", "parser", "parser_states"),
        ]:
            out.append(f"| {name} | " + " | ".join(
                f"{r['cpu']['buckets_us'].get(bucket, 0.0) / max(1e-9, r['trace'].get(count, 0)):.2f}"
                if r["trace"].get(count) else "-" for r in results) + " |")
        pass_keys = ["parser", "deparser", "checksums", "packet + PHV create / reset / copy",
                     "queues, threads, packet I/O"]
        out.append("| per pass (parse, deparse, checksums, PHV, queues) | " + " | ".join(
            f"{sum(r['cpu']['buckets_us'].get(k, 0.0) for k in pass_keys) / r['trace']['passes']:.1f}"
            for r in results) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="chain", help="cases, comma-separated (default chain)")
    ap.add_argument("--stages", default="16,8,2", help="dynamic stage settings (chain)")
    ap.add_argument("--element-stages", default="8")
    ap.add_argument("--frames", type=int, default=3, help="frames traced per program")
    ap.add_argument("--perf-seconds", type=float, default=4.0)
    ap.add_argument("--no-perf", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "dataplane")
    args = ap.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"dataplane_profile: {reason}", file=sys.stderr)
        return 2
    use_perf = not args.no_perf and shutil.which("perf") is not None
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "p4c-cache"
    wanted = [c for c in CASE_ORDER if c in args.only.split(",")]
    all_cases = cases()
    results = []
    with tempfile.TemporaryDirectory(prefix="p4sfc-prof-") as tmp:
        work = Path(tmp)
        for name in wanted:
            case = all_cases[name]
            variants = [native_variant(case, cache)]
            if case.nfs:
                stages = args.stages if name == "chain" else args.element_stages
                variants += [dynamic_variant(case, int(s), cache, work)
                             for s in stages.split(",") if s]
            for v in variants:
                r = {"label": v.label, "case": name, "program": v.program,
                     "stages": v.stages, "passes": v.passes,
                     "static": static_view(v.compiled.json),
                     "trace": traced(v, args.frames, work)}
                if use_perf:
                    r["cpu"] = profiled(v, args.perf_seconds, work)
                print(f"{v.label}: {json.dumps({k: r[k] for k in ('static', 'trace')})}",
                      flush=True)
                if "cpu" in r:
                    print(f"  cpu: {json.dumps(r['cpu'])}", flush=True)
                results.append(r)
    (args.out / "profile.json").write_text(json.dumps(results, indent=1) + "\n")
    md = markdown(results)
    (args.out / "profile.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
