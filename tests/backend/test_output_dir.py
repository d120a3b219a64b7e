"""The output folder: all of a compile or none of it, no stale files, foreign files kept."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest

from p4sfc_compiler.backend import outdir
from p4sfc_compiler.backend.compile import compile_chains, earlier_outputs
from p4sfc_compiler.backend.outdir import OutputError
from p4sfc_compiler.errors import P4SFCError, SpecError
from p4sfc_compiler.frontend.chainspec import (
    Server,
    Topology,
    load_chains,
    load_topology,
    validate,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TWO = ("two-server-chain.json", "two-server-topology.json")
PAPER = ("paper-chain.json", "paper-topology.json")


def _load(case: tuple[str, str]):
    chains = load_chains(EXAMPLES / case[0])
    topology = load_topology(EXAMPLES / case[1])
    validate(chains, topology)
    return chains, topology


def _compile(case: tuple[str, str], out: Path):
    return compile_chains(*_load(case), out_dir=out)


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def _named_by_plan(out: Path) -> set[str]:
    plan = json.loads((out / "plan.json").read_text())
    files = {"plan.json", plan["program"]["p4"], plan["program"]["p4info"]}
    for sw in plan["switches"].values():
        files.update(sw["entries"])
    for names in plan["servers"].values():
        files.update(names)
    return files


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, owner: object, name: str, n: int) -> None:
    """Make ``owner.name`` raise OSError on its ``n``-th call (and only then)."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def fake(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, fake)


# ---------------------------------------------------------------- failures leave nothing half-written

@pytest.mark.parametrize("nth", [1, 3, 7])
def test_a_failed_write_into_a_new_folder_leaves_nothing(tmp_path: Path, monkeypatch, nth: int) -> None:
    out = tmp_path / "deep" / "er" / "out"
    _fail_on_call(monkeypatch, Path, "write_text", nth)
    with pytest.raises(OutputError, match=r"out: cannot create the output folder: no space left on device"):
        _compile(TWO, out)
    assert list(tmp_path.iterdir()) == []  # no folder, no staging folder, no parents


@pytest.mark.parametrize("nth", [1, 3, 5])
def test_a_failed_write_keeps_the_previous_compile(tmp_path: Path, monkeypatch, nth: int) -> None:
    out = tmp_path / "out"
    _compile(TWO, out)
    (out / "p4" / "p4sfc.json").write_text("{}")  # what p4c writes beside the program
    before = _snapshot(out)
    _fail_on_call(monkeypatch, Path, "write_text", nth)
    with pytest.raises(OSError, match="cannot write the output folder: no space left on device"):
        _compile(PAPER, out)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("nth", [1, 2, 5, 9, 12])
def test_a_failed_swap_puts_every_file_back(tmp_path: Path, monkeypatch, nth: int) -> None:
    """A rename failing while the old files move out and the new ones in: all undone."""
    out = tmp_path / "out"
    _compile(TWO, out)
    before = _snapshot(out)
    _fail_on_call(monkeypatch, outdir.os, "rename", nth)
    with pytest.raises(P4SFCError, match="cannot write the output folder"):
        _compile(PAPER, out)
    assert _snapshot(out) == before


def test_a_failure_that_is_not_an_os_error_also_cleans_up(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    _compile(TWO, out)
    before = _snapshot(out)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outdir.os, "rename", boom)
    with pytest.raises(KeyboardInterrupt):
        _compile(PAPER, out)
    assert _snapshot(out) == before
    with pytest.raises(KeyboardInterrupt):
        _compile(PAPER, tmp_path / "new")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# ---------------------------------------------------------------- what a recompile leaves

def test_recompiling_with_fewer_switches_and_servers_leaves_no_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _compile(TWO, out)
    assert {"switches/s2.txtpb", "servers/srv2/srv2.click"} <= set(_snapshot(out))
    result = _compile(PAPER, out)
    files = {k for k, v in _snapshot(out).items() if v is not None}
    assert files == _named_by_plan(out) == set(result.files)
    assert not (out / "servers" / "srv2").exists()
    assert {k: v for k, v in _snapshot(out).items() if v is not None} == {
        k: v.encode() for k, v in result.files.items()
    }


def test_recompiling_the_same_input_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _compile(TWO, out)
    before = _snapshot(out)
    _compile(TWO, out)
    assert _snapshot(out) == before


def test_files_the_compiler_did_not_write_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _compile(TWO, out)
    foreign = {"p4/p4sfc.json": b"{}", "servers/srv2/in.pcap": b"pcap", "notes.txt": b"mine",
               "switches/README": b"x"}
    for rel, data in foreign.items():
        (out / rel).write_bytes(data)
    _compile(PAPER, out)
    for rel, data in foreign.items():
        assert (out / rel).read_bytes() == data
    assert not (out / "servers" / "srv2" / "srv2.click").exists()
    assert not (out / "switches" / "s2.txtpb").exists()


def test_a_foreign_file_where_a_new_file_goes_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "switches").mkdir(parents=True)
    (out / "switches" / "s1.txtpb").write_text("my own entries")
    before = _snapshot(out)
    with pytest.raises(OutputError, match=r"out: switches/s1\.txtpb is in the way and was not written by p4sfc"):
        _compile(PAPER, out)
    assert _snapshot(out) == before


def test_a_foreign_file_where_a_folder_goes_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "servers").write_text("not a folder")
    with pytest.raises(OutputError, match="servers is in the way"):
        _compile(PAPER, out)
    assert (out / "servers").read_text() == "not a folder"


def test_a_plan_json_p4sfc_did_not_write_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text('{"my": "plan"}')
    with pytest.raises(OutputError, match="its plan.json is not one p4sfc wrote"):
        _compile(PAPER, out)
    assert (out / "plan.json").read_text() == '{"my": "plan"}'


def test_a_forged_plan_json_cannot_make_the_compiler_delete_other_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _compile(TWO, out)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (out / "notes.txt").write_text("keep")
    plan = json.loads((out / "plan.json").read_text())
    plan["servers"]["srv9"] = ["../outside.txt", str(outside), "notes.txt", "servers/x/y.click"]
    plan["switches"]["s1"]["entries"].append("../../etc/passwd")
    (out / "plan.json").write_text(json.dumps(plan))
    assert earlier_outputs(out) == _named_by_plan(out) - {
        "../outside.txt", str(outside), "notes.txt", "servers/x/y.click", "../../etc/passwd"}
    _compile(PAPER, out)
    assert outside.read_text() == "keep" and (out / "notes.txt").read_text() == "keep"


def test_the_new_folder_has_the_mode_mkdir_gives(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _compile(PAPER, out)
    (tmp_path / "plain").mkdir()
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE((tmp_path / "plain").stat().st_mode)


def test_an_existing_empty_folder_and_a_symlink_to_one_are_written_into(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    _compile(PAPER, tmp_path / "link")
    assert (tmp_path / "link").is_symlink()
    assert (real / "plan.json").is_file()
    assert sorted(p.name for p in real.iterdir()) == ["p4", "plan.json", "servers", "switches"]


# ---------------------------------------------------------------- folders that cannot be written

def test_an_output_folder_under_a_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x")
    out = tmp_path / "somefile" / "sub"
    with pytest.raises(OutputError) as info:
        _compile(PAPER, out)
    message = info.value.one_line()
    assert message.startswith(f"{out}: cannot create the output folder: ")
    assert "is a file, not a folder" in message and "\n" not in message


def test_an_output_folder_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(OutputError, match="it exists and is not a folder"):
        _compile(PAPER, tmp_path / "out")
    assert (tmp_path / "out").read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_is_an_error(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="ro/out: cannot create the output folder: permission denied"):
            _compile(PAPER, parent / "out")
    finally:
        parent.chmod(0o700)


# ---------------------------------------------------------------- switch and server names are file names

@pytest.mark.parametrize(("where", "name"), [
    ("servers", "../x"), ("servers", "a/b"), ("servers", ".."), ("servers", ".hidden"),
    ("switches", "../s"), ("switches", "s/1"), ("switches", "."),
])
def test_a_name_that_is_not_a_file_name_is_refused_when_read(tmp_path: Path, where: str, name: str) -> None:
    topo = json.loads((EXAMPLES / PAPER[1]).read_text())
    topo[where][0]["name"] = name
    path = tmp_path / "topo.json"
    path.write_text(json.dumps(topo))
    with pytest.raises(SpecError, match=rf"topo\.json: {where}\[0\]\.name: bad name"):
        load_topology(path)


@pytest.mark.parametrize("location", ["../x", "a/b", "srv1/../../x"])
def test_an_nf_location_that_is_not_a_file_name_is_refused_when_read(tmp_path: Path, location: str) -> None:
    chain = json.loads((EXAMPLES / PAPER[0]).read_text())
    chain["NFs"][0]["location"] = location
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain))
    with pytest.raises(SpecError, match=r"chain\.json: NFs\[0\]\.location: bad name"):
        load_chains(path)


def test_a_topology_built_in_code_cannot_write_outside_the_folder(tmp_path: Path) -> None:
    chains, topology = _load(PAPER)
    evil = Server(name="../../escape", switch="s1", port=3)
    topo = Topology(switches=topology.switches, servers={evil.name: evil}, links=topology.links)
    chains = [dataclasses.replace(c, nfs=tuple(dataclasses.replace(nf, location=evil.name) for nf in c.nfs))
              for c in chains]
    with pytest.raises(OutputError, match=r"server name '\.\./\.\./escape' cannot be a file name"):
        compile_chains(chains, topo, out_dir=tmp_path / "a" / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a//b", "a/./b", "a\\b", ""])
def test_the_writer_refuses_paths_that_leave_the_folder(tmp_path: Path, rel: str) -> None:
    with pytest.raises(OutputError, match="cannot be a file inside the output folder"):
        outdir.write_folder(tmp_path / "out", {rel: "x"})
    assert list(tmp_path.iterdir()) == []


def test_names_a_case_blind_file_system_takes_for_one_are_an_error(tmp_path: Path, monkeypatch) -> None:
    """On a file system where case does not count, switches S1 and s1 would share a file."""
    real = Path.write_text

    def case_blind(self: Path, *args, **kwargs):
        return real(self.with_name(self.name.lower()), *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", case_blind)
    files = {"plan.json": "{}", "switches/S1.txtpb": "a", "switches/s1.txtpb": "b"}
    with pytest.raises(OutputError, match=r"out: cannot write switches/S1\.txtpb: this file system"):
        outdir.write_folder(tmp_path / "out", files)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match=r"out: cannot write switches/S1\.txtpb"):
        outdir.write_folder(tmp_path / "out", files)
    assert list((tmp_path / "out").iterdir()) == []


def test_files_that_cannot_be_put_back_are_never_deleted(tmp_path: Path, monkeypatch) -> None:
    """If the undo fails too, the earlier files stay in the old-files folder, named."""
    out = tmp_path / "out"
    _compile(TWO, out)
    before = {k: v for k, v in _snapshot(out).items() if v is not None}
    real = outdir.os.rename
    calls = {"n": 0}

    def fails_from_the_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 3:
            raise OSError(5, "Input/output error")
        return real(*args, **kwargs)

    monkeypatch.setattr(outdir.os, "rename", fails_from_the_third)
    with pytest.raises(OutputError, match=r"nor put 2 of its files back: they are in .*\.p4sfc-old-"):
        _compile(PAPER, out)
    monkeypatch.undo()
    (backup,) = out.glob(".p4sfc-old-*")
    kept = {k: v for k, v in _snapshot(out).items() if v is not None and not k.startswith(".p4sfc-")}
    kept.update({k: v for k, v in _snapshot(backup).items() if v is not None})
    assert kept == before
