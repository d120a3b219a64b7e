"""Plumbing in software: Strip, Unstrip, Paint, Tee, Queue, Discard, StoreData, Idle and
Null as Click runs them.

Alert and Forward are P4SFC's switch actions, not Click classes: the engine does not run
them (a server runs Alert as the pass-through Counter its server form names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from p4sfc_compiler.families.behaviour import (
    Behaviour,
    BuildContext,
    Packet,
    anno_byte_offset,
    set_anno_byte,
)
from p4sfc_compiler.families.plumbing.config import (
    DiscardConfig,
    IdleConfig,
    NullConfig,
    PaintConfig,
    PlumbingConfig,
    QueueConfig,
    StoreDataConfig,
    StripConfig,
    TeeConfig,
)


class Strip(Behaviour):
    __slots__ = ("n",)

    def __init__(self, ctx: BuildContext, n: int) -> None:
        super().__init__(ctx)
        self.n = n

    def push(self, port: int, p: Packet) -> None:
        # Click's pull: more than the packet holds leaves an empty packet.
        p.data = min(p.data + self.n, len(p.buf))
        self.out[0](p)


class Unstrip(Strip):
    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        p.push(self.n)
        self.out[0](p)


class PassThrough(Behaviour):
    """Null, and a push-to-push Queue: in a run to completion nothing waits in it."""

    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        self.out[0](p)


class Idle(Behaviour):
    """Never emits; what is pushed into it is gone."""

    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        return None


class Paint(Behaviour):
    """Paint into an annotation byte (ANNO; PAINT by default)."""

    __slots__ = ("color", "offset")

    def __init__(self, ctx: BuildContext, color: int, offset: int) -> None:
        super().__init__(ctx)
        self.color = color
        self.offset = offset

    def push(self, port: int, p: Packet) -> None:
        set_anno_byte(p, self.offset, self.color)
        self.out[0](p)


class Tee(Behaviour):
    """Copies to outputs 0 .. n-2, the packet itself to the last: in port order."""

    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        outs = self.out
        last = len(outs) - 1
        for i in range(last):
            outs[i](p.clone())
        if last >= 0:
            outs[last](p)


class Discard(Behaviour):
    __slots__ = ("count",)

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.count = 0

    def push(self, port: int, p: Packet) -> None:
        self.count += 1

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"count": lambda: str(self.count)}


class StoreData(Behaviour):
    __slots__ = ("offset", "data")

    def __init__(self, ctx: BuildContext, config: StoreDataConfig) -> None:
        super().__init__(ctx)
        self.offset = config.offset
        self.data = config.data

    def push(self, port: int, p: Packet) -> None:
        room = len(p.buf) - p.data - self.offset
        if room > 0:
            at = p.data + self.offset
            n = min(room, len(self.data))
            p.buf[at:at + n] = self.data[:n]
        self.out[0](p)


def build(cls: str, config: PlumbingConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, StripConfig):
        return Strip(ctx, config.length) if cls == "Strip" else Unstrip(ctx, config.length)
    if isinstance(config, QueueConfig | NullConfig):
        return PassThrough(ctx)
    if isinstance(config, IdleConfig):
        return Idle(ctx)
    if isinstance(config, PaintConfig):
        offset = anno_byte_offset(config.anno)
        if offset is None:
            raise ctx.unsupported(f"Paint into annotation {config.anno}")
        return Paint(ctx, config.color, offset)
    if isinstance(config, TeeConfig):
        if cls == "PullTee":
            raise ctx.unsupported("PullTee (a pull element)")
        return Tee(ctx)
    if isinstance(config, DiscardConfig):
        return Discard(ctx)
    if isinstance(config, StoreDataConfig):
        return StoreData(ctx, config)
    raise ctx.unsupported(f"{cls} (a P4SFC switch action)")
