"""The embedded pipeline against BMv2 ``simple_switch_grpc``: every traffic scenario of the
BMv2 tests (tests/switch/scenarios.py) runs with the same program settings, entries and
frames through both, and what leaves each port must be the same bytes in the same order,
with the same counter values.

With ``P4SFC_RECORD_GOLDEN=1`` the run also writes what BMv2 sent to
``tests/golden/switch/<scenario>.json``, the expectations the CI test
(test_golden_traffic.py) replays on the embedded pipeline without the tools.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from scenarios import GOLDEN, SCENARIOS, register_slots
from support.bmv2 import Lab, Switch, unavailable
from support.embedded import EmbeddedLab

from p4sfc_compiler.backend.entry_formats import write_request_txtpb
from p4sfc_compiler.p4info.index import P4InfoIndex

REASON = unavailable()

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]


def _bmv2_registers(switch: Switch, cells: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Register cells read in one simple_switch_CLI session (BMv2's P4Runtime server
    answers register reads with UNIMPLEMENTED)."""
    if not cells:
        return {}
    commands = "".join(f"register_read {name} {index}\n" for name, index in cells)
    done = subprocess.run(
        ["ip", "netns", "exec", switch.ns.name, "simple_switch_CLI", "--thrift-port",
         str(switch.thrift_port)], input=commands, capture_output=True, text=True, timeout=120)
    values = {}
    for line in done.stdout.splitlines():
        for name, index in cells:
            if f"{name}[{index}]=" in line:
                values[(name, index)] = int(line.rsplit("=", 1)[1])
    assert len(values) == len(cells), done.stdout + done.stderr
    return values


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_embedded_pipeline_equals_bmv2(name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    result, topology = scenario.compile(tmp_path)
    traffic = scenario.traffic(result)
    extra = scenario.entries(result)
    slots = register_slots(result)

    lab = Lab(result.files, topology, tmp_path)
    try:
        index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
        for sw, entries in extra.items():
            device_id = topology.switches[sw].device_id
            lab.switches[sw].client.write_text(
                write_request_txtpb(entries, index, device_id=device_id))
        for where, frame in traffic:
            lab.wire.send(where, frame)
        bmv2 = lab.wire.collect()
        sent = {sw: sum(1 for (s, _), _f in traffic if s == sw) for sw in lab.switches}
        for sw, n in sent.items():
            assert lab.switches[sw].packets_received() >= n, "BMv2 lost frames: pace the test"
        bmv2_regs = {}
        for sw in lab.switches:
            cells = [(reg, i) for s, reg, i in slots if s == sw]
            bmv2_regs.update({(sw, *k): v for k, v in
                              _bmv2_registers(lab.switches[sw], cells).items()})
    finally:
        lab.close()

    emb = EmbeddedLab(result.files, topology)
    for sw, entries in extra.items():
        emb.insert(sw, entries)
    for where, frame in traffic:
        emb.send(where, frame)
    embedded = emb.collect()
    embedded_regs = {(sw, reg, i): emb.register(sw, reg, i) for sw, reg, i in slots}

    assert set(embedded) == set(bmv2)
    for port in sorted(bmv2):
        assert [f.hex() for f in embedded[port]] == [f.hex() for f in bmv2[port]], port
    assert embedded_regs == bmv2_regs

    if os.environ.get("P4SFC_RECORD_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        record = {
            "scenario": name,
            "recorded_from": "BMv2 simple_switch_grpc (the embedded pipeline agreed)",
            "inputs": [[sw, port, f.hex()] for (sw, port), f in traffic],
            "outputs": {f"{sw}:{port}": [f.hex() for f in frames]
                        for (sw, port), frames in sorted(bmv2.items())},
            "registers": {f"{sw} {reg}[{i}]": v for (sw, reg, i), v in sorted(bmv2_regs.items())},
        }
        (GOLDEN / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
