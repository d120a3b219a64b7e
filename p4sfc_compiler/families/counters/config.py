"""Counter and AverageCounter configurations (COUNT_CALL, BYTE_COUNT_CALL, IGNORE)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import ArgReader, ConfigEnv, parse_int, parse_time, split_words

CLASSES = ("Counter", "AverageCounter")


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
