"""Click's value syntax: quoting, words, keyword arguments, addresses, numbers, times.

Element families parse their Click-split arguments with these helpers so that every
element accepts the same spellings Click does (``lib/confparse.cc``, ``lib/args.cc``):
addresses may be AddressInfo names, integers may be hex or octal, and keyword arguments
follow Click's rule (a keyword is only a keyword if the element declares it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import networkx as nx

from p4sfc_compiler.families.base import ElementConfigError

# Splitting a raw configuration string into arguments is the frontend's job; re-exported
# for element code and tests that hold a raw string.
from p4sfc_compiler.frontend.configstring import split_args  # noqa: F401

T = TypeVar("T")

_ADDRESS_INFO = "AddressInfo"


@dataclass(frozen=True)
class ConfigEnv:
    """Names an element's configuration may refer to.

    ``addresses`` maps an AddressInfo name to its value words (``("10.0.0.1",
    "00-50-BA-85-84-A9")``).
    """

    addresses: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        # Freeze a plain dict passed in, so a ConfigEnv cannot change under its users.
        if not isinstance(self.addresses, MappingProxyType):
            frozen = MappingProxyType({k: tuple(v) for k, v in self.addresses.items()})
            object.__setattr__(self, "addresses", frozen)

    @classmethod
    def from_graph(cls, g: nx.MultiDiGraph, element: str | None = None) -> ConfigEnv:
        """The AddressInfo names of an IR graph.

        AddressInfo names are local to the compound that declares them. With ``element``
        (a flattened name such as ``nat/rw``) only the AddressInfo elements visible from
        it count, inner ones overriding outer ones; without it every AddressInfo counts,
        inner (longer-prefixed) definitions overriding outer ones.
        """
        found: list[tuple[int, str, Sequence[str]]] = []
        for name, data in g.nodes(data=True):
            if data.get("cls") != _ADDRESS_INFO:
                continue
            scope = name.rpartition("/")[0]
            if element is not None and scope and not element.startswith(scope + "/"):
                continue
            found.append((scope.count("/") + (1 if scope else 0), name, data.get("args", ())))
        addresses: dict[str, tuple[str, ...]] = {}
        for _, _, args in sorted(found, key=lambda t: (t[0], t[1])):
            for arg in args:
                words = split_words(arg)
                if not words:
                    continue
                addresses[words[0]] = tuple(words[1:])
        return cls(MappingProxyType(addresses))


def _lookup(env: ConfigEnv | None, name: str) -> tuple[str, ...] | None:
    if env is None:
        return None
    return env.addresses.get(name)


# ---------------------------------------------------------------------------------------
# quoting and splitting


_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
}
_HEX = set("0123456789abcdefABCDEF")


def _hex_block(s: str, i: int) -> tuple[str, int]:
    """Decode ``\\<hex digits and spaces>`` starting at ``s[i] == '\\'``; return (text, next)."""
    end = s.find(">", i + 2)
    if end < 0:
        raise ElementConfigError(f"unterminated hex string in {s!r}")
    digits = "".join(s[i + 2 : end].split())
    if any(c not in _HEX for c in digits) or len(digits) % 2:
        raise ElementConfigError(f"bad hex string {s[i:end + 1]!r}")
    return bytes.fromhex(digits).decode("latin-1"), end + 1


def unquote(s: str) -> str:
    """Remove Click quoting: ``'...'`` literally, ``"..."`` with C escapes, ``\\<hex>``.

    Adjacent pieces concatenate (``a"b c"d`` is ``ab cd``); text outside quotes is kept
    as written. Hex blocks decode to one character per byte (latin-1).
    """
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "'":
            end = s.find("'", i + 1)
            end = n if end < 0 else end
            out.append(s[i + 1 : end])
            i = end + 1
        elif c == '"':
            i += 1
            while i < n and s[i] != '"':
                if s[i] == "\\" and i + 1 < n:
                    text, i = _escape(s, i)
                    out.append(text)
                else:
                    out.append(s[i])
                    i += 1
            i += 1
        elif c == "\\" and i + 1 < n and s[i + 1] == "<":
            text, i = _hex_block(s, i)
            out.append(text)
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _escape(s: str, i: int) -> tuple[str, int]:
    """Decode the backslash escape at ``s[i]`` inside double quotes."""
    c = s[i + 1]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], i + 2
    if c in "01234567":
        j = i + 1
        while j < len(s) and j < i + 4 and s[j] in "01234567":
            j += 1
        return chr(int(s[i + 1 : j], 8) & 0xFF), j
    if c == "x":
        j = i + 2
        while j < len(s) and j < i + 4 and s[j] in _HEX:
            j += 1
        if j == i + 2:
            return "x", i + 2
        return chr(int(s[i + 2 : j], 16)), j
    if c == "<":
        return _hex_block(s, i)
    if c == "\n":
        return "", i + 2
    if c == "\r":
        return "", i + 3 if s[i + 2 : i + 3] == "\n" else i + 2
    return c, i + 2


def split_words(arg: str) -> list[str]:
    """Split an argument at unquoted whitespace; quotes stay in the words."""
    words: list[str] = []
    cur: list[str] = []
    i, n = 0, len(arg)
    while i < n:
        c = arg[i]
        if c.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
            i += 1
            continue
        if c in "'\"":
            j = i + 1
            while j < n and arg[j] != c:
                j += 2 if (c == '"' and arg[j] == "\\") else 1
            j = min(j + 1, n)
        elif c == "\\" and i + 1 < n and arg[i + 1] == "<":
            end = arg.find(">", i)
            j = n if end < 0 else end + 1
        else:
            j = i + 1
        cur.append(arg[i:j])
        i = j
    if cur:
        words.append("".join(cur))
    return words


# ---------------------------------------------------------------------------------------
# keyword arguments (Click's Args)


def _keyword_length(arg: str) -> int:
    """Length of the keyword an argument starts with, 0 if it is not keyword-shaped.

    Keyword-shaped = a run of ``[A-Za-z0-9_:.?!]``, whitespace, then something more.
    """
    m = re.match(r"[A-Za-z0-9_:.?!]+", arg)
    if not m:
        return 0
    rest = arg[m.end():]
    if not rest or not rest[0].isspace() or not rest.strip():
        return 0
    return m.end()


def keyword_args(
    args: Sequence[str], known_keywords: Iterable[str]
) -> tuple[list[str], dict[str, str]]:
    """Split arguments into positional ones and declared keywords.

    An argument ``KW rest`` is a keyword argument only when ``KW`` is declared; other
    arguments (keyword-shaped or not) are positional, in their order. A repeated keyword
    keeps its last value, as Click does.
    """
    known = set(known_keywords)
    positional: list[str] = []
    keywords: dict[str, str] = {}
    for arg in args:
        k = _keyword_length(arg)
        if k and arg[:k] in known:
            keywords[arg[:k]] = arg[k:].strip()
        else:
            positional.append(arg)
    return positional, keywords


class ArgReader:
    """Click's ``Args`` reader: positional and keyword arguments, read in declaration order.

    A positional read takes the first unread argument if it has no keyword shape (or if
    the read is mandatory and its keyword was not given); a keyword read takes the last
    argument starting with that keyword. :meth:`complete` rejects leftovers the way Click
    does ("too many arguments", "KW: unknown argument").
    """

    _CONSUMED_POS = -1
    _CONSUMED_KW = -2

    def __init__(self, args: Sequence[str], what: str) -> None:
        self.args = list(args)
        self.what = what
        self._kwpos = [_keyword_length(a) for a in self.args]

    def error(self, msg: str) -> ElementConfigError:
        return ElementConfigError(f"{self.what}: {msg}")

    def _find(self, keyword: str, positional: bool, mandatory: bool) -> str | None:
        got, got_kw, position = -1, 0, -1
        for i, a in enumerate(self.args):
            if position == -1 and self._kwpos[i] != self._CONSUMED_POS:
                position = i if self._kwpos[i] >= 0 else -2
            if self._kwpos[i] == len(keyword) and a.startswith(keyword):
                got, got_kw = i, self._kwpos[i]
                self._kwpos[i] = self._CONSUMED_KW
        if (
            positional
            and position >= 0
            and self._kwpos[position] >= 0
            and ((got < 0 and mandatory) or self._kwpos[position] == 0)
        ):
            if got < position:
                got, got_kw = position, 0
            self._kwpos[position] = self._CONSUMED_POS
        if got < 0:
            if mandatory:
                raise self.error(f"missing mandatory {keyword} argument")
            return None
        return self.args[got][got_kw:].strip() if got_kw else self.args[got]

    def read(
        self,
        keyword: str,
        parse: Callable[[str], T] | None = None,
        *,
        positional: bool = False,
        mandatory: bool = False,
        default: Any = None,
    ) -> Any:
        """The parsed value of ``keyword`` (or of the next positional argument)."""
        raw = self._find(keyword, positional, mandatory)
        if raw is None:
            return default
        if parse is None:
            return raw
        try:
            return parse(raw)
        except ElementConfigError as e:
            raise self.error(f"{keyword}: {e.message}") from None

    def rest(self) -> list[str]:
        """The arguments not read yet, in order (Click's ``consume``)."""
        return [a for a, k in zip(self.args, self._kwpos, strict=True) if k >= 0]

    def complete(self) -> None:
        """Reject unread arguments."""
        for a, k in zip(self.args, self._kwpos, strict=True):
            if k > 0:
                raise self.error(f"{a[:k]}: unknown argument")
        if any(k == 0 for k in self._kwpos):
            raise self.error("too many arguments")


# ---------------------------------------------------------------------------------------
# numbers, booleans, times


_INT_RE = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
# No Click integer is wider than 64 bits (20 decimal digits, 22 octal); a longer literal
# is refused before int() has to convert it (Python refuses 4,300 digits with ValueError).
_MAX_INT_CHARS = 24


def ascii_digits(s: str) -> bool:
    """Whether ``s`` is a non-empty run of ASCII digits, as Click's isdigit() reads one
    (``str.isdigit()`` and ``int()`` also take '５' and '²')."""
    return s.isascii() and s.isdigit()


def ascii_alnum(c: str) -> bool:
    """Whether ``c`` is all ASCII letters and digits, as Click's isalnum() reads them."""
    return c.isascii() and c.isalnum()


def parse_int(s: str) -> int:
    """An integer: decimal, ``0x`` hex or ``0`` octal, optional sign; ASCII digits."""
    t = s.strip()
    if not _INT_RE.fullmatch(t):
        raise ElementConfigError(f"bad integer {s!r}")
    if len(t) > _MAX_INT_CHARS:
        raise ElementConfigError(f"integer {t[:12]}... out of range ({len(t)} characters)")
    sign = -1 if t[0] == "-" else 1
    t = t.lstrip("+-")
    if t[:2] in ("0x", "0X"):
        return sign * int(t[2:], 16)
    if len(t) > 1 and t[0] == "0":
        return sign * int(t[1:], 8)
    return sign * int(t)


def parse_uint(s: str, bits: int, what: str = "value") -> int:
    """A non-negative integer that fits ``bits`` bits."""
    v = parse_int(s)
    if v < 0 or v >= 1 << bits:
        raise ElementConfigError(f"{what} {s!r} out of range (0..{(1 << bits) - 1})")
    return v


_TRUE = {"1", "t", "y", "true", "yes"}
_FALSE = {"0", "f", "n", "false", "no"}


def parse_bool(s: str) -> bool:
    """``true/false/yes/no/1/0`` (and Click's one-letter ``t/f/y/n``)."""
    t = s.strip()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ElementConfigError(f"bad boolean {s!r}")


_TIME_UNITS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0,
    "ms": 1e-3, "msec": 1e-3, "msecs": 1e-3,
    "us": 1e-6, "usec": 1e-6, "usecs": 1e-6,
    "ns": 1e-9, "nsec": 1e-9, "nsecs": 1e-9,
    "m": 60.0, "min": 60.0, "mins": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}
_TIME_RE = re.compile(r"([+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-z]*)", re.ASCII)


def parse_time(s: str) -> float:
    """A duration in seconds: ``1``, ``1.5s``, ``10ms``, ``2min``, ``1h``."""
    m = _TIME_RE.fullmatch(s.strip())
    if not m or m.group(2) not in _TIME_UNITS:
        raise ElementConfigError(f"bad time {s!r}")
    return float(m.group(1)) * _TIME_UNITS[m.group(2)]


# ---------------------------------------------------------------------------------------
# addresses


def _dotted(s: str, min_parts: int = 4) -> int | None:
    """``a.b.c.d`` (or a shorter ``a.b.c`` when ``min_parts`` allows) as an int, left-aligned."""
    parts = s.split(".")
    if not min_parts <= len(parts) <= 4:
        return None
    value = 0
    for p in parts:
        if not ascii_digits(p) or len(p) > 3 or int(p) > 255:
            return None
        value = value << 8 | int(p)
    return value << 8 * (4 - len(parts))


def _split_name(s: str) -> tuple[str, str]:
    name, _, suffix = s.partition(":")
    return name, suffix


def _mask_to_len(mask: int) -> int | None:
    plen = bin(mask).count("1")
    return plen if mask == _len_to_mask(plen) else None


def _len_to_mask(plen: int) -> int:
    return (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF


def _literal_prefix(s: str, bare: bool) -> tuple[int, int] | None:
    """A literal prefix (unmasked address, length), or None when ``s`` is not one."""
    if "/" not in s:
        if not bare:
            return None
        a = _dotted(s)
        return None if a is None else (a, 32)
    addr, _, rest = s.partition("/")
    a = _dotted(addr, min_parts=1)
    if a is None:
        return None
    if ascii_digits(rest):
        digits = rest.lstrip("0") or "0"
        plen = int(digits) if len(digits) <= 2 else 33  # no int() of a huge literal
        return (a, plen) if plen <= 32 else None
    m = _dotted(rest)
    if m is None:
        return None
    mask_len = _mask_to_len(m)
    return None if mask_len is None else (a, mask_len)


def _info_ip(words: tuple[str, ...]) -> int | None:
    for w in words:
        a = _dotted(w.partition("/")[0]) if "/" in w else _dotted(w)
        if a is not None and (_literal_prefix(w, bare=True) is not None):
            return a
    return None


def _info_prefix(words: tuple[str, ...]) -> tuple[int, int] | None:
    # A word with an explicit prefix wins over a bare address (the bare one means /32).
    bare: tuple[int, int] | None = None
    for w in words:
        p = _literal_prefix(w, bare=True)
        if p is None:
            continue
        if "/" in w:
            return p
        bare = bare or p
    return bare


def parse_ip(s: str, env: ConfigEnv | None = None) -> int:
    """An IPv4 address: ``a.b.c.d`` or AddressInfo ``name``, ``name:ip``, ``name:bcast``,
    ``name:gw``."""
    t = s.strip()
    a = _dotted(t)
    if a is not None:
        return a
    name, suffix = _split_name(t)
    words = _lookup(env, name)
    if words is not None:
        if suffix in ("", "ip"):
            a = _info_ip(words)
            if a is not None:
                return a
        elif suffix in ("bcast", "gw"):
            p = _info_prefix(words)
            if p is not None:
                net = p[0] & _len_to_mask(p[1])
                if suffix == "bcast":
                    return net | (~_len_to_mask(p[1]) & 0xFFFFFFFF)
                return net | 1
    raise ElementConfigError(f"bad IP address {s!r}")


def parse_prefix(
    s: str, env: ConfigEnv | None = None, *, allow_bare: bool = True
) -> tuple[int, int]:
    """An IPv4 prefix ``(network, length)`` with host bits cleared.

    Spellings: ``a.b.c.d/len``, ``a.b.c.d/m.m.m.m`` (contiguous mask), short ``18.26.4/24``,
    ``0/0``, a bare address (= /32 when ``allow_bare``), AddressInfo ``name`` or
    ``name:ipnet`` (the name's prefix; a name with only an address gives /32).
    """
    t = s.strip()
    p = _literal_prefix(t, allow_bare)
    if p is None:
        name, suffix = _split_name(t)
        words = _lookup(env, name)
        if words is not None and suffix in ("", "ipnet"):
            p = _info_prefix(words)
            if p is not None and p[1] == 32 and not allow_bare and suffix == "":
                p = None
    if p is None:
        raise ElementConfigError(f"bad IP prefix {s!r}")
    return p[0] & _len_to_mask(p[1]), p[1]


_ETHER_RE = re.compile(r"[0-9a-fA-F]{1,2}([:-])(?:[0-9a-fA-F]{1,2}\1){4}[0-9a-fA-F]{1,2}")


def _literal_ether(s: str) -> int | None:
    if not _ETHER_RE.fullmatch(s):
        return None
    value = 0
    for part in re.split("[:-]", s):
        value = value << 8 | int(part, 16)
    return value


def parse_ether(s: str, env: ConfigEnv | None = None) -> int:
    """An Ethernet address ``0:1:2:3:4:5`` / ``00-01-02-03-04-05``, or AddressInfo
    ``name`` / ``name:eth``."""
    t = s.strip()
    v = _literal_ether(t)
    if v is not None:
        return v
    name, suffix = _split_name(t)
    words = _lookup(env, name)
    if words is not None and suffix in ("", "eth"):
        for w in words:
            v = _literal_ether(w)
            if v is not None:
                return v
    raise ElementConfigError(f"bad Ethernet address {s!r}")


def format_ip(a: int) -> str:
    """``a.b.c.d`` of a 32-bit int (for messages and printers)."""
    return ".".join(str(a >> s & 0xFF) for s in (24, 16, 8, 0))


# Click's IP protocol names (userlevel Click also reads /etc/protocols; we do not).
IP_PROTO_NAMES = {
    "icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17, "dccp": 33, "gre": 47, "sctp": 132,
}


def parse_ip_proto(s: str) -> int:
    """An IP protocol number 0..255 or one of Click's names (``tcp``, ``ipip``, ...)."""
    t = s.strip()
    if t in IP_PROTO_NAMES:
        return IP_PROTO_NAMES[t]
    try:
        return parse_uint(t, 8, "IP protocol")
    except ElementConfigError:
        raise ElementConfigError(f"bad IP protocol {s!r}") from None


def parse_port(s: str) -> int:
    """A TCP/UDP port number 0..65535."""
    return parse_uint(s, 16, "port")


# Click's ICMP type names (elements/ip/ipnameinfo.cc), for IPFilter patterns and ICMPError.
ICMP_TYPES = {
    "echo-reply": 0, "unreachable": 3, "sourcequench": 4, "redirect": 5, "echo": 8,
    "routeradvert": 9, "routersolicit": 10, "timeexceeded": 11, "parameterproblem": 12,
    "timestamp": 13, "timestamp-reply": 14, "inforeq": 15, "inforeq-reply": 16,
    "maskreq": 17, "maskreq-reply": 18,
}
