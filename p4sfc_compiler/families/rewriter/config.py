"""Rewriter configurations as Click reads them: input specs, patterns, timeouts, capacity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    ascii_alnum,
    ascii_digits,
    parse_bool,
    parse_int,
    parse_ip,
    parse_port,
    parse_prefix,
    parse_time,
    parse_uint,
    split_words,
)

CLASSES = ("IPRewriter", "TCPRewriter", "UDPRewriter", "IPAddrRewriter", "IPRewriterPatterns",
           "RoundRobinIPMapper")

# Keywords every rewriter reads (Click's IPRewriterBase), then each class's own.
_BASE_KEYWORDS = ("CAPACITY", "MAPPING_CAPACITY", "TIMEOUT", "GUARANTEE", "REAP_INTERVAL",
                  "REAP_TIME")
_TIME_KEYWORDS = {
    "IPRewriter": ("TCP_TIMEOUT", "TCP_DONE_TIMEOUT", "TCP_NODATA_TIMEOUT", "TCP_GUARANTEE",
                   "UDP_TIMEOUT", "UDP_STREAMING_TIMEOUT", "UDP_GUARANTEE"),
    "TCPRewriter": ("TCP_TIMEOUT", "TCP_DONE_TIMEOUT", "TCP_NODATA_TIMEOUT", "TCP_GUARANTEE"),
    "UDPRewriter": ("STREAMING_TIMEOUT",),
    "IPAddrRewriter": (),
}
_HAS_DST_ANNO = ("IPRewriter", "TCPRewriter", "UDPRewriter")


@dataclass(frozen=True)
class AddrRange:
    """Source addresses a pattern may choose from, ``low..high`` inclusive."""

    low: int
    high: int
    sequential: bool = False
    # Written as a prefix: Click then skips the network and broadcast addresses of a
    # prefix shorter than /31.
    prefix: bool = False


@dataclass(frozen=True)
class PortRange:
    """Source ports a pattern may choose from; ``mode`` ``""`` prefers the packet's own
    port, ``"#"`` allocates sequentially, ``"?"`` picks randomly."""

    low: int
    high: int
    mode: Literal["", "#", "?"] = ""


@dataclass(frozen=True)
class Pattern:
    """``SADDR SPORT DADDR DPORT``; ``None`` = dash (keep the packet's field)."""

    saddr: AddrRange | None
    sport: PortRange | None
    daddr: int | None
    dport: int | None


@dataclass(frozen=True)
class InputSpec:
    """What a rewriter does with a packet that misses its mapping table on one input."""

    kind: Literal["drop", "pass", "keep", "pattern", "mapper"]
    foutput: int = 0
    routput: int = 0
    pattern: Pattern | None = None
    pattern_name: str | None = None  # 'pattern NAME F R' refers to IPRewriterPatterns
    mapper: str | None = None  # element name of an IPMapper


@dataclass(frozen=True)
class RewriterConfig:
    inputs: tuple[InputSpec, ...]
    timeouts: tuple[tuple[str, float], ...] = ()  # (keyword, seconds) as given
    capacity: str | None = None  # an integer or another rewriter's name
    dst_anno: bool = True


@dataclass(frozen=True)
class PatternsConfig:
    """IPRewriterPatterns: named patterns shared by rewriters."""

    patterns: tuple[tuple[str, Pattern], ...]

    def get(self, name: str) -> Pattern | None:
        return dict(self.patterns).get(name)


@dataclass(frozen=True)
class MapperConfig:
    """RoundRobinIPMapper: ``pattern FOUTPUT ROUTPUT`` per argument, tried in turn for
    the new mappings of a rewriter input that names the mapper."""

    patterns: tuple[InputSpec, ...]


RewriterFamilyConfig = RewriterConfig | PatternsConfig | MapperConfig


def _addr_range(word: str, env: ConfigEnv | None, allow_range: bool) -> AddrRange:
    sequential = word.endswith("#")
    w = word[:-1] if sequential else word
    try:
        # A whole word that is an address (AddressInfo names may contain '-') wins.
        a = parse_ip(w, env)
        return AddrRange(a, a, sequential)
    except ElementConfigError:
        pass
    if allow_range and "/" in w:
        net, plen = parse_prefix(w, env)
        return AddrRange(net, net | ((1 << (32 - plen)) - 1), sequential, prefix=True)
    if allow_range and "-" in w:
        lo_s, _, hi_s = w.partition("-")
        lo, hi = parse_ip(lo_s, env), parse_ip(hi_s, env)
        if lo > hi:
            raise ElementConfigError(f"bad address range {word!r}")
        return AddrRange(lo, hi, sequential)
    raise ElementConfigError(f"bad source address {word!r}")


def _port_range(word: str) -> PortRange:
    mode: Literal["", "#", "?"] = ""
    w = word
    if w.endswith("#"):
        mode, w = "#", w[:-1]
    elif w.endswith("?"):
        mode, w = "?", w[:-1]
    lo_s, dash, hi_s = w.partition("-")
    try:
        lo = parse_port(lo_s)
        hi = parse_port(hi_s) if dash else lo
    except ElementConfigError:
        raise ElementConfigError(f"bad source port {word!r}") from None
    if lo > hi:
        raise ElementConfigError(f"bad source port range {word!r}")
    return PortRange(lo, hi, mode)


def parse_pattern(words: Sequence[str], env: ConfigEnv | None = None,
                  addr_only: bool = False) -> Pattern:
    """``SADDR SPORT DADDR DPORT`` (IPRewriter) or ``SADDR DADDR`` (``addr_only``)."""
    if addr_only:
        if len(words) != 2:
            raise ElementConfigError("expected 'SADDR -'")
        if words[1] != "-":
            raise ElementConfigError("IPAddrRewriter pattern destination must be '-'")
        saddr = None if words[0] == "-" else _addr_range(words[0], env, allow_range=True)
        return Pattern(saddr, None, None, None)
    if len(words) != 4:
        raise ElementConfigError("expected 'SADDR SPORT DADDR DPORT'")
    s, sp, d, dp = words
    return Pattern(
        None if s == "-" else _addr_range(s, env, allow_range=True),
        None if sp == "-" else _port_range(sp),
        None if d == "-" else parse_ip(d, env),
        None if dp == "-" else parse_port(dp),
    )


def _out(word: str) -> int:
    return parse_uint(word, 31, "output port")


def parse_input_spec(
    arg: str, index: int, env: ConfigEnv | None = None, addr_only: bool = False
) -> InputSpec:
    """One INPUTSPEC argument."""
    words = split_words(arg)
    what = f"input spec {index}"
    if not words:
        raise ElementConfigError(f"{what}: empty argument")
    head, rest = words[0], words[1:]
    try:
        if head in ("pass", "passthrough", "nochange"):
            if len(rest) > 1:
                raise ElementConfigError("syntax error, expected 'pass [OUTPUT]'")
            return InputSpec("pass", foutput=_out(rest[0]) if rest else 0)
        if head in ("drop", "discard"):
            if rest:
                raise ElementConfigError(f"syntax error, expected '{head}'")
            return InputSpec("drop")
        if head == "keep":
            if len(rest) != 2:
                raise ElementConfigError("syntax error, expected 'keep FOUTPUT ROUTPUT'")
            return InputSpec("keep", foutput=_out(rest[0]), routput=_out(rest[1]))
        if head in ("pattern", "xpattern"):
            if len(rest) == 3:
                return InputSpec("pattern", _out(rest[1]), _out(rest[2]), pattern_name=rest[0])
            if len(rest) < 3:
                raise ElementConfigError("syntax error, expected 'pattern ... FOUTPUT ROUTPUT'")
            pat = parse_pattern(rest[:-2], env, addr_only)
            return InputSpec("pattern", _out(rest[-2]), _out(rest[-1]), pattern=pat)
        if len(rest) == 0 and _is_element_name(head):
            return InputSpec("mapper", mapper=head)
        if rest and _is_element_name(head):
            raise ElementConfigError("syntax error, expected element name")
        raise ElementConfigError(f"unknown specification {head!r}")
    except ElementConfigError as e:
        raise ElementConfigError(f"{what}: {e.message}") from None


def _is_element_name(word: str) -> bool:
    return all(ascii_alnum(c) or c in "_@/" for c in word) and not ascii_digits(word)


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> RewriterFamilyConfig:
    if cls == "IPRewriterPatterns":
        return _parse_patterns(args, env)
    if cls == "RoundRobinIPMapper":
        try:
            return _parse_mapper(args, env)
        except ElementConfigError as e:
            raise ElementConfigError(e.message, pos) from None
    if cls not in _TIME_KEYWORDS:
        raise ElementConfigError(f"{cls} is not a rewriter class", pos)
    r = ArgReader([a.strip() for a in args], cls)
    timeouts: list[tuple[str, float]] = []
    capacity = None
    for kw in _TIME_KEYWORDS[cls] + _BASE_KEYWORDS:
        if kw in ("CAPACITY", "MAPPING_CAPACITY"):
            value = r.read(kw)
            if value is not None:
                capacity = _capacity(value, cls)
            continue
        t = r.read(kw, parse_time)
        if t is not None:
            timeouts.append((kw, t))
    dst_anno = r.read("DST_ANNO", parse_bool, default=True) if cls in _HAS_DST_ANNO else True
    specs = r.rest()
    if not specs:
        raise ElementConfigError(f"{cls}: too few arguments; expected '{cls}(INPUTSPEC, ...)'")
    addr_only = cls == "IPAddrRewriter"
    try:
        inputs = tuple(parse_input_spec(a, i, env, addr_only) for i, a in enumerate(specs))
    except ElementConfigError as e:
        raise ElementConfigError(f"{cls}: {e.message}") from None
    return RewriterConfig(inputs, tuple(timeouts), capacity, dst_anno)


def _capacity(value: str, cls: str) -> str:
    try:
        parse_int(value)
    except ElementConfigError:
        if not _is_element_name(value):
            raise ElementConfigError(f"{cls}: bad MAPPING_CAPACITY {value!r}") from None
    return value


def _parse_mapper(args: Sequence[str], env: ConfigEnv | None) -> MapperConfig:
    if not args:
        raise ElementConfigError("RoundRobinIPMapper: expected at least one pattern")
    specs = []
    for i, arg in enumerate(args):
        words = split_words(arg)
        what = f"RoundRobinIPMapper: pattern {i}"
        if len(words) == 3:
            specs.append(InputSpec("pattern", _out(words[1]), _out(words[2]),
                                   pattern_name=words[0]))
            continue
        if len(words) != 6:
            raise ElementConfigError(f"{what}: expected 'SADDR SPORT DADDR DPORT FOUTPUT "
                                     "ROUTPUT'")
        try:
            specs.append(InputSpec("pattern", _out(words[4]), _out(words[5]),
                                   pattern=parse_pattern(words[:4], env)))
        except ElementConfigError as e:
            raise ElementConfigError(f"{what}: {e.message}") from None
    return MapperConfig(tuple(specs))


def _parse_patterns(args: Sequence[str], env: ConfigEnv | None) -> PatternsConfig:
    patterns: dict[str, Pattern] = {}
    for arg in args:
        words = split_words(arg)
        if not words:
            continue
        name, rest = words[0], words[1:]
        if name in patterns:
            raise ElementConfigError(f"IPRewriterPatterns: pattern {name!r} defined twice")
        try:
            # A four-word pattern is an IPRewriter pattern, a two-word one an
            # IPAddrRewriter pattern.
            patterns[name] = parse_pattern(rest, env, addr_only=len(rest) == 2)
        except ElementConfigError as e:
            raise ElementConfigError(f"IPRewriterPatterns: {name}: {e.message}") from None
    return PatternsConfig(tuple(patterns.items()))
