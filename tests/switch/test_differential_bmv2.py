"""The embedded pipeline against BMv2 ``simple_switch_grpc``: every traffic scenario of the
BMv2 tests (tests/switch/scenarios.py) runs with the same program settings, entries and
frames through both, and what leaves each port must be the same bytes in the same order,
with the same counter values (every cell of every counter extern, read over
P4Runtime on BMv2).

With ``P4SFC_RECORD_GOLDEN=1`` the run also writes what BMv2 sent to
``tests/golden/switch/<scenario>.json``, the expectations the CI test
(test_golden_traffic.py) replays on the embedded pipeline without the tools.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from scenarios import GOLDEN, SCENARIOS, counter_names
from support.bmv2 import Lab, counter_cells, unavailable
from support.embedded import EmbeddedLab

from p4sfc_compiler.backend.entry_formats import write_request_txtpb
from p4sfc_compiler.p4info.index import P4InfoIndex

REASON = unavailable()

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]


def _nonzero(cells: dict[int, int]) -> dict[str, int]:
    return {str(i): v for i, v in sorted(cells.items()) if v}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_embedded_pipeline_equals_bmv2(name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    result, topology = scenario.compile(tmp_path)
    traffic = scenario.traffic(result)
    extra = scenario.entries(result)
    counters = counter_names(result)

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
        bmv2_counts = {f"{sw} {name}": _nonzero(counter_cells(lab.switches[sw], index, name))
                       for sw in lab.switches for name in counters}
    finally:
        lab.close()

    emb = EmbeddedLab(result.files, topology)
    for sw, entries in extra.items():
        emb.insert(sw, entries)
    for where, frame in traffic:
        emb.send(where, frame)
    embedded = emb.collect()
    embedded_counts = {f"{sw} {name}": _nonzero(dict(enumerate(emb.counter(sw, name))))
                       for sw in emb.devices for name in counters}

    assert set(embedded) == set(bmv2)
    for port in sorted(bmv2):
        assert [f.hex() for f in embedded[port]] == [f.hex() for f in bmv2[port]], port
    assert embedded_counts == bmv2_counts

    if os.environ.get("P4SFC_RECORD_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        record = {
            "scenario": name,
            "recorded_from": "BMv2 simple_switch_grpc (the embedded pipeline agreed)",
            "inputs": [[sw, port, f.hex()] for (sw, port), f in traffic],
            "outputs": {f"{sw}:{port}": [f.hex() for f in frames]
                        for (sw, port), frames in sorted(bmv2.items())},
            "counters": {k: v for k, v in bmv2_counts.items() if v},
        }
        (GOLDEN / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
