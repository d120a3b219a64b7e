"""What the switch's parser makes of a frame: the classify table's key fields.

The P4 parser (``p4/templates/p4sfc.p4.j2``) and the start of ``MyIngress`` implement this
rule; the lowering of IPFilter / IPClassifier / Classifier is exact against it; the switch
model executes it. Change one, change all, in one commit (docs/architecture.md):

* ``meta.ether_type`` = the inner EtherType (after an SFC header, the SFC header's
  ``etherType`` field holds it), ``hdr.ethernet.*`` as in the frame;
* IPv4 is extracted when the inner EtherType is IPv4, IHL >= 5 and the whole header (IHL
  words, options included) is in the frame (``meta.ip_ok`` = 1), whatever version it holds;
  a header length below 5 words is left unparsed (the parser's ``parse_ipv4`` state), and
  so is a frame too short for its header (PacketTooShort);
* ``meta.l4_reach`` (IPv4 parsed): bit i set when the bytes after the IP header, inside
  both the frame and the IP total length, number at least ``wire.L4_PROBES[i]``: the
  thresholds at which Click's tests on the key's transport bytes stop being short;
* for a first fragment (fragment offset 0) with protocol TCP, UDP or ICMP, the
  protocol's ``fields.TRANSPORT_KEY_LAYOUT`` fields hold the bytes of them that are there
  (of transport bytes 0-3, and the TCP flags at 13), the missing bytes 0: Click's filters
  read a cut transport header's bytes too (the parser reads them with lookaheads sized by
  ``standard_metadata.packet_length``, the start of ``MyIngress`` cuts them to the total
  length); ``meta.l4_ok`` = 1 only when the whole transport header
  (``wire.L4_HEADER_LEN``) lies inside both (the rewriter's condition);
* every field not extracted reads 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.wire import (
    ETH_LEN,
    ETHERTYPE_IPV4,
    ETHERTYPE_SFC,
    IPV4,
    IPV4_LEAD,
    L4_HEADER_LEN,
    L4_PROBES,
    SFC,
    SFC_LEN,
    SFC_NF_LEN,
)

_IPV4_MIN_WORDS = IPV4.fixed_bytes // 4


@dataclass(frozen=True)
class SwitchView:
    """The key fields of one frame (absent ones are 0) and where its IP header starts."""

    fields: dict[str, int]
    ip_offset: int | None  # frame offset of the IPv4 header, None when not parsed


def _bits(data: bytes, first: int, width: int) -> int:
    """``width`` bits of ``data`` from bit ``first`` (most significant bit first)."""
    end = first + width
    nbytes = (end + 7) // 8
    word = int.from_bytes(data[:nbytes], "big")
    return (word >> (nbytes * 8 - end)) & ((1 << width) - 1)


def switch_view(frame: bytes) -> SwitchView:
    f: dict[str, int] = {}
    if len(frame) < ETH_LEN:
        return SwitchView(f, None)
    for key, first, width in F.ETHERNET_KEY_LAYOUT:
        f[key] = _bits(frame, first, width)
    ether_type = f[F.ETHER_TYPE]
    off = ETH_LEN
    if ether_type == ETHERTYPE_SFC and len(frame) >= off + SFC_LEN:
        sfc = SFC.unpack(frame[off:])
        ether_type = sfc["etherType"]
        off += SFC_LEN + SFC_NF_LEN * sfc["nfCount"]
    f[F.ETHER_TYPE] = ether_type
    if ether_type != ETHERTYPE_IPV4 or len(frame) < off + IPV4.fixed_bytes:
        return SwitchView(f, None)
    ip = frame[off:]
    ihl = IPV4_LEAD.unpack(ip)["ihl"]
    if ihl < _IPV4_MIN_WORDS or len(ip) < ihl * 4:
        return SwitchView(f, None)
    f[F.IP_OK] = 1
    for key, first, width in F.IPV4_KEY_LAYOUT:
        f[key] = _bits(ip, first, width)
    hdr = IPV4.unpack(ip)
    proto, total_len = hdr["protocol"], hdr["totalLen"]
    hl = ihl * 4
    have = max(0, min(len(ip), total_len) - hl)
    f[F.L4_REACH] = l4_reach(have)
    need = L4_HEADER_LEN.get(proto)
    if need is None or hdr["fragOffset"] != 0:
        return SwitchView(f, off)
    f.update(transport_fields(proto, ip[hl:hl + have]))
    if hl + need <= min(len(ip), total_len):
        f[F.L4_OK] = 1
    return SwitchView(f, off)


def l4_reach(have: int) -> int:
    """``meta.l4_reach`` for ``have`` transport bytes."""
    return sum(1 << i for i, p in enumerate(L4_PROBES) if have >= p)


def transport_fields(proto: int, l4: bytes) -> dict[str, int]:
    """A first fragment's transport key fields from the transport bytes it has (a
    missing byte reads 0: ports from a header cut inside them keep their first bytes)."""
    out: dict[str, int] = {}
    for key, first, width in F.TRANSPORT_KEY_LAYOUT[proto]:
        end = (first + width + 7) // 8
        out[key] = _bits(l4[first // 8:end].ljust(end - first // 8, b"\0"), first % 8, width)
    return out


def switch_fields(frame: bytes) -> dict[str, int]:
    """The classify key fields the switch sees for ``frame``."""
    return switch_view(frame).fields
