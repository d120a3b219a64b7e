"""End-to-end compile of the examples: placements, entries, configs, determinism."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from support.outputs import check_output, entries_of

from p4sfc_compiler.analysis.partition import Placement
from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.backend.entries import build_entries
from p4sfc_compiler.dataplane.fields import (
    CLASSIFY_IP_KEY,
    ELEMENT_PREFIX,
    field_width,
    key_name,
    pack_control_key,
    unpack_control_key,
    unpack_key_fields,
)
from p4sfc_compiler.dataplane.match import Entry, Exact, Ternary
from p4sfc_compiler.dataplane.program import (
    EXEC_COMMON,
    ProgramParams,
    build_program,
    pack_key_fields,
)
from p4sfc_compiler.errors import CapacityError, P4SFCError, SpecError
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.frontend.ir import PSEUDO_CLASSES
from p4sfc_compiler.frontend.parser import parse_text
from p4sfc_compiler.p4info.checks import check_entry, check_unique
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.p4info.textformat import parse_text_format
from p4sfc_compiler.p4info.write import render_p4info

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES = [
    ("paper-chain.json", "paper-topology.json"),
    ("two-server-chain.json", "two-server-topology.json"),
]


def _load(chain: str, topo: str):
    chains = load_chains(EXAMPLES / chain)
    topology = load_topology(EXAMPLES / topo)
    validate(chains, topology)
    return chains, topology


@pytest.fixture(scope="module", params=CASES, ids=[c for c, _ in CASES])
def compiled(request):
    chains, topology = _load(*request.param)
    return compile_chains(chains, topology, stages=4)


def test_paper_chain_placement() -> None:
    chains, topology = _load(*CASES[0])
    result = compile_chains(chains, topology)
    (chain,) = result.plan.chains
    by_type = {nf.type: nf for nf in chain.nfs}
    assert by_type["ips"].placement is Placement.SERVER
    assert by_type["monitor"].placement is Placement.SWITCH
    assert by_type["firewall"].placement is Placement.SWITCH
    assert by_type["nat"].placement is Placement.SPLIT
    nat = by_type["nat"]
    # the server part of the split NAT is its rewriter and what the rewriter reaches
    assert nat.split.partial in nat.split.server
    assert all(nat.infos[n].cls != "IPClassifier" for n in nat.split.server)


def test_output_is_deterministic() -> None:
    chains, topology = _load(*CASES[1])
    a = compile_chains(chains, topology, stages=3).files
    b = compile_chains(*_load(*CASES[1]), stages=3).files
    assert a == b


def test_every_entry_fits_the_p4info(compiled) -> None:
    index = P4InfoIndex.from_text(compiled.files["p4/p4sfc.p4info.txtpb"])
    per_switch = build_entries(compiled.plan)
    n = 0
    for se in per_switch.values():
        for e in se.entries:
            check_entry(e, index)
            n += 1
    assert n == sum(compiled.entries_per_switch.values())


def test_keys_start_with_chain_and_nf(compiled) -> None:
    """Isolation: every per-NF entry is keyed by its chain id and NF id first."""
    ids = {c.name: (c.chain_id, {nf.nf_id for nf in c.nfs}) for c in compiled.plan.chains}
    for se in build_entries(compiled.plan).values():
        for e in se.entries:
            fields = list(unpack_key_fields(e.match))
            if e.table.endswith(".classify_chain"):
                continue  # the chain discriminator itself
            if e.table.endswith(".chain_exit"):
                assert fields == ["chain_id"]
                continue
            if e.table.endswith(".element_control"):
                # one packed field whose high bits are the chain id and the NF id
                assert fields == ["ctl"]
                (_, ctl), = e.match
                chain_id, nf_id, _, _ = unpack_control_key(ctl.value)
                assert chain_id == ids[e.chain][0] and nf_id in ids[e.chain][1], e
                continue
            assert fields[:2] == ["chain_id", "nf_id"], e.table


def test_classifiers_use_the_narrowest_table_that_holds_their_rules(compiled) -> None:
    """An element's classify entries all sit in one table: classify_ip when every field
    they test is in its key, else the wide classify; its element_control entry says which
    (table_sel), and a narrow-enough element never lands in the wide table."""
    narrow = {key_name(k) for k in CLASSIFY_IP_KEY} | {"chain_id", "nf_id", "elem_id"}
    for se in build_entries(compiled.plan).values():
        tables: dict[tuple, set[str]] = {}
        fields: dict[tuple, set[str]] = {}
        for e in se.entries:
            if e.table.split(".")[-1] in ("classify", "classify_ip"):
                m = unpack_key_fields(e.match)
                elem = (e.table.split(".")[1], m["chain_id"].value, m["nf_id"].value,
                        m["elem_id"].value)
                tables.setdefault(elem, set()).add(e.table.split(".")[-1])
                fields.setdefault(elem, set()).update(m)
        for elem, names in tables.items():
            assert len(names) == 1, elem
            assert names == ({"classify_ip"} if fields[elem] <= narrow else {"classify"}), elem
        sel = {}
        for e in se.entries:
            if e.action.endswith(".exec_classify"):
                chain_id, nf_id, _, _ = unpack_control_key(dict(e.match)["ctl"].value)
                p = dict(e.params)
                elem_id = EXEC_COMMON.part(p["element"], "elem_id")
                sel[(e.table.split(".")[1], chain_id, nf_id, elem_id)] = p["table_sel"]
        for elem, names in tables.items():
            assert sel[elem] == (0 if names == {"classify_ip"} else 1), elem
    assert any("classify_ip" in n for se in build_entries(compiled.plan).values()
               for n in (e.table for e in se.entries))


def test_entries_of_two_chains_never_overlap() -> None:
    chains, topology = _load(*CASES[0])
    # the same chain twice under two names, the twin for a narrower source prefix:
    # identical entries but for the chain id and the classification
    twin = _twin(chains[0], {"src": "10.1.0.0/16"})
    result = compile_chains([chains[0], twin], topology)
    owner_ids = {c.name: c.chain_id for c in result.plan.chains}
    assert len(set(owner_ids.values())) == 2
    for se in build_entries(result.plan).values():
        for e in se.entries:
            if e.table.endswith(".classify_chain"):
                continue
            match = unpack_key_fields(e.match)
            if "ctl" in match:
                assert unpack_control_key(match["ctl"].value)[0] == owner_ids[e.chain]
            else:
                assert match["chain_id"].value == owner_ids[e.chain]


def _twin(chain, match: dict):
    route = dataclasses.replace(chain.route, match=match)
    return dataclasses.replace(chain, name="twin", route=route)


@pytest.mark.parametrize(
    "match",
    [
        {"src": "10.0.0.0/8"},  # the same route
        {"src": "10.0.0.0/8", "dst": "0.0.0.0/0"},  # equal in effect: dst matches all
        {"dst": "192.168.0.0/8"},  # as specific, overlapping (10.x -> 192.x)
    ],
)
def test_chains_claiming_common_packets_with_equal_precedence_are_refused(match) -> None:
    chains, topology = _load(*CASES[0])
    with pytest.raises(SpecError, match="claim .* with equal precedence") as exc:
        compile_chains([chains[0], _twin(chains[0], match)], topology)
    assert "paper-chain.json" in exc.value.one_line()


def test_disjoint_or_more_specific_routes_share_an_ingress() -> None:
    chains, topology = _load(*CASES[0])
    for match in ({"src": "11.0.0.0/8"}, {"src": "10.0.0.0/8", "proto": 6}, {}):
        compile_chains([chains[0], _twin(chains[0], match)], topology)


def test_duplicate_keys_are_refused() -> None:
    entry = Entry("MyIngress.chain_exit", (("chain_id", Exact(1)),), "MyIngress.exit_chain",
                  (("port", 2),), chain="a")
    check_unique([entry], "s1")
    with pytest.raises(P4SFCError, match="same key .*'a' and 'b'"):
        check_unique([entry, entry._replace(chain="b", params=(("port", 3),))], "s1")


def test_register_slots_are_bounded_by_the_program(tmp_path) -> None:
    chains, topology = _load(*CASES[0])
    many = [dataclasses.replace(_twin(chains[0], {"src": f"11.{i}.0.0/16"}), name=f"c{i}")
            for i in range(20)]
    compile_chains(many, topology, table_size=1024)
    with pytest.raises(CapacityError, match="register slot"):
        compile_chains(many, topology, table_size=16)


def test_dont_care_fields_are_left_out_of_both_formats() -> None:
    chains, topology = _load(*CASES[1])
    files = compile_chains(chains, topology).files
    for path, text in files.items():
        if path.endswith("-runtime.json"):
            for row in json.loads(text)["table_entries"]:
                for value in row["match"].values():
                    assert not (isinstance(value, list) and value[1] == 0), row
    # the router's default route leaves the annotation out: its packed LPM prefix is the
    # exact element prefix alone
    prefix_bits = sum(field_width(k) for k in ELEMENT_PREFIX)
    assert any(
        row["table"].endswith(".ip_lookup") and row["match"]["ip_lookup_key"][1] == prefix_bits
        for path, text in files.items() if path.endswith("-runtime.json")
        for row in json.loads(text)["table_entries"]
    )


def test_server_configs_parse_and_match_the_plan(compiled) -> None:
    for server, files in compiled.server_files.items():
        (path,) = files
        g = parse_text(compiled.files[path], path)
        classes = {d["cls"] for _, d in g.nodes(data=True)}
        assert {"Classifier", "StoreData", "EtherEncap"} <= classes
        # every NF the plan puts on this server runs there, and nothing else
        expected = {
            (c.chain_id, nf.name)
            for c in compiled.plan.chains
            for nf in c.nfs
            if nf.location == server and nf.on_server
        }
        instances = {n.split("/")[0] for n in g if n.startswith("c")}
        names = {f"c_{cid}_{nf}" for cid, nf in expected} | {
            f"c_{cid}_{nf}_miss" for cid, nf in expected
        }
        assert instances and instances <= {n.replace("-", "_") for n in names}
        assert all(d["cls"] not in PSEUDO_CLASSES for _, d in g.nodes(data=True))


def test_state_keeps_chain_ids(tmp_path: Path) -> None:
    chains, topology = _load(*CASES[0])
    compile_chains(chains, topology, out_dir=tmp_path)
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["chains"][0]["chain_id"] = 7
    state = tmp_path / "state.json"
    state.write_text(json.dumps(plan))
    again = compile_chains(chains, topology, state=state)
    assert again.plan.chains[0].chain_id == 7


def test_capacity_error_writes_nothing(tmp_path: Path) -> None:
    chains, topology = _load(*CASES[0])
    with pytest.raises(CapacityError, match="raise --table-size"):
        compile_chains(chains, topology, out_dir=tmp_path / "out", table_size=2)
    assert not (tmp_path / "out").exists()


def test_p4info_matches_the_model() -> None:
    program = build_program(ProgramParams(stages=2, max_chain=4))
    index = P4InfoIndex.from_text(render_p4info(program))
    assert set(index.tables) == set(program.tables)
    for name, table in program.tables.items():
        assert [k.name for k in table.keys] == list(index.tables[name].fields)


def test_txtpb_write_request_matches_the_runtime_json(compiled) -> None:

    index = P4InfoIndex.from_text(compiled.files["p4/p4sfc.p4info.txtpb"])
    table_names = {t.id: n for n, t in index.tables.items()}
    for sw, (rj_path, pb_path) in compiled.switch_files.items():
        rows = json.loads(compiled.files[rj_path])["table_entries"]
        req = parse_text_format(compiled.files[pb_path])
        updates = req["updates"]
        assert len(updates) == len(rows) == compiled.entries_per_switch[sw]
        for row, upd in zip(rows, updates, strict=True):
            assert upd["type"] == ["INSERT"]
            te = upd["entity"][0]["table_entry"][0]
            assert table_names[te["table_id"][0]] == row["table"]
            fields = {f.id: (n, f) for n, f in index.tables[row["table"]].fields.items()}
            for m in te.get("match", []):
                name, f = fields[m["field_id"][0]]
                kind, body = next((k, v[0]) for k, v in m.items() if k != "field_id")
                raw = body["value"][0]
                raw = raw.encode("latin-1") if isinstance(raw, str) else raw
                want = row["match"][name]
                value = want if kind == "exact" else want[0]
                assert int.from_bytes(raw, "big") == value, (row["table"], name)
            assert te.get("priority", [None])[0] == row.get("priority")


def test_chain_classification_comes_last(compiled) -> None:
    """Applied in order, a chain takes traffic only once its other entries are in."""
    for se in build_entries(compiled.plan).values():
        last: dict[str, int] = {}
        classify_at: dict[str, int] = {}
        for i, e in enumerate(se.entries):
            if e.table.endswith(".classify_chain"):
                classify_at[e.chain] = i
            else:
                last[e.chain] = i
        for chain, i in classify_at.items():
            assert i > last.get(chain, -1)


def test_chain_longer_than_the_header_is_refused(tmp_path: Path) -> None:
    chains, topology = _load(*CASES[0])
    with pytest.raises(CapacityError, match="at most 2 NF ids"):
        compile_chains(chains, topology, out_dir=tmp_path / "out", max_chain=2)
    assert not (tmp_path / "out").exists()


def test_one_stage_means_more_passes() -> None:
    chains, topology = _load(*CASES[0])
    many = compile_chains(chains, topology, stages=1).plan.chains[0].passes["s1"]
    few = compile_chains(chains, topology, stages=16).plan.chains[0].passes["s1"]
    assert few == 1 and many > few


def test_check_entry_rejects_what_p4runtime_would() -> None:
    from p4sfc_compiler.dataplane.match import Entry
    from p4sfc_compiler.errors import P4SFCError

    index = P4InfoIndex.from_text(render_p4info(build_program(ProgramParams(stages=1))))
    ctl = "MyIngress.stage0.element_control"
    key = (("ctl", Exact(pack_control_key(1, 1, 0, 0))),)
    classify_key = (("chain_id", Exact(1)), ("nf_id", Exact(1)))
    good = Entry(ctl, key, "MyIngress.stage0.exec_discard",
                 (("element", EXEC_COMMON.pack(1, 0, 0, 0)),))
    check_entry(good, index)
    bad = [
        (Entry(ctl, (), good.action, good.params), "exact field 'ctl' is missing"),
        (Entry(ctl, (("ctl", Exact(1 << 40)),), good.action, good.params), "does not fit"),
        (Entry(ctl, key, good.action, ()), "takes"),
        (Entry(ctl, key, good.action, (("element", 1 << EXEC_COMMON.width),)), "does not fit"),
        (Entry(ctl, key, "MyIngress.stage0.set_port", (("port", 1),)), "not an action of"),
        (Entry("MyIngress.stage0.classify", (("classify_key", Ternary(3, 1)),),
               "MyIngress.stage0.drop_packet", (), 1), "outside its mask"),
        (Entry("MyIngress.stage0.classify", pack_key_fields("classify", classify_key + (
               ("elem_id", Exact(1)),)), "MyIngress.stage0.drop_packet", ()), "priority"),
    ]
    for entry, message in bad:
        with pytest.raises(P4SFCError, match=message):
            check_entry(entry, index)


def test_outputs_read_back_as_a_switch_and_a_server_take_them(compiled) -> None:
    check_output(compiled)


def test_runtime_json_reads_back_into_the_entries_written(compiled) -> None:
    index = P4InfoIndex.from_text(compiled.files["p4/p4sfc.p4info.txtpb"])
    for sw, se in build_entries(compiled.plan).items():
        if not se.entries:
            continue
        written = [e._replace(chain=None) for e in se.entries]
        assert entries_of(compiled, index, sw) == written
