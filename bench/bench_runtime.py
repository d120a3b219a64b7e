"""P4Runtime write rates and the deployment time of a 10-NF chain, on the embedded switch
and (as root, with p4c-bm2-ss and simple_switch_grpc on PATH) on BMv2 in the same run.
Run by hand; it takes about a minute with BMv2 (p4c compiles the program once).

    python bench/bench_runtime.py [--entries 5000] [--single 1000] [--no-bmv2]

The embedded switch runs as ``p4sfc switch`` in a process of its own, like BMv2.

1. Entries per second through the project's client (``runtime/client.py``): LPM entries
   of the stages' ``ip_lookup`` tables, first one Write per update (``--single`` of them),
   then the same number batched at apply's 256 updates per Write, then ``--entries`` in
   batches of 256 and in one Write. Each switch is emptied (pipeline reloaded) between
   runs, outside the timing.
2. A 10-NF chain (bench/_chains.py): compile to a folder, then ``apply`` (connect,
   arbitrate, check the P4Info, read back, write the difference) to a switch that runs
   the program and holds nothing: the median of 5, and compile + apply together.
   ``apply --pipeline`` (loading the program too) is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _chains import write_chain_set  # noqa: E402

from p4sfc_compiler.backend.compile import compile_chains  # noqa: E402
from p4sfc_compiler.dataplane.match import Exact, Lpm  # noqa: E402
from p4sfc_compiler.dataplane.program import pack_key_fields  # noqa: E402
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate  # noqa: E402
from p4sfc_compiler.runtime.apply import INSERT, apply_switches, select_targets  # noqa: E402
from p4sfc_compiler.runtime.client import Connection, SwitchError  # noqa: E402
from p4sfc_compiler.runtime.outdir import OutDir, load_out_dir  # noqa: E402

BATCH = 256


def lpm_entries(out: OutDir, n: int) -> list[tuple]:
    """``n`` distinct ip_lookup entries spread over the stages' tables (ids, integers)."""
    index = out.index
    stages = sorted(t for t in index.tables if t.endswith(".ip_lookup"))
    per = index.tables[stages[0]].size
    if n > per * len(stages):
        raise SystemExit(f"at most {per * len(stages)} entries fit the program's ip_lookup")
    entries = []
    for i in range(n):
        table = index.tables[stages[i // per]]
        j = i % per
        ((name, lpm),) = pack_key_fields(table.name, (
            ("chain_id", Exact(1 + j // 64)), ("nf_id", Exact(1)), ("elem_id", Exact(1)),
            ("dst_anno", Lpm((10 << 24) | (j % 64) << 16, 16))))
        assert isinstance(lpm, Lpm)
        key = (table.id, ((table.fields[name].id, "l", lpm.value, lpm.prefix_len),), 0)
        action = index.action(table.name.rsplit(".", 1)[0] + ".route")
        entries.append((key, (action.id, ((action.params["port"].id, 2),))))
    return entries


async def _rate(address: str, device_id: int, out: OutDir, device_config: bytes,
                entries: list[tuple], batch: int) -> float:
    """Entries per second writing ``entries`` ``batch`` per Write (pipeline reloaded
    first, untimed)."""
    async with await _connect(address, device_id) as conn:
        await conn.set_pipeline(out.p4info_text, device_config)
        conn.use_index(out.index)
        updates = [conn.table_update(INSERT, k, v) for k, v in entries]
        t0 = time.perf_counter()
        for s in range(0, len(updates), batch):
            errors = await conn.write(updates[s:s + batch])
            assert not errors, errors[:3]
        return len(updates) / (time.perf_counter() - t0)


def write_rates(address: str, device_id: int, out: OutDir, device_config: bytes,
                n_single: int, n_batched: int) -> dict[str, float]:
    single = lpm_entries(out, n_single)
    many = lpm_entries(out, n_batched)
    return {
        f"1 update per Write ({n_single})": asyncio.run(
            _rate(address, device_id, out, device_config, single, 1)),
        f"{BATCH} per Write ({n_single})": asyncio.run(
            _rate(address, device_id, out, device_config, single, BATCH)),
        f"{BATCH} per Write ({n_batched})": asyncio.run(
            _rate(address, device_id, out, device_config, many, BATCH)),
        f"one Write ({n_batched})": asyncio.run(
            _rate(address, device_id, out, device_config, many, n_batched)),
    }


def chain_deploy(work: Path, address: str, device_id: int, device_config: bytes,
                 repeats: int = 5) -> dict[str, float]:
    """Milliseconds: compile, apply (program loaded, switch empty), compile + apply,
    apply --pipeline."""
    chains, topo = _ten(work)
    compile_ms, apply_ms, pipeline_ms = [], [], []
    for r in range(repeats):
        out_path = work / f"out{r}"
        t0 = time.perf_counter()
        compile_chains(chains, topo, out_dir=out_path)
        compile_ms.append((time.perf_counter() - t0) * 1e3)
        out = load_out_dir(out_path)
        targets = select_targets(out, (f"s1={address}",), device_id)

        t0 = time.perf_counter()
        (res,) = asyncio.run(apply_switches(out, targets, device_config=device_config))
        pipeline_ms.append((time.perf_counter() - t0) * 1e3)
        assert not res.failures
        asyncio.run(_reload(address, device_id, out, device_config))  # empty again
        # the switch drops the reload's controller a moment after it closes; until then
        # the same election id is refused (BMv2 too)
        time.sleep(0.3)
        t0 = time.perf_counter()
        (res,) = asyncio.run(apply_switches(out, targets))
        apply_ms.append((time.perf_counter() - t0) * 1e3)
        assert not res.failures and res.inserted == len(out.switches["s1"].entries)
    both = [c + a for c, a in zip(compile_ms, apply_ms, strict=True)]
    return {"entries": len(out.switches["s1"].entries),
            "compile ms": statistics.median(compile_ms),
            "apply ms": statistics.median(apply_ms),
            "compile + apply ms": statistics.median(both),
            "apply --pipeline ms": statistics.median(pipeline_ms)}


def _ten(work: Path):  # type: ignore[no-untyped-def]
    """One chain of 10 NFs from the library mix, on one switch."""
    chain_file, topo_file = write_chain_set(work / "chain10", 1, nfs_per_chain=10)
    chains = load_chains(chain_file)
    topo = load_topology(topo_file)
    validate(chains, topo)
    return chains, topo


async def _reload(address: str, device_id: int, out: OutDir, device_config: bytes) -> None:
    async with await _connect(address, device_id) as conn:
        await conn.set_pipeline(out.p4info_text, device_config)


async def _connect(address: str, device_id: int) -> Connection:
    """A primary connection; the switch may not have seen the previous one go yet."""
    for _ in range(100):
        conn = Connection("bench", address, device_id, election_id=1)
        try:
            await conn.__aenter__()
            return _Opened(conn)  # type: ignore[return-value]
        except SwitchError as exc:
            if "not primary" not in exc.message and "already exists" not in exc.message:
                raise
            await asyncio.sleep(0.01)
    raise SystemExit(f"{address}: the previous controller is still primary")


class _Opened:
    """An entered Connection as an async context manager that only closes it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def __aenter__(self) -> Connection:
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.__aexit__(*exc)


@contextmanager
def embedded() -> Iterator[tuple[str, int, bytes]]:
    """``p4sfc switch`` in its own process, as a user runs it (and as BMv2 runs)."""
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    proc = subprocess.Popen([sys.executable, "-m", "p4sfc_compiler.cli", "switch", "--grpc",
                             "127.0.0.1:0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"P4Runtime on (\S+);", line)
        if m is None:
            raise SystemExit(f"p4sfc switch did not start: {line}")
        yield m.group(1), 0, b""
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


@contextmanager
def bmv2(work: Path, files: dict[str, str], topo) -> Iterator[tuple[str, int, bytes]]:  # type: ignore[no-untyped-def]
    from support.bmv2 import Lab

    work.mkdir(parents=True, exist_ok=True)
    lab = Lab(files, topo, work, load=False)
    try:
        yield lab.addresses()["s1"], topo.switches["s1"].device_id, lab.device_json
    finally:
        lab.close()


def bmv2_missing() -> str | None:
    if os.geteuid() != 0:
        return "not root"
    for tool in ("p4c-bm2-ss", "simple_switch_grpc"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=5000)
    ap.add_argument("--single", type=int, default=1000)
    ap.add_argument("--no-bmv2", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chains, topo = _ten(work)
        result = compile_chains(chains, topo, out_dir=work / "base")
        out = load_out_dir(work / "base")
        kinds: list[tuple[str, Callable[[], object]]] = [("embedded", embedded)]
        why = "--no-bmv2" if args.no_bmv2 else bmv2_missing()
        if why is None:
            kinds.append(("BMv2", lambda: bmv2(work / "bmv2", result.files, topo)))
        for name, make in kinds:
            with make() as (address, device_id, config):  # type: ignore[attr-defined]
                rates = write_rates(address, device_id, out, config, args.single, args.entries)
                deploy = chain_deploy(work / name, address, device_id, config)
            print(f"== {name}")
            for what, rate in rates.items():
                print(f"  {what:28s} {rate:10,.0f} entries/s")
            first = next(iter(rates.values()))
            print(f"  batched / single: {list(rates.values())[1] / first:.1f}x "
                  f"(same entries), {list(rates.values())[2] / first:.1f}x "
                  f"({args.entries} entries)")
            for what, value in deploy.items():
                print(f"  10-NF chain {what:20s} {value:8.1f}")
        if why is not None:
            print(f"BMv2 skipped: {why}")


if __name__ == "__main__":
    main()
