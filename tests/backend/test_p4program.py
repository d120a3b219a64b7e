"""The rendered P4 text agrees with the program model, for many parameter settings."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.dataplane.fields import PACKED_KEYS, field_width
from p4sfc_compiler.dataplane.program import (
    ALL_KINDS,
    ELEMENT_KEY_PREFIX,
    KIND_SPECS,
    Program,
    ProgramParams,
    build_program,
    push_chain_count,
)

_TABLE = re.compile(
    r"\btable (\w+) \{\s*key = \{(?P<keys>[^}]*)\}\s*actions = \{(?P<actions>[^}]*)\}"
    r"(?P<rest>[^}]*)\}"
)
# a key element: expression, match kind, its P4Info name
_KEY = re.compile(r'(\S+)\s*:\s*(\w+)\s*@name\("(\w+)"\)')
_ACTION = re.compile(r"\baction (\w+)\(([^)]*)\)")
_REGISTER = re.compile(r"\bregister<bit<(\d+)>>\((\d+)\) (\w+);")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _p4_tables(text: str) -> dict[str, dict]:
    tables = {}
    for m in _TABLE.finditer(text):
        keys = [_KEY.fullmatch(part.strip()).groups() for part in m["keys"].split(";")
                if part.strip()]
        actions = [a.strip().replace("@defaultonly", "").strip()
                   for a in m["actions"].split(";") if a.strip()]
        size = re.search(r"size = (\d+);", m["rest"])
        default = re.search(r"default_action = (\w+)\(\)", m["rest"])
        assert m[1] not in tables, f"table {m[1]} declared twice"
        tables[m[1]] = {
            "keys": keys,
            "actions": actions,
            "size": int(size[1]) if size else None,
            "default": default[1] if default else None,
        }
    return tables


def _p4_actions(text: str) -> dict[str, list[tuple[str, int]]]:
    actions = {}
    for m in _ACTION.finditer(text):
        params = []
        for p in m[2].split(","):
            if p.strip():
                typ, name = p.split()
                params.append((name, int(re.fullmatch(r"bit<(\d+)>", typ)[1])))
        assert m[1] not in actions, f"action {m[1]} declared twice"
        actions[m[1]] = params
    return actions


def _check_agreement(params: ProgramParams) -> tuple[str, Program]:
    text = render_p4(params)
    prog = build_program(params)
    code = _strip_comments(text)

    assert "{{" not in text and "{%" not in text
    assert code.count("{") == code.count("}")
    assert code.count("(") == code.count(")")

    p4_tables = _p4_tables(code)
    model_by_short: dict[str, list] = {}
    for t in prog.tables.values():
        model_by_short.setdefault(t.short_name, []).append(t)
    assert set(p4_tables) == set(model_by_short)
    for short, tables in model_by_short.items():
        p4 = p4_tables[short]
        for t in tables:
            assert p4["keys"] == [(k.field, k.match_kind, k.name) for k in t.keys], t.name
            assert p4["actions"] == [a.rsplit(".", 1)[-1] for a in t.actions], t.name
            assert p4["size"] == t.size
            assert p4["default"] == t.default_action
        # one copy per stage for stage tables, else exactly one
        stage_tables = {"element_control", "classify", "classify_ip", "ip_lookup", "rewriter"}
        expected = params.stages if short in stage_tables else 1
        assert len(tables) == expected

    p4_actions = _p4_actions(code)
    for a in prog.actions.values():
        if a.name == "NoAction":
            continue  # declared by core.p4
        assert p4_actions[a.short_name] == [(p.name, p.bitwidth) for p in a.params], a.name
    assert {a.short_name for a in prog.actions.values()} - {"NoAction"} == set(p4_actions)

    p4_regs = {m[3]: (int(m[1]), int(m[2])) for m in _REGISTER.finditer(code)}
    model_regs = {r.name.rsplit(".", 1)[-1]: (r.bitwidth, r.size) for r in prog.registers.values()}
    assert p4_regs == model_regs

    stages = re.findall(r"\bStage\(\) stage(\d+);", code)
    assert [int(s) for s in stages] == list(range(params.stages))
    assert len(re.findall(r"\bstage\d+\.apply\(", code)) == params.stages
    return text, prog


@pytest.mark.parametrize(
    "params",
    [
        ProgramParams(),
        ProgramParams(stages=1, max_chain=2),
        ProgramParams(stages=4, max_chain=16, table_size=4096, register_size=64),
        ProgramParams(stages=12, max_chain=5, kinds=("counter",)),
        ProgramParams(stages=3, kinds=("forward", "classify", "rewriter")),
    ],
)
def test_text_matches_model(params: ProgramParams) -> None:
    _check_agreement(params)


@settings(max_examples=25, deadline=None)
@given(
    stages=st.integers(1, 12),
    max_chain=st.integers(1, 16),
    table_size=st.integers(1, 1 << 16),
    kinds=st.sets(st.sampled_from(ALL_KINDS), min_size=1),
)
def test_text_matches_model_for_any_params(stages, max_chain, table_size, kinds) -> None:
    _check_agreement(ProgramParams(stages, max_chain, table_size, 128, tuple(kinds)))


def test_element_tables_start_with_the_isolation_prefix() -> None:
    prog = build_program()
    prefix = [(f, "exact", field_width(f)) for f in ELEMENT_KEY_PREFIX]
    assert prefix == [("meta.chain_id", "exact", 16), ("meta.nf_id", "exact", 8),
                      ("meta.elem_id", "exact", 8)]
    for s in range(prog.params.stages):
        for spec in KIND_SPECS.values():
            for table in spec.tables:
                keys = prog.element_table(s, table.name).keys
                if table.packed is None:
                    assert [(k.field, k.match_kind, k.bitwidth) for k in keys[:3]] == prefix
                    continue
                # one packed field, the prefix in its high bits
                (key,) = keys
                assert key.field == table.packed
                parts = PACKED_KEYS[table.packed].parts[:3]
                assert [(f, "exact", w) for f, w in parts] == prefix


def test_kind_subset_leaves_out_other_blocks() -> None:
    params = ProgramParams(stages=2, kinds=("paint", "discard"))
    text = render_p4(params)
    assert "exec_paint" in text and "exec_discard" in text
    for absent in ("exec_counter", "counter_packets", "rewriter", "ipencap_id", "clone("):
        assert absent not in text
    prog = build_program(params)
    assert not prog.registers
    assert prog.tables["MyIngress.stage1.element_control"].actions == (
        "MyIngress.stage1.exec_paint", "MyIngress.stage1.exec_discard", "NoAction")


def test_kinds_are_put_in_canonical_order() -> None:
    a = ProgramParams(kinds=("forward", "classify"))
    b = ProgramParams(kinds=("classify", "forward", "classify"))
    assert a.kinds == b.kinds == ("classify", "forward")
    assert render_p4(a) == render_p4(b)


def test_one_push_chain_per_chain_length_up_to_max_chain() -> None:
    prog = build_program(ProgramParams(max_chain=5))
    pushes = sorted(a for a in prog.actions if push_chain_count(a) is not None)
    assert pushes == [f"MyIngress.push_chain_{n}" for n in range(1, 6)]
    names = [p.name for p in prog.actions["MyIngress.push_chain_3"].params]
    assert names == ["chain_id", "nf0", "nf1", "nf2"]
    assert prog.tables["MyIngress.classify_chain"].actions[:5] == tuple(pushes)
    text = _strip_comments(render_p4(ProgramParams(max_chain=5)))
    assert "sfc_nf_t[5]" in text
    assert "hdr.sfc_nfs[4].setValid();" in text and "hdr.sfc_nfs[5]" not in text
    # each action marks its own last NF id and writes no slot past it
    body = text[text.index("action push_chain_3("):]
    body = body[:body.index("}")]
    assert "hdr.sfc_nfs[2].bos = 1;" in body and "hdr.sfc_nfs[3]" not in body
    assert "hdr.sfc.nfCount = 3;" in body


@pytest.mark.parametrize("name, count", [
    ("MyIngress.push_chain_3", 3), ("push_chain_12", 12), ("MyIngress.push_chain", None),
    ("push_chain_03", None), ("push_chain_x", None), ("MyIngress.to_port", None),
])
def test_push_chain_count_reads_the_action_name(name: str, count: int | None) -> None:
    assert push_chain_count(name) == count


def test_recirculation_preserves_position_and_annotations() -> None:
    code = _strip_comments(render_p4())
    preserved = re.findall(r"@field_list\(0\)\s*bit<\d+>\s*(\w+);", code)
    assert sorted(preserved) == ["ctl_key", "dst_anno", "paint", "trim"]
    assert "recirculate_preserving_field_list(0);" in code


@pytest.mark.parametrize(
    "kwargs",
    [dict(stages=0), dict(max_chain=0), dict(max_chain=256), dict(kinds=()),
     dict(kinds=("classify", "no_such_kind")), dict(table_size=0)],
)
def test_bad_params_are_rejected(kwargs) -> None:
    with pytest.raises(ValueError):
        ProgramParams(**kwargs)


def test_every_kind_has_exactly_one_template_block() -> None:
    from p4sfc_compiler.resources import data_path

    files = {p.name.removesuffix(".p4.j2") for p in data_path("templates", "elements").glob("*.p4.j2")}
    assert files == set(ALL_KINDS) == set(KIND_SPECS)


def test_chain_exit_can_strip_or_carry_the_sfc_header() -> None:
    code = _strip_comments(render_p4(ProgramParams(max_chain=2)))
    exit_body = re.search(r"action exit_chain\(bit<9> port\) \{(.*?)\n    \}", code, re.S)[1]
    assert "hdr.sfc.setInvalid();" in exit_body
    assert "hdr.ethernet.etherType = hdr.sfc.etherType;" in exit_body
    carry_body = re.search(r"action forward_chain\(bit<9> port\) \{(.*?)\n    \}", code, re.S)[1]
    assert "setInvalid" not in carry_body


# What would change a later CheckIPHeader's verdict: a write to hdr.ipv4 or an outer
# header, a header made valid or invalid, a new EtherType (the next pass parses by it).
_IP_HEADER_WRITE = re.compile(
    r"hdr\.ipv4\w*\.\w+\s*=[^=]|hdr\.ipv4_outer|\.set(?:In)?[vV]alid\(|[eE]therType\s*=[^=]")


def test_kinds_that_keep_the_ip_header_never_write_it() -> None:
    """analysis/redundant.py removes a CheckIPHeader that only such blocks follow."""
    from p4sfc_compiler.backend.render_p4 import kind_block_text

    for kind, spec in KIND_SPECS.items():
        text = _strip_comments(kind_block_text(kind))
        writes = _IP_HEADER_WRITE.findall(text)
        if spec.keeps_ip_header:
            assert not writes, (kind, writes)
    # the pattern sees the writes it is there for
    for kind in ("dec_ip_ttl", "set_ip_dscp", "rewriter", "ip_encap", "ether_encap"):
        assert _IP_HEADER_WRITE.search(kind_block_text(kind)), kind
        assert not KIND_SPECS[kind].keeps_ip_header, kind


def test_each_kind_declares_exactly_the_parameter_copies_its_template_uses() -> None:
    """KindSpec.block_params / copied_actions declare the metadata copies a kind's block
    reads; work kept in the action reads its parameters and needs none."""
    from p4sfc_compiler.backend.render_p4 import kind_block_text
    from p4sfc_compiler.dataplane.program import kind_copies

    for kind, spec in KIND_SPECS.items():
        declared = {name for name, _ in kind_copies(kind)}
        if not spec.copy_prefix:
            assert not declared, kind
            continue
        used = set(re.findall(rf"\bmeta\.({spec.copy_prefix}\w+)", kind_block_text(kind)))
        assert used == declared, kind
