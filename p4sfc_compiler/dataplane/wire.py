"""The headers on the wire: their layouts, the EtherTypes, and the SFC header's encoding.

The P4 program declares its headers from these layouts (``p4/templates`` renders them),
the server configs find the SFC header's fields at the offsets they give, and the switch
model and the tests encode and decode the header with :func:`sfc_header` and
:func:`parse_sfc`. A tagged frame is Ethernet (EtherType ``ETHERTYPE_SFC``), the SFC
header, then one NF-id entry per NF still to pass (the bottom-of-stack bit set on the last),
then the inner frame's payload (its EtherType is kept in the SFC header).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
# A local experimental EtherType (IEEE 802 "local experimental 1").
ETHERTYPE_SFC = 0x88B5


@dataclass(frozen=True)
class HeaderField:
    name: str
    bitwidth: int
    varbit: bool = False  # a varbit<bitwidth> field: up to bitwidth bits, sized at parse time


@dataclass(frozen=True)
class HeaderType:
    """A P4 header type: fields in wire order, most significant bit first."""

    name: str
    fields: tuple[HeaderField, ...]

    @cached_property
    def fixed_bits(self) -> int:
        return sum(f.bitwidth for f in self.fields if not f.varbit)

    @property
    def fixed_bytes(self) -> int:
        return self.fixed_bits // 8

    def pack(self, **values: int) -> bytes:
        """The fixed part of the header, fields absent from ``values`` being 0."""
        word = 0
        for f in self.fields:
            if f.varbit:
                continue
            v = values.get(f.name, 0)
            if not 0 <= v < 1 << f.bitwidth:
                raise ValueError(f"{self.name}.{f.name} = {v} does not fit in {f.bitwidth} bits")
            word = (word << f.bitwidth) | v
        return word.to_bytes(self.fixed_bytes, "big")

    def unpack(self, data: bytes) -> dict[str, int]:
        """The fixed fields at the start of ``data`` (which must hold them)."""
        word = int.from_bytes(data[: self.fixed_bytes], "big")
        shift = self.fixed_bits
        out = {}
        for f in self.fields:
            if f.varbit:
                continue
            shift -= f.bitwidth
            out[f.name] = (word >> shift) & ((1 << f.bitwidth) - 1)
        return out

    def field(self, name: str) -> HeaderField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")

    def byte_offset(self, name: str) -> int:
        """Where a byte-aligned field starts, in bytes from the header's start."""
        bits = 0
        for f in self.fields:
            if f.name == name:
                if bits % 8:
                    raise ValueError(f"{self.name}.{name} is not byte-aligned")
                return bits // 8
            bits += f.bitwidth
        raise KeyError(f"{self.name} has no field {name}")


def _header(name: str, *fields: tuple[str, int]) -> HeaderType:
    return HeaderType(name, tuple(HeaderField(n, w) for n, w in fields))


ETHERNET = _header("ethernet_t", ("dstAddr", 48), ("srcAddr", 48), ("etherType", 16))

# chainId: the chain; nfCount: NF ids that follow; entry: a split NF's server entry point
# (0 = start of the NF); etherType: the inner frame's EtherType.
SFC = _header("sfc_t", ("chainId", 16), ("nfCount", 8), ("entry", 8), ("etherType", 16))

# One per NF still to pass; bos = 1 on the last (the parser's loop stops there).
SFC_NF = _header("sfc_nf_t", ("nfId", 8), ("reserved", 7), ("bos", 1))

_IPV4_FIXED = (
    ("version", 4), ("ihl", 4), ("diffserv", 8), ("totalLen", 16), ("identification", 16),
    ("flags", 3), ("fragOffset", 13), ("ttl", 8), ("protocol", 8), ("hdrChecksum", 16),
    ("srcAddr", 32), ("dstAddr", 32),
)
# Options live in the header itself so that the checksum covers them (IHL 15 = 40 bytes).
IPV4 = HeaderType(
    "ipv4_t",
    _header("", *_IPV4_FIXED).fields + (HeaderField("options", 320, varbit=True),),
)
# The header IPEncap pushes: never has options.
IPV4_OUTER = _header("ipv4_outer_t", *_IPV4_FIXED)
# Only looked ahead at, to size the options before extracting the IPv4 header.
IPV4_LEAD = _header("ipv4_lead_t", ("version", 4), ("ihl", 4))

TCP = _header(
    "tcp_t", ("srcPort", 16), ("dstPort", 16), ("seqNo", 32), ("ackNo", 32),
    ("dataOffset", 4), ("res", 4), ("flags", 8), ("window", 16), ("checksum", 16),
    ("urgentPtr", 16),
)
UDP = _header("udp_t", ("srcPort", 16), ("dstPort", 16), ("length", 16), ("checksum", 16))
ICMP = _header("icmp_t", ("icmpType", 8), ("icmpCode", 8), ("checksum", 16))

PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
# The transport header length a first fragment must hold, inside the IP total length, for
# the switch to read its ports, flags or ICMP type: Click's header structs (TCP without
# options; ICMP with its 4 bytes of rest-of-header, of which the switch parses the first 4).
L4_HEADER_LEN: dict[int, int] = {
    PROTO_TCP: TCP.fixed_bytes, PROTO_UDP: UDP.fixed_bytes, PROTO_ICMP: ICMP.fixed_bytes + 4,
}

# Click's IPRewriter rewrites a TCP/UDP first fragment with at least this many transport
# bytes (IPRewriter::push: transport_length() >= 8), whole header or not.
L4_REWRITE_MIN = 8
# How many transport bytes a packet holds, as far as Click can tell: the tests the switch
# can key on read transport bytes 0-3 (ports, ICMP type and code) and 13 (TCP flags), so a
# filter's test needs 1, 2, 3, 4 or 14 bytes (Click's Insn::required_length); the rewriter
# needs L4_REWRITE_MIN. The switch measures the bytes after the IP header, inside the frame
# and the IP total length, against these thresholds (meta.l4_reach bit i: at least
# L4_PROBES[i] bytes) and reads a first fragment's TCP/UDP/ICMP fields from the bytes there
# are.
L4_PROBES: tuple[int, ...] = (1, 2, 3, 4, L4_REWRITE_MIN, 14)

ETH_LEN = ETHERNET.fixed_bytes
SFC_LEN = SFC.fixed_bytes
SFC_NF_LEN = SFC_NF.fixed_bytes


def sfc_header(chain_id: int, nf_ids: tuple[int, ...] | list[int], *, entry: int = 0,
               inner_ether_type: int = ETHERTYPE_IPV4) -> bytes:
    """The SFC header and NF-id stack as they follow the Ethernet addresses' EtherType."""
    out = SFC.pack(chainId=chain_id, nfCount=len(nf_ids), entry=entry,
                   etherType=inner_ether_type)
    last = len(nf_ids) - 1
    return out + b"".join(
        SFC_NF.pack(nfId=nf_id, bos=int(i == last)) for i, nf_id in enumerate(nf_ids)
    )


@dataclass(frozen=True)
class SfcTag:
    chain_id: int
    entry: int
    nf_ids: tuple[int, ...]
    inner_ether_type: int
    length: int  # bytes of SFC header + NF ids


def parse_sfc(data: bytes) -> SfcTag | None:
    """The SFC header at the start of ``data`` (what follows the Ethernet header of a frame
    whose EtherType is ``ETHERTYPE_SFC``), or None when it is cut short."""
    if len(data) < SFC_LEN:
        return None
    h = SFC.unpack(data)
    length = SFC_LEN + SFC_NF_LEN * h["nfCount"]
    if len(data) < length:
        return None
    ids = tuple(
        SFC_NF.unpack(data[off:])["nfId"] for off in range(SFC_LEN, length, SFC_NF_LEN)
    )
    return SfcTag(h["chainId"], h["entry"], ids, h["etherType"], length)
