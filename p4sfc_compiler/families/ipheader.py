"""IPv4 header elements: CheckIPHeader, MarkIPHeader, DecIPTTL, SetIPDSCP, SetIPChecksum.

The switch parses the IPv4 header right after the Ethernet header (frame offset 14), so
an element whose IP header sits elsewhere (data offset + OFFSET != 14) looks at bytes
the switch does not parse and cannot run there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    Lowering,
    NotOffloadable,
)
from p4sfc_compiler.families.family import ElementFamily
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

CLASSES = ("CheckIPHeader", "MarkIPHeader", "DecIPTTL", "SetIPDSCP", "SetIPChecksum")

IP_HEADER_AT = 14  # frame offset of the IPv4 header the switch parses


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


IPHeaderConfig = (
    CheckIPHeaderConfig | MarkIPHeaderConfig | DecIPTTLConfig | SetIPDSCPConfig
    | SetIPChecksumConfig
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
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None
    raise ElementConfigError(f"{cls} is not an IP header class", pos)


def _check_offset(cls: str, offset: int, ctx: LowerContext) -> None:
    at = ctx.data_offset + offset
    if at != IP_HEADER_AT:
        raise NotOffloadable(
            f"{cls} reads an IP header at frame offset {at} (data offset "
            f"{ctx.data_offset} + OFFSET {offset}); the switch parses IPv4 at offset "
            f"{IP_HEADER_AT}"
        )


def lower(cls: str, config: IPHeaderConfig, ctx: LowerContext) -> Lowering:
    if isinstance(config, CheckIPHeaderConfig):
        if config.checks_source:
            given = [k for k, v in (("INTERFACES", config.interfaces),
                                    ("BADSRC", config.badsrc),
                                    ("GOODDST", config.gooddst)) if v is not None]
            raise NotOffloadable(
                f"CheckIPHeader source-address checks ({', '.join(given)}) are not "
                "implemented by the switch's check_ip_header block"
            )
        if not config.checksum:
            raise NotOffloadable(
                "CheckIPHeader CHECKSUM false: the switch's check_ip_header block always "
                "verifies the header checksum"
            )
        _check_offset(cls, config.offset, ctx)
        # Output 0 = valid header, output 1 = invalid (dropped when unconnected).
        return Lowering("check_ip_header")
    if isinstance(config, MarkIPHeaderConfig):
        _check_offset(cls, config.offset, ctx)
        return Lowering("nop")
    if isinstance(config, DecIPTTLConfig):
        if not config.active:
            raise NotOffloadable("DecIPTTL ACTIVE false is not supported by the switch block")
        if not config.multicast:
            raise NotOffloadable(
                "DecIPTTL MULTICAST false (skip multicast packets) is not supported by the "
                "switch block"
            )
        # Output 0 = TTL decremented, output 1 = TTL expired (ttl <= 1).
        return Lowering("dec_ip_ttl")
    if isinstance(config, SetIPDSCPConfig):
        return Lowering("set_ip_dscp", params={"dscp": config.dscp})
    if isinstance(config, SetIPChecksumConfig):
        raise NotOffloadable(
            "SetIPChecksum: the switch recomputes the IPv4 checksum only when an element "
            "changed the header, and no switch kind marks an unchanged header for it"
        )
    raise TypeError(f"not an ipheader config: {config!r}")


IPHEADER: ElementFamily[IPHeaderConfig] = ElementFamily("ipheader", CLASSES, parse, lower)
