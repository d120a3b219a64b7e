"""Plumbing: Strip, Unstrip, Queue, SimpleQueue, Paint, Discard, Tee, PullTee, and the
P4SFC actions Alert and Forward.

Strip/Unstrip only move Click's data pointer; the switch keeps the frame whole, so they
need no stage and the analysis follows the pointer through :func:`data_offset`. Queues
change push/pull scheduling only, which has no meaning on the switch.

Alert and Forward are P4SFC's own actions (paper Table I), not Click classes:
``Alert([SESSION])`` passes the packet on and clones a copy to a mirror session (default
0 = the backend picks the server's session); ``Forward(PORT)`` sends the packet out of
switch port PORT, leaving the chain.
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
    ServerOnlyError,
)
from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    parse_bool,
    parse_int,
    parse_uint,
)

CLASSES = (
    "Strip", "Unstrip", "Queue", "SimpleQueue", "Paint", "Discard", "Tee", "PullTee",
    "Alert", "Forward",
)

DEFAULT_QUEUE_CAPACITY = 1000
PAINT_ANNO = "PAINT"
MAX_EGRESS_PORT = 511  # v1model egress_spec is 9 bits
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


PlumbingConfig = (
    StripConfig | QueueConfig | PaintConfig | DiscardConfig | TeeConfig | AlertConfig
    | ForwardConfig
)


def _uint32(name: str):
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
    if cls == "Forward":
        port = r.read("PORT", _uint32("PORT"), positional=True, mandatory=True)
        if port > MAX_EGRESS_PORT:
            raise r.error(f"PORT {port} out of range (0..{MAX_EGRESS_PORT})")
        return ForwardConfig(port)
    raise ElementConfigError(f"{cls} is not a plumbing class")


def lower(cls: str, config: PlumbingConfig, ctx: LowerContext) -> Lowering:
    if isinstance(config, StripConfig):
        if cls == "Unstrip" and config.length > ctx.data_offset:
            raise NotOffloadable(
                f"Unstrip({config.length}) at data offset {ctx.data_offset} moves the data "
                "pointer before the frame start"
            )
        return Lowering("nop")
    if isinstance(config, QueueConfig):
        return Lowering("nop")
    if isinstance(config, PaintConfig):
        if config.anno != PAINT_ANNO:
            raise NotOffloadable(
                f"Paint ANNO {config.anno}: the switch carries only the PAINT annotation"
            )
        return Lowering("paint", params={"color": config.color})
    if isinstance(config, DiscardConfig):
        return Lowering("discard")
    if isinstance(config, TeeConfig):
        if ctx.n_outputs <= 1 and (config.n is None or config.n <= 1):
            return Lowering("nop")  # a one-output Tee copies nothing
        raise NotOffloadable("cloning to several outputs inside a stage pipeline is not supported")
    if isinstance(config, AlertConfig):
        return Lowering("alert", params={"session": config.session})
    if isinstance(config, ForwardConfig):
        return Lowering("forward", params={"port": config.port})
    raise TypeError(f"not a plumbing config: {config!r}")


def server_form(cls: str, config: str) -> tuple[str, str]:
    """Alert and Forward are not Click classes. On a server an Alert's packet is at the
    server already: it becomes a Counter (pass-through; its count is the alert count).
    Forward names a switch port, which no server has."""
    if cls == "Alert":
        return "Counter", ""
    if cls == "Forward":
        raise ServerOnlyError(
            f"Forward({config}) sends the packet out of a switch port; it cannot run in an "
            "NF placed on a server"
        )
    return cls, config


def data_offset(cls: str, config: PlumbingConfig, offset: int) -> int:
    if cls == "Strip" and isinstance(config, StripConfig):
        return offset + config.length
    if cls == "Unstrip" and isinstance(config, StripConfig):
        return offset - config.length
    return offset


PLUMBING: ElementFamily[PlumbingConfig] = ElementFamily(
    "plumbing", CLASSES, parse, lower, data_offset=data_offset, server_form=server_form
)
