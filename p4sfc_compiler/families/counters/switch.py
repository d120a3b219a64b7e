"""The switch model of the ``counter`` kind (Counter, AverageCounter): a packet counter
per slot, Click's byte length kept digit by digit (each digit of the length counts the
packet in the cell of its value: ``program.counted_cells``), and for AverageCounter the first and
last arrival times in registers. Twin of ``p4/templates/elements/counter.p4.j2``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import IP_LEN, PacketState
from p4sfc_compiler.dataplane.program import COUNTER_LEN, COUNTER_PACKETS, counted_cells
from p4sfc_compiler.families.kind_model import KindRun, StageResources

_M32 = (1 << 32) - 1  # cnt_len and cnt_cell are bit<32> in the block


def counter_model(res: StageResources) -> KindRun:
    index_at, timed_at, base_at = (res.param(n) for n in ("index", "timed", "bytes_base"))
    packets = res.counters[COUNTER_PACKETS]
    len_digits = res.counters[COUNTER_LEN]
    first = res.registers["counter_first"]
    last = res.registers["counter_last"]
    nregs = len(first)

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        # Click counts the bytes from its data pointer: what follows the Ethernet header
        # (never the SFC header); once a CheckIPHeader cut the packet, its IP length.
        base = params[base_at]
        ip = st.ipv4
        if st.trim and ip is not None:
            length = (ip[IP_LEN] + base) & _M32
        else:
            length = (st.packet_length - st.l2_len + base) & _M32
        i = params[index_at]
        size = st.packet_length
        packets.count(i, size)
        for cell in counted_cells(i, length):
            len_digits.count(cell & _M32, size)
        if params[timed_at] == 1 and i < nregs:
            # A register index past the array reads 0 and writes nothing (BMv2 logs it).
            if first[i] == 0:
                first[i] = st.timestamp
            last[i] = st.timestamp
    return run
