"""A compiled NAT chain on an embedded switch, for the state library's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from p4sfc_compiler.deploy.deployment import Deployment
from p4sfc_compiler.deploy.statesync import StatefulElement, stateful_elements
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue
from p4sfc_compiler.state.agent import SwitchAgent
from p4sfc_compiler.state.binding import Encoder
from p4sfc_compiler.state.table import P4SFCTable
from tests.support.specs import compile_spec, solo_chain

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "examples" / "paper-topology.json"
TABLE_SIZE = 16  # small, so the tests fill it


@pytest.fixture(scope="module")
def nat_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("nat")
    compile_spec(tmp, solo_chain({"type": "nat"}), TOPOLOGY, out_dir=tmp / "out",
                 table_size=TABLE_SIZE)
    return tmp / "out"


@pytest.fixture
def nat_switch(nat_out: Path) -> Iterator[Deployment]:
    """The NAT chain applied to an embedded switch; no state sync of its own."""
    with Deployment(nat_out, state="off") as d:
        yield d


def rw_element(out: Path) -> StatefulElement:
    (found,) = stateful_elements(out)
    return found


def make_table(d: Deployment, agent: SwitchAgent, **options: object) -> P4SFCTable:
    b = rw_element(d.out_path).binding
    return P4SFCTable(b.key_names, b.val_names, agent=agent, binding=b, **options)  # type: ignore[arg-type]


def make_agent(d: Deployment, **options: object) -> SwitchAgent:
    sw = d.switches["s1"]
    return SwitchAgent("s1", sw.address, sw.device_id, d.out.index, **options)  # type: ignore[arg-type]


def switch_entries(d: Deployment, table: P4SFCTable) -> dict[tuple[int, ...], tuple[int, ...]]:
    """The table's slice as the switch holds it, read over P4Runtime."""
    assert table.binding is not None
    enc = Encoder(d.out.index, table.binding)
    sw = d.switches["s1"]

    async def read() -> dict[EntryKey, EntryValue]:
        async with Connection("s1", sw.address, sw.device_id, primary=False) as conn:
            return await conn.read_entries()

    out: dict[tuple[int, ...], tuple[int, ...]] = {}
    for key, value in asyncio.run(read()).items():
        for version in (0, 1):
            if enc.owns(key, version):
                vals = enc.vals_of(value)
                assert vals is not None
                out[enc.keys_of(key)] = vals
    return out
