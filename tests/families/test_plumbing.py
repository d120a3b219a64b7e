import pytest

from p4sfc_compiler.families.base import ElementConfigError, LowerContext, NotOffloadable
from p4sfc_compiler.families.plumbing.config import (
    AlertConfig,
    DiscardConfig,
    ForwardConfig,
    PaintConfig,
    QueueConfig,
    StripConfig,
    TeeConfig,
)
from p4sfc_compiler.families.plumbing.family import PLUMBING
from p4sfc_compiler.families.values import split_args


def parse(cls: str, config: str):
    return PLUMBING.parse(cls, split_args(config), None)


def test_strip_unstrip_move_the_pointer() -> None:  # golden strip_unstrip
    offset = 0
    for cls, n in (("Strip", 6), ("Strip", 8), ("Unstrip", 8), ("Unstrip", 6)):
        cfg = parse(cls, str(n))
        assert cfg == StripConfig(n)
        assert PLUMBING.lower(cls, cfg, LowerContext(data_offset=offset)).is_nop
        offset = PLUMBING.data_offset(cls, cfg, offset)
        assert offset >= 0
    assert offset == 0
    assert PLUMBING.data_offset("Strip", parse("Strip", "34"), 0) == 34


def test_unstrip_before_frame_start_not_offloadable() -> None:
    cfg = parse("Unstrip", "14")
    with pytest.raises(NotOffloadable, match="before the frame start"):
        PLUMBING.lower("Unstrip", cfg, LowerContext(data_offset=4))


@pytest.mark.parametrize(
    "cls, config, message",
    [
        ("Strip", "", "missing mandatory LENGTH"),
        ("Strip", "-1", "LENGTH"),
        ("Strip", "OFFSET_ENCAP_IP", "LENGTH: bad integer"),  # Click's conf/simple-dsdv.click
        ("Unstrip", "14, 2", "too many arguments"),
        ("Queue", "x", "CAPACITY: bad integer"),
        ("Paint", "", "missing mandatory COLOR"),
        ("Paint", "256", "COLOR"),
        ("Paint", "1, 2 3", "2: unknown argument"),  # keyword-shaped, not positional
        ("Paint", "1, a-b", "ANNO: bad annotation"),
        ("Discard", "1", "too many arguments"),
        ("Discard", "ACTIVE sure", "ACTIVE: bad boolean"),
        ("Tee", "two", "N: bad integer"),
        ("Alert", "70000", "SESSION"),
        ("Forward", "", "missing mandatory PORT"),
        ("Forward", "512", "out of range"),
    ],
)
def test_bad_configs(cls: str, config: str, message: str) -> None:
    with pytest.raises(ElementConfigError, match=message):
        parse(cls, config)


def test_queues_are_nops() -> None:
    for cls in ("Queue", "SimpleQueue"):
        assert parse(cls, "") == QueueConfig(1000)
        assert parse(cls, "200") == QueueConfig(200)
        assert parse(cls, "CAPACITY 8") == QueueConfig(8)
        assert PLUMBING.lower(cls, parse(cls, "20"), LowerContext()).is_nop


def test_paint() -> None:  # golden paint_paintswitch
    for color in (0, 2, 255, 7):
        low = PLUMBING.lower("Paint", parse("Paint", str(color)), LowerContext())
        assert (low.kind, low.params) == ("paint", {"color": color})
    assert parse("Paint", "3, PAINT") == PaintConfig(3, "PAINT")
    cfg = parse("Paint", "3, 20")
    assert cfg.anno == "20"
    with pytest.raises(NotOffloadable, match="only the PAINT annotation"):
        PLUMBING.lower("Paint", cfg, LowerContext())


def test_discard() -> None:  # golden discard
    assert parse("Discard", "") == DiscardConfig()
    assert parse("Discard", "ACTIVE false, BURST 8") == DiscardConfig(False, 8)
    assert PLUMBING.lower("Discard", parse("Discard", ""), LowerContext(n_outputs=0)).kind == \
        "discard"


def test_tee() -> None:  # golden tee: Tee(3)
    cfg = parse("Tee", "3")
    assert cfg == TeeConfig(3)
    with pytest.raises(NotOffloadable, match="cloning to several outputs"):
        PLUMBING.lower("Tee", cfg, LowerContext(n_outputs=3))
    with pytest.raises(NotOffloadable):
        PLUMBING.lower("PullTee", parse("PullTee", ""), LowerContext(n_outputs=2))
    # One output: nothing is cloned.
    assert PLUMBING.lower("Tee", parse("Tee", ""), LowerContext(n_outputs=1)).is_nop


def test_alert_and_forward() -> None:
    assert parse("Alert", "") == AlertConfig(0)
    low = PLUMBING.lower("Alert", parse("Alert", "SESSION 5"), LowerContext())
    assert (low.kind, low.params) == ("alert", {"session": 5})
    cfg = parse("Forward", "3")
    assert cfg == ForwardConfig(3)
    low = PLUMBING.lower("Forward", cfg, LowerContext(n_outputs=0))
    assert (low.kind, low.params) == ("forward", {"port": 3})
    assert parse("Forward", "PORT 0x10").port == 16
