"""What changes to the dynamic program would gain, measured before anyone makes them:
each variant is a copy of the generated P4 edited here (p4/templates stay as they are),
compiled by p4c and measured like bench_dataplane.py measures (lossless rate, latency,
switch CPU per packet), on the chain firewall -> monitor -> router.

    sudo PATH=/opt/p4tools/bin:$PATH PYTHONPATH=$PWD python bench/dataplane_ablation.py
    ... --stages 8 --repeats 2

Variants of the dynamic program at ``--stages`` (default 8):

* ``as generated``;
* ``narrow classify``: the classify tables keyed only on the fields this chain's entries
  use (the fixed program cannot know them; a measure of what the 21-field key costs).

Two earlier variants are now the program itself (issue 10): element_control keyed on one
packed field, and the kinds' parameter copies without per-stage initialisers (shared
metadata fields).

And a native pair: ``classifier.p4`` against itself built with ``-DWIDE_KEY`` (the
dynamic classify table's 21-field key, same entries). Writes ``ablation.csv`` and
``ablation.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_dataplane import Settings, Variant, measure, native_variant  # noqa: E402
from native.cases import NATIVE_DIR, cases, compile_dynamic, passes  # noqa: E402
from native.lab import compile_p4  # noqa: E402
from support.bmv2 import unavailable  # noqa: E402

from p4sfc_compiler.backend.entries import build_entries  # noqa: E402
from p4sfc_compiler.backend.entry_formats import write_request_txtpb  # noqa: E402
from p4sfc_compiler.dataplane.program import ProgramParams  # noqa: E402
from p4sfc_compiler.p4info.index import P4InfoIndex  # noqa: E402

_CLASSIFY = re.compile(r"(    table classify \{\n        key = \{\n)(.*?)(        \})", re.DOTALL)


def narrow_classify(source: str, used: set[str]) -> str:
    def keep(m: re.Match) -> str:
        lines = [ln for ln in m.group(2).splitlines(keepends=True)
                 if ln.strip().split(":")[0] in used]
        return m.group(1) + "".join(lines) + m.group(3)

    out, n = _CLASSIFY.subn(keep, source)
    assert n > 0, "no classify table found"
    return out


def dynamic_variants(stages: int, cache: Path, work: Path) -> list[tuple[str, Variant]]:
    case = cases()["chain"]
    folder = work / f"chain-s{stages}"
    result, _ = compile_dynamic(case, folder, stages)
    params = ProgramParams(stages=stages, max_chain=8, table_size=1024, register_size=1024)
    entries = build_entries(result.plan, params)["s1"].entries
    used = {"meta.chain_id", "meta.nf_id", "meta.elem_id"}
    for e in entries:
        if e.table.endswith(".classify"):
            used.update(name for name, _ in e.match)
    source = result.files["p4/p4sfc.p4"]
    edits = {
        "as generated": source,
        "narrow classify": narrow_classify(source, used),
    }
    out = []
    for name, text in edits.items():
        path = folder / (re.sub(r"\W+", "-", name) + ".p4")
        path.write_text(text)
        compiled = compile_p4(path, cache)
        # p4c's P4Info: a narrowed table has fewer fields than the compiler's own
        index = P4InfoIndex.from_text(compiled.p4info)
        writes = [write_request_txtpb(entries, index, device_id=0)]
        v = Variant(case, "dynamic", stages, passes(result), compiled, compiled.p4info,
                    writes, len(entries), len(text.splitlines()))
        out.append((name, v))
    return out


def native_pair(cache: Path) -> list[tuple[str, Variant]]:
    case = cases()["classifier"]
    narrow = native_variant(case, cache)
    wide_compiled = compile_p4(case.native_path, cache, includes=[NATIVE_DIR / "headers.p4"],
                               defines=["WIDE_KEY"])
    from native.cases import native_entries

    index = P4InfoIndex.from_text(wide_compiled.p4info)
    wide = replace(narrow, compiled=wide_compiled, p4info=wide_compiled.p4info,
                   writes=[write_request_txtpb(native_entries(case, index), index,
                                               device_id=0)])
    return [("native classifier, 9-field key", narrow),
            ("native classifier, 21-field key", wide)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stages", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="variants whose name contains this text")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "dataplane")
    args = ap.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"dataplane_ablation: {reason}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "p4c-cache"
    settings = Settings(args.repeats, 5000, 1.0, 64, 6, 60000.0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="p4sfc-abl-") as tmp:
        work = Path(tmp)
        for name, v in dynamic_variants(args.stages, cache, work) + native_pair(cache):
            if args.only not in name:
                continue
            print(f"{name}: p4c {v.compiled.seconds:.1f} s", flush=True)
            runs, _ = measure(v, settings, work / re.sub(r"\W+", "-", name))
            row = {"variant": name, "stages": v.stages or "", "passes": v.passes}
            for k in ("lossless_pps", "latency_median_us", "cpu_us_per_packet", "load1"):
                row[k] = round(statistics.median(r[k] for r in runs), 1)
            rows.append(row)
    with (args.out / "ablation.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = ["| variant | lossless pps | latency median (us) | switch CPU us/packet | load |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['lossless_pps']:.0f} | {r['latency_median_us']:.0f}"
                     f" | {r['cpu_us_per_packet']:.0f} | {r['load1']} |")
    md = "\n".join(lines) + "\n"
    (args.out / "ablation.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
