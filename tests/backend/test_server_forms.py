"""Elements that are P4SFC actions, not Click classes, in a server's Click config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.families.base import ServerOnlyError
from p4sfc_compiler.families.registry import server_form
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.frontend.parser import parse_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# the payload test keeps the NF on the server
BODY = """// alert on a payload signature
input -> sig :: Classifier(54/61747461636b, -);
sig[0] -> Alert -> output;
sig[1] -> {tail};
"""


def _compile(tmp_path: Path, tail: str, out: Path | None = None):
    (tmp_path / "al.click").write_text(BODY.format(tail=tail))
    chain = {"name": "a", "NFs": [{"name": "n1", "type": "al", "click": "al.click",
                                    "location": "srv1"}], "Links": [],
             "Route": {"ingress": {"switch": "s1", "port": 1},
                       "egress": {"switch": "s1", "port": 2}, "match": {}}}
    (tmp_path / "chain.json").write_text(json.dumps(chain))
    chains = load_chains(tmp_path / "chain.json")
    topology = load_topology(EXAMPLES / "paper-topology.json")
    validate(chains, topology)
    return compile_chains(chains, topology, out_dir=out)


def test_element_forms() -> None:
    assert server_form("Alert", "") == ("Counter", "")
    assert server_form("IPFilter", "allow all") == ("IPFilter", "allow all")
    with pytest.raises(ServerOnlyError, match=r"Forward\(3\) sends the packet out of a switch"):
        server_form("Forward", "3")


def test_alert_on_a_server_is_a_counter(tmp_path: Path) -> None:
    result = _compile(tmp_path, "output")
    text = result.files["servers/srv1/srv1.click"]
    assert "Alert" not in text.replace("Alert@", "")
    g = parse_text(text, "srv1.click")
    classes = {d["cls"] for _, d in g.nodes(data=True)}
    assert "Alert" not in classes and "Counter" in classes


def test_forward_on_a_server_is_an_error_with_its_position(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ServerOnlyError) as info:
        _compile(tmp_path, "Forward(4)", out)
    assert str(info.value).startswith(
        f"{tmp_path / 'al.click'}:4:11: NF 'n1' runs on server 'srv1': Forward(4) sends")
    assert not out.exists()  # nothing written
