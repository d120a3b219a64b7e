"""``P4SFCCounter`` (paper Table II): a counting element's value over both halves of a
split NF, the server's part plus the switch's.

The switch part is the element's slot of the program's counter externs
(``dataplane.program``: packets in ``counter_packets[index]``, bytes from the
``COUNTER_LEN_CELLS`` cells of ``counter_len_digits``), read through the server's
:class:`~p4sfc_compiler.state.agent.SwitchAgent`; the server part is the element's own
count. ``set`` puts the value in the server part and zeroes the switch cells, as
Click's counter ``reset`` handler does to a counter that runs in one place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from p4sfc_compiler.dataplane.program import counted_bytes, counter_len_cells
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.state.agent import SwitchAgent
from p4sfc_compiler.state.binding import CounterBinding


class CounterValue(NamedTuple):
    packets: int
    bytes: int


class P4SFCCounter:
    """``init(name)``, ``get()``, ``set(val)`` of paper Table II."""

    def __init__(self, name: str, *, local: Callable[[], CounterValue],
                 set_local: Callable[[CounterValue], None],
                 agent: SwitchAgent | None = None, binding: CounterBinding | None = None
                 ) -> None:
        if (agent is None) != (binding is None):
            raise P4SFCError(f"counter {name}: an agent and a binding, or neither")
        self.name = name
        self.local = local
        self.set_local = set_local
        self.agent = agent
        self.binding = binding
        self._lock = threading.Lock()
        if agent is not None and binding is not None:
            index = agent.index
            try:
                self._packets_id = index.counters[binding.packets][0]
                self._len_id = index.counters[binding.length_cells][0]
            except KeyError as exc:
                raise P4SFCError(f"counter {name}: {exc.args[0]} is not in the P4Info"
                                 ) from None
            self._len_cells = list(counter_len_cells(binding.index))

    def switch_part(self) -> CounterValue:
        if self.agent is None or self.binding is None:
            return CounterValue(0, 0)
        b = self.binding

        async def read(conn: Connection) -> CounterValue:
            packets = await conn.read_counter(self._packets_id, [b.index])
            cells = await conn.read_counter(self._len_id, self._len_cells)
            return CounterValue(packets[b.index], counted_bytes(cells, b.index))

        return self.agent.call(read)

    def get(self) -> CounterValue:
        with self._lock:
            here = self.local()
            there = self.switch_part()
            return CounterValue(here.packets + there.packets, here.bytes + there.bytes)

    def set(self, val: CounterValue) -> None:
        with self._lock:
            if self.agent is not None and self.binding is not None:
                b = self.binding

                async def reset(conn: Connection) -> None:
                    updates = [conn.counter_update(self._packets_id, b.index)]
                    updates += [conn.counter_update(self._len_id, i) for i in self._len_cells]
                    errors = await conn.write(updates)
                    if errors:
                        raise P4SFCError(f"counter {self.name}: reset refused: "
                                         f"{errors[0].code} {errors[0].message}")

                self.agent.call(reset)
            self.set_local(val)
