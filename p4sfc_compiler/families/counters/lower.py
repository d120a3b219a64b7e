"""Counters on the switch: one slot of the ``counter_*`` registers."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.counters.config import CounterConfig, CountersConfig

ETHER_HEADER = 14


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
