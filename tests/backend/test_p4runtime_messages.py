"""The written P4Info and WriteRequest files are real protobuf messages.

Parsed with the P4Runtime protobuf classes (strict text format: an unknown field or a
wrong type fails), then cross-checked: the by-name runtime JSON, resolved through the
*parsed* P4Info by code independent of the compiler's index, gives the same updates as
the by-id .txtpb.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

p4proto = pytest.importorskip("finsy.proto", reason="finsy (P4Runtime protobufs) not installed")
from google.protobuf import text_format  # noqa: E402

from p4sfc_compiler.backend.compile import compile_chains  # noqa: E402
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES = [
    ("paper-chain.json", "paper-topology.json"),
    ("two-server-chain.json", "two-server-topology.json"),
]


@pytest.fixture(scope="module", params=CASES, ids=[c for c, _ in CASES])
def compiled(request):
    chains = load_chains(EXAMPLES / request.param[0])
    topology = load_topology(EXAMPLES / request.param[1])
    validate(chains, topology)
    return compile_chains(chains, topology, stages=4).files


def _p4info(files: dict[str, str]):
    return text_format.Parse(files["p4/p4sfc.p4info.txtpb"], p4proto.p4i.P4Info())


def _canonical(value: bytes) -> bytes:
    # P4Runtime compares byte strings without their leading zero bytes
    return value.lstrip(b"\0") or b"\0"


def _from_json(row: dict, info) -> tuple:
    """One runtime-JSON entry as comparable data, resolved by name through the P4Info."""
    table = next(t for t in info.tables if t.preamble.name == row["table"])
    action = next(a for a in info.actions if a.preamble.name == row["action_name"])
    fields = {f.name: f for f in table.match_fields}
    match = []
    for name, value in row["match"].items():
        f = fields[name]
        width = (f.bitwidth + 7) // 8
        if f.match_type == f.EXACT:
            match.append((f.id, "exact", _canonical(value.to_bytes(width, "big")), None))
        elif f.match_type == f.TERNARY:
            v, m = value
            if m:
                match.append((f.id, "ternary", _canonical(v.to_bytes(width, "big")),
                              _canonical(m.to_bytes(width, "big"))))
        else:
            v, plen = value
            if plen:
                match.append((f.id, "lpm", _canonical(v.to_bytes(width, "big")), plen))
    params = {p.name: p for p in action.params}
    args = sorted(
        (params[n].id, _canonical(v.to_bytes((params[n].bitwidth + 7) // 8, "big")))
        for n, v in row["action_params"].items()
    )
    return table.preamble.id, sorted(match), action.preamble.id, args, row.get("priority", 0)


def _from_proto(te) -> tuple:
    match = []
    for m in te.match:
        kind = m.WhichOneof("field_match_type")
        if kind == "exact":
            match.append((m.field_id, kind, _canonical(m.exact.value), None))
        elif kind == "ternary":
            match.append((m.field_id, kind, _canonical(m.ternary.value),
                          _canonical(m.ternary.mask)))
        else:
            match.append((m.field_id, kind, _canonical(m.lpm.value), m.lpm.prefix_len))
    act = te.action.action
    args = sorted((p.param_id, _canonical(p.value)) for p in act.params)
    return te.table_id, sorted(match), act.action_id, args, te.priority


def test_p4info_is_a_p4info_message(compiled) -> None:
    info = _p4info(compiled)
    assert info.pkg_info.arch == "v1model"
    ids = [t.preamble.id for t in info.tables] + [a.preamble.id for a in info.actions]
    ids += [r.preamble.id for r in info.registers]
    assert len(ids) == len(set(ids))
    assert {"MyIngress.classify_chain", "MyIngress.nf_dispatch", "MyIngress.chain_exit"} <= {
        t.preamble.name for t in info.tables
    }


def test_txtpb_is_a_write_request_equal_to_the_runtime_json(compiled) -> None:
    info = _p4info(compiled)
    switches = sorted(k for k in compiled if k.endswith(".txtpb") and k.startswith("switches/"))
    assert switches
    for path in switches:
        request = text_format.Parse(compiled[path], p4proto.p4r.WriteRequest())
        assert request.atomicity == p4proto.p4r.WriteRequest.CONTINUE_ON_ERROR
        assert all(u.type == p4proto.p4r.Update.INSERT for u in request.updates)
        runtime = json.loads(compiled[path.replace(".txtpb", "-runtime.json")])
        table_updates = [u for u in request.updates if u.entity.HasField("table_entry")]
        assert len(table_updates) == len(runtime["table_entries"])
        for update, row in zip(table_updates, runtime["table_entries"], strict=True):
            assert _from_proto(update.entity.table_entry) == _from_json(row, info), row
