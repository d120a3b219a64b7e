"""The program's metadata and the width of every field a table matches on.

Inside the compiler, key fields are named by their P4 expressions (``hdr.ipv4.srcAddr``,
``meta.sport``); :func:`field_width` gives any of them its width from the header layouts
(:mod:`.wire`) and the metadata below, so a width is written once. On the switch a key
field has its P4Info name (:data:`KEY_NAMES`: ``hdr.ipv4.srcAddr`` -> ``ip_src``), which
the program gives it with ``@name`` and entries carry: a name without dots, unique in its
table by itself, since clients index match fields by the part after the last dot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from p4sfc_compiler.dataplane import reserved, wire
from p4sfc_compiler.dataplane.match import Match, is_dont_care
from p4sfc_compiler.dataplane.packing import Packing, unpack_match


@dataclass(frozen=True)
class MetaField:
    name: str
    bitwidth: int
    # survives recirculation (recirculate_preserving_field_list(0))
    preserved: bool = False
    # a comment the program prints above the field, opening a group
    note: str = ""


_SFC_W = {f.name: f.bitwidth for f in wire.SFC.fields}
_NF_W = {f.name: f.bitwidth for f in wire.SFC_NF.fields}
_IPV4_W = {f.name: f.bitwidth for f in wire.IPV4.fields}
_TCP_W = {f.name: f.bitwidth for f in wire.TCP.fields}
_ICMP_W = {f.name: f.bitwidth for f in wire.ICMP.fields}

# An element's id inside its NF (meta.elem_id, the control key's prev_elem).
ELEM_ID_BITS = 8

# The parts of element_control's one key field that live only in it, as slices, low bits
# last: the element that ran last in the current NF (0: the NF's input) and the output
# port it chose. An exec action writes its element id and default port into them, the
# element's block its port, so moving on to the NF's next element needs no statement
# after the block: BMv2 runs every straight-line stretch of control code as a table of
# its own, a cost per element. The switch model holds them as fields of these names.
CONTROL_KEY_SLICES: tuple[MetaField, ...] = (
    MetaField("prev_elem", ELEM_ID_BITS, preserved=True),
    MetaField("out_port", reserved.ELEMENT_PORT_BITS, preserved=True),
)
_SLICE_BITS = sum(m.bitwidth for m in CONTROL_KEY_SLICES)

# An element_control entry can set Click's destination-IP annotation from the IP header
# before its element runs: the one effect of a CheckIPHeader the compiler found redundant
# and removed (analysis/redundant.py), kept on the edge that now bypasses it.
DST_FROM_IP = "dst_from_ip"

# What every exec_<kind> entry says about its element, packed into the action's first
# parameter (program.EXEC_COMMON_PARAM): its id, which of its output ports leave the NF
# and which drop, and whether the edge into it sets the destination annotation
# (DST_FROM_IP). One parameter, not four: BMv2 formats every parameter of an entry it
# hits, and a packet hits element_control once per element it runs. The action keeps it
# whole in meta.element (ELEMENT), where the stage reads the masks as slices: one
# statement in each of a stage's exec actions instead of one per part, which p4c pays for
# in every pass over the program.
EXEC_COMMON = Packing((
    ("elem_id", ELEM_ID_BITS),
    ("exit_ports", reserved.MASK_BITS),
    ("drop_ports", reserved.MASK_BITS),
    (DST_FROM_IP, 1),
))

METADATA: tuple[MetaField, ...] = (
    MetaField("chain_id", _SFC_W["chainId"]),
    MetaField("nf_id", _NF_W["nfId"]),
    MetaField("elem_id", ELEM_ID_BITS),
    MetaField("ether_type", _SFC_W["etherType"]),
    MetaField("ip_ok", 1),
    MetaField("l4_ok", 1),
    # bit i: the transport header has at least wire.L4_PROBES[i] bytes (parser_model.py)
    MetaField("l4_reach", len(wire.L4_PROBES)),
    # the first transport bytes (0-3 and the TCP flags), read from a cut header too:
    # ingress turns them into key fields
    MetaField("l4_word", 32),
    # the bytes after the IP header: in the frame (parser), then within the IP total length
    # (ingress)
    MetaField("l4_have", 16),
    MetaField("l4_flags", _TCP_W["flags"]),
    MetaField("sport", _TCP_W["srcPort"]),
    MetaField("dport", _TCP_W["dstPort"]),
    MetaField("tcp_flags", _TCP_W["flags"]),
    MetaField("icmp_type", _ICMP_W["icmpType"]),
    MetaField("icmp_code", _ICMP_W["icmpCode"]),
    MetaField("dst_anno", _IPV4_W["dstAddr"], preserved=True,
              note="Click's annotations and the position in the NF survive recirculation."),
    MetaField("paint", 8, preserved=True),
    # CheckIPHeader saw bytes past the IP total length: the packet leaves without them.
    MetaField("trim", 1, preserved=True),
    MetaField("element", EXEC_COMMON.width,
              note="The element that ran last in this pass (EXEC_COMMON; 0: none yet)."),
    MetaField("to_server", 1, note="Pass state."),
    MetaField("server_entry", _SFC_W["entry"]),
    MetaField("forwarded", 1),
    MetaField("dropped", 1),
    MetaField("halted", 1),
    MetaField("ip_dirty", 1),
    MetaField("recirc", 1),
    # The one's-complement change (RFC 1624) of the words under the TCP/UDP checksum the
    # pass's elements rewrote: ingress patches the checksum once, after the stages.
    MetaField("l4_delta", 32),
    MetaField("l2_len", 16),
    MetaField("ctl_key", _SFC_W["chainId"] + _NF_W["nfId"] + _SLICE_BITS, preserved=True,
              note="element_control's key: chain_id ++ nf_id ++ prev_elem ++ out_port."),
)


def _slice_expr(name: str) -> str:
    lo = 0
    for m in reversed(CONTROL_KEY_SLICES):
        if m.name == name:
            return f"meta.ctl_key[{lo + m.bitwidth - 1}:{lo}]"
        lo += m.bitwidth
    raise KeyError(name)


_HEADER_INSTANCES = {
    "hdr.ethernet": wire.ETHERNET,
    "hdr.sfc": wire.SFC,
    "hdr.ipv4": wire.IPV4,
    "hdr.ipv4_outer": wire.IPV4_OUTER,
    "hdr.tcp": wire.TCP,
    "hdr.udp": wire.UDP,
    "hdr.icmp": wire.ICMP,
}

_WIDTHS: dict[str, int] = {f"meta.{m.name}": m.bitwidth for m in METADATA}
_WIDTHS.update(
    (f"{inst}.{f.name}", f.bitwidth)
    for inst, ht in _HEADER_INSTANCES.items()
    for f in ht.fields
    if not f.varbit
)
# The expression of each control-key slice, to its name.
SLICE_NAMES: dict[str, str] = {_slice_expr(m.name): m.name for m in CONTROL_KEY_SLICES}
_WIDTHS.update((_slice_expr(m.name), m.bitwidth) for m in CONTROL_KEY_SLICES)
_WIDTHS["standard_metadata.ingress_port"] = reserved.PORT_BITS


def field_width(expr: str) -> int:
    """The bit width of a key expression (``hdr.ipv4.srcAddr`` -> 32)."""
    try:
        return _WIDTHS[expr]
    except KeyError:
        raise KeyError(f"{expr} is not a field of the program") from None


# Key expressions, by the role they play in the tables.
ETHER_TYPE = "meta.ether_type"  # the inner EtherType (under an SFC header, the SFC's)
IP_OK = "meta.ip_ok"  # an IPv4 header was parsed
L4_OK = "meta.l4_ok"  # a TCP/UDP/ICMP header of a first fragment was parsed
L4_REACH = "meta.l4_reach"  # which of wire.L4_PROBES the transport bytes reach
L4_WORD = "meta.l4_word"  # transport bytes 0-3 (ingress cuts them to those there are)
L4_HAVE = "meta.l4_have"  # how many transport bytes there are
CHAIN_ID = "meta.chain_id"
NF_ID = "meta.nf_id"
ELEM_ID = "meta.elem_id"
PREV_ELEM = _slice_expr("prev_elem")
# The output port the element that ran chose (exec_common sets its default).
OUT_PORT = _slice_expr("out_port")
# Both slices: what exec_common writes in one statement and a new NF resets.
POSITION = f"meta.ctl_key[{_SLICE_BITS - 1}:0]"
TO_SERVER = "meta.to_server"
# element_control matches one exact field packed from four: BMv2 pays per key field on
# every lookup (it builds and formats each one), and a stage looks up element_control on
# every pass, so one field is measurably cheaper than four (bench/README.md).
CONTROL_KEY = "meta.ctl_key"
CONTROL_KEY_PARTS: tuple[str, ...] = (CHAIN_ID, NF_ID, PREV_ELEM, OUT_PORT)
INGRESS_PORT = "standard_metadata.ingress_port"
DST_ANNO = "meta.dst_anno"
ELEMENT = "meta.element"
# The last element's port masks, and its id: an element's id is never INPUT_ELEM_ID, so
# a pass ran an element exactly when this id is not (a pass without one drops).
EXIT_PORTS = EXEC_COMMON.slice(ELEMENT, "exit_ports")
DROP_PORTS = EXEC_COMMON.slice(ELEMENT, "drop_ports")
RAN_ELEM_ID = EXEC_COMMON.slice(ELEMENT, "elem_id")
L4_DELTA = "meta.l4_delta"

# The classify table's key after the element prefix: what IPFilter / IPClassifier /
# Classifier rules can test on the switch (the parser model, parser_model.py, computes
# the same fields for a frame).
CLASSIFY_KEY: tuple[str, ...] = (
    "hdr.ethernet.dstAddr",
    "hdr.ethernet.srcAddr",
    "meta.ether_type",
    "meta.ip_ok",
    "hdr.ipv4.version",
    "hdr.ipv4.ihl",
    "hdr.ipv4.diffserv",
    "hdr.ipv4.totalLen",
    "hdr.ipv4.identification",
    "hdr.ipv4.flags",
    "hdr.ipv4.fragOffset",
    "hdr.ipv4.ttl",
    "hdr.ipv4.protocol",
    "hdr.ipv4.srcAddr",
    "hdr.ipv4.dstAddr",
    "meta.l4_ok",
    "meta.l4_reach",
    "meta.sport",
    "meta.dport",
    "meta.tcp_flags",
    "meta.icmp_type",
    "meta.icmp_code",
)
# The fields IP 5-tuple filters test, ICMP type included (what the NF library's IPFilter
# and IPClassifier rules use): a second, narrow classify table keyed on these alone, since
# BMv2's cost of a lookup grows with its key fields (bench/README.md).
CLASSIFY_IP_KEY: tuple[str, ...] = (
    "meta.ip_ok",
    "hdr.ipv4.fragOffset",
    "hdr.ipv4.protocol",
    "hdr.ipv4.srcAddr",
    "hdr.ipv4.dstAddr",
    "meta.l4_ok",
    "meta.l4_reach",
    "meta.sport",
    "meta.dport",
    "meta.tcp_flags",
    "meta.icmp_type",
)

# The prefix every element table's key starts with (isolation between chains and NFs).
ELEMENT_PREFIX: tuple[str, ...] = (CHAIN_ID, NF_ID, ELEM_ID)

# Where the classify key's header fields come from: (key, first bit, width) from the start
# of a header, for the fields the parser copies into the key.
KeyLayout = tuple[tuple[str, int, int], ...]


def _key_layout(ht: wire.HeaderType, keys: dict[str, str]) -> KeyLayout:
    out = []
    bit = 0
    for f in ht.fields:
        if f.name in keys:
            out.append((keys[f.name], bit, f.bitwidth))
        bit += f.bitwidth
    return tuple(out)


ETHERNET_KEY_LAYOUT = _key_layout(
    wire.ETHERNET,
    {"dstAddr": "hdr.ethernet.dstAddr", "srcAddr": "hdr.ethernet.srcAddr", "etherType": ETHER_TYPE},
)
IPV4_KEY_LAYOUT = _key_layout(
    wire.IPV4, {k.removeprefix("hdr.ipv4."): k for k in CLASSIFY_KEY if k.startswith("hdr.ipv4.")}
)
# Transport fields of a first fragment, per IP protocol: the key holds the bytes of them
# the packet has (L4_REACH says how many; the missing ones read 0).
TRANSPORT_KEY_LAYOUT: dict[int, KeyLayout] = {
    wire.PROTO_TCP: _key_layout(
        wire.TCP, {"srcPort": "meta.sport", "dstPort": "meta.dport", "flags": "meta.tcp_flags"}
    ),
    wire.PROTO_UDP: _key_layout(wire.UDP, {"srcPort": "meta.sport", "dstPort": "meta.dport"}),
    wire.PROTO_ICMP: _key_layout(
        wire.ICMP, {"icmpType": "meta.icmp_type", "icmpCode": "meta.icmp_code"}
    ),
}
TRANSPORT_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(k for layout in TRANSPORT_KEY_LAYOUT.values() for k, _, _ in layout)
)

# The 5-tuple the rewriter's exact table matches on (and rewrites).
REWRITER_KEY: tuple[str, ...] = (
    "hdr.ipv4.srcAddr",
    "meta.sport",
    "hdr.ipv4.dstAddr",
    "meta.dport",
    "hdr.ipv4.protocol",
)

# Chain classification of untagged packets: the ingress port, then the key each of a
# chain's Route.match keys (chain.json) matches on.
ROUTE_MATCH: dict[str, str] = {
    "src": "hdr.ipv4.srcAddr",
    "dst": "hdr.ipv4.dstAddr",
    "proto": "hdr.ipv4.protocol",
    "sport": "meta.sport",
    "dport": "meta.dport",
}
CHAIN_CLASSIFY_KEY: tuple[str, ...] = (INGRESS_PORT, *ROUTE_MATCH.values())


# Packed key fields: a table whose key would be many fields matches one metadata field
# holding them all, first in the high bits. BMv2 formats every field of a key on each
# lookup, and every field, value and mask of an entry it hits (bench/README.md): the
# classify tables' 14 and 25 fields were most of a packet's cost. A ternary match on the
# concatenation is the conjunction of the parts' matches (an exact part has a full mask,
# a part an entry leaves out a zero one), so entries mean the same packed. The program
# assigns the field where the table's element runs (``render_p4.packed_key``), the entry
# builder packs each entry's parts (``backend.entries``), the switch model packs the
# packet's (``packet.key_getter``). Named by the packed expression; parts by theirs.
CLASSIFY_IP_PACKED = "meta.classify_ip_key"
CLASSIFY_PACKED = "meta.classify_key"
CHAIN_CLASSIFY_PACKED = "meta.route_key"
# (an LPM part goes last: the parts before it lengthen its prefix)
IP_LOOKUP_PACKED = "meta.ip_lookup_key"
_PACKED_PARTS: dict[str, tuple[str, ...]] = {
    CLASSIFY_IP_PACKED: ELEMENT_PREFIX + CLASSIFY_IP_KEY,
    CLASSIFY_PACKED: ELEMENT_PREFIX + CLASSIFY_KEY,
    CHAIN_CLASSIFY_PACKED: CHAIN_CLASSIFY_KEY,
    IP_LOOKUP_PACKED: (*ELEMENT_PREFIX, DST_ANNO),
}
METADATA += tuple(
    MetaField(expr.removeprefix("meta."), sum(_WIDTHS[p] for p in parts),
              note="Packed table keys (fields.PACKED_KEYS)." if i == 0 else "")
    for i, (expr, parts) in enumerate(_PACKED_PARTS.items())
)
_WIDTHS.update((f"meta.{m.name}", m.bitwidth) for m in METADATA)

# The P4Info name of every key expression: the program annotates each key element with it
# (``hdr.ipv4.srcAddr: ternary @name("ip_src");``), the P4Info and the entries use it.
KEY_NAMES: dict[str, str] = {
    CHAIN_ID: "chain_id",
    NF_ID: "nf_id",
    ELEM_ID: "elem_id",
    CONTROL_KEY: "ctl",
    CLASSIFY_IP_PACKED: "classify_ip_key",
    CLASSIFY_PACKED: "classify_key",
    CHAIN_CLASSIFY_PACKED: "route_key",
    IP_LOOKUP_PACKED: "ip_lookup_key",
    TO_SERVER: "to_server",
    INGRESS_PORT: "ingress_port",
    DST_ANNO: "dst_anno",
    "hdr.ethernet.dstAddr": "eth_dst",
    "hdr.ethernet.srcAddr": "eth_src",
    ETHER_TYPE: "ether_type",
    IP_OK: "ip_ok",
    "hdr.ipv4.version": "ip_version",
    "hdr.ipv4.ihl": "ip_ihl",
    "hdr.ipv4.diffserv": "ip_diffserv",
    "hdr.ipv4.totalLen": "ip_len",
    "hdr.ipv4.identification": "ip_id",
    "hdr.ipv4.flags": "ip_flags",
    "hdr.ipv4.fragOffset": "ip_frag_offset",
    "hdr.ipv4.ttl": "ip_ttl",
    "hdr.ipv4.protocol": "ip_proto",
    "hdr.ipv4.srcAddr": "ip_src",
    "hdr.ipv4.dstAddr": "ip_dst",
    L4_OK: "l4_ok",
    L4_REACH: "l4_reach",
    "meta.sport": "sport",
    "meta.dport": "dport",
    "meta.tcp_flags": "tcp_flags",
    "meta.icmp_type": "icmp_type",
    "meta.icmp_code": "icmp_code",
}
KEY_EXPRESSIONS: dict[str, str] = {name: expr for expr, name in KEY_NAMES.items()}


def control_key_at_input() -> str:
    """The P4 expression of :data:`CONTROL_KEY` at the input of the packet's current NF
    (chain_id and nf_id as they are, the position 0)."""
    return f"{CHAIN_ID} ++ {NF_ID} ++ {_SLICE_BITS}w0"


def control_key_for_nf() -> str:
    """The P4 expression of :data:`CONTROL_KEY` with chain_id and nf_id as they are and
    the position in the NF kept (0 on a packet's first pass, preserved on recirculation)."""
    return f"{CHAIN_ID} ++ {NF_ID} ++ {POSITION}"


# The control key's parts as a packing (dataplane/packing.py), named by their expressions.
CONTROL_KEY_PACKING = Packing(tuple((part, _WIDTHS[part]) for part in CONTROL_KEY_PARTS))
# Every packed key field, to its parts.
PACKED_KEYS: dict[str, Packing] = {
    CONTROL_KEY: CONTROL_KEY_PACKING,
    **{expr: Packing(tuple((p, _WIDTHS[p]) for p in parts))
       for expr, parts in _PACKED_PARTS.items()},
}


def pack_control_key(chain_id: int, nf_id: int, prev_elem: int, port: int) -> int:
    """The value of :data:`CONTROL_KEY` for the four parts, first part in the high bits."""
    return CONTROL_KEY_PACKING.pack(chain_id, nf_id, prev_elem, port)


def unpack_control_key(value: int) -> tuple[int, ...]:
    """The four parts of a :data:`CONTROL_KEY` value (inverse of :func:`pack_control_key`)."""
    return CONTROL_KEY_PACKING.unpack(value)


def key_name(expr: str) -> str:
    """The P4Info name of a key expression (``hdr.ipv4.srcAddr`` -> ``ip_src``)."""
    try:
        return KEY_NAMES[expr]
    except KeyError:
        raise KeyError(f"{expr} has no P4Info name (dataplane.fields.KEY_NAMES)") from None


def unpack_key_fields(match: Iterable[tuple[str, Match]]) -> dict[str, Match]:
    """An entry's match by P4Info name with each packed key field taken apart into its
    parts' matches (those that constrain it, in key order), for reading entries: the
    control key stays packed (its position parts have no key names)."""
    out: dict[str, Match] = {}
    for name, m in match:
        expr = KEY_EXPRESSIONS.get(name)
        if expr is None or expr == CONTROL_KEY or expr not in PACKED_KEYS:
            out[name] = m
            continue
        for part, pm in unpack_match(PACKED_KEYS[expr], m).items():
            if not is_dont_care(pm):
                out[key_name(part)] = pm
    return out
