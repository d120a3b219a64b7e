"""The ``p4sfc`` command: output, exit status and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from p4sfc_compiler.cli import main

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_help_explains_the_commands() -> None:
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("parse", "plan", "compile"):
        assert cmd in r.output
    r = run("compile", "--help")
    assert "--state" in r.output and "--stages" in r.output and "--server-io" in r.output


def test_parse_formats() -> None:
    nf = EX / "nfs" / "firewall.click"
    tree = run("parse", nf)
    assert tree.exit_code == 0 and "acl" in tree.output and "IPFilter" in tree.output
    data = json.loads(run("parse", nf, "--format", "json").output)
    assert {"name": "acl", "class": "IPFilter"}.items() <= next(
        e for e in data["elements"] if e["name"] == "acl"
    ).items()
    click_text = run("parse", nf, "--format", "click").output
    assert "acl :: IPFilter(" in click_text
    assert run("parse", nf, "--format", "dot").output.lstrip().startswith(("digraph", "strict"))


def test_parse_error_is_one_line_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.click"
    bad.write_text("a :: Counter;\na -> b;\n")
    r = run("parse", bad)
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert f"{bad}:2:" in lines[0] and "undeclared" in lines[0]
    assert "Traceback" not in r.output


def test_plan_shows_the_paper_placement() -> None:
    r = run("plan", EX / "paper-chain.json", "--topology", EX / "paper-topology.json", "--json")
    assert r.exit_code == 0, r.output
    plan = json.loads(r.output)
    placement = {nf["type"]: nf["placement"] for nf in plan["chains"][0]["nfs"]}
    assert placement == {"ips": "server", "monitor": "switch", "firewall": "switch", "nat": "split"}
    text = run("plan", EX / "paper-chain.json").output
    assert "split" in text and "passes per packet" in text


def test_compile_writes_everything_and_is_deterministic(tmp_path: Path) -> None:
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        r = run("compile", EX / "two-server-chain.json", "--topology",
                EX / "two-server-topology.json", "-o", out)
        assert r.exit_code == 0, r.output
        outs.append({str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0] == outs[1]
    assert {"plan.json", "p4/p4sfc.p4", "p4/p4sfc.p4info.txtpb", "switches/s1-runtime.json",
            "switches/s2.txtpb", "servers/srv2/srv2.click"} <= set(outs[0])


def test_bad_chain_names_the_json_path(tmp_path: Path) -> None:
    chain = json.loads((EX / "paper-chain.json").read_text())
    chain["NFs"][2]["type"] = "teleporter"
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain))
    out = tmp_path / "out"
    r = run("compile", path, "-o", out)
    assert r.exit_code == 1
    assert "NFs[2].type" in r.output and "teleporter" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_max_chain_accepts_what_the_program_carries(tmp_path: Path) -> None:
    chain = EX / "paper-chain.json"
    ok = run("compile", chain, "--max-chain", "255", "-o", tmp_path / "a")
    assert ok.exit_code == 0, ok.output
    assert "sfc_nf_t[255]" in (tmp_path / "a" / "p4" / "p4sfc.p4").read_text()
    too_many = run("compile", chain, "--max-chain", "256", "-o", tmp_path / "b")
    assert too_many.exit_code == 2 and "1<=x<=255" in too_many.output
def test_an_unwritable_output_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("not a folder")
    out = tmp_path / "somefile" / "sub"
    r = run("compile", EX / "paper-chain.json", "-o", out)
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1, r.output
    assert f"{out}: cannot create the output folder" in lines[0]
    assert "Traceback" not in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somefile"]


def test_recompiling_into_a_folder_replaces_the_earlier_compile(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("compile", EX / "two-server-chain.json", "--topology", EX / "two-server-topology.json",
            "-o", out)
    assert r.exit_code == 0, r.output
    (out / "p4" / "p4sfc.json").write_text("{}")  # p4c's output, not the compiler's
    r = run("compile", EX / "paper-chain.json", "--topology", EX / "paper-topology.json", "-o", out)
    assert r.exit_code == 0, r.output
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == {"plan.json", "p4/p4sfc.p4", "p4/p4sfc.p4info.txtpb", "p4/p4sfc.json",
                     "switches/s1-runtime.json", "switches/s1.txtpb", "servers/srv1/srv1.click"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_foreign_file_in_the_way_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "servers" / "srv1").mkdir(parents=True)
    (out / "servers" / "srv1" / "srv1.click").write_text("// mine")
    r = run("compile", EX / "paper-chain.json", "--topology", EX / "paper-topology.json", "-o", out)
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "servers/srv1/srv1.click is in the way" in lines[0], r.output
    assert [str(p.relative_to(out)) for p in sorted(out.rglob("*"))] == [
        "servers", "servers/srv1", "servers/srv1/srv1.click"]
