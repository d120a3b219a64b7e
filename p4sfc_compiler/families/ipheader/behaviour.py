"""The IPv4 header elements in software, after Click's sources (elements/ip/).

CheckIPHeader's checks run in Click's order (length, version, header length, IP length,
checksum, source address), the first failure names the reason; a valid packet gets the
IP header and destination annotations and is cut to the IP length. DecIPTTL and
SetIPDSCP update the checksum incrementally, as Click does, so a packet that came with
a bad checksum leaves with a bad one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from p4sfc_compiler.families.behaviour import FIX_IP_SRC, Behaviour, BuildContext, Packet
from p4sfc_compiler.families.checksum import get16, get32, in_cksum, put16, put32, update
from p4sfc_compiler.families.ipheader.config import (
    STORE_SRC,
    CheckIPHeaderConfig,
    DecIPTTLConfig,
    FixIPSrcConfig,
    GetIPAddressConfig,
    IPHeaderConfig,
    MarkIPHeaderConfig,
    SetIPChecksumConfig,
    SetIPDSCPConfig,
    StoreIPAddressConfig,
    StripIPHeaderConfig,
)

IP_MIN = 20  # sizeof(click_ip)
REASONS = ("tiny packet", "bad IP version", "bad IP header length", "bad IP length",
           "bad IP checksum", "bad source address")
ALL_ONES = 0xFFFFFFFF


def _addresses(config: CheckIPHeaderConfig) -> tuple[frozenset[int], frozenset[int]]:
    """Click's bad-source and good-destination lists: INTERFACES gives each subnet's
    broadcast address and the interface address, then 0.0.0.0 and 255.255.255.255;
    BADSRC / GOODDST given as keywords replace them."""
    bad: list[int] = []
    good: list[int] = []
    if config.interfaces is not None:
        for addr, plen in config.interfaces:
            mask = (ALL_ONES << (32 - plen)) & ALL_ONES
            bad.append((addr & mask) | (~mask & ALL_ONES))
            good.append(addr)
        bad += [0, ALL_ONES]
    if config.badsrc is not None:
        bad = list(config.badsrc) + ([0, ALL_ONES] if config.old_badsrc else [])
    if config.gooddst is not None:
        good = list(config.gooddst)
    return frozenset(bad), frozenset(good)


class CheckIPHeader(Behaviour):
    __slots__ = ("offset", "checksum", "bad_src", "good_dst", "drops", "reasons", "details")

    def __init__(self, ctx: BuildContext, config: CheckIPHeaderConfig) -> None:
        super().__init__(ctx)
        self.offset = config.offset
        self.checksum = config.checksum
        self.bad_src, self.good_dst = _addresses(config)
        self.details = config.details
        self.drops = 0
        self.reasons = [0] * len(REASONS)

    def _bad(self, reason: int, p: Packet) -> None:
        self.drops += 1
        self.reasons[reason] += 1
        # Output 1 only when the configuration connects it; otherwise the packet dies.
        if len(self.out) == 2:
            self.out[1](p)

    def push(self, port: int, p: Packet) -> None:
        buf = p.buf
        start = p.data + self.offset
        plen = len(buf) - start
        if plen < IP_MIN:
            return self._bad(0, p)
        b0 = buf[start]
        if b0 >> 4 != 4:
            return self._bad(1, p)
        hlen = (b0 & 0xF) << 2
        if hlen < IP_MIN:
            return self._bad(2, p)
        iplen = (buf[start + 2] << 8) | buf[start + 3]
        if iplen > plen or iplen < hlen:
            return self._bad(3, p)
        if self.checksum and in_cksum(buf[start:start + hlen]):
            return self._bad(4, p)
        dst = get32(buf, start + 16)
        if self.bad_src and get32(buf, start + 12) in self.bad_src \
                and dst not in self.good_dst:
            return self._bad(5, p)
        p.ip = start
        if plen > iplen:
            del buf[start + iplen:]
        p.dst_anno = dst
        self.out[0](p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        h = {"drops": lambda: str(self.drops)}
        if self.details:
            h["drop_details"] = lambda: "\n".join(
                f"{n}\t{text}" for n, text in zip(self.reasons, REASONS, strict=True))
        return h


class MarkIPHeader(Behaviour):
    __slots__ = ("offset",)

    def __init__(self, ctx: BuildContext, offset: int) -> None:
        super().__init__(ctx)
        self.offset = offset

    def push(self, port: int, p: Packet) -> None:
        p.ip = p.data + self.offset
        self.out[0](p)


class DecIPTTL(Behaviour):
    __slots__ = ("active", "multicast", "drops")

    def __init__(self, ctx: BuildContext, config: DecIPTTLConfig) -> None:
        super().__init__(ctx)
        self.active = config.active
        self.multicast = config.multicast
        self.drops = 0

    def push(self, port: int, p: Packet) -> None:
        buf, ip = p.buf, p.ip
        if not self.active or (not self.multicast and buf[ip + 16] >> 4 == 0xE):
            return self.out[0](p)
        if buf[ip + 8] <= 1:
            self.drops += 1
            return self.emit(1, p)
        buf[ip + 8] -= 1
        # RFC 1624 for a TTL decrement, as Click writes it: ~(~sum + 0xFEFF).
        s = (~get16(buf, ip + 10) & 0xFFFF) + 0xFEFF
        put16(buf, ip + 10, ~(s + (s >> 16)) & 0xFFFF)
        self.out[0](p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"drops": lambda: str(self.drops)}


class SetIPDSCP(Behaviour):
    __slots__ = ("dscp",)

    def __init__(self, ctx: BuildContext, dscp: int) -> None:
        super().__init__(ctx)
        self.dscp = dscp

    def push(self, port: int, p: Packet) -> None:
        buf, ip = p.buf, p.ip
        old = get16(buf, ip)
        buf[ip + 1] = (buf[ip + 1] & 3) | (self.dscp << 2)
        put16(buf, ip + 10, update(get16(buf, ip + 10), old, get16(buf, ip)))
        self.out[0](p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"dscp": lambda: str(self.dscp)}


class SetIPChecksum(Behaviour):
    __slots__ = ("drops",)

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.drops = 0

    def push(self, port: int, p: Packet) -> None:
        buf = p.buf
        ip = p.ip if p.ip >= 0 else p.data
        plen = len(buf) - ip
        hlen = (buf[ip] & 0xF) << 2 if plen >= IP_MIN else 0
        if plen < IP_MIN or hlen < IP_MIN or hlen > plen:
            self.drops += 1
            return
        put16(buf, ip + 10, 0)
        put16(buf, ip + 10, in_cksum(buf[ip:ip + hlen]))
        self.out[0](p)


class GetIPAddress(Behaviour):
    __slots__ = ("offset",)

    def __init__(self, ctx: BuildContext, config: GetIPAddressConfig) -> None:
        super().__init__(ctx)
        # The IP header's fields are at fixed places after the header annotation.
        self.offset = config.offset if config.offset is not None else \
            (12 if config.ip_field == "src" else 16)

    def push(self, port: int, p: Packet) -> None:
        # Click reads the 4 bytes without a length check; past the end reads as 0 here.
        at = p.data + self.offset
        p.dst_anno = int.from_bytes(p.buf[at:at + 4].ljust(4, b"\0"), "big")
        self.out[0](p)



class GetIPHeaderAddress(GetIPAddress):
    """``GetIPAddress(IP src|dst)``: the field of the annotated IP header."""

    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        p.dst_anno = get32(p.buf, p.ip + self.offset)
        self.out[0](p)


class StoreIPAddress(Behaviour):
    __slots__ = ("offset", "address")

    def __init__(self, ctx: BuildContext, config: StoreIPAddressConfig) -> None:
        super().__init__(ctx)
        self.offset = config.offset
        self.address = config.address

    def push(self, port: int, p: Packet) -> None:
        addr = self.address if self.address is not None else p.dst_anno
        buf = p.buf
        if (addr or self.address is not None) and 0 <= self.offset \
                and self.offset + 4 <= len(buf) - p.data:
            put32(buf, p.data + self.offset, addr)
            return self.out[0](p)
        ip = p.ip
        if self.offset >= STORE_SRC - 4 and ip >= 0 and (buf[ip] & 0xF) << 2 >= IP_MIN:
            # Into the IP header (OFFSET src/dst, or Click's fall-through for an
            # address of 0): checksums updated from the folded old and new halves.
            at = ip - self.offset
            old = get16(buf, at) + get16(buf, at + 2)
            old += old >> 16
            put32(buf, at, addr)
            new = get16(buf, at) + get16(buf, at + 2)
            new += new >> 16
            old &= 0xFFFF
            new &= 0xFFFF
            put16(buf, ip + 10, update(get16(buf, ip + 10), old, new))
            hl = (buf[ip] & 0xF) << 2
            first = get16(buf, ip + 6) & 0x1FFF == 0
            tl = len(buf) - (ip + hl)
            proto = buf[ip + 9]
            if proto == 6 and first and tl >= 20:
                put16(buf, ip + hl + 16, update(get16(buf, ip + hl + 16), old, new))
            if proto == 17 and first and tl >= 8 and get16(buf, ip + hl + 6):
                put16(buf, ip + hl + 6, update(get16(buf, ip + hl + 6), old, new))
            return self.out[0](p)
        self.emit(1, p)


class FixIPSrc(Behaviour):
    __slots__ = ("address",)

    def __init__(self, ctx: BuildContext, address: int) -> None:
        super().__init__(ctx)
        self.address = address

    def push(self, port: int, p: Packet) -> None:
        if p.anno(FIX_IP_SRC) and p.ip >= 0:
            p.set_anno(FIX_IP_SRC, 0)
            buf, ip = p.buf, p.ip
            put32(buf, ip + 12, self.address)
            hlen = (buf[ip] & 0xF) << 2
            put16(buf, ip + 10, 0)
            put16(buf, ip + 10, in_cksum(buf[ip:ip + hlen]))
        self.out[0](p)


class StripIPHeader(Behaviour):
    """The data pointer to the transport header (IP header annotation + IHL * 4)."""

    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        p.data = p.ip + ((p.buf[p.ip] & 0xF) << 2)
        self.out[0](p)


def build(cls: str, config: IPHeaderConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, CheckIPHeaderConfig):
        return CheckIPHeader(ctx, config)
    if isinstance(config, MarkIPHeaderConfig):
        return MarkIPHeader(ctx, config.offset)
    if isinstance(config, DecIPTTLConfig):
        return DecIPTTL(ctx, config)
    if isinstance(config, SetIPDSCPConfig):
        return SetIPDSCP(ctx, config.dscp)
    if isinstance(config, SetIPChecksumConfig):
        return SetIPChecksum(ctx)
    if isinstance(config, GetIPAddressConfig):
        if config.offset is None:
            return GetIPHeaderAddress(ctx, config)
        return GetIPAddress(ctx, config)
    if isinstance(config, FixIPSrcConfig):
        return FixIPSrc(ctx, config.address)
    if isinstance(config, StripIPHeaderConfig):
        return StripIPHeader(ctx)
    return StoreIPAddress(ctx, config)
