"""Redundant CheckIPHeader elimination (analysis/redundant.py): which checks go, what the
edges around them become, and where facts stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.specs import line_chain

from p4sfc_compiler.analysis.plan import ChainPlan, NFPlan, Plan, build_plan
from p4sfc_compiler.analysis.switchgraph import Target
from p4sfc_compiler.frontend.chainspec import load_chains
from p4sfc_compiler.frontend.topology import default_topology

TWO_CHECKS = """input -> Strip(14) -> a :: CheckIPHeader -> f :: IPFilter(allow tcp, deny all)
  -> b :: CheckIPHeader -> Unstrip(14) -> output;
a[1] -> Discard; b[1] -> Discard;"""
TTL_BETWEEN = """input -> Strip(14) -> a :: CheckIPHeader -> t :: DecIPTTL
  -> b :: CheckIPHeader -> Unstrip(14) -> output;
a[1] -> Discard; b[1] -> Discard; t[1] -> Discard;"""
ONLY_CHECK = """input -> Strip(14) -> c :: CheckIPHeader -> Unstrip(14) -> output;
c[1] -> Discard;"""


def _plan(tmp_path: Path, nfs: list[tuple[str, str]], stages: int = 8) -> Plan:
    """A chain of library NFs (a type) or NF bodies (Click text) on s1."""
    chain = line_chain("c", nfs, tmp_path)
    (tmp_path / "chain.json").write_text(json.dumps(chain))
    chains = load_chains(tmp_path / "chain.json")
    return build_plan(chains, default_topology(chains), stages=stages, base_dir=tmp_path)


def _chain(tmp_path: Path, nfs: list[tuple[str, str]], stages: int = 8) -> ChainPlan:
    return _plan(tmp_path, nfs, stages).chains[0]


def _staged(nf: NFPlan) -> set[str]:
    return set(nf.switch_part.slots)


def _edge_into(nf: NFPlan, elem: str) -> list[Target]:
    return [t for _, _, t in nf.switch_part.switch_nf.inputs(elem)]


def test_the_checks_after_the_firewall_go_and_the_chain_fits_one_pass(tmp_path: Path) -> None:
    chain = _chain(tmp_path, [("fw", "firewall"), ("mon", "monitor"), ("rt", "router")])
    fw, mon, rt = chain.nfs
    assert "chk" in _staged(fw)  # the first check stays
    assert "chk" not in _staged(mon) and "c_bad" not in _staged(mon)  # only chk[1] fed it
    assert "CheckIPHeader@2" not in _staged(rt)
    assert mon.switch_part.switch_nf.removed == {"chk"}
    assert rt.switch_part.switch_nf.removed == {"CheckIPHeader@2"}
    # what followed each removed check gets the destination annotation it set
    assert [t.dst_from_ip for t in _edge_into(mon, "total")] == [True]
    assert [t.dst_from_ip for t in _edge_into(rt, "rt")] == [True]
    assert not any(t.dst_from_ip for _, _, t in _all_edges(fw))
    assert chain.passes == {"s1": 1}
    # the elements keep their ids; plan.json shows the removed ones without a stage
    elements = {e["name"]: e for e in chain.to_json()["nfs"][1]["elements"]}
    assert elements["chk"]["elem_id"] == 1 and elements["chk"]["stage"] is None


def _all_edges(nf: NFPlan):
    snf = nf.switch_part.switch_nf
    return [(src, port, t) for (src, port), t in snf.edges.items()]


def test_a_run_starts_without_facts(tmp_path: Path) -> None:
    (mon,) = _chain(tmp_path, [("mon", "monitor")]).nfs
    assert {"chk", "c_bad"} <= _staged(mon)


def test_a_second_check_in_one_nf_goes_unless_a_block_between_writes_the_header(
        tmp_path: Path) -> None:
    (tmp_path / "two").mkdir()
    (two,) = _chain(tmp_path / "two", [("two", TWO_CHECKS)]).nfs
    assert "a" in _staged(two) and "b" not in _staged(two)
    assert [t.dst_from_ip for t in _edge_into(two, "f")] == [False]
    (tmp_path / "ttl").mkdir()
    (ttl,) = _chain(tmp_path / "ttl", [("ttl", TTL_BETWEEN)]).nfs
    assert {"a", "b"} <= _staged(ttl)  # DecIPTTL writes hdr.ipv4


def test_a_split_nf_passes_no_facts_on(tmp_path: Path) -> None:
    # the NAT's misses come back from its server, which may rewrite the packet
    fw, nat, rt = _chain(tmp_path, [("fw", "firewall"), ("nat", "nat"), ("rt", "router")]).nfs
    assert nat.placement.value == "split"
    assert "CheckIPHeader@2" in _staged(rt)


@pytest.mark.parametrize("stages", [1, 8])
def test_an_nf_of_nothing_but_a_repeated_check_keeps_it(tmp_path: Path, stages: int) -> None:
    # a packet enters an NF through an element: input straight to output would stall it
    _fw, only = _chain(tmp_path, [("fw", "firewall"), ("only", ONLY_CHECK)], stages).nfs
    assert "c" in _staged(only)


def test_an_nf_that_passes_bad_headers_on_keeps_the_next_check(tmp_path: Path) -> None:
    # the monitor counts bad headers (chk[1] -> c_bad) and passes them on: the firewall
    # after it must still check; the NAT after the firewall need not
    mon, fw, nat = _chain(tmp_path, [("mon", "monitor"), ("fw", "firewall"), ("nat", "nat")]).nfs
    assert not mon.switch_part.switch_nf.removed and "c_bad" in _staged(mon)
    assert not fw.switch_part.switch_nf.removed and "chk" in _staged(fw)
    assert nat.switch_part.switch_nf.removed == {"chk"}


def test_plan_report_names_the_removed_checks(tmp_path: Path) -> None:
    from rich.console import Console

    from p4sfc_compiler.report import plan_report

    plan = _plan(tmp_path, [("fw", "firewall"), ("rt", "router")])
    console = Console(width=200, record=True)
    for part in plan_report(plan):
        console.print(part)
    text = console.export_text()
    assert "rt: no stage for CheckIPHeader@2" in text
    assert "fw: no stage" not in text
