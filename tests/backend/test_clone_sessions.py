"""Alert copies go to the server through a clone session the compiler emits per port."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.dataplane.reserved import MIRROR_SESSION_BASE
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

ALERT_NF = """// telnet alert: a copy of every telnet packet goes to the server
input -> Strip(14) -> chk :: CheckIPHeader
      -> cls :: IPClassifier(tcp dst port 23, -);
cls[0] -> Alert -> j :: Unstrip(14) -> output;
cls[1] -> j;
chk[1] -> Discard;
"""

OWN_SESSION_NF = "input -> Alert(77) -> output;\n"

TOPOLOGY = {
    "switches": [
        {"name": "s1", "address": "127.0.0.1:50051", "device_id": 0, "ports": [1, 2, 3, 4, 5]},
        {"name": "s2", "address": "127.0.0.1:50052", "device_id": 1, "ports": [1, 2, 3]},
    ],
    "servers": [
        {"name": "srv1", "switch": "s1", "port": 3},
        {"name": "srv2", "switch": "s2", "port": 3},
    ],
    "links": [{"a": "s1", "a_port": 5, "b": "s2", "b_port": 1}],
}


def _chain(name: str, nfs: list[tuple[str, str, str]], src: str) -> dict:
    return {
        "name": name,
        "NFs": [{"name": n, "type": "alert", "click": f, "location": loc} for n, f, loc in nfs],
        "Links": [{"from": a[0], "to": b[0]} for a, b in zip(nfs, nfs[1:], strict=False)],
        "Route": {
            "ingress": {"switch": "s1", "port": 1},
            "egress": {"switch": "s1", "port": 2},
            "match": {"src": src},
        },
    }


def _compile(tmp_path: Path, chains: list[dict]):
    (tmp_path / "alert.click").write_text(ALERT_NF)
    (tmp_path / "own.click").write_text(OWN_SESSION_NF)
    (tmp_path / "chains.json").write_text(json.dumps(chains))
    (tmp_path / "topo.json").write_text(json.dumps(TOPOLOGY))
    specs = load_chains(tmp_path / "chains.json")
    topo = load_topology(tmp_path / "topo.json")
    validate(specs, topo)
    return compile_chains(specs, topo, out_dir=tmp_path / "out")


def _alert_sessions(runtime: dict) -> list[int]:
    return [
        e["action_params"]["session"]
        for e in runtime["table_entries"]
        if e["action_name"].endswith(".exec_alert")
    ]


def test_alert_gets_the_session_of_its_servers_port(tmp_path: Path) -> None:
    chains = [
        _chain("a", [("al1", "alert.click", "srv1")], "10.0.0.0/8"),
        _chain("b", [("al2", "alert.click", "srv1"), ("al3", "alert.click", "srv2")], "11.0.0.0/8"),
    ]
    result = _compile(tmp_path, chains)
    out = tmp_path / "out"
    s1 = json.loads((out / "switches/s1-runtime.json").read_text())
    s2 = json.loads((out / "switches/s2-runtime.json").read_text())
    # each Alert runs on the switch its server hangs off (port 3 on both)
    session = MIRROR_SESSION_BASE + 3
    assert _alert_sessions(s1) == [session, session]
    assert _alert_sessions(s2) == [session]
    for runtime in (s1, s2):
        assert runtime["clone_session_entries"] == [
            {"clone_session_id": session, "replicas": [{"egress_port": 3, "instance": 1}]}
        ]
    plan = json.loads((out / "plan.json").read_text())
    # one session per port, shared by the chains that use it
    assert plan["switches"]["s1"]["clone_sessions"] == [
        {"session": session, "port": 3, "chains": ["a", "b"]}
    ]
    assert plan["switches"]["s2"]["clone_sessions"] == [
        {"session": session, "port": 3, "chains": ["b"]}
    ]
    sessions = [session]
    runtime = s1
    txt = (out / "switches/s1.txtpb").read_text()
    first_table_entry = txt.index("table_entry")
    for sid in sessions:
        assert txt.index(f"session_id: {sid}") < first_table_entry
    assert result.entries_per_switch["s1"] == len(runtime["table_entries"])


def test_alert_with_its_own_session_emits_none(tmp_path: Path) -> None:
    result = _compile(tmp_path, [_chain("c", [("own", "own.click", "srv1")], "10.0.0.0/8")])
    runtime = json.loads(result.files["switches/s1-runtime.json"])
    assert _alert_sessions(runtime) == [77]
    assert "clone_session_entries" not in runtime
    assert "packet_replication_engine_entry" not in result.files["switches/s1.txtpb"]


def test_clone_session_update_is_a_p4runtime_message(tmp_path: Path) -> None:
    proto = pytest.importorskip("finsy.proto", reason="finsy (P4Runtime protobufs) not installed")
    from google.protobuf import text_format

    result = _compile(tmp_path, [_chain("a", [("al1", "alert.click", "srv1")], "10.0.0.0/8")])
    request = text_format.Parse(result.files["switches/s1.txtpb"], proto.p4r.WriteRequest())
    first = request.updates[0].entity
    assert first.WhichOneof("entity") == "packet_replication_engine_entry"
    session = first.packet_replication_engine_entry.clone_session_entry
    assert session.session_id == MIRROR_SESSION_BASE + 3
    assert [(r.egress_port, r.instance) for r in session.replicas] == [(3, 1)]
    assert all(u.entity.HasField("table_entry") for u in request.updates[1:])
