"""A packet inside the switch as plain data: its headers and metadata, as the P4 program
holds them between parser and deparser. The embedded switch's pipeline
(``p4sfc_compiler.switch``) and the element kinds' models (``families/*/switch.py``)
act on it.

Headers are lists of ints in the contract's field order (:mod:`.wire`), ``None`` when
invalid; :class:`HeaderCodec` unpacks and packs them. Metadata fields are attributes
named as in :data:`.fields.METADATA` (a test checks the two agree); widths stay in the
contract: a model masks with :func:`mask_of`. Key values are read through
:func:`key_getter`, so a table's key is built from its key expressions alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.match import Entry
from p4sfc_compiler.dataplane.packing import Packing


class HeaderCodec:
    """Fast unpack / pack of a header type's fixed fields as a list of ints."""

    def __init__(self, ht: wire.HeaderType) -> None:
        self.header = ht
        self.nbytes = ht.fixed_bytes
        self.names = tuple(f.name for f in ht.fields if not f.varbit)
        layout = []
        shift = ht.fixed_bits
        for f in ht.fields:
            if f.varbit:
                continue
            shift -= f.bitwidth
            layout.append((shift, (1 << f.bitwidth) - 1))
        self._layout = tuple(layout)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def unpack(self, data: bytes | bytearray | memoryview, off: int = 0) -> list[int]:
        word = int.from_bytes(data[off:off + self.nbytes], "big")
        return [(word >> s) & m for s, m in self._layout]

    def pack(self, values: list[int]) -> bytes:
        word = 0
        for v, (s, m) in zip(values, self._layout, strict=True):
            word |= (v & m) << s
        return word.to_bytes(self.nbytes, "big")


ETHERNET = HeaderCodec(wire.ETHERNET)
SFC = HeaderCodec(wire.SFC)
SFC_NF = HeaderCodec(wire.SFC_NF)
IPV4 = HeaderCodec(wire.IPV4)  # the fixed part; options are kept as bytes beside it
IPV4_OUTER = HeaderCodec(wire.IPV4_OUTER)
TCP = HeaderCodec(wire.TCP)
UDP = HeaderCodec(wire.UDP)
ICMP = HeaderCodec(wire.ICMP)

# Field positions the pipeline and the kind models use, from the layouts.
ETH_DST, ETH_SRC, ETH_TYPE = (ETHERNET.index(n) for n in ("dstAddr", "srcAddr", "etherType"))
SFC_CHAIN, SFC_COUNT, SFC_ENTRY, SFC_TYPE = (
    SFC.index(n) for n in ("chainId", "nfCount", "entry", "etherType"))
NF_ID, NF_RESERVED, NF_BOS = (SFC_NF.index(n) for n in ("nfId", "reserved", "bos"))
(IP_VERSION, IP_IHL, IP_DIFFSERV, IP_LEN, IP_ID, IP_FLAGS, IP_FRAG, IP_TTL, IP_PROTO,
 IP_CSUM, IP_SRC, IP_DST) = (IPV4.index(n) for n in (
     "version", "ihl", "diffserv", "totalLen", "identification", "flags", "fragOffset", "ttl",
     "protocol", "hdrChecksum", "srcAddr", "dstAddr"))
TCP_SPORT, TCP_DPORT, TCP_FLAGS, TCP_CSUM = (
    TCP.index(n) for n in ("srcPort", "dstPort", "flags", "checksum"))
UDP_SPORT, UDP_DPORT, UDP_CSUM = (UDP.index(n) for n in ("srcPort", "dstPort", "checksum"))
ICMP_TYPE, ICMP_CODE = (ICMP.index(n) for n in ("icmpType", "icmpCode"))
assert IPV4_OUTER.names == IPV4.names  # the outer header shares the field positions


def mask_of(expr: str) -> int:
    """All ones in the width of a field (``meta.paint`` -> 0xFF)."""
    return (1 << F.field_width(expr)) - 1


class Hit(NamedTuple):
    """A table hit: the action's full name, its parameters in the action's order, and the
    entry (for direct counters or reads)."""

    action: str
    params: tuple[int, ...]
    entry: Entry


Lookup = Callable[[tuple[int, ...]], Hit | None]


class PacketState:
    """One packet between parser and deparser (v1model's headers, metadata and the
    standard metadata the program uses)."""

    __slots__ = (
        # headers (None = invalid)
        "ethernet", "sfc", "sfc_nfs", "ipv4_outer", "ipv4", "ipv4_options", "tcp", "udp",
        "icmp", "payload",
        # metadata_t (fields.METADATA)
        "chain_id", "nf_id", "elem_id", "prev_elem", "ether_type", "ip_ok",
        "l4_ok", "l4_reach", "l4_word", "l4_have", "l4_flags", "sport", "dport", "tcp_flags",
        "icmp_type", "icmp_code", "dst_anno", "paint",
        "out_port", "element", "to_server", "server_entry", "forwarded",
        "dropped", "halted", "ip_dirty", "recirc", "l4_delta", "l2_len", "trim",
        # standard_metadata
        "ingress_port", "egress_spec", "packet_length", "checksum_error", "parser_error",
        "timestamp", "clone_session", "truncate_len",
    )

    ethernet: list[int] | None
    sfc: list[int] | None
    sfc_nfs: list[list[int]]  # the valid entries of the stack, front first
    ipv4_outer: list[int] | None
    ipv4: list[int] | None
    ipv4_options: bytes
    tcp: list[int] | None
    udp: list[int] | None
    icmp: list[int] | None
    payload: bytes

    chain_id: int
    nf_id: int
    elem_id: int
    prev_elem: int
    ether_type: int
    ip_ok: int
    l4_ok: int
    l4_reach: int
    l4_word: int
    l4_have: int
    l4_flags: int
    sport: int
    dport: int
    tcp_flags: int
    icmp_type: int
    icmp_code: int
    dst_anno: int
    paint: int
    out_port: int
    element: int
    to_server: int
    server_entry: int
    forwarded: int
    dropped: int
    halted: int
    ip_dirty: int
    recirc: int
    l4_delta: int
    l2_len: int
    trim: int
    ctl_key: int

    ingress_port: int
    egress_spec: int
    packet_length: int
    checksum_error: int
    parser_error: str | None
    timestamp: int
    clone_session: int | None
    truncate_len: int | None

    def __init__(self, ingress_port: int, packet_length: int) -> None:
        self.ethernet = self.sfc = self.ipv4_outer = self.ipv4 = None
        self.tcp = self.udp = self.icmp = None
        self.sfc_nfs = []
        self.ipv4_options = b""
        self.payload = b""
        for name in META_NAMES:
            setattr(self, name, 0)
        self.ingress_port = ingress_port
        self.egress_spec = 0
        self.packet_length = packet_length
        self.checksum_error = 0
        self.parser_error = None
        self.timestamp = 0
        self.clone_session = None
        self.truncate_len = None


# The model holds the control key's slices (fields.CONTROL_KEY_SLICES) as fields of their
# own and packs a packed key field (the control key among them) from its parts when a
# table reads it, so what it preserves across recirculation is the slices: ingress sets
# the key's chain and NF parts again each pass.
META_NAMES: tuple[str, ...] = tuple(
    m.name for m in F.METADATA + F.CONTROL_KEY_SLICES if f"meta.{m.name}" not in F.PACKED_KEYS)
PRESERVED_META: tuple[str, ...] = tuple(
    m.name for m in F.METADATA + F.CONTROL_KEY_SLICES
    if m.preserved and f"meta.{m.name}" not in F.PACKED_KEYS
)


def _header_getter(attr: str, index: int) -> Callable[[PacketState], int]:
    def get(st: PacketState) -> int:
        h = getattr(st, attr)
        # A field of an invalid header reads 0 (the switch resets headers per packet).
        return 0 if h is None else int(h[index])
    return get


_HEADER_CODECS: dict[str, tuple[str, HeaderCodec]] = {
    "hdr.ethernet": ("ethernet", ETHERNET),
    "hdr.sfc": ("sfc", SFC),
    "hdr.ipv4": ("ipv4", IPV4),
    "hdr.ipv4_outer": ("ipv4_outer", IPV4_OUTER),
    "hdr.tcp": ("tcp", TCP),
    "hdr.udp": ("udp", UDP),
    "hdr.icmp": ("icmp", ICMP),
}


def key_getter(expr: str) -> Callable[[PacketState], int]:
    """A function reading key expression ``expr`` (``hdr.ipv4.srcAddr``, ``meta.sport``,
    ``standard_metadata.ingress_port``) from a packet."""
    if expr == F.INGRESS_PORT:
        return lambda st: st.ingress_port
    packing = F.PACKED_KEYS.get(expr)
    if packing is not None:
        return _packed_getter(packing)
    if expr in F.SLICE_NAMES:
        # a slice of the control key: the model keeps it as a field of its name
        return _meta_getter(F.SLICE_NAMES[expr])
    if expr.startswith("meta."):
        name = expr.removeprefix("meta.")
        if name not in META_NAMES:
            raise KeyError(f"{expr} is not a metadata field")
        return _meta_getter(name)
    inst, _, field = expr.rpartition(".")
    if inst not in _HEADER_CODECS:
        raise KeyError(f"{expr} is not a field the switch model reads")
    attr, codec = _HEADER_CODECS[inst]
    return _header_getter(attr, codec.index(field))


def _meta_getter(name: str) -> Callable[[PacketState], int]:
    return lambda st: getattr(st, name)


def _packed_getter(packing: Packing) -> Callable[[PacketState], int]:
    """A packed key field (``fields.PACKED_KEYS``): the model keeps no such field, so it
    reads the parts and packs them, the first in the high bits, each cut to its width."""
    parts = []
    for name, _ in packing.parts:
        shift, mask = packing.shift_mask(name)
        parts.append((key_getter(name), shift, mask))

    def get(st: PacketState) -> int:
        value = 0
        for g, shift, mask in parts:
            value |= (g(st) & mask) << shift
        return value
    return get


def key_reader(exprs: tuple[str, ...]) -> Callable[[PacketState], tuple[int, ...]]:
    """A function building a table's key values (in key order) from a packet."""
    getters = tuple(key_getter(e) for e in exprs)

    def read(st: PacketState) -> tuple[int, ...]:
        return tuple([g(st) for g in getters])
    return read
