"""The switch model of the ``counter`` kind (Counter, AverageCounter): packets and Click's
byte length per slot, and for AverageCounter the first and last arrival times. Twin of
``p4/templates/elements/counter.p4.j2``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import IP_LEN, PacketState
from p4sfc_compiler.dataplane.program import KIND_SPECS
from p4sfc_compiler.families.kind_model import KindRun, StageResources

_WIDTHS = dict(KIND_SPECS["counter"].registers)
_LEN_MASK = (1 << 32) - 1  # cnt_len is bit<32> in the block


def counter_model(res: StageResources) -> KindRun:
    index_at, timed_at, base_at = (res.param(n) for n in ("index", "timed", "bytes_base"))
    packets = res.registers["counter_packets"]
    nbytes = res.registers["counter_bytes"]
    first = res.registers["counter_first"]
    last = res.registers["counter_last"]
    pmask = (1 << _WIDTHS["counter_packets"]) - 1
    bmask = (1 << _WIDTHS["counter_bytes"]) - 1
    size = len(packets)

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        # Click counts from its data pointer: the IP length plus what precedes it there;
        # a non-IP frame counts what follows the Ethernet header (never the SFC header).
        base = params[base_at]
        ip = st.ipv4
        if ip is not None:
            length = (ip[IP_LEN] + base) & _LEN_MASK
        else:
            length = (st.packet_length - st.l2_len + base) & _LEN_MASK
        i = params[index_at]
        # A register index past the array reads 0 and writes nothing (BMv2 logs an error).
        seen = packets[i] if i < size else 0
        if i < size:
            packets[i] = (seen + 1) & pmask
            nbytes[i] = (nbytes[i] + length) & bmask
            if params[timed_at] == 1:
                if seen == 0:
                    first[i] = st.timestamp
                last[i] = st.timestamp
        st.out_port = 0
    return run
