"""FromDump and ToDump (and FromDevice / ToDevice, by device name) in the engine: a :class:`Source` the engine feeds with the
file's frames (each with the MAC header annotation at its start, as FromDump sets it),
and a :class:`Sink` that keeps what reaches it for the engine to write or return."""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Sink, Source
from p4sfc_compiler.families.io.config import (
    DEFAULT_SNAPLEN,
    DeviceConfig,
    FromDumpConfig,
    IOConfig,
)


def build(cls: str, config: IOConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, DeviceConfig):
        # A device is where the engine's caller hands frames in or takes them out.
        if cls == "FromDevice":
            return Source(ctx, config.device)
        return Sink(ctx, config.device, DEFAULT_SNAPLEN)
    if isinstance(config, FromDumpConfig):
        if config.timing:
            raise ctx.unsupported("FromDump TIMING true (replay at the trace's pace)")
        return Source(ctx, config.filename)
    return Sink(ctx, config.filename, config.snaplen)
