"""Counter and AverageCounter in software.

Both count packets and the bytes from the data pointer to the end (so a counter after
Strip(14) counts IP bytes). AverageCounter's rates are over the wall-clock time between
its first and last packet, as Click's; they are not reproducible from a trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.counters.config import AverageCounterConfig, CountersConfig


class Counter(Behaviour):
    __slots__ = ("count", "byte_count", "total")

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.count = 0
        self.byte_count = 0
        # The element's count over both halves of a split NF (the state library's
        # P4SFCCounter: this server part plus the switch's), which the handlers report.
        self.total: Callable[[], tuple[int, int]] | None = None

    def counts(self) -> tuple[int, int]:
        """(packets, bytes) as the handlers report them."""
        return self.total() if self.total is not None else (self.count, self.byte_count)

    def push(self, port: int, p: Packet) -> None:
        self.count += 1
        self.byte_count += len(p.buf) - p.data
        self.out[0](p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"count": lambda: str(self.counts()[0]),
                "byte_count": lambda: str(self.counts()[1])}


class AverageCounter(Counter):
    __slots__ = ("ignore", "first", "last")

    def __init__(self, ctx: BuildContext, ignore: float) -> None:
        super().__init__(ctx)
        self.ignore = ignore
        self.first = 0.0
        self.last = 0.0

    def push(self, port: int, p: Packet) -> None:
        now = time.monotonic()
        if not self.first:
            self.first = now
        self.last = now
        if now - self.first >= self.ignore:
            self.count += 1
            self.byte_count += len(p.buf) - p.data
        self.out[0](p)

    def _rate(self, n: int) -> str:
        span = self.last - self.first - self.ignore
        return str(int(n / span)) if span > 0 else "0"

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {**super().handlers(), "rate": lambda: self._rate(self.count),
                "byte_rate": lambda: self._rate(self.byte_count)}


def build(cls: str, config: CountersConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, AverageCounterConfig):
        return AverageCounter(ctx, config.ignore)
    if config.count_call is not None or config.byte_count_call is not None:
        raise ctx.unsupported("COUNT_CALL / BYTE_COUNT_CALL (write handler calls)")
    return Counter(ctx)
