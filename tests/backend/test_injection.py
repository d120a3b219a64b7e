"""User text never becomes Click statements of a server configuration.

Each field that reaches a generated file is either refused when read (exit 1, the file and
the JSON path) or written so that the project's own Click parser reads back exactly the
elements a clean input gives (no extra element, no lost one).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from p4sfc_compiler.backend.clickgen import click_string, comment_text
from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.cli import main
from p4sfc_compiler.errors import P4SFCError, SpecError
from p4sfc_compiler.families.values import unquote
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.frontend.configstring import split_args
from p4sfc_compiler.frontend.parser import parse_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PAPER_CHAIN = json.loads((EXAMPLES / "paper-chain.json").read_text())
PAPER_TOPOLOGY = json.loads((EXAMPLES / "paper-topology.json").read_text())
SERVER_FILE = "servers/srv1/srv1.click"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def _elements(text: str) -> set[tuple[str, str]]:
    g = parse_text(text, "server.click")
    return {(n, d["cls"]) for n, d in g.nodes(data=True)}


def _compile(chain: dict, topology: dict, tmp_path: Path, chain_file: str = "chain.json"):
    chains = load_chains(_write(tmp_path / chain_file, chain))
    topo = load_topology(_write(tmp_path / "topology.json", topology))
    validate(chains, topo)
    return compile_chains(chains, topo)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> set[tuple[str, str]]:
    """The elements of srv1's configuration for the paper chain, from clean input."""
    result = _compile(PAPER_CHAIN, PAPER_TOPOLOGY, tmp_path_factory.mktemp("clean"))
    return _elements(result.files[SERVER_FILE])


def _topology_with(interface: str) -> dict:
    topo = json.loads(json.dumps(PAPER_TOPOLOGY))
    topo["servers"][0]["interface"] = interface
    return topo


# ---------------------------------------------------------------- interface names

@pytest.mark.parametrize("interface", [
    "eth0); evil :: Discard; x :: Idle(",   # the example
    "a b", "eth0\n", "x" * 16, "", ".", "..", "a/b", "a:1", 'a"b', "a'b", "eth\u00e9",
])
def test_a_bad_interface_name_is_refused_with_its_json_path(tmp_path: Path, interface: str) -> None:
    chain = _write(tmp_path / "chain.json", PAPER_CHAIN)
    topo = _write(tmp_path / "topo.json", _topology_with(interface))
    out = tmp_path / "out"
    r = run("compile", chain, "--topology", topo, "-o", out)
    assert r.exit_code == 1, r.output
    # the interface rule, or the rule for every string (no control characters), says why
    assert f"{topo}: servers[0].interface: " in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


@pytest.mark.parametrize("interface", [
    "a);b;Idle(", "a,b", "x$y", "a#b", "a\\b", "a(b", "a%b", "SNIFFER", "e*x",
    "srv1-eth0", "eth0.100", "e" * 15,
])
def test_a_valid_interface_name_is_one_click_argument(tmp_path: Path, interface: str, clean) -> None:
    """Linux allows ')', ',', '$', '#', '\\' in interface names; Click must read it as one
    argument, the same name, and nothing else."""
    result = _compile(PAPER_CHAIN, _topology_with(interface), tmp_path)
    text = result.files[SERVER_FILE]
    assert _elements(text) == clean
    g = parse_text(text, "srv1.click")
    devices = [d for _, d in g.nodes(data=True) if d["cls"] in ("FromDevice", "ToDevice")]
    assert len(devices) == 2
    for d in devices:
        args = split_args(d["config"])
        assert unquote(args[0]) == interface
        assert len(args) == (2 if d["cls"] == "FromDevice" else 1)


def test_click_string_quotes_what_is_not_a_plain_word() -> None:
    assert click_string("srv1-eth0") == "srv1-eth0"
    assert click_string("in.pcap") == "in.pcap"
    assert click_string("a);b") == '"a);b"'
    assert click_string("x$y") == '"x\\$y"'
    assert click_string("STOP") == '"STOP"'
    with pytest.raises(P4SFCError):
        click_string("")


# ---------------------------------------------------------------- chain names

@pytest.mark.parametrize("stem", [
    "a\nevil :: Discard;\nb", "x*", "a \\ b", 'q"uote', "it's", "sp ace", "-lead", "\u00e9t\u00e9",
])
def test_a_chain_named_by_a_bad_file_name_is_refused(tmp_path: Path, stem: str) -> None:
    chain = dict(PAPER_CHAIN)
    del chain["name"]
    path = _write(tmp_path / f"{stem}.json", chain)
    r = run("compile", path, "--topology", _write(tmp_path / "t.json", PAPER_TOPOLOGY),
            "-o", tmp_path / "out")
    assert r.exit_code == 1, r.output
    assert ": name: no name given, and the file name gives" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_a_list_file_with_a_bad_name_names_the_item(tmp_path: Path) -> None:
    chain = dict(PAPER_CHAIN)
    del chain["name"]
    with pytest.raises(SpecError, match=r"\[0\]\.name: no name given"):
        load_chains(_write(tmp_path / "a b.json", [chain]))


def test_a_chain_named_by_a_good_file_name_compiles(tmp_path: Path, clean) -> None:
    chain = dict(PAPER_CHAIN)
    del chain["name"]
    result = _compile(chain, PAPER_TOPOLOGY, tmp_path, "my-chain_1.json")
    assert result.plan.chains[0].name == "my-chain_1"
    assert _elements(result.files[SERVER_FILE]) == clean


@pytest.mark.parametrize("name", ["a\nevil :: Discard;\nb", "x */ evil :: Discard; /* y",
                                  'q" evil', "a\r\nb :: Idle;", "line\u2028sep"])
def test_chain_and_nf_type_text_in_comments_stays_in_comments(tmp_path: Path, name: str, clean) -> None:
    """Chain specs built in code skip the reader; the comments still hold one line each."""
    chains = load_chains(_write(tmp_path / "chain.json", PAPER_CHAIN))
    topo = load_topology(_write(tmp_path / "topology.json", PAPER_TOPOLOGY))
    chains = [dataclasses.replace(chains[0], name=name, nfs=tuple(
        dataclasses.replace(nf, type=name, click=Path(f"{nf.type}.click")) if nf.type == "ips" else nf
        for nf in chains[0].nfs))]
    (tmp_path / "ips.click").write_text((EXAMPLES / "nfs" / "ips.click").read_text())
    result = compile_chains(chains, topo)
    text = result.files[SERVER_FILE]
    assert _elements(text) == clean
    comments = [line for line in text.splitlines() if line.startswith("//")]
    assert len(comments) == 4  # the header (2 lines) and one per elementclass
    assert all("*/" not in c and "\r" not in c for c in comments)
    assert comment_text(name) in comments[1] and "\n" not in comment_text(name)


def test_comment_text() -> None:
    assert comment_text("plain text (ok)") == "plain text (ok)"
    assert comment_text("a\nb") == "a\\nb"
    assert comment_text("a */ b") == "a *\\/ b"
    assert comment_text("back\\slash") == "back\\\\slash"


# ---------------------------------------------------------------- config overrides

@pytest.mark.parametrize("config", [
    "0.0.0.0/0 0); evil :: Discard; y :: Idle(",
    "0.0.0.0/0 0) evil :: Discard",
    "0.0.0.0/0 (0",
    '0.0.0.0/0 "0',
    "0.0.0.0/0 '0",
    "0.0.0.0/0 0 /* open",
    "0.0.0.0/0 0\n#5 \"other.click\"",
])
def test_a_config_override_must_be_one_config_string(tmp_path: Path, config: str) -> None:
    chain = {"name": "v", "NFs": [{"name": "v1", "type": "vpn", "location": "srv1",
                                    "config": {"sa": config}}],
             "Links": [], "Route": PAPER_CHAIN["Route"]}
    path = _write(tmp_path / "chain.json", chain)
    r = run("compile", path, "--topology", _write(tmp_path / "t.json", PAPER_TOPOLOGY),
            "-o", tmp_path / "out")
    assert r.exit_code == 1, r.output
    assert f"{path}: NFs[0].config.sa: not a Click configuration string" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("config", [
    "0.0.0.0/0 0",
    "0.0.0.0/0 0 // a comment (with a paren",
    "0.0.0.0/0 0 /* ) */",
    "0.0.0.0/0 0, // \")\"\n",
])
def test_a_config_override_with_quotes_and_comments_stays_inside(tmp_path: Path, config: str) -> None:
    chain = {"name": "v", "NFs": [{"name": "v1", "type": "vpn", "location": "srv1",
                                    "config": {"sa": config}}],
             "Links": [], "Route": PAPER_CHAIN["Route"]}
    result = _compile(chain, PAPER_TOPOLOGY, tmp_path)
    g = parse_text(result.files[SERVER_FILE], "srv1.click")
    names = {n for n in g if n.startswith("c_1_v1/")}
    assert "c_1_v1/sa" in names
    assert not {n for n in g if "evil" in n}


def test_a_config_that_escapes_is_caught_when_writing(tmp_path: Path) -> None:
    """A spec built in code skips the reader; the writer still refuses to print it."""
    chain = {"name": "v", "NFs": [{"name": "v1", "type": "monitor", "location": "srv1"}],
             "Links": [], "Route": PAPER_CHAIN["Route"]}
    chains = load_chains(_write(tmp_path / "chain.json", chain))
    topo = load_topology(_write(tmp_path / "topology.json", PAPER_TOPOLOGY))
    # Every library element's configuration is parsed by its family; a Counter's
    # COUNT_CALL value is free text up to the end of the argument, so this one parses
    # (and keeps the Counter on the server, where the writer meets it).
    nf = dataclasses.replace(chains[0].nfs[0], config={
        "c_web": "COUNT_CALL 5 h 0); evil :: Discard; y :: Idle("})
    chains = [dataclasses.replace(chains[0], nfs=(nf,))]
    with pytest.raises(P4SFCError, match=r"NF 'v1' .* cannot be written .*: it would declare evil, y"):
        compile_chains(chains, topo, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- element names

def test_nf_names_that_map_to_one_identifier_get_distinct_instances(tmp_path: Path) -> None:
    chain = {"name": "d", "NFs": [{"name": "a", "type": "ips", "location": "srv1"},
                                  {"name": "a_", "type": "ips", "location": "srv1"}],
             "Links": [["a", "a_"]], "Route": PAPER_CHAIN["Route"]}
    result = _compile(chain, PAPER_TOPOLOGY, tmp_path)
    text = result.files[SERVER_FILE]
    g = parse_text(text, "srv1.click")  # a redeclared element would be an error here
    assert {n.split("/")[0] for n in g if n.startswith("c_")} == {"c_1_a", "c_1_a_2"}
    assert "c_1_a -> c_1_a_2;" in text


# ---------------------------------------------------------------- the other generated files

def test_no_name_reaches_the_program_the_p4info_or_the_entries(tmp_path: Path) -> None:
    """The P4 text, the P4Info and both entry formats depend on ids and numbers only: other
    chain, NF and server names give the same bytes. Names reach plan.json, escaped by JSON."""
    (tmp_path / "a").mkdir()
    first = _compile(PAPER_CHAIN, PAPER_TOPOLOGY, tmp_path / "a")
    renamed = json.loads(json.dumps(PAPER_CHAIN).replace("srv1", "Zx_9.q-1"))
    renamed["name"] = "Q.z-2_"
    for nf in renamed["NFs"]:
        nf["name"] = "N" + nf["name"][::-1]
    renamed["Links"] = [{"from": "N" + lk["from"][::-1], "to": "N" + lk["to"][::-1]} for lk in renamed["Links"]]
    topo = json.loads(json.dumps(PAPER_TOPOLOGY).replace("srv1", "Zx_9.q-1"))
    (tmp_path / "b").mkdir()
    second = _compile(renamed, topo, tmp_path / "b")
    for rel in ("p4/p4sfc.p4", "p4/p4sfc.p4info.txtpb", "switches/s1.txtpb", "switches/s1-runtime.json"):
        assert first.files[rel] == second.files[rel], rel
    plan = json.loads(second.files["plan.json"])
    assert plan["chains"][0]["name"] == "Q.z-2_"
    assert plan["servers"] == {"Zx_9.q-1": ["servers/Zx_9.q-1/Zx_9.q-1.click"]}
