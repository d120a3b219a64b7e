"""``--nf-runner click``: the servers' generated configurations, unchanged, in the real
``click`` (each in a network namespace on a veth pair; tests marked ``tools``, root):
the deployment gives what the same deployment gives with the engine as servers and what
the chain gives in software."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support.click import click_binary
from support.specs import compile_spec, solo_chain

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.equivalence import run_both
from p4sfc_compiler.deploy.software import SoftwareChains
from p4sfc_compiler.deploy.traffic import flows_trace, mixed_trace
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(click_binary() is None, reason="the Click driver `click` is absent"),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_paper_chain_on_click_servers_equals_engine_servers_and_software(
        tmp_path: Path) -> None:
    chains = load_chains(EXAMPLES / "paper-chain.json")
    topology = load_topology(EXAMPLES / "paper-topology.json")
    validate(chains, topology)
    compile_chains(chains, topology, out_dir=tmp_path / "out")
    trace = [("s1", 1, f) for f in mixed_trace(300, seed=7)]
    verdicts = {}
    for runner in ("click", "engine"):
        with Deployment(tmp_path / "out", nf_runner=runner) as d:
            verdicts[runner] = run_both(d, SoftwareChains(chains), trace, strict_macs=False)
    for runner, v in verdicts.items():
        assert v.equal, (runner, [x.one_line()[:300] for x in v.differences[:3]])
    assert [r.outputs for r in verdicts["click"].runs] == \
        [r.outputs for r in verdicts["engine"].runs]
    assert verdicts["click"].counts == verdicts["engine"].counts
    # nothing of the run is left: no namespace, no veth
    assert "p4sfc-" not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                          text=True).stdout


def test_click_servers_mappings_reach_the_switch(tmp_path: Path) -> None:
    """click cannot call the state library; its rewriter's mapping handlers, read after
    each frame, are mirrored into the switch: a flow's later packets stay there."""
    compile_spec(tmp_path, solo_chain({"type": "nat"}), EXAMPLES / "paper-topology.json",
                 out_dir=tmp_path / "out")
    chains = load_chains(tmp_path / "chain.json")
    frames = flows_trace(15, 6, seed=8)
    with Deployment(tmp_path / "out", nf_runner="click", state="blocking") as d:
        v = run_both(d, SoftwareChains(chains), [("s1", 1, f) for f in frames],
                     strict_macs=False)
        assert d.state is not None
        (table,) = d.state.tables.values()
        flows = {(f[26:30], f[34:36]) for f in frames}
        assert len(table.items()) == 2 * len(flows)
    assert v.equal, [x.one_line()[:300] for x in v.differences[:3]]
    assert sum(r.server_visits for r in v.runs) == len(flows)
