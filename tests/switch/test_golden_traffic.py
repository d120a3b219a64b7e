"""The BMv2 tests' traffic on the embedded pipeline alone, without the tools: each
scenario's frames (tests/switch/scenarios.py) against what BMv2 sent for them, recorded by
test_differential_bmv2.py (``P4SFC_RECORD_GOLDEN=1``) into tests/golden/switch/ — per
port, byte for byte and in order, and every counter cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenarios import GOLDEN, SCENARIOS
from support.embedded import EmbeddedLab


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_embedded_pipeline_replays_the_recorded_run(name: str, tmp_path: Path) -> None:
    path = GOLDEN / f"{name}.json"
    assert path.exists(), f"no recording for {name}: run the tools test with P4SFC_RECORD_GOLDEN=1"
    golden = json.loads(path.read_text())
    scenario = SCENARIOS[name]
    result, topology = scenario.compile(tmp_path)
    lab = EmbeddedLab(result.files, topology)
    for sw, entries in scenario.entries(result).items():
        lab.insert(sw, entries)
    for sw, port, frame in golden["inputs"]:
        lab.send((sw, port), bytes.fromhex(frame))
    got = lab.collect()
    assert {f"{sw}:{port}" for sw, port in got} == set(golden["outputs"])
    for (sw, port), frames in got.items():
        assert [f.hex() for f in frames] == golden["outputs"][f"{sw}:{port}"], (sw, port)
    counts = {f"{sw} {name}": {str(i): v for i, v in enumerate(lab.counter(sw, name)) if v}
              for sw, device in lab.devices.items() for name in device.counters}
    assert {k: v for k, v in counts.items() if v} == golden["counters"]
