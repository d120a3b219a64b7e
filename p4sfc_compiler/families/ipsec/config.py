"""The IPsec elements' configurations, as Click reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    parse_int,
    parse_ip,
    parse_ip_proto,
    parse_prefix,
    split_words,
    unquote,
)

CLASSES = ("RadixIPsecLookup", "IPsecESPEncap", "IPsecESPUnencap", "IPsecAuthHMACSHA1",
           "IPsecAES", "IPsecEncap")
KEY_SIZE = 16


@dataclass(frozen=True)
class SecurityAssociation:
    spi: int
    encryption_key: bytes
    authentication_key: bytes
    replay: int  # the first sequence number
    window: int  # out-of-order window


@dataclass(frozen=True)
class IPsecRoute:
    addr: int
    prefix_len: int
    gw: int
    port: int
    sa: SecurityAssociation | None


@dataclass(frozen=True)
class IPsecLookupConfig:
    routes: tuple[IPsecRoute, ...]


@dataclass(frozen=True)
class IPsecFlagConfig:
    """IPsecAuthHMACSHA1(VERIFY), IPsecAES(ENCRYPT): one integer; ESP encap/unencap
    take none (0)."""

    value: int = 0


@dataclass(frozen=True)
class IPsecEncapConfig:
    proto: int


IPsecConfig = IPsecLookupConfig | IPsecFlagConfig | IPsecEncapConfig


def _key(word: str, what: str) -> bytes:
    text = unquote(word)
    if len(text) != KEY_SIZE or any(ord(c) > 0xFF for c in text):
        raise ElementConfigError(f"{what} has bad length (16 bytes, as \\<hex>)")
    return text.encode("latin-1")


def parse_ipsec_route(arg: str, env: ConfigEnv | None) -> IPsecRoute:
    """``ADDR/MASK [GW|-] OUT [SPI ENCRYPT_KEY AUTH_KEY REPLAY OOSIZE]``."""
    words = split_words(arg)
    if len(words) < 2:
        raise ElementConfigError(f"bad route {arg!r}")
    addr, plen = parse_prefix(words[0], env)
    rest = words[1:]
    gw = 0
    try:
        port = parse_int(rest[0])
        rest = rest[1:]
    except ElementConfigError:
        gw = 0 if rest[0] == "-" else parse_ip(rest[0], env)
        if len(rest) < 2:
            raise ElementConfigError(f"bad route {arg!r}: no output port") from None
        port = parse_int(rest[1])
        rest = rest[2:]
    if not rest:
        return IPsecRoute(addr, plen, gw, port, None)
    if len(rest) != 5:
        raise ElementConfigError(f"bad route {arg!r}: expected SPI ENCRYPT_KEY AUTH_KEY "
                                 "REPLAY OOSIZE")
    sa = SecurityAssociation(parse_int(rest[0]), _key(rest[1], "ENCRYPT_KEY"),
                             _key(rest[2], "AUTH_KEY"), parse_int(rest[3]),
                             parse_int(rest[4]) & 0xFF)
    return IPsecRoute(addr, plen, gw, port, sa)


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> IPsecConfig:
    try:
        if cls == "RadixIPsecLookup":
            return IPsecLookupConfig(tuple(parse_ipsec_route(a, env) for a in args))
        r = ArgReader([a.strip() for a in args], cls)
        if cls in ("IPsecESPEncap", "IPsecESPUnencap"):
            r.complete()
            return IPsecFlagConfig()
        if cls in ("IPsecAuthHMACSHA1", "IPsecAES"):
            word = "VERIFY" if cls == "IPsecAuthHMACSHA1" else "ENCRYPT"
            value = r.read(word, parse_int, positional=True, mandatory=True)
            r.complete()
            return IPsecFlagConfig(value)
        if cls == "IPsecEncap":
            proto = r.read("PROTO", parse_ip_proto, positional=True, mandatory=True)
            r.complete()
            return IPsecEncapConfig(proto)
    except ElementConfigError as e:
        raise ElementConfigError(f"{cls}: {e.message}", pos) from None
    raise ElementConfigError(f"{cls} is not an IPsec class", pos)
