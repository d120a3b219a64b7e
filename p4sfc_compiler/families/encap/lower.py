"""EtherEncap and IPEncap on the switch, and where they leave the data pointer."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.encap.config import EncapConfig, EtherEncapConfig

ETHER_HEADER = 14


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
