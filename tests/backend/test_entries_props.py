"""Properties of the entries for random chains of library NFs (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.outputs import chain_and_nf

from p4sfc_compiler.analysis.partition import Placement
from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.backend.entries import build_entries
from p4sfc_compiler.dataplane.match import Ternary
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.frontend.nflib import nf_types
from p4sfc_compiler.p4info.checks import check_entry
from p4sfc_compiler.p4info.index import P4InfoIndex

TOPOLOGY = {
    "switches": [
        {"name": "s1", "address": "127.0.0.1:50051", "device_id": 0, "ports": [1, 2, 3, 4, 5]},
        {"name": "s2", "address": "127.0.0.1:50052", "device_id": 1, "ports": [1, 2, 3]},
    ],
    "servers": [
        {"name": "srv1", "switch": "s1", "port": 3},
        {"name": "srv2", "switch": "s2", "port": 2},
    ],
    "links": [{"a": "s1", "a_port": 4, "b": "s2", "b_port": 3}],
}


@st.composite
def chain_sets(draw):
    types = nf_types()
    chains = []
    for c in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 5))
        names = [f"c{c}n{i}" for i in range(n)]
        chains.append(
            {
                "name": f"chain{c}",
                "NFs": [
                    {
                        "name": name,
                        "type": draw(st.sampled_from(types)),
                        "location": draw(st.sampled_from(["srv1", "srv2"])),
                    }
                    for name in names
                ],
                "Links": [[a, b] for a, b in zip(names, names[1:], strict=False)],
                "Route": {
                    "ingress": {"switch": "s1", "port": 1},
                    "egress": draw(
                        st.sampled_from([{"switch": "s1", "port": 2}, {"switch": "s2", "port": 1}])
                    ),
                    "match": {"src": f"10.{c}.0.0/16"},
                },
            }
        )
    return chains, draw(st.integers(1, 6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chain_sets())
def test_entries_isolate_chains_and_fit_the_p4info(tmp_path_factory, case) -> None:
    raw, stages = case
    folder = tmp_path_factory.mktemp("chains")
    (folder / "chains.json").write_text(json.dumps(raw))
    (folder / "topo.json").write_text(json.dumps(TOPOLOGY))
    chains = load_chains(folder / "chains.json")
    topology = load_topology(folder / "topo.json")
    validate(chains, topology)
    result = compile_chains(chains, topology, stages=stages)
    index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
    ids = {c.name: c.chain_id for c in result.plan.chains}
    assert len(set(ids.values())) == len(ids)

    for se in build_entries(result.plan).values():
        seen: dict[tuple, str] = {}
        for e in se.entries:
            check_entry(e, index)  # every entry fits the P4Info
            fields = [k for k, _ in e.match]
            match = dict(e.match)
            if e.table.endswith(".classify_chain"):
                assert all(isinstance(v, Ternary) for v in match.values())
                continue
            # isolation: keyed first by the owner chain's id (and NF id below chain level)
            assert fields[0] in ("chain_id", "ctl", "classify_ip_key", "classify_key", "ip_lookup_key")
            chain_id, nf_id = chain_and_nf(match)
            assert chain_id == ids[e.chain]
            assert (nf_id is None) == e.table.endswith(".chain_exit")
            # no two entries of a table share a key: nothing of one chain shadows another
            key = (e.table, tuple(e.match), e.priority)
            assert key not in seen, (e, seen.get(key))
            seen[key] = e.chain

    # no non-offloadable element reaches a switch
    for chain in result.plan.chains:
        for nf in chain.nfs:
            if nf.placement is not Placement.SERVER:
                assert all(i.lowering is not None for i in nf.infos.values())

