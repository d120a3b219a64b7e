"""Click's IPFilter pattern language: the tokenizer and the parser (``IPFilter::Parser``).

Recursive where Click's is iterative, with the same grammar and quirks: ``?:``, ``or``,
implicit and explicit ``and``, ``not``; a test's qualifiers carry over to a following
bare value. Each test is checked and compiled as soon as it is read (Click, too, builds
its program while parsing), so the parser yields word-test trees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from p4sfc_compiler.families import values
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.ipfilter.compile import compile_primitive
from p4sfc_compiler.families.ipfilter.names import (
    ICMP_TYPES,
    IP_PROTOS,
    PORTS,
    PROTO_ICMP,
    PROTO_TCP,
    PROTO_TCP_OR_UDP,
    PROTO_UDP,
    TCP_OPTS,
    UNKNOWN,
)
from p4sfc_compiler.families.ipfilter.primitive import (
    F_ICMP_TYPE,
    OP_EQ,
    OP_GT,
    OP_LT,
    SD_AND,
    SD_DST,
    SD_OR,
    SD_SRC,
    SYNTAX_WORD,
    T_BAD,
    T_ETHER,
    T_HOST,
    T_INT,
    T_NET,
    T_PORT,
    T_PROTO,
    T_TCPOPT,
    T_TYPE,
    TYPE_WORDS,
    FieldT,
    PatternError,
    Primitive,
    TypeT,
    check,
    is_field,
)
from p4sfc_compiler.families.wordtests import And, Const, Ite, Node, Not, Or

T = TypeVar("T")


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
            while j < n and (values.ascii_alnum(text[j]) or text[j] in word_chars):
                j += 1
            if j == i:
                j += 1
            words.append(text[i:j])
            i = j
    return words


def lookup(
    word: str, type_: TypeT, proto: int, strict: bool = True
) -> tuple[int | FieldT, int]:
    """Click's IPFilter::lookup: (T_TYPE, type) for type words; (T_PROTO | T_PORT |
    T_TCPOPT | F_ICMP_TYPE, value) for names; (-1, 0) for none; raises when ambiguous."""
    if type_ in (0, T_TYPE) and word in TYPE_WORDS:
        t = TYPE_WORDS[word]
        if t == SYNTAX_WORD:
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
    raise PatternError(f"'{word}' is {'ambiguous' if sum(ok) > 1 else 'meaningless'} here")


def read_uint(word: str) -> int | None:
    """A Click integer word (decimal, hex, octal) in 0..2**32-1, else None."""
    try:
        v = values.parse_int(word)
    except ElementConfigError:
        return None
    return v if 0 <= v <= 0xFFFFFFFF else None


def try_parse(fn: Callable[..., T], *args: object) -> T | None:
    """``fn(*args)``, or None when the word is not that kind of value: a word may be an
    address, a prefix or an Ethernet address, and the parser tries them in Click's order."""
    try:
        return fn(*args)
    except ElementConfigError:
        return None


class Parser:
    """One pattern's parser (Click's IPFilter::Parser, recursive instead of iterative)."""

    def __init__(self, words: list[str], env: values.ConfigEnv | None) -> None:
        self.w = words
        self.env = env
        self.prev = Primitive()

    def at(self, pos: int, *alts: str) -> bool:
        return pos < len(self.w) and self.w[pos] in alts

    def expr(self, pos: int) -> tuple[int, Node]:
        pos, first = self.orexpr(pos)
        parts = [first]
        while self.at(pos, "?"):
            start = pos + 1
            pos, then = self.expr(start)
            if pos == start or not self.at(pos, ":"):
                raise PatternError("missing ':' in ternary expression")
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
            raise PatternError(f"missing expression near '{self._word(start)}'")
        factors = [f]
        while True:
            explicit = self.at(pos, "and", "&&")
            nxt = pos + 1 if explicit else pos
            p2, f = self.factor(nxt)
            if f is None or p2 == nxt:
                if explicit:
                    raise PatternError(f"missing expression after '{self.w[pos]}'")
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
                raise PatternError(f"missing expression after '{self.w[pos]}'")
            return p2, f
        if self.at(pos, "("):
            p2, e = self.expr(pos + 1)
            if not self.at(p2, ")"):
                raise PatternError("missing ')'")
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
        prim = Primitive()
        header = ""
        while pos < len(w):
            wd = w[pos]
            wt, wdata = lookup(wd, 0, UNKNOWN, strict=False)
            if wt == T_TYPE:
                prim.set_type(wdata)
                if is_field(wdata) and wdata.proto:
                    prim.set_proto(wdata.proto)
            elif wt == T_PROTO:
                prim.set_proto(wdata)
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
            self.prev = Primitive()
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
            if (m := read_uint(mword)) is not None:
                mask_dt, mask = T_INT, m
            elif header != "e" and (m := try_parse(values.parse_ip, mword, self.env)) is not None:
                mask_dt, mask = T_HOST, m
            elif header != "i" and (m := try_parse(values.parse_ether, mword, self.env)) is not None:
                mask_dt, mask = T_ETHER, m
            if mask_dt:
                pos += 2
                if mask_dt != T_ETHER and mask == 0:
                    raise PatternError("zero mask ignored")
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
            wt, wdata = lookup(wd, prim.type, prim.proto)
            pos += 1
            if wt not in (-1, T_TYPE):
                prim.data, prim.u = wt, wdata
            elif (v := read_uint(wd)) is not None:
                prim.data, prim.u = T_INT, v
            elif header != "e" and (a := try_parse(values.parse_ip, wd, self.env)) is not None:
                prim.u = a
                m2 = (
                    try_parse(values.parse_ip, w[pos + 1], self.env)
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
            elif header != "i" and (e := try_parse(values.parse_ether, wd, self.env)) is not None:
                prim.data, prim.u = T_ETHER, e
            else:
                if prim.op != OP_EQ or prim.negated:
                    raise PatternError(f"dangling operator near '{wd}'")
                pos -= 1
        if pos == first:
            raise PatternError(f"empty term near '{self._word(pos)}'")
        desc = " ".join(w[first:pos]).replace(" [ ", "[").replace(" ]", "]")
        check(prim, self.prev, header, mask_dt, mask)
        node = compile_primitive(prim, desc)
        self.prev = prim
        return pos, Not(node) if negated else node

    def _prefix(self, word: str, bare: bool = True) -> tuple[int, int] | None:
        try:
            addr, plen = values.parse_prefix(word, self.env, allow_bare=bare)
        except ElementConfigError:
            return None
        mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        return addr & mask, mask

    def brackets(self, prim: Primitive, pos: int) -> int:
        w = self.w
        pos += 1
        combo = ""
        while pos < len(w) and w[pos] != "]":
            combo += w[pos]
            pos += 1
        if pos >= len(w):
            raise PatternError("missing ']'")
        pos += 1
        if ":" in combo[:-1]:
            a, _, b = combo.partition(":")
            fpos, flen = read_uint(a), read_uint(b)
        else:
            fpos, flen = read_uint(combo), 1
        if fpos is None or flen is None:
            raise PatternError("syntax error after '[', expected '[POS]' or '[POS:LEN]'")
        bit, nbits = fpos * 8, flen * 8
        if nbits < 1 or nbits > 32:
            raise PatternError("LEN in '[POS:LEN]' out of range, should be between 1 and 4")
        if (bit & ~31) != ((bit + nbits - 1) & ~31):
            raise PatternError(f"field [{fpos}:{flen}] does not fit in a single word")
        prim.set_type(FieldT(0 if prim.proto == UNKNOWN else prim.proto, bit, nbits))
        return pos
