"""IPFilter / IPClassifier in the engine: the first matching rule's output, by
:mod:`evaluate`, with the MAC header annotation as the frame start and the IP header
annotation (the data pointer when none is set) as the network header."""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.evaluate import evaluate


class IPFilter(Behaviour):
    __slots__ = ("config", "cls")

    def __init__(self, ctx: BuildContext, cls: str, config: FilterConfig) -> None:
        super().__init__(ctx)
        self.cls = cls
        self.config = config

    def push(self, port: int, p: Packet) -> None:
        mac = p.mac if p.mac >= 0 else p.data
        ip = p.ip if p.ip >= 0 else p.data
        frame = p.buf if mac == 0 else p.buf[mac:]
        out = evaluate(self.cls, self.config, frame, p.data - mac, ip - mac)
        if out is not None:
            self.emit(out, p)


def build(cls: str, config: FilterConfig, ctx: BuildContext) -> Behaviour:
    return IPFilter(ctx, cls, config)
