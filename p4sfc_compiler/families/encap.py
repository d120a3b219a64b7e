"""Header builders: EtherEncap and IPEncap.

Offsets are counted in the switch's frame, which always starts with an Ethernet header:
Click's ``Strip(14) -> ... -> EtherEncap`` rewrites that header in place, so EtherEncap
needs the data pointer right after it (offset 14) and leaves it at the frame start.
IPEncap inserts ``hdr.ipv4_outer`` after the Ethernet header, so it needs the data
pointer at 14 (the packet it wraps starts there) and leaves it there: the new outer
header now starts at 14.
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
    parse_ether,
    parse_ip,
    parse_ip_proto,
    parse_uint,
)

CLASSES = ("EtherEncap", "IPEncap")

ETHER_HEADER = 14
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


def lower(cls: str, config: EncapConfig, ctx: LowerContext) -> Lowering:
    if ctx.data_offset != ETHER_HEADER:
        raise NotOffloadable(
            f"{cls} at data offset {ctx.data_offset}: the switch writes headers only right "
            f"after the frame's Ethernet header (offset {ETHER_HEADER})"
        )
    if isinstance(config, EtherEncapConfig):
        return Lowering(
            "ether_encap",
            params={"ether_type": config.ether_type, "src": config.src, "dst": config.dst},
        )
    return Lowering(
        "ip_encap",
        params={
            "proto": config.proto,
            "src": config.src,
            "dst": config.dst,
            "ttl": config.ttl,
            "tos": config.tos,
            "df": int(config.df),
            "dst_anno": int(config.dst_anno),
            "index": 0,  # the backend allocates the ipencap_id register slot
        },
        state={"ipencap_id": 1},
    )


def data_offset(cls: str, config: EncapConfig, offset: int) -> int:
    if cls == "EtherEncap":
        return max(offset - ETHER_HEADER, 0)
    return offset


ENCAP: ElementFamily[EncapConfig] = ElementFamily(
    "encap", CLASSES, parse, lower, data_offset=data_offset
)
