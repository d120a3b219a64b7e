"""IPv4 header element configurations, as Click reads them (old BADSRC2 syntax too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    parse_bool,
    parse_int,
    parse_ip,
    parse_prefix,
    parse_uint,
    split_words,
)

CLASSES = ("CheckIPHeader", "MarkIPHeader", "DecIPTTL", "SetIPDSCP", "SetIPChecksum",
           "GetIPAddress", "StoreIPAddress", "FixIPSrc", "StripIPHeader")

# StoreIPAddress's OFFSET words ``src`` / ``dst``: Click stores them as negative
# offsets, bytes back from the IP header's address fields.
STORE_SRC = -12
STORE_DST = -16


@dataclass(frozen=True)
class CheckIPHeaderConfig:
    offset: int = 0
    checksum: bool = True
    badsrc: tuple[int, ...] | None = None
    gooddst: tuple[int, ...] | None = None
    interfaces: tuple[tuple[int, int], ...] | None = None  # (address, prefix length)
    old_badsrc: bool = False  # old BADSRC2 syntax: 0.0.0.0 and 255.255.255.255 also bad
    verbose: bool = False
    details: bool = False

    @property
    def checks_source(self) -> bool:
        return self.badsrc is not None or self.gooddst is not None or self.interfaces is not None


@dataclass(frozen=True)
class MarkIPHeaderConfig:
    offset: int = 0


@dataclass(frozen=True)
class DecIPTTLConfig:
    active: bool = True
    multicast: bool = True


@dataclass(frozen=True)
class SetIPDSCPConfig:
    dscp: int


@dataclass(frozen=True)
class SetIPChecksumConfig:
    pass


@dataclass(frozen=True)
class GetIPAddressConfig:
    """``GetIPAddress(OFFSET)`` or ``GetIPAddress(IP src|dst)``: 4 bytes into the
    destination IP annotation."""

    offset: int | None  # from the data pointer; None = the IP header's field
    ip_field: str | None = None  # "src" / "dst"


@dataclass(frozen=True)
class StoreIPAddressConfig:
    """``StoreIPAddress([ADDR,] OFFSET)``: the destination annotation (or ADDR) into the
    packet; OFFSET ``src`` / ``dst`` is the IP header's field (:data:`STORE_SRC`)."""

    offset: int
    address: int | None = None


@dataclass(frozen=True)
class FixIPSrcConfig:
    """``FixIPSrc(IPADDR)``: the source of packets flagged by ICMPError / IPsecEncap."""

    address: int


@dataclass(frozen=True)
class StripIPHeaderConfig:
    pass


IPHeaderConfig = (
    CheckIPHeaderConfig | MarkIPHeaderConfig | DecIPTTLConfig | SetIPDSCPConfig
    | SetIPChecksumConfig | GetIPAddressConfig | StoreIPAddressConfig | FixIPSrcConfig
    | StripIPHeaderConfig
)


def _ip_list(s: str, env: ConfigEnv | None) -> tuple[int, ...]:
    return tuple(parse_ip(w, env) for w in split_words(s))


def _interfaces(s: str, env: ConfigEnv | None) -> tuple[tuple[int, int], ...]:
    out = []
    for w in split_words(s):
        # The interface address keeps its host bits: it is the router's own address.
        addr = parse_ip(w.partition("/")[0], env) if "/" in w else parse_ip(w, env)
        _, plen = parse_prefix(w, env)
        out.append((addr, plen))
    return tuple(out)


def _offset(s: str) -> int:
    return parse_uint(s, 31, "OFFSET")


def _is_uint(s: str) -> bool:
    try:
        return parse_int(s) >= 0
    except ElementConfigError:
        return False


def _parse_check(r: ArgReader, env: ConfigEnv | None) -> CheckIPHeaderConfig:
    kw_parsers = {
        "OFFSET": _offset,
        "CHECKSUM": parse_bool,
        "BADSRC": lambda s: _ip_list(s, env),
        "GOODDST": lambda s: _ip_list(s, env),
        "INTERFACES": lambda s: _interfaces(s, env),
        "VERBOSE": parse_bool,
        "DETAILS": parse_bool,
    }
    values = {kw: r.read(kw, p) for kw, p in kw_parsers.items()}
    positional = r.rest()
    old_badsrc = False
    pos_offset: str | None
    # Current syntax: CheckIPHeader([OFFSET, keywords]); old: CheckIPHeader([BADSRC2,
    # OFFSET, keywords]), recognised by a first argument that is not an offset.
    if len(positional) == 1 and _is_uint(positional[0]):
        pos_offset = positional[0]
    elif 1 <= len(positional) <= 2:
        old_badsrc = True
        if values["BADSRC"] is not None:
            raise r.error("BADSRC given twice (old BADSRC2 argument and keyword)")
        try:
            values["BADSRC"] = _ip_list(positional[0], env)
        except ElementConfigError as e:
            raise r.error(f"BADSRC2: {e.message}") from None
        pos_offset = positional[1] if len(positional) == 2 else None
    elif positional:
        raise r.error("too many arguments")
    else:
        pos_offset = None
    if pos_offset is not None:
        if values["OFFSET"] is not None:
            raise r.error("OFFSET given twice")
        try:
            values["OFFSET"] = _offset(pos_offset)
        except ElementConfigError as e:
            raise r.error(f"OFFSET: {e.message}") from None
    return CheckIPHeaderConfig(
        offset=values["OFFSET"] or 0,
        checksum=True if values["CHECKSUM"] is None else values["CHECKSUM"],
        badsrc=values["BADSRC"],
        gooddst=values["GOODDST"],
        interfaces=values["INTERFACES"],
        old_badsrc=old_badsrc,
        verbose=bool(values["VERBOSE"]),
        details=bool(values["DETAILS"]),
    )


def _parse_get(r: ArgReader) -> GetIPAddressConfig:
    offset = r.read("OFFSET", _offset, positional=True)
    anno = r.read("ANNO", positional=True)
    ip_word = r.read("IP")
    r.complete()
    if anno is not None and anno.strip() != "DST_IP_ANNO":
        raise r.error(f"ANNO {anno}: only DST_IP_ANNO is supported")
    if (offset is None) == (ip_word is None):
        raise r.error("set one of OFFSET, IP")
    if ip_word is not None and ip_word not in ("src", "dst"):
        raise r.error("bad IP")
    return GetIPAddressConfig(offset, ip_word)


def _parse_store(r: ArgReader, env: ConfigEnv | None) -> StoreIPAddressConfig:
    words = r.rest()
    if len(words) not in (1, 2):
        raise r.error("expected '[ADDR,] OFFSET'")
    address = parse_ip(words[0], env) if len(words) == 2 else None
    word = words[-1]
    if word.lower() in ("src", "dst"):
        return StoreIPAddressConfig(STORE_SRC if word.lower() == "src" else STORE_DST,
                                    address)
    try:
        return StoreIPAddressConfig(_offset(word), address)
    except ElementConfigError:
        raise r.error("type mismatch: OFFSET requires integer") from None


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> IPHeaderConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        if cls == "CheckIPHeader":
            return _parse_check(r, env)
        if cls == "MarkIPHeader":
            offset = r.read("OFFSET", _offset, positional=True, default=0)
            r.complete()
            return MarkIPHeaderConfig(offset)
        if cls == "DecIPTTL":
            active = r.read("ACTIVE", parse_bool, default=True)
            multicast = r.read("MULTICAST", parse_bool, default=True)
            r.complete()
            return DecIPTTLConfig(active, multicast)
        if cls == "SetIPDSCP":
            dscp = r.read("DSCP", lambda s: parse_uint(s, 6, "DSCP"),
                          positional=True, mandatory=True)
            r.complete()
            return SetIPDSCPConfig(dscp)
        if cls == "SetIPChecksum":
            r.complete()
            return SetIPChecksumConfig()
        if cls == "GetIPAddress":
            return _parse_get(r)
        if cls == "FixIPSrc":
            address = r.read("IPADDR", lambda s: parse_ip(s, env), positional=True,
                             mandatory=True)
            r.complete()
            return FixIPSrcConfig(address)
        if cls == "StripIPHeader":
            r.complete()
            return StripIPHeaderConfig()
        if cls == "StoreIPAddress":
            return _parse_store(r, env)
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None
    raise ElementConfigError(f"{cls} is not an IP header class", pos)
