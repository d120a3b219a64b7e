"""PaintSwitch, HashSwitch and RoundRobinSwitch configurations, as Click reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import ArgReader, ConfigEnv, parse_uint

CLASSES = ("PaintSwitch", "HashSwitch", "RoundRobinSwitch")
PAINT_ANNO = "PAINT"


@dataclass(frozen=True)
class PaintSwitchConfig:
    anno: str = PAINT_ANNO


@dataclass(frozen=True)
class HashSwitchConfig:
    offset: int
    length: int


@dataclass(frozen=True)
class RoundRobinSwitchConfig:
    pass


SwitchConfig = PaintSwitchConfig | HashSwitchConfig | RoundRobinSwitchConfig


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> SwitchConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        if cls == "PaintSwitch":
            anno = r.read("ANNO", positional=True, default=PAINT_ANNO)
            r.complete()
            return PaintSwitchConfig(anno)
        if cls == "HashSwitch":
            offset = r.read("OFFSET", lambda s: parse_uint(s, 31, "OFFSET"),
                            positional=True, mandatory=True)
            length = r.read("LENGTH", lambda s: parse_uint(s, 31, "LENGTH"),
                            positional=True, mandatory=True)
            r.complete()
            if length == 0:
                raise r.error("length must be > 0")
            return HashSwitchConfig(offset, length)
        if cls == "RoundRobinSwitch":
            r.complete()
            return RoundRobinSwitchConfig()
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None
    raise ElementConfigError(f"{cls} is not an output chooser class", pos)
