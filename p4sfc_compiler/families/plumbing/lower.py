"""Plumbing on the switch, and where Strip and Unstrip move the data pointer."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.plumbing.config import (
    PAINT_ANNO,
    AlertConfig,
    DiscardConfig,
    ForwardConfig,
    IdleConfig,
    NullConfig,
    PaintConfig,
    PlumbingConfig,
    QueueConfig,
    StoreDataConfig,
    StripConfig,
    TeeConfig,
)


def lower(cls: str, config: PlumbingConfig, ctx: LowerContext) -> Lowering:
    if isinstance(config, StripConfig):
        if cls == "Unstrip" and config.length > ctx.data_offset:
            raise NotOffloadable(
                f"Unstrip({config.length}) at data offset {ctx.data_offset} moves the data "
                "pointer before the frame start"
            )
        return Lowering("nop")
    if isinstance(config, QueueConfig | NullConfig):
        return Lowering("nop")
    if isinstance(config, IdleConfig):
        return Lowering("discard")  # the catalog's kind: what reaches it is dropped
    if isinstance(config, PaintConfig):
        if config.anno != PAINT_ANNO:
            raise NotOffloadable(
                f"Paint ANNO {config.anno}: the switch carries only the PAINT annotation"
            )
        return Lowering("paint", params={"color": config.color})
    if isinstance(config, DiscardConfig):
        return Lowering("discard")
    if isinstance(config, TeeConfig):
        if ctx.n_outputs <= 1 and (config.n is None or config.n <= 1):
            return Lowering("nop")  # a one-output Tee copies nothing
        raise NotOffloadable("cloning to several outputs inside a stage pipeline is not supported")
    if isinstance(config, AlertConfig):
        return Lowering("alert", params={"session": config.session})
    if isinstance(config, ForwardConfig):
        return Lowering("forward", params={"port": config.port})
    if isinstance(config, StoreDataConfig):
        raise NotOffloadable("StoreData writes packet bytes at an arbitrary offset; no "
                             "switch kind does")
    raise TypeError(f"not a plumbing config: {config!r}")


def data_offset(cls: str, config: PlumbingConfig, offset: int) -> int:
    if cls == "Strip" and isinstance(config, StripConfig):
        return offset + config.length
    if cls == "Unstrip" and isinstance(config, StripConfig):
        return offset - config.length
    return offset
