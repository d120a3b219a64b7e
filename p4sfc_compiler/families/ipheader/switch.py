"""The switch models of the IP-header kinds: ``dec_ip_ttl`` (TTL <= 1 leaves on output 1
unchanged), ``set_ip_dscp`` (the upper six bits of the TOS byte) and ``check_ip_header``
(version, lengths against the header and the frame, the parser's checksum verdict; the
destination annotation on success, and bytes past the IP total length marked for the
truncation at egress). Twins of their blocks in ``p4/templates/elements/``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import (
    IP_DIFFSERV,
    IP_DST,
    IP_IHL,
    IP_LEN,
    IP_TTL,
    IP_VERSION,
    PacketState,
)
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.kind_model import KindRun, StageResources

_IPV4_VERSION = 4
_ECN_BITS = 3  # the two low bits of the TOS byte SetIPDSCP keeps


def dec_ip_ttl_model(res: StageResources) -> KindRun:
    def run(st: PacketState, params: tuple[int, ...]) -> None:
        ip = st.ipv4
        if ip is None:
            st.out_port = DROP_PORT
        elif ip[IP_TTL] <= 1:
            st.out_port = 1
        else:
            ip[IP_TTL] -= 1
            st.ip_dirty = 1
            st.out_port = 0
    return run


def set_ip_dscp_model(res: StageResources) -> KindRun:
    dscp_at = res.param("dscp")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        ip = st.ipv4
        if ip is None:
            st.out_port = DROP_PORT
            return
        ip[IP_DIFFSERV] = ((params[dscp_at] << 2) & 0xFF) | (ip[IP_DIFFSERV] & _ECN_BITS)
        st.ip_dirty = 1
        st.out_port = 0
    return run


def check_ip_header_model(res: StageResources) -> KindRun:
    def run(st: PacketState, params: tuple[int, ...]) -> None:
        st.out_port = 1
        ip = st.ipv4
        if (ip is not None and ip[IP_VERSION] == _IPV4_VERSION
                and ip[IP_LEN] >= ip[IP_IHL] << 2
                and st.checksum_error == 0
                and ip[IP_LEN] + st.l2_len <= st.packet_length):
            st.dst_anno = ip[IP_DST]
            st.out_port = 0
            if ip[IP_LEN] + st.l2_len < st.packet_length:
                # Click truncates the packet to the IP length; egress cuts the frame.
                st.trim = 1
    return run
