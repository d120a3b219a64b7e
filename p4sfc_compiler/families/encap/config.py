"""EtherEncap and IPEncap configurations, as Click reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    parse_bool,
    parse_ether,
    parse_ip,
    parse_ip_proto,
    parse_uint,
)

CLASSES = ("EtherEncap", "IPEncap")


DEFAULT_TTL = 250


@dataclass(frozen=True)
class EtherEncapConfig:
    ether_type: int
    src: int
    dst: int


@dataclass(frozen=True)
class IPEncapConfig:
    proto: int
    src: int
    dst: int  # 0 when dst_anno
    dst_anno: bool  # DST was "DST_ANNO": use the destination annotation
    ttl: int = DEFAULT_TTL
    tos: int = 0
    df: bool = False


EncapConfig = EtherEncapConfig | IPEncapConfig


def _ecn(value: str) -> int:
    """ECT: a boolean (ECN codepoint 1) or ``2``."""
    if value.strip() == "2":
        return 2
    return 1 if parse_bool(value) else 0


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> EncapConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        if cls == "EtherEncap":
            ether_type = r.read("ETHERTYPE", lambda s: parse_uint(s, 16, "ETHERTYPE"),
                                positional=True, mandatory=True)
            src = r.read("SRC", lambda s: parse_ether(s, env), positional=True, mandatory=True)
            dst = r.read("DST", lambda s: parse_ether(s, env), positional=True, mandatory=True)
            r.complete()
            return EtherEncapConfig(ether_type, src, dst)
        if cls == "IPEncap":
            return _parse_ipencap(r, env)
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None
    raise ElementConfigError(f"{cls} is not an encapsulation class", pos)


def _parse_ipencap(r: ArgReader, env: ConfigEnv | None) -> IPEncapConfig:
    proto = r.read("PROTO", parse_ip_proto, positional=True, mandatory=True)
    src = r.read("SRC", lambda s: parse_ip(s, env), positional=True, mandatory=True)
    dst_word = r.read("DST", positional=True, mandatory=True)
    tos = r.read("TOS", lambda s: parse_uint(s, 8, "TOS"))
    ttl = r.read("TTL", lambda s: parse_uint(s, 8, "TTL"), default=DEFAULT_TTL)
    dscp = r.read("DSCP", lambda s: parse_uint(s, 6, "DSCP"))
    ect = r.read("ECT", _ecn)
    ce = r.read("CE", parse_bool)
    df = r.read("DF", parse_bool, default=False)
    r.complete()
    if tos is not None and (dscp is not None or ect is not None or ce is not None):
        raise r.error("TOS cannot be combined with DSCP, ECT or CE")
    if ect and ce:
        raise r.error("ECT and CE are mutually exclusive")
    if tos is None:
        tos = (dscp or 0) << 2 | (3 if ce else (ect or 0))
    if dst_word == "DST_ANNO":
        return IPEncapConfig(proto, src, 0, True, ttl, tos, df)
    try:
        dst = parse_ip(dst_word, env)
    except ElementConfigError as e:
        raise r.error(f"DST: {e.message}") from None
    return IPEncapConfig(proto, src, dst, False, ttl, tos, df)
