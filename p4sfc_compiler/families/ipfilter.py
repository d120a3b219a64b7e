"""IPFilter and IPClassifier: tcpdump-like patterns, their Click semantics, their switch form.

Parsing follows Click's own parser (elements/ip/ipfilter.cc) closely, quirks included,
because the semantics hang on them: qualifiers carry over to a following bare value
(``src port 80 or 81``; ``tcp and www`` is a TCP port test), ``port``/``icmp type``/``tcp
opt``/``transp[..]`` imply the protocol and first-fragment tests, ``tcp port != 80``
keeps them while ``!(tcp port 80)`` negates them, and every test is compiled into
Click's 32-bit word tests (:class:`~p4sfc_compiler.families.ternary.Leaf`) with Click's
result for packets too short for a test. :func:`evaluate` runs those tests as Click does;
:func:`lower` turns the same tests into ordered ternary rules over the classify table key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families import values
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    Lowering,
    NotOffloadable,
)
from p4sfc_compiler.families.classify_table import ETH_LAYOUT, IPV4_LAYOUT, entries_from_rules
from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.ternary import (
    DEFAULT_RULE_BOUND,
    Context,
    Cube,
    Layout,
    RuleExplosion,
    Unexpressible,
    compress_bits,
    lower_patterns,
    make_cube,
    rl_cubes,
    rl_true_cubes,
    word_cube,
    word_range_tests,
)
from p4sfc_compiler.families.wordtests import (
    And,
    Const,
    Ite,
    Leaf,
    Node,
    Not,
    Or,
    Rel,
    eval_node,
    flip_short,
    iter_leaves,
    leaf,
)

CLASSES = ("IPFilter", "IPClassifier")

T = TypeVar("T")

# ---------------------------------------------------------------------------------------
# names (Click's static name tables; userlevel Click also reads /etc/services and
# /etc/protocols, which a portable compiler cannot rely on)

UNKNOWN = -1
PROTO_ICMP, PROTO_IGMP, PROTO_IPIP, PROTO_TCP, PROTO_UDP, PROTO_DCCP = 1, 2, 4, 6, 17, 33
PROTO_TCP_OR_UDP, PROTO_PAYLOAD, PROTO_TRANSP = 256, 257, 258

IP_PROTOS = {
    "dccp": PROTO_DCCP, "gre": 47, "icmp": PROTO_ICMP, "igmp": PROTO_IGMP,
    "ipip": PROTO_IPIP, "payload": PROTO_PAYLOAD, "sctp": 132, "tcp": PROTO_TCP,
    "tcpudp": PROTO_TCP_OR_UDP, "transp": PROTO_TRANSP, "udp": PROTO_UDP,
}
PORTS = {
    "auth": 113, "bootpc": 68, "bootps": 67, "chargen": 19, "daytime": 13, "discard": 9,
    "dns": 53, "domain": 53, "echo": 7, "finger": 79, "ftp": 21, "ftp-data": 20,
    "https": 443, "imap3": 220, "imaps": 993, "irc": 194, "netbios-dgm": 138,
    "netbios-ns": 137, "netbios-ssn": 139, "nntp": 119, "ntp": 123, "pop3": 110,
    "pop3s": 995, "pptp": 1723, "rip": 520, "route": 520, "smtp": 25, "snmp": 161,
    "snmp-trap": 162, "ssh": 22, "sunrpc": 111, "telnet": 23, "tftp": 69, "www": 80,
}
TCP_OPTS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20}
ICMP_TYPES = {
    "echo-reply": 0, "unreachable": 3, "sourcequench": 4, "redirect": 5, "echo": 8,
    "routeradvert": 9, "routersolicit": 10, "timeexceeded": 11, "parameterproblem": 12,
    "timestamp": 13, "timestamp-reply": 14, "inforeq": 15, "inforeq-reply": 16,
    "maskreq": 17, "maskreq-reply": 18,
}


@dataclass(frozen=True)
class FieldT:
    """A header field type: ``proto`` (0 = IP header), bit offset and bit length."""

    proto: int
    offset: int
    length: int


# primitive and data types (Click's TYPE_*)
T_NONE, T_TYPE, T_INT = 0, 1, 3
T_HOST, T_PROTO, T_IPFRAG, T_PORT, T_TCPOPT, T_ETHER = 10, 11, 12, 13, 14, 15
T_NET, T_IPUNFRAG, T_IPECT, T_IPCE = 30, 31, 32, 33
T_BAD = -2

F_IPLEN = FieldT(0, 16, 16)
F_ID = FieldT(0, 32, 16)
F_VERSION = FieldT(0, 0, 4)
F_HL = FieldT(0, 4, 4)
F_TOS = FieldT(0, 8, 8)
F_DSCP = FieldT(0, 8, 6)
F_TTL = FieldT(0, 64, 8)
F_TCP_WIN = FieldT(PROTO_TCP, 112, 16)
F_ICMP_TYPE = FieldT(PROTO_ICMP, 0, 8)

_SYNTAX = "syntax"
TYPE_WORDS: dict[str, object] = {
    "ce": T_IPCE, "dest": _SYNTAX, "dscp": F_DSCP, "dst": _SYNTAX, "ect": T_IPECT,
    "ether": _SYNTAX, "frag": T_IPFRAG, "hl": F_HL, "host": T_HOST, "id": F_ID,
    "ip": _SYNTAX, "len": F_IPLEN, "net": T_NET, "not": _SYNTAX, "opt": T_TCPOPT,
    "port": T_PORT, "proto": T_PROTO, "src": _SYNTAX, "tos": F_TOS, "ttl": F_TTL,
    "type": F_ICMP_TYPE, "unfrag": T_IPUNFRAG, "vers": F_VERSION, "win": F_TCP_WIN,
}

SD_SRC, SD_DST, SD_AND, SD_OR = 1, 2, 3, 4
OP_EQ, OP_GT, OP_LT = 0, 1, 2

TypeT = int | FieldT


# ---------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class FilterRule:
    """One ACTION PATTERN pair: ``port`` (None = drop) and the compiled test tree."""

    port: int | None
    node: Node
    text: str


@dataclass(frozen=True)
class FilterConfig:
    cls: str
    rules: tuple[FilterRule, ...]
    pos: SourcePos | None = field(default=None, compare=False)

    @property
    def max_port(self) -> int:
        return max((r.port for r in self.rules if r.port is not None), default=-1)


class _Error(Exception):
    pass


def _is_field(t: object) -> bool:
    return isinstance(t, FieldT)


@dataclass
class _Prim:
    type: TypeT = 0
    srcdst: int = 0
    proto: int = UNKNOWN
    data: TypeT = T_NONE
    u: int = 0
    mask: int = 0
    op: int = OP_EQ
    negated: bool = False  # the relation's own negation (!=, >=, <=)

    def set_type(self, t: TypeT) -> None:
        if self.type:
            raise _Error("type specified twice")
        self.type = t

    def set_srcdst(self, sd: int) -> None:
        if self.srcdst:
            raise _Error("'src' or 'dst' specified twice")
        self.srcdst = sd

    def set_proto(self, p: int) -> None:
        if self.proto != UNKNOWN and self.proto != p:
            raise _Error("transport protocol specified twice")
        self.proto = p

    # Click's Primitive::set_mask: relations become "> u" with u & mask == u
    def set_mask(self, full: int, provided: int) -> None:
        data = self.u
        m = provided or full
        if m & full != m:
            raise _Error(f"mask out of range, bound {full:#x}")
        if self.op in (OP_GT, OP_LT):
            if (self.op == OP_LT and (data == 0 or data > m)) or (self.op == OP_GT and data >= m):
                will_be = (not self.negated) if (self.op == OP_LT and data > m) else self.negated
                self.u = self.mask = 0
                self.negated = not will_be
                self.op = OP_EQ
                return
            if self.op == OP_LT:
                data -= 1
                self.negated = not self.negated
                self.op = OP_GT
            u, mask = data, m
            if u & mask != u:
                missing = (u & mask) ^ (u & full)
                # the bits below the highest missing one; when that is bit 0 there are
                # none (Click's C shifts by 32 there, which is undefined behaviour)
                bl = missing.bit_length()
                add = (0xFFFFFFFF >> (33 - bl)) if bl > 1 else 0
                u = (u | add) & mask
            self.u, self.mask = u, mask
            return
        if data > full:
            raise _Error(f"value {data} out of range, bound {full}")
        self.u, self.mask = data, m


def separate_text(text: str) -> list[str]:
    """Click's IPFilter tokenizer: punctuation words and runs of word characters."""
    words: list[str] = []
    i, n = 0, len(text)
    word_chars = set("-./@_:")
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        c = text[i]
        two = text[i : i + 2]
        if c in "&|" and two in ("&&", "||"):
            words.append(two)
            i += 2
        elif c in "<>!=" and i + 1 < n and text[i + 1] == "=":
            words.append(two)
            i += 2
        elif c in "&|<>!=()[],;?":
            words.append(c)
            i += 1
        else:
            j = i
            while j < n and (text[j].isalnum() or text[j] in word_chars):
                j += 1
            if j == i:
                j += 1
            words.append(text[i:j])
            i = j
    return words


def _lookup(word: str, type_: TypeT, proto: int, strict: bool = True) -> tuple[int | FieldT, int]:
    """Click's IPFilter::lookup: (T_TYPE, type) for type words; (T_PROTO | T_PORT |
    T_TCPOPT | F_ICMP_TYPE, value) for names; (-1, 0) for none; raises when ambiguous."""
    if type_ in (0, T_TYPE) and word in TYPE_WORDS:
        t = TYPE_WORDS[word]
        if t == _SYNTAX:
            return -1, 0
        return T_TYPE, t  # type: ignore[return-value]
    got = [IP_PROTOS.get(word), PORTS.get(word), PORTS.get(word), TCP_OPTS.get(word),
           ICMP_TYPES.get(word)]
    if all(g is None for g in got):
        return -1, 0
    kinds: list[TypeT] = [T_PROTO, T_PORT, T_PORT, T_TCPOPT, F_ICMP_TYPE]
    ok = [
        got[0] is not None and type_ in (0, T_PROTO),
        got[1] is not None and type_ in (0, T_PORT)
        and proto in (UNKNOWN, PROTO_TCP, PROTO_TCP_OR_UDP),
        got[2] is not None and type_ in (0, T_PORT)
        and proto in (UNKNOWN, PROTO_UDP, PROTO_TCP_OR_UDP),
        got[3] is not None and type_ in (0, T_TCPOPT)
        and proto in (UNKNOWN, PROTO_TCP, PROTO_TCP_OR_UDP),
        got[4] is not None and type_ in (0, F_ICMP_TYPE) and proto in (UNKNOWN, PROTO_ICMP),
    ]
    if ok[1] and ok[2] and got[1] == got[2]:
        ok[2] = False
    if sum(ok) == 1:
        i = ok.index(True)
        return kinds[i], got[i]  # type: ignore[return-value]
    if not strict:
        return T_BAD, 0
    raise _Error(f"'{word}' is {'ambiguous' if sum(ok) > 1 else 'meaningless'} here")


def _parse_uint(word: str) -> int | None:
    try:
        v = values.parse_int(word)
    except ElementConfigError:
        return None
    return v if 0 <= v <= 0xFFFFFFFF else None


def _try(fn: Callable[..., T], *args: object) -> T | None:
    try:
        return fn(*args)
    except ElementConfigError:
        return None


class _Parser:
    """One pattern's parser (Click's IPFilter::Parser, recursive instead of iterative)."""

    def __init__(self, words: list[str], env: values.ConfigEnv | None) -> None:
        self.w = words
        self.env = env
        self.prev = _Prim()

    def at(self, pos: int, *alts: str) -> bool:
        return pos < len(self.w) and self.w[pos] in alts

    def expr(self, pos: int) -> tuple[int, Node]:
        pos, first = self.orexpr(pos)
        parts = [first]
        while self.at(pos, "?"):
            start = pos + 1
            pos, then = self.expr(start)
            if pos == start or not self.at(pos, ":"):
                raise _Error("missing ':' in ternary expression")
            pos, other = self.orexpr(pos + 1)
            parts += [then, other]
        node = parts[-1]
        for i in range(len(parts) - 3, -1, -2):
            node = Ite(parts[i], parts[i + 1], node)
        return pos, node

    def orexpr(self, pos: int) -> tuple[int, Node]:
        pos, t = self.term(pos)
        terms = [t]
        while self.at(pos, "or", "||"):
            pos, t = self.term(pos + 1)
            terms.append(t)
        return pos, terms[0] if len(terms) == 1 else Or(tuple(terms))

    def term(self, pos: int) -> tuple[int, Node]:
        start = pos
        pos, f = self.factor(pos)
        if f is None or pos == start:
            raise _Error(f"missing expression near '{self._word(start)}'")
        factors = [f]
        while True:
            explicit = self.at(pos, "and", "&&")
            nxt = pos + 1 if explicit else pos
            p2, f = self.factor(nxt)
            if f is None or p2 == nxt:
                if explicit:
                    raise _Error(f"missing expression after '{self.w[pos]}'")
                break
            factors.append(f)
            pos = p2
        return pos, factors[0] if len(factors) == 1 else And(tuple(factors))

    def _word(self, pos: int) -> str:
        return self.w[pos] if pos < len(self.w) else "end of pattern"

    def factor(self, pos: int, negated: bool = False) -> tuple[int, Node | None]:
        if self.at(pos, "not", "!"):
            p2, f = self.factor(pos + 1, not negated)
            if f is None or p2 == pos + 1:
                raise _Error(f"missing expression after '{self.w[pos]}'")
            return p2, f
        if self.at(pos, "("):
            p2, e = self.expr(pos + 1)
            if not self.at(p2, ")"):
                raise _Error("missing ')'")
            return p2 + 1, Not(e) if negated else e
        return self.test(pos, negated)

    def test(self, pos: int, negated: bool) -> tuple[int, Node | None]:
        w = self.w
        if pos >= len(w) or w[pos] in (")", "||", "or", "?", ":"):
            return pos, None
        if w[pos] in ("true", "false"):
            node: Node = Const((w[pos] == "true") != negated)
            return pos + 1, node
        first = pos
        prim = _Prim()
        header = ""
        while pos < len(w):
            wd = w[pos]
            wt, wdata = _lookup(wd, 0, UNKNOWN, strict=False)
            if wt == T_TYPE:
                prim.set_type(wdata)
                if _is_field(wdata) and wdata.proto:
                    prim.set_proto(wdata.proto)
            elif wt == T_PROTO:
                prim.set_proto(wdata)  # type: ignore[arg-type]
            elif wt != -1:
                break
            elif wd == "src":
                if pos < len(w) - 2 and w[pos + 2] in ("dst", "dest"):
                    if w[pos + 1] in ("and", "&&"):
                        prim.set_srcdst(SD_AND)
                        pos += 2
                    elif w[pos + 1] in ("or", "||"):
                        prim.set_srcdst(SD_OR)
                        pos += 2
                    else:
                        prim.set_srcdst(SD_SRC)
                else:
                    prim.set_srcdst(SD_SRC)
            elif wd in ("dst", "dest"):
                prim.set_srcdst(SD_DST)
            elif wd in ("ip", "ether"):
                if header:
                    break
                header = wd[0]
            elif wd in ("not", "!"):
                negated = not negated
            else:
                break
            pos += 1
        if pos != first:
            self.prev = _Prim()
        if self.prev.data == T_ETHER:
            header = "e"

        def peek(p: int) -> str:
            return "" if p >= len(w) - 1 else w[p]

        wd = peek(pos)
        if wd == "[" and pos > first and prim.type == 0:
            pos = self.brackets(prim, pos)
            wd = peek(pos)
        mask_dt, mask = 0, 0
        if wd == "&" and pos < len(w) - 1:
            mword = w[pos + 1]
            if (m := _parse_uint(mword)) is not None:
                mask_dt, mask = T_INT, m
            elif header != "e" and (m := _try(values.parse_ip, mword, self.env)) is not None:
                mask_dt, mask = T_HOST, m
            elif header != "i" and (m := _try(values.parse_ether, mword, self.env)) is not None:
                mask_dt, mask = T_ETHER, m
            if mask_dt:
                pos += 2
                if mask_dt != T_ETHER and mask == 0:
                    raise _Error("zero mask ignored")
            wd = peek(pos)
        pos += 1
        if wd in ("=", "=="):
            pass
        elif wd == "!=":
            prim.negated = True
        elif wd == ">":
            prim.op = OP_GT
        elif wd == "<":
            prim.op = OP_LT
        elif wd == ">=":
            prim.op, prim.negated = OP_LT, True
        elif wd == "<=":
            prim.op, prim.negated = OP_GT, True
        else:
            pos -= 1
        if pos < len(w):
            wd = w[pos]
            wt, wdata = _lookup(wd, prim.type, prim.proto)
            pos += 1
            if wt not in (-1, T_TYPE):
                prim.data, prim.u = wt, wdata  # type: ignore[assignment]
            elif (v := _parse_uint(wd)) is not None:
                prim.data, prim.u = T_INT, v
            elif header != "e" and (a := _try(values.parse_ip, wd, self.env)) is not None:
                prim.u = a
                m2 = (
                    _try(values.parse_ip, w[pos + 1], self.env)
                    if pos < len(w) - 1 and w[pos] == "mask"
                    else None
                )
                pfx = None if m2 is not None or prim.type != T_NET else self._prefix(wd)
                if m2 is not None:
                    pos += 2
                    prim.data, prim.mask = T_NET, m2
                elif pfx is not None:
                    prim.data, (prim.u, prim.mask) = T_NET, pfx
                else:
                    prim.data = T_HOST
            elif header != "e" and (pfx := self._prefix(wd, bare=False)) is not None:
                prim.data, (prim.u, prim.mask) = T_NET, pfx
            elif header != "i" and (e := _try(values.parse_ether, wd, self.env)) is not None:
                prim.data, prim.u = T_ETHER, e
            else:
                if prim.op != OP_EQ or prim.negated:
                    raise _Error(f"dangling operator near '{wd}'")
                pos -= 1
        if pos == first:
            raise _Error(f"empty term near '{self._word(pos)}'")
        desc = " ".join(w[first:pos]).replace(" [ ", "[").replace(" ]", "]")
        _check(prim, self.prev, header, mask_dt, mask)
        node = _compile(prim, desc)
        self.prev = prim
        return pos, Not(node) if negated else node

    def _prefix(self, word: str, bare: bool = True) -> tuple[int, int] | None:
        try:
            addr, plen = values.parse_prefix(word, self.env, allow_bare=bare)
        except ElementConfigError:
            return None
        mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        return addr & mask, mask

    def brackets(self, prim: _Prim, pos: int) -> int:
        w = self.w
        pos += 1
        combo = ""
        while pos < len(w) and w[pos] != "]":
            combo += w[pos]
            pos += 1
        if pos >= len(w):
            raise _Error("missing ']'")
        pos += 1
        if ":" in combo[:-1]:
            a, _, b = combo.partition(":")
            fpos, flen = _parse_uint(a), _parse_uint(b)
        else:
            fpos, flen = _parse_uint(combo), 1
        if fpos is None or flen is None:
            raise _Error("syntax error after '[', expected '[POS]' or '[POS:LEN]'")
        bit, nbits = fpos * 8, flen * 8
        if nbits < 1 or nbits > 32:
            raise _Error("LEN in '[POS:LEN]' out of range, should be between 1 and 4")
        if (bit & ~31) != ((bit + nbits - 1) & ~31):
            raise _Error(f"field [{fpos}:{flen}] does not fit in a single word")
        prim.set_type(FieldT(0 if prim.proto == UNKNOWN else prim.proto, bit, nbits))
        return pos


def _check(prim: _Prim, prev: _Prim, header: str, mask_dt: int, mask: int) -> None:
    """Click's Primitive::check: infer the type, validate data and mask, set the mask."""
    # (Click only warns when src/dst is given to a type without one: nothing to do here)
    if not prim.type:
        data = prim.data
        while True:
            if data in (T_HOST, T_NET, T_TCPOPT, T_ETHER):
                prim.type = data
                if not prim.srcdst:
                    prim.srcdst = prev.srcdst
            elif data == T_PROTO:
                prim.type = T_PROTO
            elif data == T_PORT:
                prim.type = T_PORT
                if not prim.srcdst:
                    prim.srcdst = prev.srcdst
                if prim.proto == UNKNOWN:
                    prim.proto = prev.proto
            elif data == T_INT:
                if not (_is_field(prev.type) or prev.type in (T_PROTO, T_PORT)):
                    raise _Error("specify header field or 'port'")
                data = prim.data = prev.type
                continue
            elif data == T_NONE:
                if prim.proto == UNKNOWN:
                    raise _Error("partial directive")
                prim.type = T_PROTO
            elif _is_field(data):
                prim.type = data
                if data.proto and prim.proto == UNKNOWN:  # type: ignore[union-attr]
                    prim.proto = data.proto  # type: ignore[union-attr]
            else:
                raise _Error("unknown type")
            break
    if not header:
        header = "e" if prim.data == T_ETHER else "i"
    if header == "e" and prim.type == T_HOST:
        prim.type = T_ETHER
    t = prim.type
    name = _type_name(t)
    if t in (T_HOST, T_NET):
        if header != "i" or prim.data != t:
            raise _Error(f"'{name}': address missing")
        if prim.op != OP_EQ:
            raise _Error(f"'{name}': operator not supported")
        if t == T_HOST:
            prim.mask = 0xFFFFFFFF
        prim.type = T_HOST
        if mask_dt and mask_dt not in (T_INT, T_HOST):
            raise _Error(f"'{name}': bad mask")
        if mask_dt:
            prim.mask = mask
    elif t == T_ETHER:
        if header != "e" or prim.data != T_ETHER:
            raise _Error("'ether host': address missing")
        if prim.op != OP_EQ:
            raise _Error("'ether host': operator not supported")
        prim.mask = (1 << 48) - 1
        if mask_dt and mask_dt != T_ETHER:
            raise _Error("'ether host': bad mask")
        if mask_dt:
            prim.mask = mask
    elif t == T_PROTO:
        if header != "i":
            raise _Error("'proto': ip only")
        if prim.data in (T_INT, T_PROTO):
            if prim.proto != UNKNOWN and prim.proto != prim.u:
                raise _Error("'proto': specified twice")
            prim.data = T_NONE
        else:
            prim.u = prim.proto
        prim.proto = UNKNOWN
        if prim.data != T_NONE or prim.u == UNKNOWN:
            raise _Error("'proto': value missing")
        if prim.u >= 256:
            if prim.op != OP_EQ or mask_dt:
                raise _Error("operator or mask not supported")
            prim.mask = 0xFF
        elif mask_dt and mask_dt != T_INT:
            raise _Error("'proto': bad mask")
        else:
            prim.set_mask(0xFF, mask if mask_dt else 0)
        if prim.op == OP_EQ and prim.mask == 0xFF and not prim.negated:
            prim.proto = prim.u
    elif t == T_PORT:
        if header != "i":
            raise _Error("'port': ip only")
        if prim.data == T_INT:
            prim.data = T_PORT
        if prim.data != T_PORT:
            raise _Error("'port': value missing")
        if prim.proto == UNKNOWN:
            prim.proto = PROTO_TCP_OR_UDP
        elif prim.proto not in (PROTO_TCP, PROTO_UDP, PROTO_TCP_OR_UDP, PROTO_DCCP):
            raise _Error(f"'port': bad protocol {prim.proto}")
        elif mask_dt and mask_dt != T_INT:
            raise _Error("'port': bad mask")
        prim.set_mask(0xFFFF, mask if mask_dt else 0)
    elif t == T_TCPOPT:
        if header != "i":
            raise _Error("'tcp opt': ip only")
        if prim.data == T_INT:
            prim.data = T_TCPOPT
        if prim.data != T_TCPOPT:
            raise _Error("'tcp opt': value missing")
        if prim.proto == UNKNOWN:
            prim.proto = PROTO_TCP
        elif prim.proto != PROTO_TCP:
            raise _Error(f"'tcp opt': bad protocol {prim.proto}")
        if prim.op != OP_EQ or prim.negated or mask_dt:
            raise _Error("'tcp opt': operator or mask not supported")
        if not 0 <= prim.u <= 255:
            raise _Error(f"'tcp opt': value {prim.u} out of range")
        prim.mask = prim.u
    elif t == T_IPECT:
        if header != "i":
            raise _Error("'ip ect': ip only")
        if prim.data not in (T_NONE, T_INT):
            raise _Error("'ip ect': value missing")
        if prim.data == T_NONE:
            prim.u, prim.negated = 0, True
            prim.set_mask(0x3, 0)
        elif mask_dt and mask_dt != T_INT:
            raise _Error("'ip ect': bad mask")
        else:
            prim.set_mask(0x3, mask if mask_dt else 0)
        prim.type = F_TOS
    elif t == T_IPCE:
        if header != "i":
            raise _Error("'ip ce': ip only")
        if prim.data != T_NONE or mask_dt:
            raise _Error("'ip ce': value not supported")
        prim.mask, prim.u, prim.type = 0x3, 0x3, F_TOS
    elif t in (T_IPFRAG, T_IPUNFRAG):
        if header != "i":
            raise _Error("'ip frag': ip only")
        if prim.data != T_NONE or mask_dt:
            raise _Error("'ip frag': value not supported")
        prim.mask = 1
        if t == T_IPUNFRAG:
            prim.negated = True
            prim.type = T_IPFRAG
    elif isinstance(t, FieldT):
        if header != "i":
            raise _Error(f"'{name}': ip only")
        if prim.data != T_INT and prim.data != t:
            raise _Error(f"'{name}': value missing")
        if mask_dt and mask_dt != T_INT:
            raise _Error(f"'{name}': bad mask")
        full = 0xFFFFFFFF if t.length == 32 else (1 << t.length) - 1
        prim.set_mask(full, mask if mask_dt else 0)
    else:
        raise _Error("unknown type")
    if prim.type in (T_HOST, T_PORT, T_ETHER) and prim.srcdst == 0:
        prim.srcdst = SD_OR


def _type_name(t: TypeT) -> str:
    for k, v in TYPE_WORDS.items():
        if v == t and k not in ("dest",):
            return k
    return "ip[...]" if isinstance(t, FieldT) else str(t)


# ---------------------------------------------------------------------------------------
# compilation into Click's word tests


def _proto_node(proto: int, desc: str) -> Node | None:
    if proto == PROTO_TCP_OR_UDP:
        return Or((
            leaf("net", 8, PROTO_TCP << 16, 0xFF << 16, desc),
            leaf("net", 8, PROTO_UDP << 16, 0xFF << 16, desc),
        ))
    if proto >= 256:
        return None
    return leaf("net", 8, proto << 16, 0xFF << 16, desc)


def _comparison(prim: _Prim, space: str, off: int, shift: int, op_negate: bool,
                desc: str, u: int | None = None, mask: int | None = None) -> Node:
    """Click's add_comparison_exprs: equality, or "> u" as a chain of masked tests."""
    mask = prim.mask if mask is None else mask
    u = (prim.u if u is None else u) & mask
    if prim.op == OP_EQ:
        node = leaf(space, off, (u << shift) & 0xFFFFFFFF, (mask << shift) & 0xFFFFFFFF, desc)
    else:
        word_mask = (mask << shift) & 0xFFFFFFFF
        above = compress_bits((u << shift) & 0xFFFFFFFF, word_mask) + 1
        top = (1 << bin(word_mask).count("1")) - 1
        prefixes: Node = Or(tuple(
            leaf(space, off, v, m, desc) for v, m in word_range_tests(above, top, word_mask)))
        levels: list[tuple[Node, bool]] = []
        while u < mask:
            high = u > (mask >> 1)
            x = (~(u + 1) & mask) if high else u
            fdb = x.bit_length() if x else 33
            # Click shifts by fdb in 32 bits; x86 takes the count modulo 32
            upper = mask if fdb == 33 else mask & ~((1 << (fdb & 31)) - 1)
            lit = leaf(space, off, ((upper if high else 0) << shift) & 0xFFFFFFFF,
                       (upper << shift) & 0xFFFFFFFF, desc)
            if not high:
                lit = flip_short(Not(lit))
            levels.append((lit, high))
            mask &= ~upper
            u &= mask
        node = levels[-1][0] if levels else Const(False)  # "> u" with u at the top
        for lit, high in reversed(levels[:-1]):
            node = And((lit, node)) if high else Or((lit, node))
        node = Rel(node, prefixes)
    if prim.negated and op_negate:
        node = flip_short(Not(node))
    return node


def _srcdst(prim: _Prim, parts: list[Node]) -> Node:
    node: Node = parts[0] if len(parts) == 1 else (
        Or(tuple(parts)) if prim.srcdst == SD_OR else And(tuple(parts)))
    return flip_short(Not(node)) if prim.negated else node


def _compile(prim: _Prim, desc: str) -> Node:
    parts: list[Node] = []
    if prim.proto != UNKNOWN:
        pn = _proto_node(prim.proto, desc)
        if pn is not None:
            parts.append(pn)
    t = prim.type
    if t in (T_PORT, T_TCPOPT) or (isinstance(t, FieldT) and t.proto):
        parts.append(leaf("net", 4, 0, 0x1FFF, desc))
    src = prim.srcdst in (SD_SRC, SD_AND, SD_OR)
    dst = prim.srcdst in (SD_DST, SD_AND, SD_OR)
    if t == T_HOST:
        sides = []
        if src:
            sides.append(_comparison(prim, "net", 12, 0, False, desc))
        if dst:
            sides.append(_comparison(prim, "net", 16, 0, False, desc))
        parts.append(_srcdst(prim, sides))
    elif t == T_ETHER:
        a = prim.u.to_bytes(6, "big")
        m = prim.mask.to_bytes(6, "big")

        def word(bs: bytes) -> int:
            return int.from_bytes(bs, "big")

        sides = []
        if src:  # the MAC word base is mac_header - 2: source bytes at 8..13
            sides.append(And((
                leaf("mac", 8, word(a[0:4]), word(m[0:4]), desc),
                leaf("mac", 12, word(a[4:6]) << 16, word(m[4:6]) << 16, desc),
            )))
        if dst:
            sides.append(And((
                leaf("mac", 0, word(a[0:2]), word(m[0:2]), desc),
                leaf("mac", 4, word(a[2:6]), word(m[2:6]), desc),
            )))
        parts.append(_srcdst(prim, sides))
    elif t == T_PROTO:
        if prim.proto < 256:
            parts.append(_comparison(prim, "net", 8, 16, True, desc))
    elif t == T_IPFRAG:
        frag = leaf("net", 4, 0, 0x3FFF, desc)
        parts.append(frag if prim.negated else flip_short(Not(frag)))
    elif t == T_PORT:
        sides = []
        if src:
            sides.append(_comparison(prim, "transp", 0, 16, False, desc))
        if dst:
            sides.append(_comparison(prim, "transp", 0, 0, False, desc))
        parts.append(_srcdst(prim, sides))
    elif t == T_TCPOPT:
        parts.append(leaf("transp", 12, prim.u << 16, prim.mask << 16, desc))
    elif isinstance(t, FieldT):
        word_off = (t.offset >> 3) & ~3
        bit_off = t.offset & 0x1F
        space = "transp" if t.proto else "net"
        parts.append(_comparison(prim, space, word_off, 32 - (bit_off + t.length), True, desc))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


# ---------------------------------------------------------------------------------------
# module interface


def parse(cls: str, args: Sequence[str], pos: SourcePos | None = None,
          env: values.ConfigEnv | None = None) -> FilterConfig:
    if cls not in CLASSES:
        raise ElementConfigError(f"{cls} is not handled by the IPFilter module", pos)
    rules: list[FilterRule] = []
    for i, arg in enumerate(args):
        text = values.unquote(arg)
        words = separate_text(text)
        where = f"{cls} pattern {i}"
        if cls == "IPClassifier":
            words = [str(i), *words]
        if not words or (cls == "IPClassifier" and len(words) == 1):
            raise ElementConfigError(f"{where}: empty pattern", pos)
        slot = words[0]
        port: int | None
        if slot == "allow":
            port = 0
        elif slot in ("deny", "drop"):
            port = None
        else:
            port = _parse_uint(slot) if slot.lstrip("+-").isalnum() else None
            if port is None:
                raise ElementConfigError(f"{where}: unknown slot ID '{slot}'", pos)
        if len(words) == 1 or (len(words) == 2 and words[1] in ("-", "any", "all")):
            node: Node = Const(True)
        else:
            parser = _Parser(words, env)
            try:
                end, node = parser.expr(1)
                if end < len(words):
                    raise _Error(f"garbage after expression at '{words[end]}'")
            except _Error as e:
                raise ElementConfigError(f"{where}: {e} (in '{text.strip()}')", pos) from None
        rules.append(FilterRule(port, node, text.strip()))
    return FilterConfig(cls, tuple(rules), pos)


class _ClickPacket:
    """How IPFilter reads a packet: MAC header at frame start, IP header at the
    annotation, transport header after IHL * 4 bytes, with Click's length checks."""

    BASE = {"mac": 0, "net": 256, "transp": 512}

    def __init__(self, frame: bytes, ip_offset: int) -> None:
        self.frame = frame
        self.net = frame[ip_offset:]
        nl = len(self.net)
        self.nhl = (self.net[0] & 0x0F) * 4 if nl else 0
        if nl > self.nhl:
            self.plen = nl + 512 - self.nhl
        else:
            self.plen = nl + 256

    def _bytes(self, space: str, off: int) -> bytes:
        if space == "mac":
            start = off - 2
            src = self.frame
        elif space == "net":
            start, src = off, self.net
        else:
            start, src = self.nhl + off, self.net
        out = bytearray(4)
        for k in range(4):
            i = start + k
            if 0 <= i < len(src):
                out[k] = src[i]
        return bytes(out)

    def test(self, lf: Leaf) -> bool:
        voff = self.BASE[lf.space] + lf.off
        if voff + 4 > self.plen:
            avail = self.plen - voff
            mb = lf.mask.to_bytes(4, "big")
            if avail <= 0 or any(mb[k] for k in range(max(avail, 0), 4)):
                return lf.short_true
        word = int.from_bytes(self._bytes(lf.space, lf.off), "big")
        return (word & lf.mask) == lf.value


def evaluate(cls: str, config: FilterConfig, packet_bytes: bytes, data_offset: int,
             ip_offset: int | None = None) -> int | None:
    """The output port Click's IPFilter/IPClassifier picks for a frame, None = drop.

    ``packet_bytes`` is the whole frame as Click holds it (MAC header annotation at its
    start), ``data_offset`` Click's data pointer; the IP header annotation is at
    ``ip_offset`` (default: the data pointer, as CheckIPHeader after Strip sets it).
    """
    pkt = _ClickPacket(packet_bytes, data_offset if ip_offset is None else ip_offset)
    for rule in config.rules:
        if eval_node(rule.node, pkt.test):
            return rule.port
    return None


# transport layouts: (field, first bit, width) from the start of the transport header
_L4_LAYOUTS: dict[int, Layout] = {
    PROTO_TCP: (("meta.sport", 0, 16), ("meta.dport", 16, 16), ("meta.tcp_flags", 104, 8)),
    PROTO_UDP: (("meta.sport", 0, 16), ("meta.dport", 16, 16)),
    PROTO_ICMP: (("meta.icmp_type", 0, 8), ("meta.icmp_code", 8, 8)),
}
_L4_NAMES = {PROTO_TCP: "TCP", PROTO_UDP: "UDP", PROTO_ICMP: "ICMP"}


def _first_fragment(proto: int) -> Cube:
    c = make_cube([("hdr.ipv4.protocol", proto, 0xFF), ("hdr.ipv4.fragOffset", 0, 0x1FFF)])
    assert c is not None
    return c


def _mapper(l4: Layout | None) -> Callable[[Leaf], Cube | bool | None]:
    def map_leaf(lf: Leaf) -> Cube | bool | None:
        if lf.space == "mac":
            return word_cube(ETH_LAYOUT, (lf.off - 2) * 8, lf.value, lf.mask)
        if lf.space == "net":
            return word_cube(IPV4_LAYOUT, lf.off * 8, lf.value, lf.mask)
        if l4 is None:
            return None
        return word_cube(l4, lf.off * 8, lf.value, lf.mask)

    return map_leaf


def filter_contexts(nodes: Sequence[Node]) -> list[Context]:
    """Blocks for the classify table: one per parsed transport protocol when a pattern
    reads transport bytes (there the switch's l4 fields stand for them), then the rest."""
    if not any(lf.space == "transp" for n in nodes for lf in iter_leaves(n)):
        return [Context("all packets", (), ((),), _mapper(None))]
    contexts = []
    firsts = []
    for proto, layout in _L4_LAYOUTS.items():
        base = _first_fragment(proto)
        firsts.append(base)
        # l4_ok and ip_ok are implied here for well-formed packets; they are added to the
        # entries that read l4 fields (entries_from_rules), not to the context
        contexts.append(Context(f"{_L4_NAMES[proto]} first fragments", base, (base,),
                                _mapper(layout)))
    rest = tuple(rl_true_cubes(rl_cubes(firsts, False, True)))
    contexts.append(Context("non-first fragments and other protocols", (), rest,
                            _mapper(None)))
    return contexts


def lower_rules(
    config: FilterConfig, bound: int = DEFAULT_RULE_BOUND
) -> list[tuple[Cube, int | None]]:
    """The simplified first-match rule list ``[(cube, port or None), ...]``."""
    patterns = [(r.node, r.port) for r in config.rules]
    contexts = filter_contexts([r.node for r in config.rules])
    try:
        return lower_patterns(patterns, contexts, None, bound)
    except Unexpressible as e:
        raise NotOffloadable(
            f"{config.cls}: '{e.desc}' reads packet bytes the switch does not parse "
            f"(for {e.context}); the classify key holds only IPv4 header fields, ports, "
            "TCP flags and ICMP type/code"
        ) from None
    except RuleExplosion:
        raise NotOffloadable(f"{config.cls}: needs more than {bound} classify rules") from None


def lower(cls: str, config: FilterConfig, ctx: LowerContext,
          bound: int = DEFAULT_RULE_BOUND) -> Lowering:
    if not ctx.ip_header:
        raise NotOffloadable(
            f"{cls} runs without an IP header annotation (no CheckIPHeader/MarkIPHeader "
            "upstream)")
    if ctx.data_offset not in (0, 14):
        raise NotOffloadable(
            f"{cls} at data offset {ctx.data_offset}: the switch parses IPv4 right after "
            "the Ethernet header only")
    if config.max_port >= ctx.n_outputs:
        raise ElementConfigError(
            f"{cls}: output {config.max_port} used but only {ctx.n_outputs} connected",
            config.pos)
    rules = lower_rules(config, bound)
    return Lowering(kind="classify", entries=entries_from_rules(rules, bound))


IPFILTER: ElementFamily[FilterConfig] = ElementFamily("ipfilter", CLASSES, parse, lower)

__all__ = [
    "CLASSES", "IPFILTER", "FilterConfig", "FilterRule", "evaluate",
    "filter_contexts", "lower", "lower_rules", "parse", "separate_text",
]
