"""The rendered program against the real tools: p4c-bm2-ss compiles it cleanly and writes
the P4Info our model predicts; simple_switch_grpc (when present) runs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.dataplane.program import ProgramParams, build_program
from p4sfc_compiler.p4info.index import P4InfoIndex, summarize
from p4sfc_compiler.p4info.textformat import parse_text_format
from p4sfc_compiler.p4info.write import render_p4info

P4C = shutil.which("p4c-bm2-ss")

pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(P4C is None, reason="p4c-bm2-ss is not on PATH"),
]

SETTINGS = [
    ProgramParams(stages=1, max_chain=2),
    ProgramParams(stages=4, max_chain=8, kinds=("classify", "counter", "forward")),
    ProgramParams(),
    ProgramParams(stages=12, max_chain=16, table_size=4096, register_size=256),
    ProgramParams(stages=2, max_chain=3, kinds=("ip_encap", "rewriter", "alert")),
]


def compile_program(params: ProgramParams, out: Path) -> tuple[subprocess.CompletedProcess, Path]:
    src = out / "p4sfc.p4"
    src.write_text(render_p4(params))
    p4info = out / "p4sfc.p4info.txtpb"
    proc = subprocess.run(
        [P4C, "--p4v", "16", "--p4runtime-files", str(p4info), "-o", str(out / "p4sfc.json"),
         str(src)],
        capture_output=True, text=True, timeout=600,
    )
    return proc, p4info


def _comparable(summary: dict) -> dict:
    # Action order in a table is not part of the contract; everything else is.
    for t in summary["tables"].values():
        t["actions"] = sorted(t["actions"])
    return summary


@pytest.mark.parametrize("params", SETTINGS, ids=lambda p: f"s{p.stages}c{p.max_chain}k{len(p.kinds)}")
def test_compiles_cleanly_and_p4info_matches(params: ProgramParams, tmp_path: Path) -> None:
    proc, p4info = compile_program(params, tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output

    theirs = _comparable(summarize(parse_text_format(p4info.read_text())))
    ours = _comparable(summarize(parse_text_format(render_p4info(build_program(params)))))
    assert theirs["tables"].keys() == ours["tables"].keys()
    for name in ours["tables"]:
        assert theirs["tables"][name] == ours["tables"][name], name
    assert theirs["actions"] == ours["actions"]
    assert theirs["registers"] == ours["registers"]

    # ids too: entries written by id (the .txtpb) apply with p4c's own P4Info
    real = P4InfoIndex.from_text(p4info.read_text())
    mine = P4InfoIndex.from_text(render_p4info(build_program(params)))
    assert {n: t.id for n, t in real.tables.items()} == {n: t.id for n, t in mine.tables.items()}
    assert {n: a.id for n, a in real.actions.items()} == {n: a.id for n, a in mine.actions.items()}
    for name, table in real.tables.items():
        assert {f: i.id for f, i in table.fields.items()} == {
            f: i.id for f, i in mine.tables[name].fields.items()
        }
