"""``p4sfc status``: what a switch holds, seen through a compile output.

Per switch, as a reader (no arbitration, nothing written): check the switch runs OUT's
P4Info, read every table entry back and count them per owner chain (its ``chain_id``, as
for apply; entries of no chain of OUT are "foreign") and per table. Then the packet and
byte counts of each counting element of the chains present (``plan.json``'s register
slots), from the program's counter externs over P4Runtime counter reads, which BMv2
answers too: packets from ``counter_packets``, bytes summed from ``counter_len_digits``
(per digit of the counted length, the cell of its value: dataplane/program.py).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from p4sfc_compiler.dataplane.program import (
    COUNTER_LEN,
    COUNTER_PACKETS,
    counted_bytes,
    counter_len_cells,
)
from p4sfc_compiler.runtime.apply import Names, Target, check_pipeline
from p4sfc_compiler.runtime.client import CONNECT_TIMEOUT, Connection
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, OutDir

FOREIGN = "foreign"


@dataclass
class ElementCount:
    chain: str
    nf: str
    element: str
    packets: int | None = None
    bytes: int | None = None


@dataclass
class SwitchStatus:
    switch: str
    address: str
    program: bool = True  # False: the device has no P4 program
    entries: dict[str, Counter[str]] = field(default_factory=dict)  # owner -> table -> n
    expected: dict[str, int] = field(default_factory=dict)  # OUT's entries per chain
    counters: list[ElementCount] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def chains(self) -> list[str]:
        return sorted(c for c in self.entries if c != FOREIGN)

    @property
    def foreign(self) -> int:
        return sum(self.entries.get(FOREIGN, Counter()).values())

    def total(self, owner: str) -> int:
        return sum(self.entries.get(owner, Counter()).values())


def tally(existing: dict[EntryKey, EntryValue], names: Names
          ) -> dict[str, Counter[str]]:
    """Entries read back per owner chain (``foreign`` for any other) and table."""
    out: dict[str, Counter[str]] = {}
    for key, value in existing.items():
        owner = names.owner(key, value)
        if owner not in names.chain_ids:
            owner = FOREIGN
        out.setdefault(owner, Counter())[names.table(key).removeprefix("MyIngress.")] += 1
    return out


async def status_switch(out: OutDir, target: Target, *,
                        timeout: float = CONNECT_TIMEOUT) -> SwitchStatus:
    sw = target.plan
    result = SwitchStatus(sw.name, target.address)
    start = time.monotonic()
    names = Names(out)
    result.expected = dict(Counter(e.chain for e in sw.entries))
    async with Connection(sw.name, target.address, target.device_id, timeout=timeout,
                          primary=False) as conn:
        if not await check_pipeline(conn, out, target, "",
                                    "status reads through OUT's P4Info"):
            result.program = False
            result.seconds = time.monotonic() - start
            return result
        result.entries = tally(await conn.read_entries(), names)
        present = set(result.chains)
        # The cells of the slots in use, one read per array (a wildcard read would fetch
        # every slot's COUNTER_LEN_CELLS cells).
        wanted: dict[str, set[int]] = {}
        slots = []
        for slot in sw.registers:
            if slot.chain not in present:
                continue
            arrays_of_slot = [n for n in slot.registers if n in out.index.counters]
            packets = next((n for n in arrays_of_slot if n.endswith(COUNTER_PACKETS)), None)
            lengths = next((n for n in arrays_of_slot if n.endswith(COUNTER_LEN)), None)
            if packets is None or lengths is None:
                continue  # an IPEncap id slot: nothing counted
            wanted.setdefault(packets, set()).add(slot.index)
            wanted.setdefault(lengths, set()).update(counter_len_cells(slot.index))
            slots.append((slot, packets, lengths))
        arrays = {name: await conn.read_counter(out.index.counters[name][0], sorted(cells))
                  for name, cells in wanted.items()}
        for slot, packets, lengths in slots:
            count = ElementCount(slot.chain, slot.nf, slot.element)
            count.packets = arrays[packets].get(slot.index, 0)
            count.bytes = counted_bytes(arrays[lengths], slot.index)
            result.counters.append(count)
    result.seconds = time.monotonic() - start
    return result
