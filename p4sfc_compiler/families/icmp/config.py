"""ICMPError's configuration: ``SRC, TYPE [, CODE, BADADDRS]`` and MTU, PMTU,
SET_FIX_ANNO, with Click's type and code names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ICMP_TYPES,
    ArgReader,
    ConfigEnv,
    parse_bool,
    parse_int,
    parse_ip,
    parse_uint,
    split_words,
)

CLASSES = ("ICMPError",)

UNREACH, SOURCEQUENCH, REDIRECT, TIMXCEED, PARAMPROB = 3, 4, 5, 11, 12
ERROR_TYPES = (UNREACH, SOURCEQUENCH, REDIRECT, TIMXCEED, PARAMPROB)
# Click's code names per type (elements/ip/ipnameinfo.cc)
ICMP_CODES: dict[int, dict[str, int]] = {
    UNREACH: {"net": 0, "host": 1, "protocol": 2, "port": 3, "needfrag": 4,
              "srcroutefail": 5, "netunknown": 6, "hostunknown": 7, "isolated": 8,
              "netprohibited": 9, "hostprohibited": 10, "tosnet": 11, "toshost": 12,
              "filterprohibited": 13, "hostprecedence": 14, "precedencecutoff": 15},
    REDIRECT: {"net": 0, "host": 1, "tosnet": 2, "toshost": 3},
    TIMXCEED: {"transit": 0, "reassembly": 1},
    PARAMPROB: {"erroratptr": 0, "missingopt": 1, "length": 2},
}
DEFAULT_MTU = 576


@dataclass(frozen=True)
class ICMPErrorConfig:
    src: int
    type: int
    code: int = 0
    bad_addrs: tuple[int, ...] = ()
    mtu: int = DEFAULT_MTU
    pmtu: int = 0
    fix_anno: bool = True


def _named(table: dict[str, int], word: str, what: str) -> int:
    if word in table:
        return table[word]
    try:
        value = parse_int(word)
    except ElementConfigError:
        raise ElementConfigError(f"bad {what} {word!r}") from None
    if not 0 <= value <= 255:
        raise ElementConfigError(f"{what} must be between 0 and 255")
    return value


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> ICMPErrorConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        src = r.read("SRC", lambda s: parse_ip(s, env), positional=True, mandatory=True)
        type_word = r.read("TYPE", positional=True, mandatory=True)
        code_word = r.read("CODE", positional=True, default="0")
        bad = r.read("BADADDRS", lambda s: tuple(parse_ip(w, env) for w in split_words(s)),
                     positional=True, default=())
        mtu = r.read("MTU", lambda s: parse_uint(s, 16, "MTU"), default=DEFAULT_MTU)
        pmtu = r.read("PMTU", lambda s: parse_uint(s, 16, "PMTU"), default=0)
        fix = r.read("SET_FIX_ANNO", parse_bool, default=True)
        r.complete()
        icmp_type = _named(ICMP_TYPES, type_word, "ICMP type")
        if icmp_type not in ERROR_TYPES:
            raise r.error(f"ICMP type {icmp_type} is not an error type")
        code = _named(ICMP_CODES.get(icmp_type, {}), code_word, "ICMP code")
        return ICMPErrorConfig(src, icmp_type, code, bad, mtu, pmtu, fix)
    except ElementConfigError as e:
        raise ElementConfigError(f"{cls}: {e.message}", pos) from None
