"""The ``p4sfc`` command: output, exit status and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
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


# ---------------------------------------------------------------------------------------
# Hostile and malformed input: one line on stderr naming the file, exit status 1, never a
# traceback. Through click's CliRunner (in-process: an uncaught exception would show up
# as result.exception) and, for the worst inputs, through a real `python -m` process.


def cli_error(*args: object) -> str:
    """Run the CLI; assert it failed as documented and return its one error line."""
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert isinstance(r.exception, SystemExit), r.exc_info  # no uncaught exception
    assert r.exit_code == 1, r.output
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in r.output
    return lines[0]


def paper(tmp_path: Path, **files: object) -> dict[str, Path]:
    """The paper chain and topology in tmp_path; ``files`` replace or add files by name
    (a dict/list is written as JSON, str as text, bytes as they are)."""
    out: dict[str, Path] = {}
    contents: dict[str, object] = {
        "chain.json": json.loads((EX / "paper-chain.json").read_text()),
        "topology.json": json.loads((EX / "paper-topology.json").read_text()),
    }
    contents.update({k.replace("_", "."): v for k, v in files.items()})
    for name, content in contents.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_text(json.dumps(content, ensure_ascii=False))
        out[name] = path
    return out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["plan", str(tmp_path / "absent.json")])
    assert r.exit_code == 2 and "does not exist" in r.output
    r = CliRunner().invoke(main, ["compile", str(EX / "paper-chain.json"), "--stages", "0"])
    assert r.exit_code == 2


@pytest.mark.parametrize("role", ["chain", "topology", "state", "nf", "parse"])
def test_not_utf8_names_the_file_and_place(tmp_path: Path, role: str) -> None:
    bad = b'{\n  "name": "caf\xe9"}' if role != "nf" and role != "parse" else b"input -> Print(\"\xff\") -> output;"
    f = paper(tmp_path, bad_file=bad)
    chain, topo, bad_file = f["chain.json"], f["topology.json"], f["bad.file"]
    if role == "chain":
        line = cli_error("plan", bad_file)
    elif role == "topology":
        line = cli_error("plan", chain, "--topology", bad_file)
    elif role == "state":
        line = cli_error("compile", chain, "--topology", topo, "--state", bad_file, "-o", tmp_path / "o")
    elif role == "nf":
        data = json.loads(chain.read_text())
        data["NFs"][1]["click"] = "bad.file"
        chain.write_text(json.dumps(data))
        line = cli_error("plan", chain)
    else:
        line = cli_error("parse", bad_file)
    json_file = role not in ("nf", "parse")
    where = f"{bad_file}:2:15:" if json_file else f"{bad_file}:1:17:"
    byte = "e9" if json_file else "ff"
    assert line == f"error: {where} not UTF-8 text: byte 0x{byte} cannot start or continue a character"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("role", ["chain", "topology", "state"])
@pytest.mark.parametrize("kind", ["deep", "digits", "huge file"])
def test_json_limits_through_the_cli(tmp_path: Path, role: str, kind: str) -> None:
    f = paper(tmp_path)
    target = f["chain.json"] if role == "chain" else f["topology.json"] if role == "topology" else tmp_path / "state.json"
    if kind == "deep":
        target.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
        expected = f"{target}:1:70: lists and objects nest more than 64 deep"
    elif kind == "digits":
        text = {
            "chain": (EX / "paper-chain.json").read_text().replace('"port": 1', '"port": ' + "1" * 5000),
            "topology": (EX / "paper-topology.json").read_text().replace('"device_id": 0', '"device_id": ' + "1" * 5000),
            "state": '{"chains": [{"name": "paper", "chain_id": ' + "1" * 5000 + "}]}",
        }[role]
        target.write_text(text)
        path = {"chain": "Route.ingress.port", "topology": "switches[0].device_id", "state": "chains[0].chain_id"}[role]
        expected = f"{target}: {path}: a number of 5000 digits is out of range"
    else:
        with target.open("wb") as out:
            out.truncate(17 * 1024 * 1024)
        expected = f"{target}: larger than 16 MiB, the limit for an input file"
    if role == "state":
        line = cli_error("compile", f["chain.json"], "--state", target, "-o", tmp_path / "o")
    else:
        line = cli_error("plan", f["chain.json"], "--topology", f["topology.json"])
    assert line.startswith(f"error: {expected}"), line


def test_state_is_validated_with_file_and_path(tmp_path: Path) -> None:
    f = paper(tmp_path)
    out = tmp_path / "out"
    state = tmp_path / "plan.json"
    for chains, expected in [
        ([{"name": "paper", "chain_id": 2.7}], "chains[0].chain_id: expected an integer, got number 2.7"),
        ([{"name": "paper", "chain_id": True}], "chains[0].chain_id: expected an integer, got boolean true"),
        ([{"name": "paper", "chain_id": 0}], "chains[0].chain_id: 0 is out of range 1..32767"),
        ([{"name": "paper", "chain_id": -1}], "chains[0].chain_id: -1 is out of range 1..32767"),
        ([{"name": "x", "chain_id": 1}, {"name": "paper", "chain_id": 1}],
         "chains[1].chain_id: chain id 1 is already used by chain 'x' (chains[0])"),
    ]:
        state.write_text(json.dumps({"chains": chains}))
        assert cli_error("compile", f["chain.json"], "--state", state, "-o", out) == f"error: {state}: {expected}"
        assert not out.exists()
    # a real plan.json keeps the ids
    state.write_text(json.dumps({"chains": [{"name": "paper", "chain_id": 7}]}))
    r = run("compile", f["chain.json"], "--state", state, "-o", out)
    assert r.exit_code == 0 and json.loads((out / "plan.json").read_text())["chains"][0]["chain_id"] == 7


def test_bracketed_text_is_printed_as_written(tmp_path: Path) -> None:
    nf = tmp_path / "[b]nf[red].click"
    nf.write_text("input -> Print([/x] [red]:ok:) -> output;\n")
    r = run("parse", nf)
    assert r.exit_code == 0, r.output
    assert "Print([/x] [red]:ok:)" in r.output and r.output.startswith("[b]nf[red].click  (1 elements")
    bad = tmp_path / "[bold]bad.click"
    bad.write_text("input -> Print([/x]) -> [/y] ;\n")
    assert cli_error("parse", bad) == f"error: {bad}:1:26: syntax error near '/'"
    # a type label of an NF with its own click file, and an error quoting user text
    f = paper(tmp_path)
    data = json.loads(f["chain.json"].read_text())
    data["NFs"][1].update(type="[b]x[/b]:ok:", click=nf.name)
    f["chain.json"].write_text(json.dumps(data))
    r = run("plan", f["chain.json"])
    assert r.exit_code == 0 and "[b]x[/b]:ok:" in r.output, r.output
    data["NFs"][1].update(type="[/red]")
    del data["NFs"][1]["click"]
    f["chain.json"].write_text(json.dumps(data))
    assert "unknown NF type '[/red]'" in cli_error("plan", f["chain.json"])


def test_control_characters_stay_escaped_on_one_line(tmp_path: Path) -> None:
    f = paper(tmp_path)
    data = json.loads(f["chain.json"].read_text())
    data["NFs"][2]["config"] = {"line\none\x1b[2J": "deny all"}
    f["chain.json"].write_text(json.dumps(data))
    line = cli_error("plan", f["chain.json"])
    assert "NFs[2].config['line\\none\\x1b[2J']" in line and "\x1b" not in line


def test_unicode_digits_in_an_address(tmp_path: Path) -> None:
    topo = json.loads((EX / "paper-topology.json").read_text())
    topo["switches"][0]["address"] = "127.0.0.1:５００５１"
    f = paper(tmp_path, topology_json=topo)
    line = cli_error("plan", f["chain.json"], "--topology", f["topology.json"])
    assert line.startswith(f"error: {f['topology.json']}: switches[0].address: bad address")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Idle -> [１]x :: Counter -> Discard;", ":1:10: syntax error near '１'"),
        ("Idle -> [1_0]x :: Counter -> Discard;", ":1:10: syntax error: port number should be integer"),
        ("Idle -> [" + "9" * 5000 + "]x :: Counter -> Discard;", ":1:10: port number 999999999999... out of range"),
        ("Counter :: Counter;", ":1:1: class 'Counter' used as element name"),
        ("x :: Foo; Foo :: Counter;", ":1:11: class 'Foo' used as element name"),
        ("Idle -> Foo -> Discard; Foo :: Counter;", ":1:25: class 'Foo' used as element name"),
        ("Idle -> " + "(" * 100_000 + "Counter" + ")" * 100_000 + " -> Discard;",
         ":1:73: groups and compound classes nest more than 64 deep"),
    ],
)
def test_click_input_errors(tmp_path: Path, text: str, fragment: str) -> None:
    f = tmp_path / "t.click"
    f.write_text(text)
    assert cli_error("parse", "--config", f).startswith(f"error: {f}{fragment}")


def test_errors_carry_their_location(tmp_path: Path) -> None:
    # an NF body whose input feeds two elements: the NF's file and place
    nf = tmp_path / "fork.click"
    nf.write_text("input -> a :: Counter -> output;\ninput -> b :: Counter -> Discard;\n")
    f = paper(tmp_path)
    data = json.loads(f["chain.json"].read_text())
    data["NFs"][1]["click"] = "fork.click"
    f["chain.json"].write_text(json.dumps(data))
    assert cli_error("plan", f["chain.json"]) == (
        f"error: {nf}:2:10: input[0] is connected to 2 elements (a, b); "
        "a push output has exactly one connection"
    )
    # a chain longer than the NF id space: the chain file and NFs
    long = {
        "name": "c256",
        "NFs": [{"name": f"n{i}", "type": "monitor", "location": "srv1"} for i in range(256)],
        "Links": [[f"n{i}", f"n{i + 1}"] for i in range(255)],
        "Route": data["Route"],
    }
    f = paper(tmp_path, long_json=long)
    assert cli_error("plan", f["long.json"]) == (
        f"error: {f['long.json']}: NFs: chain 'c256' has 256 NFs; at most 255"
    )
    # an NF config override Click would refuse: the chain file's JSON path
    data["NFs"][1].pop("click")
    data["NFs"][2]["config"] = {"acl": "allow dst port ８０"}
    f["chain.json"].write_text(json.dumps(data, ensure_ascii=False))
    line = cli_error("plan", f["chain.json"])
    assert line.startswith(f"error: {f['chain.json']}: NFs[2].config.acl: IPFilter pattern 0:")


def test_messages_read_well(tmp_path: Path) -> None:
    f = paper(tmp_path)
    data = json.loads(f["chain.json"].read_text())
    data["NFs"][0]["name"] = None
    f["chain.json"].write_text(json.dumps(data))
    assert cli_error("plan", f["chain.json"]).endswith("NFs[0].name: expected a string, got null")
    data["NFs"][0]["name"] = "ips1"
    data["Route"]["ingress"]["port"] = 3
    f["chain.json"].write_text(json.dumps(data))
    line = cli_error("plan", f["chain.json"], "--topology", f["topology.json"])
    assert line.endswith("Route.ingress.port: port 3 of switch 's1' is already used by server 'srv1'")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.json", b"\xff", "bad.json:1:1: not UTF-8 text"),
        ("deep.json", b"[" * 100_000, "deep.json:1:65: lists and objects nest more than 64 deep"),
        ("big.json", b'{"NFs": [], "Links": [], "Route": {}, "name": ' + b"1" * 5000 + b"}",
         "big.json: name: expected a string, got number"),
        ("m.click", b"input -> Print([/x]) -> output; x :: Counter [", "m.click:1:"),
    ],
)
def test_a_real_process_prints_one_line_and_exits_1(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    cmd = ["parse", str(path)] if name.endswith(".click") else ["plan", str(path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "p4sfc_compiler.cli", *cmd], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path}/{expected}"), p.stderr


def test_output_that_is_a_file_is_one_error_line(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("mine")
    r = run("compile", EX / "paper-chain.json", "-o", target)
    assert r.exit_code == 1 and "afile: cannot write the output folder" in r.output
    assert target.read_text() == "mine"
