"""IPv4 header elements on the switch, where the IPv4 header is at frame offset 14."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.ipheader.config import (
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

IP_HEADER_AT = 14  # frame offset of the IPv4 header the switch parses


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
    if isinstance(config, FixIPSrcConfig | StripIPHeaderConfig):
        raise NotOffloadable(f"{cls}: no switch kind implements it")
    if isinstance(config, GetIPAddressConfig | StoreIPAddressConfig):
        raise NotOffloadable(f"{cls}: no switch kind reads or writes packet bytes at an "
                             "arbitrary offset")
    raise TypeError(f"not an ipheader config: {config!r}")
