"""What the switch's parser makes of a frame: the classify table's key fields.

This is the model the lowering of IPFilter / IPClassifier / Classifier is exact against,
so the P4 parser must agree with it (docs/architecture.md):

* ``meta.ether_type`` = the inner EtherType (after an SFC header with EtherType 0x88B5;
  the SFC header's ``etherType`` field then holds it), ``hdr.ethernet.*`` as in the frame;
* IPv4 is extracted when the inner EtherType is 0x0800, IHL >= 5 and the whole header
  (IHL words, options included) is in the frame (``meta.ip_ok`` = 1), whatever version
  it holds; a header length below 5 words is left unparsed (the P4 parser's
  ``parse_ipv4`` state), and so is a frame too short for its header (PacketTooShort);
* ``meta.l4_ok`` = 1 only for a first fragment (fragment offset 0) with protocol TCP (6),
  UDP (17) or ICMP (1) whose whole fixed transport header (20, 8 and 8 bytes) lies inside
  both the frame and the IP total length (the parser checks the frame, the start of
  ``MyIngress`` the total length); then ``sport``/``dport`` (TCP/UDP), ``tcp_flags``
  (TCP), ``icmp_type``/``icmp_code`` (ICMP) are set;
* every field not extracted reads 0.
"""

from __future__ import annotations

from dataclasses import dataclass

ETH_LEN = 14
SFC_ETHERTYPE = 0x88B5
SFC_LEN = 6
SFC_NF_LEN = 2
L4_HEADER_LEN = {6: 20, 17: 8, 1: 8}


@dataclass(frozen=True)
class SwitchView:
    """The key fields of one frame (absent ones are 0) and where its IP header starts."""

    fields: dict[str, int]
    ip_offset: int | None  # frame offset of the IPv4 header, None when not parsed


def _u16(b: bytes, i: int) -> int:
    return int.from_bytes(b[i : i + 2], "big")


def switch_view(frame: bytes) -> SwitchView:
    f: dict[str, int] = {}
    if len(frame) < ETH_LEN:
        return SwitchView(f, None)
    f["hdr.ethernet.dstAddr"] = int.from_bytes(frame[0:6], "big")
    f["hdr.ethernet.srcAddr"] = int.from_bytes(frame[6:12], "big")
    ether_type = _u16(frame, 12)
    off = ETH_LEN
    if ether_type == SFC_ETHERTYPE and len(frame) >= off + SFC_LEN:
        n_nfs = frame[off + 2]
        ether_type = _u16(frame, off + 4)
        off += SFC_LEN + SFC_NF_LEN * n_nfs
    f["meta.ether_type"] = ether_type
    if ether_type != 0x0800 or len(frame) < off + 20:
        return SwitchView(f, None)
    ip = frame[off:]
    if ip[0] & 0x0F < 5 or len(ip) < (ip[0] & 0x0F) * 4:
        return SwitchView(f, None)
    f["meta.ip_ok"] = 1
    f["hdr.ipv4.version"] = ip[0] >> 4
    f["hdr.ipv4.ihl"] = ihl = ip[0] & 0x0F
    f["hdr.ipv4.diffserv"] = ip[1]
    f["hdr.ipv4.totalLen"] = total_len = _u16(ip, 2)
    f["hdr.ipv4.identification"] = _u16(ip, 4)
    f["hdr.ipv4.flags"] = ip[6] >> 5
    f["hdr.ipv4.fragOffset"] = frag = _u16(ip, 6) & 0x1FFF
    f["hdr.ipv4.ttl"] = ip[8]
    f["hdr.ipv4.protocol"] = proto = ip[9]
    f["hdr.ipv4.srcAddr"] = int.from_bytes(ip[12:16], "big")
    f["hdr.ipv4.dstAddr"] = int.from_bytes(ip[16:20], "big")
    need = L4_HEADER_LEN.get(proto)
    hl = ihl * 4
    if need is None or frag != 0 or hl + need > min(len(ip), total_len):
        return SwitchView(f, off)
    l4 = ip[hl:]
    f["meta.l4_ok"] = 1
    if proto in (6, 17):
        f["meta.sport"] = _u16(l4, 0)
        f["meta.dport"] = _u16(l4, 2)
        if proto == 6:
            f["meta.tcp_flags"] = l4[13]
    else:
        f["meta.icmp_type"] = l4[0]
        f["meta.icmp_code"] = l4[1]
    return SwitchView(f, off)


def switch_fields(frame: bytes) -> dict[str, int]:
    """The classify key fields the switch sees for ``frame``."""
    return switch_view(frame).fields


def data_bytes(frame: bytes, data_offset: int) -> bytes:
    """The bytes Click's Classifier sees: from the data pointer to the end."""
    return frame[data_offset:]
