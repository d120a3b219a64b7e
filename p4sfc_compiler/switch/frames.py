"""Frames in and out of the pipeline: the P4 program's parser (``MyParser``), the IPv4
checksum it verifies and recomputes (``MyVerifyChecksum``, ``MyComputeChecksum``) and its
deparser (``MyDeparser``), with BMv2's behaviour where the program leaves it to the
target:

* a header that does not fit in what is left of the frame is not extracted; parsing stops
  there with ``PacketTooShort`` and the rest of the frame is payload;
* a stack entry past the stack's size stops parsing with ``StackOutOfBounds``;
* the packet goes on to ingress in either case, with ``parser_error`` set;
* the deparser emits the valid headers in its order, then the unparsed payload.
"""

from __future__ import annotations

from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.packet import (
    ETH_TYPE,
    ETHERNET,
    ICMP,
    IP_CSUM,
    IP_FRAG,
    IP_PROTO,
    IPV4,
    IPV4_OUTER,
    NF_BOS,
    SFC,
    SFC_CHAIN,
    SFC_COUNT,
    SFC_NF,
    SFC_TYPE,
    TCP,
    UDP,
    PacketState,
)

_L4_HEADERS = {wire.PROTO_TCP: TCP, wire.PROTO_UDP: UDP, wire.PROTO_ICMP: ICMP}

PACKET_TOO_SHORT = "PacketTooShort"
STACK_OUT_OF_BOUNDS = "StackOutOfBounds"

_IPV4_MIN_WORDS = wire.IPV4.fixed_bytes // 4
_CSUM_AT = wire.IPV4.byte_offset("hdrChecksum")


def parse(frame: bytes, st: PacketState, max_chain: int) -> None:
    """Run ``MyParser`` over ``frame`` into ``st`` (headers, parser metadata, payload)."""
    n = len(frame)
    if n < ETHERNET.nbytes:
        st.parser_error = PACKET_TOO_SHORT
        st.payload = frame
        return
    eth = ETHERNET.unpack(frame)
    st.ethernet = eth
    off = ETHERNET.nbytes
    st.l2_len = off
    ether_type = eth[ETH_TYPE]
    if ether_type == wire.ETHERTYPE_SFC:
        if n < off + SFC.nbytes:
            return _stop(st, frame, off, PACKET_TOO_SHORT, ether_type)
        sfc = SFC.unpack(frame, off)
        st.sfc = sfc
        off += SFC.nbytes
        st.l2_len = off
        st.chain_id = sfc[SFC_CHAIN]
        ether_type = sfc[SFC_TYPE]
        if sfc[SFC_COUNT] != 0:
            nfs = st.sfc_nfs
            while True:
                if len(nfs) == max_chain:
                    return _stop(st, frame, off, STACK_OUT_OF_BOUNDS, ether_type)
                if n < off + SFC_NF.nbytes:
                    return _stop(st, frame, off, PACKET_TOO_SHORT, ether_type)
                nf = SFC_NF.unpack(frame, off)
                nfs.append(nf)
                off += SFC_NF.nbytes
                st.l2_len = off
                if nf[NF_BOS] == 1:
                    break
    st.ether_type = ether_type
    if ether_type != wire.ETHERTYPE_IPV4:
        st.payload = frame[off:]
        return
    if n < off + 1:  # the lookahead at the version/IHL byte
        return _stop(st, frame, off, PACKET_TOO_SHORT, ether_type)
    ihl = frame[off] & 0x0F
    if ihl < _IPV4_MIN_WORDS:
        st.payload = frame[off:]
        return
    hl = ihl * 4
    if n < off + hl:
        return _stop(st, frame, off, PACKET_TOO_SHORT, ether_type)
    ip = IPV4.unpack(frame, off)
    st.ipv4 = ip
    st.ipv4_options = frame[off + IPV4.nbytes:off + hl]
    # verify_checksum: csum16 over the header with its checksum field left out
    if _csum16(frame[off:off + _CSUM_AT] + frame[off + _CSUM_AT + 2:off + hl]) != ip[IP_CSUM]:
        st.checksum_error = 1
    off += hl
    st.ip_ok = 1
    st.l4_have = (st.packet_length - st.l2_len - hl) & 0xFFFF
    proto = ip[IP_PROTO]
    if ip[IP_FRAG] == 0 and proto in _L4_HEADERS:
        # parse_ipv4_header's select: lookaheads sized to what the frame holds (none fails)
        take = max((p for p in wire.L4_PROBES if p <= st.l4_have), default=0)
        st.l4_word = int.from_bytes(frame[off:off + min(take, 4)].ljust(4, b"\0"), "big")
        if take == wire.L4_PROBES[-1]:
            st.l4_flags = frame[off + take - 1]
        header = _L4_HEADERS[proto]
        if n < off + header.nbytes:
            return _stop(st, frame, off, PACKET_TOO_SHORT, ether_type)
        fields = header.unpack(frame, off)
        if proto == wire.PROTO_TCP:
            st.tcp = fields
        elif proto == wire.PROTO_UDP:
            st.udp = fields
        else:
            st.icmp = fields
        off += header.nbytes
        st.l4_ok = 1
    st.payload = frame[off:]


def _stop(st: PacketState, frame: bytes, off: int, error: str, ether_type: int) -> None:
    st.parser_error = error
    st.ether_type = ether_type
    st.payload = frame[off:]


def _csum16(data: bytes) -> int:
    """The Internet checksum (one's complement of the one's-complement sum of 16-bit
    words) of ``data``, zero-padded to an even length."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def update_checksums(st: PacketState) -> None:
    """``MyComputeChecksum``: the inner header's when an element changed it, the outer
    header's always."""
    ip = st.ipv4
    if ip is not None and st.ip_dirty == 1:
        ip[IP_CSUM] = 0
        raw = IPV4.pack(ip) + st.ipv4_options
        ip[IP_CSUM] = _csum16(raw)
    outer = st.ipv4_outer
    if outer is not None:
        outer[IP_CSUM] = 0
        outer[IP_CSUM] = _csum16(IPV4_OUTER.pack(outer))


def deparse(st: PacketState) -> bytes:
    """``MyDeparser``: the valid headers in the program's emit order, then the payload."""
    parts: list[bytes] = []
    if st.ethernet is not None:
        parts.append(ETHERNET.pack(st.ethernet))
    if st.sfc is not None:
        parts.append(SFC.pack(st.sfc))
    for nf in st.sfc_nfs:
        parts.append(SFC_NF.pack(nf))
    if st.ipv4_outer is not None:
        parts.append(IPV4_OUTER.pack(st.ipv4_outer))
    if st.ipv4 is not None:
        parts.append(IPV4.pack(st.ipv4))
        parts.append(st.ipv4_options)
    if st.tcp is not None:
        parts.append(TCP.pack(st.tcp))
    if st.udp is not None:
        parts.append(UDP.pack(st.udp))
    if st.icmp is not None:
        parts.append(ICMP.pack(st.icmp))
    parts.append(st.payload)
    return b"".join(parts)

