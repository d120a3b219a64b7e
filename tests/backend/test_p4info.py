"""P4Info text: p4c's id scheme, unique names, and a faithful round trip through the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.dataplane.fields import KEY_NAMES
from p4sfc_compiler.dataplane.program import (
    ALL_KINDS,
    COUNTER_LEN_CELLS,
    Program,
    ProgramParams,
    build_program,
)
from p4sfc_compiler.p4info.index import P4InfoIndex, summarize
from p4sfc_compiler.p4info.textformat import parse_text_format
from p4sfc_compiler.p4info.write import (
    PREFIX_ACTION,
    PREFIX_REGISTER,
    PREFIX_TABLE,
    aliases,
    assign_ids,
    index_p4info,
    jenkins_hash,
    render_p4info,
)


def model_summary(prog: Program) -> dict:
    match = {"exact": "EXACT", "ternary": "TERNARY", "lpm": "LPM"}
    return {
        "tables": {
            t.name: {"keys": [(k.name, k.bitwidth, match[k.match_kind]) for k in t.keys],
                     "actions": list(t.actions), "size": t.size,
                     "idle_timeout": "NOTIFY_CONTROL" if t.idle_timeout else "NO_TIMEOUT"}
            for t in prog.tables.values()
        },
        "actions": {a.name: [(p.name, p.bitwidth) for p in a.params]
                    for a in prog.actions.values()},
        "registers": {r.name: (r.bitwidth, r.size) for r in prog.registers.values()},
    }


def test_ids_match_those_p4c_gives_known_names() -> None:
    # Ids p4c printed for the P4 tutorials' basic.p4 (names hashed as p4c hashes them).
    ids = assign_ids({PREFIX_TABLE: ["MyIngress.ipv4_lpm"],
                      PREFIX_ACTION: ["MyIngress.ipv4_forward", "MyIngress.drop", "NoAction"]})
    assert ids[(PREFIX_TABLE, "MyIngress.ipv4_lpm")] == 37375156
    assert ids[(PREFIX_ACTION, "MyIngress.ipv4_forward")] == 28792405
    assert ids[(PREFIX_ACTION, "MyIngress.drop")] == 25652968
    assert ids[(PREFIX_ACTION, "NoAction")] == 21257015


def test_hash_collisions_probe_upwards_in_name_order() -> None:
    seen: dict[int, str] = {}
    for i in range(200_000):
        name = f"MyIngress.t{i}"
        low = jenkins_hash(name) & 0xFFFFFF
        if low in seen:
            a, b = sorted([seen[low], name])
            break
        seen[low] = name
    else:  # pragma: no cover
        pytest.skip("no 24-bit collision among the names tried")
    ids = assign_ids({PREFIX_TABLE: [b, a]})
    assert ids[(PREFIX_TABLE, a)] == (PREFIX_TABLE << 24) | low
    assert ids[(PREFIX_TABLE, b)] == (PREFIX_TABLE << 24) | ((low + 1) & 0xFFFFFF)


def test_aliases_are_shortest_unique_suffixes() -> None:
    names = ["MyIngress.stage0.classify", "MyIngress.stage1.classify",
             "MyIngress.classify_chain", "NoAction"]
    assert aliases(names) == {
        "MyIngress.stage0.classify": "stage0.classify",
        "MyIngress.stage1.classify": "stage1.classify",
        "MyIngress.classify_chain": "classify_chain",
        "NoAction": "NoAction",
    }


@settings(max_examples=15, deadline=None)
@given(stages=st.integers(1, 12), max_chain=st.integers(1, 16),
       kinds=st.sets(st.sampled_from(ALL_KINDS), min_size=1))
def test_round_trip_and_unique_names(stages, max_chain, kinds) -> None:
    prog = build_program(ProgramParams(stages, max_chain, 512, 256, tuple(kinds)))
    info = parse_text_format(render_p4info(prog))
    assert summarize(info) == model_summary(prog)

    entities = [(kind, e["preamble"][0]) for kind, prefix in
                (("tables", PREFIX_TABLE), ("actions", PREFIX_ACTION),
                 ("registers", PREFIX_REGISTER)) for e in info.get(kind, [])]
    ids = [pre["id"][0] for _, pre in entities]
    assert len(ids) == len(set(ids))
    prefixes = {"tables": PREFIX_TABLE, "actions": PREFIX_ACTION, "registers": PREFIX_REGISTER}
    for kind, pre in entities:
        assert pre["id"][0] >> 24 == prefixes[kind]
    for kind in prefixes:
        names = [e["preamble"][0]["name"][0] for e in info.get(kind, [])]
        assert len(names) == len(set(names))
    all_aliases = [pre["alias"][0] for _, pre in entities]
    assert len(all_aliases) == len(set(all_aliases))


def test_table_details() -> None:
    prog = build_program(ProgramParams(stages=2, table_size=300))
    info = parse_text_format(render_p4info(prog))
    by_name = {t["preamble"][0]["name"][0]: t for t in info["tables"]}
    t = by_name["MyIngress.stage1.ip_lookup"]
    # one packed LPM field: chain_id, nf_id, elem_id, then the annotation
    assert [(m["id"][0], m["name"][0], m["match_type"][0], m["bitwidth"][0])
            for m in t["match_fields"]] == [(1, "ip_lookup_key", "LPM", 64)]
    d = by_name["MyIngress.nf_dispatch"]
    assert [(m["id"][0], m["name"][0], m["match_type"][0]) for m in d["match_fields"]] == [
        (1, "chain_id", "EXACT"), (2, "nf_id", "EXACT"), (3, "to_server", "EXACT")]
    assert t["size"] == [300]
    noaction = [r for r in t["action_refs"] if "scope" in r]
    assert len(noaction) == 1 and noaction[0]["scope"] == ["DEFAULT_ONLY"]
    assert t["const_default_action_id"] == [noaction[0]["id"][0]]
    regs = {r["preamble"][0]["name"][0]: r for r in info["registers"]}
    r = regs["MyIngress.stage0.counter_first"]
    assert r["type_spec"][0]["bitstring"][0]["bit"][0]["bitwidth"] == [48]
    assert r["size"] == [1024]
    counters = {c["preamble"][0]["name"][0]: c for c in info["counters"]}
    c = counters["MyIngress.stage1.counter_len_digits"]
    assert c["spec"] == [{"unit": ["PACKETS"]}]
    assert c["size"] == [1024 * COUNTER_LEN_CELLS]
    assert counters["MyIngress.stage0.counter_packets"]["size"] == [1024]


def test_parser_handles_text_format_details() -> None:
    text = '''
    # comment
    a: 1 b: -2  c: 0x10 ; d: "x\\"y\\n" "z"
    m { n: ENUM_V  inner < k: 'q' > }
    m: { n: 3.5 }
    r: [1, 2, 3]
    t: true
    '''
    msg = parse_text_format(text)
    assert msg["a"] == [1] and msg["b"] == [-2] and msg["c"] == [16]
    assert msg["d"] == ['x"y\nz']
    assert msg["m"][0] == {"n": ["ENUM_V"], "inner": [{"k": ["q"]}]}
    assert msg["m"][1] == {"n": [3.5]}
    assert msg["r"] == [1, 2, 3] and msg["t"] == [True]


@pytest.mark.parametrize("bad", ["a {", "a: ", "a: {", "{", "a: b: c"])
def test_parser_rejects_broken_text(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_text_format(bad)


def test_match_field_names_are_unique_by_their_last_part() -> None:
    """Clients (finsy) index a table's match fields by the part after the last dot too:
    every key's P4Info name has no dot and is unique in its table."""
    prog = build_program(ProgramParams(stages=2))
    for t in prog.tables.values():
        names = [k.name for k in t.keys]
        assert all("." not in n for n in names), t.name
        assert len(set(names)) == len(names), t.name
    assert len(set(KEY_NAMES.values())) == len(KEY_NAMES)


@pytest.mark.parametrize("params", [ProgramParams(), ProgramParams(stages=3, max_chain=12)])
def test_finsy_loads_our_p4info(params: ProgramParams) -> None:
    """finsy's P4Schema (what `p4sfc apply` uses) accepts the P4Info and finds every match
    field, action and parameter by the names the entries use."""
    from finsy import P4Schema
    from finsy.proto import p4i
    from google.protobuf import text_format

    prog = build_program(params)
    schema = P4Schema(text_format.Parse(render_p4info(prog), p4i.P4Info()))
    for t in prog.tables.values():
        table = schema.tables[t.name]
        assert [f.name for f in table.match_fields] == [k.name for k in t.keys]
    for a in prog.actions.values():
        assert [p.name for p in schema.actions[a.name].params] == [p.name for p in a.params]


@pytest.mark.parametrize("params", [
    ProgramParams(),
    ProgramParams(stages=2, max_chain=3, table_size=64, register_size=7,
                  kinds=("counter", "alert", "ip_lookup")),
    ProgramParams(stages=1, kinds=("classify",)),
])
def test_the_index_built_from_the_program_is_the_written_p4info_read_back(
        params: ProgramParams) -> None:
    program = build_program(params)
    assert index_p4info(program) == P4InfoIndex.from_text(render_p4info(program))
