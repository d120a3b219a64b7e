"""Packet counters: Counter and AverageCounter.

On the switch a counter is one slot of the ``counter_*`` registers: packets, bytes, and
for AverageCounter the timestamps of the first and last packet (its rate is
count / (last - first)). Click counts ``p->length()``, the bytes from the data pointer
on; the switch counts from frame offset 14 (the IPv4 header), so ``bytes_base`` is the
number of bytes before offset 14 that Click still counts (14 - data offset).
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
    parse_int,
    parse_time,
    split_words,
)

CLASSES = ("Counter", "AverageCounter")

ETHER_HEADER = 14


@dataclass(frozen=True)
class CountCall:
    """``N HANDLER [VALUE]``: call a write handler when a count reaches N."""

    n: int
    handler: str
    value: str | None = None


@dataclass(frozen=True)
class CounterConfig:
    count_call: CountCall | None = None
    byte_count_call: CountCall | None = None


@dataclass(frozen=True)
class AverageCounterConfig:
    ignore: float = 0.0  # seconds at the start not counted


CountersConfig = CounterConfig | AverageCounterConfig


def _count_call(s: str) -> CountCall:
    words = split_words(s)
    if len(words) < 2:
        raise ElementConfigError(f"expected 'N HANDLER [VALUE]', got {s!r}")
    n = parse_int(words[0])
    if n < 0:
        raise ElementConfigError(f"bad count {words[0]!r}")
    handler = words[1]
    # VALUE is the rest of the argument after the handler, as written.
    value = s.strip()[len(words[0]):].strip()[len(handler):].strip() or None
    return CountCall(n, handler, value)


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> CountersConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        if cls == "Counter":
            count_call = r.read("COUNT_CALL", _count_call)
            byte_count_call = r.read("BYTE_COUNT_CALL", _count_call)
            r.complete()
            return CounterConfig(count_call, byte_count_call)
        if cls == "AverageCounter":
            ignore = r.read("IGNORE", parse_time, positional=True, default=0.0)
            r.complete()
            return AverageCounterConfig(ignore)
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None
    raise ElementConfigError(f"{cls} is not a counter class", pos)


def lower(cls: str, config: CountersConfig, ctx: LowerContext) -> Lowering:
    if isinstance(config, CounterConfig):
        if config.count_call or config.byte_count_call:
            which = "COUNT_CALL" if config.count_call else "BYTE_COUNT_CALL"
            raise NotOffloadable(f"Counter {which} calls a handler, which the switch cannot do")
        timed = 0
    else:
        if config.ignore > 0:
            raise NotOffloadable(
                "AverageCounter IGNORE > 0: the switch registers cannot leave out the first "
                "seconds of traffic"
            )
        timed = 1
    bytes_base = ETHER_HEADER - ctx.data_offset
    if bytes_base < 0:
        raise NotOffloadable(
            f"{cls} at data offset {ctx.data_offset} counts from inside the IP packet; the "
            "switch byte count starts at the IPv4 header"
        )
    return Lowering(
        "counter",
        params={"index": 0, "timed": timed, "bytes_base": bytes_base},
        state={"counter": 1},
    )


COUNTERS: ElementFamily[CountersConfig] = ElementFamily("counters", CLASSES, parse, lower)
