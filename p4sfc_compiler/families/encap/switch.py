"""The switch models of the encapsulation kinds: ``ether_encap`` overwrites the Ethernet
header (under an SFC header the inner EtherType lives there), ``ip_encap`` pushes the
outer IPv4 header and ends the pass, so later elements see it after a fresh parse. Twins
of their blocks in ``p4/templates/elements/``."""

from __future__ import annotations

from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.packet import (
    ETH_DST,
    ETH_SRC,
    ETH_TYPE,
    IP_CSUM,
    IP_DIFFSERV,
    IP_DST,
    IP_FLAGS,
    IP_FRAG,
    IP_ID,
    IP_IHL,
    IP_LEN,
    IP_PROTO,
    IP_SRC,
    IP_TTL,
    IP_VERSION,
    IPV4_OUTER,
    SFC_TYPE,
    PacketState,
)
from p4sfc_compiler.dataplane.program import KIND_SPECS
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.kind_model import KindRun, StageResources

_OUTER_WORDS = wire.IPV4_OUTER.fixed_bytes // 4
_ID_MASK = (1 << dict(KIND_SPECS["ip_encap"].registers)["ipencap_id"]) - 1
_LEN_MASK = (1 << wire.IPV4.field("totalLen").bitwidth) - 1
_DF_SHIFT = 1  # DF is the middle bit of the 3-bit flags field


def ether_encap_model(res: StageResources) -> KindRun:
    type_at, src_at, dst_at = (res.param(n) for n in ("ether_type", "src", "dst"))

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        eth = st.ethernet
        ether_type = params[type_at]
        if eth is not None:
            eth[ETH_SRC] = params[src_at]
            eth[ETH_DST] = params[dst_at]
        if st.sfc is not None:
            st.sfc[SFC_TYPE] = ether_type
        elif eth is not None:
            eth[ETH_TYPE] = ether_type
        st.ether_type = ether_type
        st.out_port = 0
    return run


def ip_encap_model(res: StageResources) -> KindRun:
    at = {n: res.param(n) for n in ("proto", "src", "dst", "ttl", "tos", "df", "dst_anno",
                                    "index")}
    ids = res.registers["ipencap_id"]
    size = len(ids)

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        ip = st.ipv4
        if ip is None or st.ipv4_outer is not None:
            st.out_port = DROP_PORT
            return
        i = params[at["index"]]
        ident = ids[i] if i < size else 0
        if i < size:
            ids[i] = (ident + 1) & _ID_MASK
        outer = [0] * len(IPV4_OUTER.names)
        outer[IP_VERSION] = 4
        outer[IP_IHL] = _OUTER_WORDS
        outer[IP_DIFFSERV] = params[at["tos"]]
        outer[IP_LEN] = (ip[IP_LEN] + wire.IPV4_OUTER.fixed_bytes) & _LEN_MASK
        outer[IP_ID] = ident
        outer[IP_FLAGS] = params[at["df"]] << _DF_SHIFT
        outer[IP_FRAG] = 0
        outer[IP_TTL] = params[at["ttl"]]
        outer[IP_PROTO] = params[at["proto"]]
        outer[IP_CSUM] = 0
        outer[IP_SRC] = params[at["src"]]
        outer[IP_DST] = st.dst_anno if params[at["dst_anno"]] == 1 else params[at["dst"]]
        st.ipv4_outer = outer
        st.dst_anno = outer[IP_DST]
        st.halted = 1
        st.out_port = 0
    return run
