"""Output choosers in software, after Click's elements/standard/ sources."""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import (
    Behaviour,
    BuildContext,
    Packet,
    anno_byte_offset,
    get_anno_byte,
)
from p4sfc_compiler.families.switches.config import (
    HashSwitchConfig,
    PaintSwitchConfig,
    SwitchConfig,
)

COPY_ALL = 0xFF  # the paint that sends a copy to every output


class PaintSwitch(Behaviour):
    """To the output an annotation byte names (ANNO; PAINT by default)."""

    __slots__ = ("offset",)

    def __init__(self, ctx: BuildContext, offset: int) -> None:
        super().__init__(ctx)
        self.offset = offset

    def push(self, port: int, p: Packet) -> None:
        color = get_anno_byte(p, self.offset)
        if color != COPY_ALL:
            return self.emit(color, p)
        outs = self.out
        for i in range(len(outs) - 1):
            outs[i](p.clone())
        if outs:
            outs[-1](p)


class HashSwitch(Behaviour):
    __slots__ = ("offset", "length", "n")

    def __init__(self, ctx: BuildContext, config: HashSwitchConfig) -> None:
        super().__init__(ctx)
        self.offset = config.offset
        self.length = config.length
        self.n = ctx.n_outputs

    def push(self, port: int, p: Packet) -> None:
        start = p.data + self.offset
        if len(p.buf) - p.data < self.offset + self.length:
            return self.out[0](p)
        d = sum(p.buf[start:start + self.length])
        n = self.n
        self.out[(d ^ (d >> 4)) & (n - 1) if n in (2, 4, 8) else d % n](p)


class RoundRobinSwitch(Behaviour):
    __slots__ = ("next",)

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.next = 0

    def push(self, port: int, p: Packet) -> None:
        i = self.next
        self.next = i + 1 if i + 1 < len(self.out) else 0
        self.out[i](p)


def build(cls: str, config: SwitchConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, PaintSwitchConfig):
        offset = anno_byte_offset(config.anno)
        if offset is None:
            raise ctx.unsupported(f"PaintSwitch on annotation {config.anno}")
        return PaintSwitch(ctx, offset)
    if isinstance(config, HashSwitchConfig):
        return HashSwitch(ctx, config)
    return RoundRobinSwitch(ctx)
