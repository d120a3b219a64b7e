import pytest

from p4sfc_compiler.families.base import ElementConfigError, LowerContext, NotOffloadable
from p4sfc_compiler.families.counters.config import AverageCounterConfig, CountCall, CounterConfig
from p4sfc_compiler.families.counters.family import COUNTERS
from p4sfc_compiler.families.values import split_args


def parse(cls: str, config: str):
    return COUNTERS.parse(cls, split_args(config), None)


def test_counter_plain() -> None:  # golden counter: cin :: Counter; c1 :: Counter
    cfg = parse("Counter", "")
    assert cfg == CounterConfig()
    low = COUNTERS.lower("Counter", cfg, LowerContext(data_offset=0))
    assert low.kind == "counter"
    assert low.params == {"index": 0, "timed": 0, "bytes_base": 14}
    assert low.state == {"counter": 1}
    # After Strip(14) Click counts from the IP header.
    low = COUNTERS.lower("Counter", cfg, LowerContext(data_offset=14))
    assert low.params["bytes_base"] == 0


def test_counter_beyond_ip_header_not_offloadable() -> None:  # golden strip_unstrip, c
    with pytest.raises(NotOffloadable, match="data offset 34"):
        COUNTERS.lower("Counter", parse("Counter", ""), LowerContext(data_offset=34))


def test_counter_calls() -> None:
    cfg = parse("Counter", "COUNT_CALL 100 stop.run, BYTE_COUNT_CALL 0x10 s.write a b")
    assert cfg.count_call == CountCall(100, "stop.run")
    assert cfg.byte_count_call == CountCall(16, "s.write", "a b")
    with pytest.raises(NotOffloadable, match="COUNT_CALL calls a handler"):
        COUNTERS.lower("Counter", cfg, LowerContext())
    with pytest.raises(NotOffloadable, match="BYTE_COUNT_CALL"):
        COUNTERS.lower("Counter", parse("Counter", "BYTE_COUNT_CALL 5 h"), LowerContext())


@pytest.mark.parametrize(
    "config, message",
    [
        ("1", "too many arguments"),
        ("COUNT_CALL 100", "COUNT_CALL: expected 'N HANDLER"),
        ("COUNT_CALL -1 h", "bad count"),
        ("COUNT_CALL x h", "bad integer"),
        ("RATE 5", "RATE: unknown argument"),
    ],
)
def test_counter_bad(config: str, message: str) -> None:
    with pytest.raises(ElementConfigError, match=message):
        parse("Counter", config)


def test_average_counter() -> None:  # golden averagecounter
    cfg = parse("AverageCounter", "")
    assert cfg == AverageCounterConfig(0.0)
    low = COUNTERS.lower("AverageCounter", cfg, LowerContext(data_offset=0))
    assert low.params == {"index": 0, "timed": 1, "bytes_base": 14}
    assert parse("AverageCounter", "0").ignore == 0
    assert parse("AverageCounter", "IGNORE 2").ignore == 2
    with pytest.raises(NotOffloadable, match="IGNORE"):
        COUNTERS.lower("AverageCounter", parse("AverageCounter", "2"), LowerContext())
    with pytest.raises(ElementConfigError, match="IGNORE: bad time"):
        parse("AverageCounter", "soon")
    with pytest.raises(ElementConfigError, match="too many arguments"):
        parse("AverageCounter", "1, 2")
