"""Plumbing configurations as Click reads them, and those of Alert and Forward."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from p4sfc_compiler.dataplane.reserved import MAX_PORT
from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    parse_bool,
    parse_int,
    parse_uint,
    unquote,
)

CLASSES = (
    "Strip", "Unstrip", "Queue", "SimpleQueue", "Paint", "Discard", "Tee", "PullTee",
    "Alert", "Forward", "StoreData", "Idle", "Null",
)

DEFAULT_QUEUE_CAPACITY = 1000
PAINT_ANNO = "PAINT"
MAX_MIRROR_SESSION = 0xFFFF


@dataclass(frozen=True)
class StripConfig:
    length: int


@dataclass(frozen=True)
class QueueConfig:
    capacity: int = DEFAULT_QUEUE_CAPACITY


@dataclass(frozen=True)
class PaintConfig:
    color: int
    anno: str = PAINT_ANNO  # annotation name or byte offset, as written


@dataclass(frozen=True)
class DiscardConfig:
    active: bool = True
    burst: int = 1


@dataclass(frozen=True)
class TeeConfig:
    n: int | None = None  # outputs expected; None = as many as connected


@dataclass(frozen=True)
class AlertConfig:
    session: int = 0  # 0 = the backend chooses the server's mirror session


@dataclass(frozen=True)
class ForwardConfig:
    port: int


@dataclass(frozen=True)
class IdleConfig:
    """Idle: emits nothing, drops what it gets (a generated server config feeds rewriter
    inputs the switch never uses from one)."""


@dataclass(frozen=True)
class NullConfig:
    """Null: passes packets unchanged."""


@dataclass(frozen=True)
class StoreDataConfig:
    """``StoreData(OFFSET, DATA)``: DATA over the packet at OFFSET from the data pointer
    (what fits; nothing when the packet ends before OFFSET)."""

    offset: int
    data: bytes


PlumbingConfig = (
    StripConfig | QueueConfig | PaintConfig | DiscardConfig | TeeConfig | AlertConfig
    | ForwardConfig | StoreDataConfig | IdleConfig | NullConfig
)


def _uint32(name: str) -> Callable[[str], int]:
    return lambda s: parse_uint(s, 32, name)


def _anno(s: str) -> str:
    t = s.strip()
    if t.isidentifier() or _is_offset(t):
        return t
    raise ElementConfigError(f"bad annotation {s!r}")


def _is_offset(s: str) -> bool:
    try:
        return parse_int(s) >= 0
    except ElementConfigError:
        return False


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> PlumbingConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        config = _parse(cls, r)
        r.complete()
        return config
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None


def _parse(cls: str, r: ArgReader) -> PlumbingConfig:
    if cls in ("Strip", "Unstrip"):
        return StripConfig(r.read("LENGTH", _uint32("LENGTH"), positional=True, mandatory=True))
    if cls in ("Queue", "SimpleQueue"):
        return QueueConfig(r.read("CAPACITY", _uint32("CAPACITY"), positional=True,
                                  default=DEFAULT_QUEUE_CAPACITY))
    if cls == "Paint":
        color = r.read("COLOR", lambda s: parse_uint(s, 8, "COLOR"), positional=True,
                       mandatory=True)
        return PaintConfig(color, r.read("ANNO", _anno, positional=True, default=PAINT_ANNO))
    if cls == "Discard":
        return DiscardConfig(r.read("ACTIVE", parse_bool, default=True),
                             r.read("BURST", _uint32("BURST"), default=1))
    if cls in ("Tee", "PullTee"):
        return TeeConfig(r.read("N", _uint32("N"), positional=True))
    if cls == "Alert":
        return AlertConfig(r.read("SESSION", lambda s: parse_uint(s, 16, "SESSION"),
                                  positional=True, default=0))
    if cls == "Idle":
        return IdleConfig()
    if cls == "Null":
        return NullConfig()
    if cls == "StoreData":
        offset = r.read("OFFSET", _uint32("OFFSET"), positional=True, mandatory=True)
        data = r.read("DATA", positional=True, mandatory=True)
        text = unquote(data)
        if any(ord(c) > 0xFF for c in text):
            raise r.error("DATA: a byte string (\\<hex> or ASCII), not other characters")
        return StoreDataConfig(offset, text.encode("latin-1"))
    if cls == "Forward":
        port = r.read("PORT", _uint32("PORT"), positional=True, mandatory=True)
        if port > MAX_PORT:
            raise r.error(f"PORT {port} out of range (0..{MAX_PORT})")
        return ForwardConfig(port)
    raise ElementConfigError(f"{cls} is not a plumbing class")
