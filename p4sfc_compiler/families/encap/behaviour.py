"""EtherEncap and IPEncap in software.

EtherEncap puts its 14 bytes before the data pointer and sets the MAC header annotation
there. IPEncap puts a 20-byte header before it: length = the packet's, IP ids from 0 per
element, the destination from the annotation with DST_ANNO (else the annotation takes
the configured destination), and the header annotation on the new header.
"""

from __future__ import annotations

import struct

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.checksum import in_cksum, put16
from p4sfc_compiler.families.encap.config import EncapConfig, EtherEncapConfig, IPEncapConfig

ETHER_LEN = 14
IP_LEN = 20
IP_DF = 0x4000


class EtherEncap(Behaviour):
    __slots__ = ("header",)

    def __init__(self, ctx: BuildContext, config: EtherEncapConfig) -> None:
        super().__init__(ctx)
        self.header = (config.dst.to_bytes(6, "big") + config.src.to_bytes(6, "big")
                       + config.ether_type.to_bytes(2, "big"))

    def push(self, port: int, p: Packet) -> None:
        p.push(ETHER_LEN)
        p.buf[p.data:p.data + ETHER_LEN] = self.header
        p.mac = p.data
        self.out[0](p)


class IPEncap(Behaviour):
    __slots__ = ("config", "next_id")

    def __init__(self, ctx: BuildContext, config: IPEncapConfig) -> None:
        super().__init__(ctx)
        self.config = config
        self.next_id = 0

    def push(self, port: int, p: Packet) -> None:
        c = self.config
        p.push(IP_LEN)
        dst = p.dst_anno if c.dst_anno else c.dst
        if not c.dst_anno:
            p.dst_anno = c.dst
        header = bytearray(struct.pack(
            ">BBHHHBBHII", 0x45, c.tos, p.length() & 0xFFFF, self.next_id,
            IP_DF if c.df else 0, c.ttl, c.proto, 0, c.src, dst))
        self.next_id = (self.next_id + 1) & 0xFFFF
        put16(header, 10, in_cksum(header))
        p.buf[p.data:p.data + IP_LEN] = header
        p.ip = p.data
        self.out[0](p)


def build(cls: str, config: EncapConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, EtherEncapConfig):
        return EtherEncap(ctx, config)
    return IPEncap(ctx, config)
