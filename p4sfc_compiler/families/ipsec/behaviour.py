"""The IPsec elements in software, after Click 2.1's elements/ipsec/ sources."""

from __future__ import annotations

import hmac
import struct
from collections.abc import Callable, Mapping
from hashlib import sha1
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from p4sfc_compiler.families.behaviour import (
    FIX_IP_SRC,
    IPSEC_SA,
    IPSEC_SPI,
    Behaviour,
    BuildContext,
    Packet,
)
from p4sfc_compiler.families.checksum import get32, in_cksum, put16
from p4sfc_compiler.families.clickrandom import engine_random
from p4sfc_compiler.families.ipsec.config import (
    IPsecConfig,
    IPsecEncapConfig,
    IPsecFlagConfig,
    IPsecLookupConfig,
    IPsecRoute,
    SecurityAssociation,
)

ESP_HEADER = 16  # SPI, sequence number, 8-byte IV (Click's esp_new)
BLOCK = 8  # ESP padding block
DIGEST = 12  # HMAC-SHA1-96
PROTO_ESP = 50
ALL_ONES = 0xFFFFFFFF


class SAState:
    """A security association's mutable part (Click's SADataTuple), one per route and
    shared by every element a packet's annotation leads to."""

    __slots__ = ("sa", "cur_rpl", "lastseq", "bitmap")

    def __init__(self, sa: SecurityAssociation) -> None:
        self.sa = sa
        self.cur_rpl = sa.replay
        self.lastseq = sa.replay
        self.bitmap = 0

    def check_replay(self, seq: int) -> bool:
        sa = self.sa
        if seq == 0:
            return False
        if seq == sa.replay and self.lastseq != sa.replay:
            self.bitmap, self.lastseq = 0, seq
            return True
        if seq > self.lastseq:
            diff = seq - self.lastseq
            self.bitmap = ((self.bitmap << diff) | 1) & ALL_ONES if diff < sa.window else 1
            self.lastseq = seq
            return True
        diff = self.lastseq - seq
        if diff >= sa.window or self.bitmap & (1 << diff):
            return False
        self.bitmap |= 1 << diff
        return True


def _sa_states(ctx: BuildContext) -> dict[int, SAState]:
    """SPI -> state, for the whole engine (Click's SA table is per lookup element; one
    lookup per configuration is the common case and what the golden run has)."""
    states = ctx.shared.setdefault("ipsec_sa", {})
    assert isinstance(states, dict)
    return states


class IPsecLookup(Behaviour):
    __slots__ = ("levels", "by_spi")

    def __init__(self, ctx: BuildContext, config: IPsecLookupConfig) -> None:
        super().__init__(ctx)
        states = _sa_states(ctx)
        by_len: dict[int, dict[int, tuple[IPsecRoute, SAState | None]]] = {}
        for route in config.routes:
            state = None
            if route.sa is not None:
                state = states.setdefault(route.sa.spi, SAState(route.sa))
            by_len.setdefault(route.prefix_len, {}).setdefault(route.addr, (route, state))
        self.levels = [((ALL_ONES << (32 - plen)) & ALL_ONES, table)
                       for plen, table in sorted(by_len.items(), reverse=True)]
        self.by_spi = states

    def push(self, port: int, p: Packet) -> None:
        dst = p.dst_anno
        for mask, table in self.levels:
            hit = table.get(dst & mask)
            if hit is not None:
                return self._route(p, *hit)

    def _route(self, p: Packet, route: IPsecRoute, state: SAState | None) -> None:
        out = route.port
        if out == 1:
            p.set_anno(IPSEC_SPI, route.sa.spi if route.sa is not None else 0)
            p.set_anno(IPSEC_SA, state)
        elif out == 0:
            # for this host: ESP goes to its SA, anything else to the host's stack (2)
            if p.buf[p.data + 9] != PROTO_ESP:
                out = 2
            spi = get32(p.buf, p.data + 20) if len(p.buf) >= p.data + 24 else 0
            found = self.by_spi.get(spi)
            if found is None:
                return
            p.set_anno(IPSEC_SA, found)
        if route.gw:
            p.dst_anno = route.gw
        self.emit(out, p)


class ESPEncap(Behaviour):
    __slots__ = ("random",)

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.random = engine_random(ctx)

    def push(self, port: int, p: Packet) -> None:
        state = p.anno(IPSEC_SA)
        ip_p = p.buf[p.ip + 9] if p.ip >= 0 else 0
        plen = p.length()
        padding = ((BLOCK - ((plen + 2) % BLOCK)) % BLOCK) + 2
        p.push(ESP_HEADER)
        spi = p.anno(IPSEC_SPI)
        rpl = state.cur_rpl if isinstance(state, SAState) else 0
        if isinstance(state, SAState):
            state.cur_rpl = (state.cur_rpl + 1) & ALL_ONES
            if rpl == 0:
                state.cur_rpl = state.sa.replay
        iv = b"".join(struct.pack("<I", self.random.next() >> 2) for _ in range(2))
        p.buf[p.data:p.data + ESP_HEADER] = struct.pack(">II", spi if isinstance(spi, int)
                                                        else 0, rpl) + iv
        p.buf += bytes(range(1, padding - 1)) + bytes([padding - 2, ip_p])
        self.out[0](p)


class ESPUnencap(Behaviour):
    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        state = p.anno(IPSEC_SA)
        if not isinstance(state, SAState) or p.length() < ESP_HEADER + 3:
            return
        if not state.check_replay(get32(p.buf, p.data + 4)):
            return
        p.pull(ESP_HEADER)
        end = len(p.buf)
        if p.buf[end - 2] != p.buf[end - 3] and p.buf[end - 2] != 0:
            return
        n = p.buf[end - 2]
        start = end - (n + 2)
        if start < p.data or any(p.buf[start + i] != i + 1 for i in range(n)):
            return
        p.take(n + 2)
        self.out[0](p)


class AuthHMACSHA1(Behaviour):
    __slots__ = ("verify", "drops")

    def __init__(self, ctx: BuildContext, verify: bool) -> None:
        super().__init__(ctx)
        self.verify = verify
        self.drops = 0

    def push(self, port: int, p: Packet) -> None:
        state = p.anno(IPSEC_SA)
        if not isinstance(state, SAState):
            return
        key = state.sa.authentication_key
        if not self.verify:
            p.buf += hmac.new(key, bytes(p.buf[p.data:]), sha1).digest()[:DIGEST]
            return self.out[0](p)
        end = len(p.buf)
        digest = hmac.new(key, bytes(p.buf[p.data:end - DIGEST]), sha1).digest()[:DIGEST]
        if digest != bytes(p.buf[end - DIGEST:]):
            self.drops += 1
            return self.emit(1, p)
        p.take(DIGEST)
        self.out[0](p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"drops": lambda: str(self.drops)}


class AES(Behaviour):
    """Click's IPsecAES: AES-128 blocks of 16 bytes after the ESP header, each one's
    first 8 bytes chained with the first 8 of the previous ciphertext block (the ESP
    IV for the first); the last 12 bytes (the digest) stay clear unless the payload
    needs 8 of them to fill a block."""

    __slots__ = ("encrypt",)

    def __init__(self, ctx: BuildContext, encrypt: bool) -> None:
        super().__init__(ctx)
        self.encrypt = encrypt

    def push(self, port: int, p: Packet) -> None:
        state = p.anno(IPSEC_SA)
        if not isinstance(state, SAState):
            return
        cipher: Any = Cipher(algorithms.AES(state.sa.encryption_key), modes.ECB())
        buf = p.buf
        iv_at = p.data + 8
        at = p.data + ESP_HEADER
        plen = len(buf) - at - DIGEST
        if plen % 16:
            plen += 8
        prev = bytes(buf[iv_at:iv_at + 8])
        if self.encrypt:
            enc = cipher.encryptor()
            while plen > 0:
                block = bytes(a ^ b for a, b in zip(buf[at:at + 8], prev, strict=True)) + \
                    bytes(buf[at + 8:at + 16])
                buf[at:at + 16] = enc.update(block)
                prev = bytes(buf[at:at + 8])
                at += 16
                plen -= 16
        else:
            dec = cipher.decryptor()
            while plen > 0:
                hold = bytes(buf[at:at + 8])
                clear = dec.update(bytes(buf[at:at + 16]))
                buf[at:at + 16] = bytes(a ^ b for a, b in zip(clear[:8], prev, strict=True)) \
                    + clear[8:]
                prev = hold
                at += 16
                plen -= 16
        self.out[0](p)


class IPsecEncap(Behaviour):
    __slots__ = ("proto", "next_id")

    def __init__(self, ctx: BuildContext, proto: int) -> None:
        super().__init__(ctx)
        self.proto = proto
        self.next_id = 0

    def push(self, port: int, p: Packet) -> None:
        p.push(20)
        header = bytearray(struct.pack(">BBHHHBBHII", 0x45, 0, p.length() & 0xFFFF,
                                       self.next_id, 0, 250, self.proto, 0, 0, p.dst_anno))
        self.next_id = (self.next_id + 1) & 0xFFFF
        put16(header, 10, in_cksum(header))
        p.buf[p.data:p.data + 20] = header
        p.set_anno(FIX_IP_SRC, 1)
        p.ip = p.data
        self.out[0](p)


def build(cls: str, config: IPsecConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, IPsecLookupConfig):
        return IPsecLookup(ctx, config)
    if isinstance(config, IPsecEncapConfig):
        return IPsecEncap(ctx, config.proto)
    assert isinstance(config, IPsecFlagConfig)
    if cls == "IPsecESPEncap":
        return ESPEncap(ctx)
    if cls == "IPsecESPUnencap":
        return ESPUnencap(ctx)
    if cls == "IPsecAuthHMACSHA1":
        return AuthHMACSHA1(ctx, bool(config.value))
    return AES(ctx, config.value != 0)
