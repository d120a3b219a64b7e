"""Route tables as Click's IPRouteTable reads them: ``ADDR/MASK [GW] OUT`` per argument."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ConfigEnv,
    format_ip,
    parse_int,
    parse_ip,
    parse_prefix,
    split_words,
)

CLASSES = (
    "StaticIPLookup",
    "LinearIPLookup",
    "RadixIPLookup",
    "DirectIPLookup",
    "RangeIPLookup",
    "SortedIPLookup",
)


@dataclass(frozen=True)
class Route:
    addr: int  # network, host bits cleared
    prefix_len: int
    gw: int  # 0 = no gateway
    port: int

    def __str__(self) -> str:
        gw = f" {format_ip(self.gw)}" if self.gw else ""
        return f"{format_ip(self.addr)}/{self.prefix_len}{gw} {self.port}"


@dataclass(frozen=True)
class LookupConfig:
    routes: tuple[Route, ...]
    # Later routes for a prefix already routed: Click keeps the first and only warns.
    ignored: tuple[Route, ...] = ()


def parse_route(arg: str, env: ConfigEnv | None = None) -> Route:
    """``ADDR/MASK [GW] OUT``; the gateway may be ``-`` (none)."""
    words = split_words(arg)
    if len(words) not in (2, 3):
        raise ElementConfigError(f"bad route {arg!r}: expected 'ADDR/MASK [GW] OUT'")
    addr, plen = parse_prefix(words[0], env)
    gw = 0
    if len(words) == 3 and words[1] != "-":
        gw = parse_ip(words[1], env)
    try:
        port = parse_int(words[-1])
    except ElementConfigError:
        raise ElementConfigError(f"bad route {arg!r}: bad output port {words[-1]!r}") from None
    if port < 0:
        raise ElementConfigError(f"bad route {arg!r}: output port out of range")
    return Route(addr, plen, gw, port)


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> LookupConfig:
    routes: list[Route] = []
    ignored: list[Route] = []
    seen: set[tuple[int, int]] = set()
    for i, arg in enumerate(args):
        try:
            route = parse_route(arg.strip(), env)
        except ElementConfigError as e:
            raise ElementConfigError(f"{cls}: argument {i + 1}: {e.message}", pos) from None
        key = (route.addr, route.prefix_len)
        if key in seen:
            ignored.append(route)
            continue
        seen.add(key)
        routes.append(route)
    return LookupConfig(tuple(routes), tuple(ignored))
