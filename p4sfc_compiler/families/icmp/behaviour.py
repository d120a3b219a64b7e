"""ICMPError in software, after Click's elements/icmp/icmperror.cc."""

from __future__ import annotations

import struct
import time

from p4sfc_compiler.families.behaviour import FIX_IP_SRC, Behaviour, BuildContext, Packet
from p4sfc_compiler.families.checksum import get16, get32, in_cksum, put16
from p4sfc_compiler.families.icmp.config import (
    ERROR_TYPES,
    PARAMPROB,
    REDIRECT,
    UNREACH,
    ICMPErrorConfig,
)

PROTO_ICMP = 1
IPOPT_EOL, IPOPT_NOP, IPOPT_LSRR, IPOPT_SSRR = 0, 1, 131, 137
TTL = 200
NEEDFRAG = 4
SHARED_ID = "icmperror:id"  # Click's static counter, one for every ICMPError


class _Counter:
    __slots__ = ("next",)

    def __init__(self) -> None:
        self.next = 1


def _source_route(buf: bytearray, ip: int) -> int | None:
    """Where a usable LSRR/SSRR option starts in the header, as Click looks for it."""
    hlen = (buf[ip] & 0xF) << 2
    oi = 20
    while oi < hlen:
        kind = buf[ip + oi]
        if kind == IPOPT_NOP:
            oi += 1
            continue
        if kind == IPOPT_EOL:
            return None
        xlen = buf[ip + oi + 1]
        if xlen < 2 or oi + xlen > hlen:
            return None
        ptr = buf[ip + oi + 2]
        if kind in (IPOPT_LSRR, IPOPT_SSRR) and ptr >= 4 and ptr % 4 == 0 and ptr <= xlen + 1:
            return ip + oi
        oi += xlen
    return None


class ICMPError(Behaviour):
    __slots__ = ("config", "ids")

    def __init__(self, ctx: BuildContext, config: ICMPErrorConfig) -> None:
        super().__init__(ctx)
        self.config = config
        ids = ctx.shared.get(SHARED_ID)
        if not isinstance(ids, _Counter):
            ids = _Counter()
            ctx.shared[SHARED_ID] = ids
        self.ids = ids

    def _unicast(self, a: int) -> bool:
        return a != 0xFFFFFFFF and a >> 28 != 0xE and a not in self.config.bad_addrs

    def _valid_source(self, a: int) -> bool:
        net = a >> 24
        return self._unicast(a) and net != 0 and net != 127 and net & 0xF0 != 0xF0

    def push(self, port: int, p: Packet) -> None:
        q = self._make(p)
        if q is not None:
            self.out[0](q)

    def _make(self, p: Packet) -> Packet | None:
        c = self.config
        buf, ip = p.buf, p.ip
        if ip < 0:
            return None
        hlen = (buf[ip] & 0xF) << 2
        if buf[ip + 9] == PROTO_ICMP:
            if hlen + 4 > p.length() or buf[ip + hlen] in ERROR_TYPES:
                return None
        if not self._unicast(get32(buf, ip + 16)) or not self._valid_source(get32(buf, ip + 12)):
            return None
        if get16(buf, ip + 6) & 0x1FFF:
            return None
        route = _source_route(buf, ip)
        if route is not None and c.type == REDIRECT:
            return None
        options = b""
        if route is not None:
            # The route reversed, as Click writes it; the header is padded to words
            # (Click leaves the padding bytes as they were; zeros here).
            olen = buf[route + 2] - 1
            opt = bytearray(((20 + olen + 3) >> 2 << 2) - 20 + 1)
            opt[0], opt[1], opt[2] = buf[route], olen, 4
            o = 3
            oo = route + buf[route + 2] - 5
            while oo >= route + 3:
                opt[o:o + 4] = buf[oo:oo + 4]
                oo -= 4
                o += 4
            opt[olen] = IPOPT_EOL
            options = bytes(opt[:-1])
        nhl = 20 + len(options)
        room = c.mtu - nhl - 8
        quoted = bytes(buf[ip:ip + max(0, min(room, len(buf) - ip))])
        rest = 0
        if c.type == REDIRECT:
            rest = p.dst_anno
        elif c.type == UNREACH and c.code == NEEDFRAG:
            rest = c.pmtu
        icmp = bytearray(struct.pack(">BBHI", c.type, c.code, 0, rest)) + quoted
        put16(icmp, 2, in_cksum(icmp))
        ident = self.ids.next & 0xFFFF
        self.ids.next += 1
        header = bytearray(struct.pack(">BBHHHBBHII", 0x40 | (nhl >> 2), 0, nhl + len(icmp),
                                       ident, 0, TTL, PROTO_ICMP, 0, c.src,
                                       get32(buf, ip + 12))) + options
        put16(header, 10, in_cksum(header))
        now = time.time()
        q = Packet(header + icmp, (int(now), int(now * 1e6) % 1000000))
        q.ip = 0
        q.dst_anno = get32(buf, ip + 12)
        if c.fix_anno:
            q.set_anno(FIX_IP_SRC, 1)
        return q


def build(cls: str, config: ICMPErrorConfig, ctx: BuildContext) -> Behaviour:
    if config.type == PARAMPROB and config.code == 0:
        raise ctx.unsupported("ICMPError parameter problem with a pointer "
                              "(the engine has no ICMP parameter-problem annotation)")
    return ICMPError(ctx, config)
