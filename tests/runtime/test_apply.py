"""``p4sfc apply`` without a switch: reading OUT/, choosing switches, the diff, and the
one-line errors a user meets before anything is written."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from p4sfc_compiler.cli import main
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.runtime.apply import (
    DELETE,
    INSERT,
    MODIFY,
    Names,
    chain_versions,
    plan_ops,
    select_targets,
)
from p4sfc_compiler.runtime.outdir import CLASSIFY_CHAIN_TABLE, load_out_dir

EX = Path(__file__).resolve().parents[2] / "examples"


def test_out_dir_is_read_by_name_through_the_p4info(two_server: Path) -> None:
    out = load_out_dir(two_server)
    plan = json.loads((two_server / "plan.json").read_text())
    for name, sw in out.switches.items():
        rows = json.loads((two_server / f"switches/{name}-runtime.json").read_text())
        assert len(sw.entries) == len(rows["table_entries"])
        owned = plan["switches"][name]["entries_by_chain"]
        assert {e.chain for e in sw.entries} == set(owned)
        assert len({e.key for e in sw.entries}) == len(sw.entries)  # keys are unique
    claims = [e for sw in out.switches.values() for e in sw.entries
              if e.table == CLASSIFY_CHAIN_TABLE]
    assert len(claims) == len(plan["chains"])


def test_switch_selection(two_server: Path) -> None:
    out = load_out_dir(two_server)
    assert [t.plan.name for t in select_targets(out, (), None)] == ["s1", "s2"]
    (t,) = select_targets(out, ("s2=unix:/tmp/x.sock",), 7)
    assert (t.plan.name, t.address, t.device_id) == ("s2", "unix:/tmp/x.sock", 7)
    (t,) = select_targets(out, (out.switches["s1"].address,), None)
    assert t.plan.name == "s1"
    with pytest.raises(P4SFCError, match="neither a switch name"):
        select_targets(out, ("s9",), None)
    with pytest.raises(P4SFCError, match="exactly one switch"):
        select_targets(out, (), 3)


def test_the_diff_writes_only_what_differs_classification_last(two_server: Path) -> None:
    out = load_out_dir(two_server)
    names = Names(out)
    entries = out.switches["s1"].entries
    phases, unchanged = plan_ops(entries, {}, names)
    assert unchanged == 0 and not phases[0]
    assert all(op.kind == INSERT for p in phases for op in p)
    assert {op.key[0] for op in phases[2]} == {names.claim_table}
    assert names.claim_table not in {op.key[0] for op in phases[1]}

    have = {e.key: e.value for e in entries}
    assert plan_ops(entries, have, names) == ([[], [], [], []], len(entries))

    # one entry changed its action params, one stale entry of an unknown chain id
    first = next(e for e in entries  # one with params, its chain id a key field of its own
                 if e.value[1] and names.ids.chain_field.get(e.key[0], (0, 0))[1] is None)
    stale_key = (first.key[0], tuple((f, k, 99 if i == 0 else v, x)
                                      for i, (f, k, v, x) in enumerate(first.key[1])), 0)
    have[first.key] = (first.value[0], ())
    have[stale_key] = first.value
    phases, unchanged = plan_ops(entries, have, names)
    ops = [op for p in phases for op in p]
    assert sorted((op.kind, op.chain) for op in ops) == [
        (MODIFY, first.chain), (DELETE, "chain id 99")]
    assert unchanged == len(entries) - 1


def test_messages_show_a_packed_key_by_its_parts(two_server: Path) -> None:
    """A failure names the entry's key; a packed field reads as the parts it packs."""
    out = load_out_dir(two_server)
    names = Names(out)
    by_table = {names.table(e.key): e for e in out.switches["s1"].entries}
    classify = next(e for t, e in by_table.items() if t.endswith(".classify_ip"))
    text = names.match(classify.key)
    # parts an entry tests in full read as values, the others as value&&&mask
    assert re.fullmatch(r"chain_id=\d+, nf_id=\d+, elem_id=\d+, ip_ok=1, (\w+=\S+, )+"
                        r"priority=\d+", text), text
    assert "ip_proto=" in text and "classify_ip_key" not in text
    control = next(e for t, e in by_table.items() if t.endswith(".element_control"))
    assert re.fullmatch(r"chain_id=\d+, nf_id=\d+, prev_elem=\d+, out_port=\d+",
                        names.match(control.key))


def test_chain_versions_flip_running_chains_only(two_server: Path) -> None:
    """The version a chain is applied at, from what the switches hold: a running chain
    (its classification on a switch of the apply) moves to the other version when its
    entries differ and stays when they are OUT's; a chain whose classification is not in
    view keeps the version its entries have; a chain not there at all starts at 0."""
    out = load_out_dir(two_server)
    names = Names(out)
    wanted = {n: sw.entries for n, sw in out.switches.items()}

    def at(version: int, chains: set[str], switches=None) -> dict:
        return {n: dict(names.ids.at_version(e.key, e.value, version)
                        for e in sw.entries if e.chain in chains)
                for n, sw in out.switches.items() if switches is None or n in switches}

    chains = {e.chain for sw in out.switches.values() for e in sw.entries}
    assert chain_versions(wanted, {n: {} for n in wanted}, names) == dict.fromkeys(chains, 0)
    assert chain_versions(wanted, at(1, chains), names) == dict.fromkeys(chains, 1)
    # one entry of every chain changed: the running ones move to the other version
    changed = at(1, chains)
    for chain in chains:
        sw, key = next((n, k) for n, held in changed.items() for k, v in held.items()
                       if k[0] != names.claim_table and names.owner(k, v) == chain)
        changed[sw][key] = (changed[sw][key][0], ())
    assert chain_versions(wanted, changed, names) == dict.fromkeys(chains, 0)
    # an apply to the switches without the classifications keeps the version it sees
    downstream = {n for n, sw in out.switches.items()
                  if not any(e.key[0] == names.claim_table for e in sw.entries)}
    assert downstream
    assert chain_versions({n: wanted[n] for n in downstream}, at(1, chains, downstream),
                          names) == {c: 1 for n in downstream for c in
                                     {e.chain for e in out.switches[n].entries}}


def _run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_errors_are_one_line_and_quick(two_server: Path, tmp_path: Path) -> None:
    r = _run("apply", tmp_path)
    assert r.exit_code == 1 and "not a p4sfc compile output folder (no plan.json)" in r.output
    r = _run("apply", two_server, "--switch", "s9")
    assert r.exit_code == 1 and "neither a switch name" in r.output
    start = time.monotonic()
    r = _run("apply", two_server, "--switch", f"s1=unix:{tmp_path}/none.sock", "--timeout", "1")
    assert r.exit_code == 1, r.output
    assert "no P4Runtime server answers within 1 s" in r.output
    assert time.monotonic() - start < 5
    assert len(r.output.strip().splitlines()) == 1, r.output
