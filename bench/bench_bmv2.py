"""The compiled output on BMv2 (run by hand as root, with p4c-bm2-ss and
simple_switch_grpc on PATH): how long loading the pipeline and writing a switch's
entries takes, and frames per second through fully offloaded chains.

    python bench/bench_bmv2.py 100 1000

For N synthetic chains (bench/_chains.py) it compiles, starts simple_switch_grpc in a
network namespace (tests/support/bmv2.py), times SetForwardingPipelineConfig and one
Write of the whole .txtpb (parsing the text apart), then sends 2,000 frames of the
chains' traffic at 0.5 ms intervals with BMv2 logging at "info" and counts what comes out
(frames for server-placed NFs leave by the server ports; NFs drop some).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _chains import load_chain_set  # noqa: E402
from support.bmv2 import Lab, unavailable  # noqa: E402

from p4sfc_compiler.backend.compile import compile_chains  # noqa: E402


def run(n: int) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chains, topo = load_chain_set(work, n)
        result = compile_chains(chains, topo, stages=8, table_size=max(1024, 64 * n))
        entries = result.files["switches/s1.txtpb"]
        files = dict(result.files)
        files["switches/s1.txtpb"] = ""  # load the pipeline only; the write is timed below
        lab = Lab(files, topo, work)
        try:
            from finsy.proto import p4r
            from google.protobuf import text_format

            client = lab.switches["s1"].client
            t0 = time.perf_counter()
            client.set_pipeline(result.files["p4/p4sfc.p4info.txtpb"],
                                (work / "p4sfc.json").read_bytes())
            t1 = time.perf_counter()
            request = text_format.Parse(entries, p4r.WriteRequest())
            request.election_id.CopyFrom(client.election)
            tp = time.perf_counter()
            client.write(request)
            t2 = time.perf_counter()
            count = result.entries_per_switch["s1"]
            frames = [bytes(Ether() / IP(src=f"10.{c // 256 % 256}.{c % 256}.7", dst="10.0.1.10")
                            / UDP(sport=1000 + c % 50000, dport=53) / b"q")
                      for c in (i % n for i in range(2000))]
            t3 = time.perf_counter()
            for f in frames:
                lab.wire.send(("s1", 1), f, gap=0.0005)
            got = lab.wire.collect(quiet=1.0)
            t4 = time.perf_counter() - 1.0
            out = sum(len(v) for v in got.values())
        finally:
            lab.close()
    print(f"chains={n:5d} entries={count:6d} pipeline={t1 - t0:5.2f} s "
          f"txtpb parse={tp - t1:5.2f} s write={t2 - tp:5.2f} s "
          f"({count / (t2 - tp):6.0f} entries/s)  frames: sent {len(frames)}, out {out} "
          f"in {t4 - t3:5.2f} s ({len(frames) / (t4 - t3):5.0f}/s in)")


def main() -> None:
    reason = unavailable()
    if reason:
        sys.exit(f"bench_bmv2: {reason}")
    os.environ.setdefault("P4SFC_BMV2_LOG", "info")
    for arg in sys.argv[1:] or ["100"]:
        run(int(arg))


if __name__ == "__main__":
    main()
