"""Click's IPFilter primitive: one test's qualifiers, value, mask and relation.

The types (``T_*`` and the header fields ``F_*``), the type words, and
:meth:`Primitive.set_mask` / :func:`check` follow Click's ``IPFilter::Primitive``
(elements/ip/ipfilter.cc), including how a relation becomes ``> u`` under a mask and how
a bare value inherits the previous test's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from p4sfc_compiler.families.ipfilter.names import (
    PROTO_DCCP,
    PROTO_ICMP,
    PROTO_TCP,
    PROTO_TCP_OR_UDP,
    PROTO_UDP,
    UNKNOWN,
)


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

SYNTAX_WORD = "syntax"  # a qualifier the parser reads itself, not a type
TYPE_WORDS: dict[str, object] = {
    "ce": T_IPCE, "dest": SYNTAX_WORD, "dscp": F_DSCP, "dst": SYNTAX_WORD, "ect": T_IPECT,
    "ether": SYNTAX_WORD, "frag": T_IPFRAG, "hl": F_HL, "host": T_HOST, "id": F_ID,
    "ip": SYNTAX_WORD, "len": F_IPLEN, "net": T_NET, "not": SYNTAX_WORD, "opt": T_TCPOPT,
    "port": T_PORT, "proto": T_PROTO, "src": SYNTAX_WORD, "tos": F_TOS, "ttl": F_TTL,
    "type": F_ICMP_TYPE, "unfrag": T_IPUNFRAG, "vers": F_VERSION, "win": F_TCP_WIN,
}

SD_SRC, SD_DST, SD_AND, SD_OR = 1, 2, 3, 4
OP_EQ, OP_GT, OP_LT = 0, 1, 2

TypeT = int | FieldT


class PatternError(Exception):
    """A pattern Click rejects; ``config.parse`` reports it with the element's position."""


def is_field(t: object) -> TypeGuard[FieldT]:
    return isinstance(t, FieldT)


@dataclass
class Primitive:
    """One test while it is read: mutable, as the parser fills it word by word."""

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
            raise PatternError("type specified twice")
        self.type = t

    def set_srcdst(self, sd: int) -> None:
        if self.srcdst:
            raise PatternError("'src' or 'dst' specified twice")
        self.srcdst = sd

    def set_proto(self, p: int) -> None:
        if self.proto != UNKNOWN and self.proto != p:
            raise PatternError("transport protocol specified twice")
        self.proto = p

    # Click's Primitive::set_mask: relations become "> u" with u & mask == u
    def set_mask(self, full: int, provided: int) -> None:
        data = self.u
        m = provided or full
        if m & full != m:
            raise PatternError(f"mask out of range, bound {full:#x}")
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
            raise PatternError(f"value {data} out of range, bound {full}")
        self.u, self.mask = data, m


def check(prim: Primitive, prev: Primitive, header: str, mask_dt: int, mask: int) -> None:
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
                if not (is_field(prev.type) or prev.type in (T_PROTO, T_PORT)):
                    raise PatternError("specify header field or 'port'")
                data = prim.data = prev.type
                continue
            elif data == T_NONE:
                if prim.proto == UNKNOWN:
                    raise PatternError("partial directive")
                prim.type = T_PROTO
            elif is_field(data):
                prim.type = data
                if data.proto and prim.proto == UNKNOWN:
                    prim.proto = data.proto
            else:
                raise PatternError("unknown type")
            break
    if not header:
        header = "e" if prim.data == T_ETHER else "i"
    if header == "e" and prim.type == T_HOST:
        prim.type = T_ETHER
    t = prim.type
    name = type_name(t)
    if t in (T_HOST, T_NET):
        if header != "i" or prim.data != t:
            raise PatternError(f"'{name}': address missing")
        if prim.op != OP_EQ:
            raise PatternError(f"'{name}': operator not supported")
        if t == T_HOST:
            prim.mask = 0xFFFFFFFF
        prim.type = T_HOST
        if mask_dt and mask_dt not in (T_INT, T_HOST):
            raise PatternError(f"'{name}': bad mask")
        if mask_dt:
            prim.mask = mask
    elif t == T_ETHER:
        if header != "e" or prim.data != T_ETHER:
            raise PatternError("'ether host': address missing")
        if prim.op != OP_EQ:
            raise PatternError("'ether host': operator not supported")
        prim.mask = (1 << 48) - 1
        if mask_dt and mask_dt != T_ETHER:
            raise PatternError("'ether host': bad mask")
        if mask_dt:
            prim.mask = mask
    elif t == T_PROTO:
        if header != "i":
            raise PatternError("'proto': ip only")
        if prim.data in (T_INT, T_PROTO):
            if prim.proto != UNKNOWN and prim.proto != prim.u:
                raise PatternError("'proto': specified twice")
            prim.data = T_NONE
        else:
            prim.u = prim.proto
        prim.proto = UNKNOWN
        if prim.data != T_NONE or prim.u == UNKNOWN:
            raise PatternError("'proto': value missing")
        if prim.u >= 256:
            if prim.op != OP_EQ or mask_dt:
                raise PatternError("operator or mask not supported")
            prim.mask = 0xFF
        elif mask_dt and mask_dt != T_INT:
            raise PatternError("'proto': bad mask")
        else:
            prim.set_mask(0xFF, mask if mask_dt else 0)
        if prim.op == OP_EQ and prim.mask == 0xFF and not prim.negated:
            prim.proto = prim.u
    elif t == T_PORT:
        if header != "i":
            raise PatternError("'port': ip only")
        if prim.data == T_INT:
            prim.data = T_PORT
        if prim.data != T_PORT:
            raise PatternError("'port': value missing")
        if prim.proto == UNKNOWN:
            prim.proto = PROTO_TCP_OR_UDP
        elif prim.proto not in (PROTO_TCP, PROTO_UDP, PROTO_TCP_OR_UDP, PROTO_DCCP):
            raise PatternError(f"'port': bad protocol {prim.proto}")
        elif mask_dt and mask_dt != T_INT:
            raise PatternError("'port': bad mask")
        prim.set_mask(0xFFFF, mask if mask_dt else 0)
    elif t == T_TCPOPT:
        if header != "i":
            raise PatternError("'tcp opt': ip only")
        if prim.data == T_INT:
            prim.data = T_TCPOPT
        if prim.data != T_TCPOPT:
            raise PatternError("'tcp opt': value missing")
        if prim.proto == UNKNOWN:
            prim.proto = PROTO_TCP
        elif prim.proto != PROTO_TCP:
            raise PatternError(f"'tcp opt': bad protocol {prim.proto}")
        if prim.op != OP_EQ or prim.negated or mask_dt:
            raise PatternError("'tcp opt': operator or mask not supported")
        if not 0 <= prim.u <= 255:
            raise PatternError(f"'tcp opt': value {prim.u} out of range")
        prim.mask = prim.u
    elif t == T_IPECT:
        if header != "i":
            raise PatternError("'ip ect': ip only")
        if prim.data not in (T_NONE, T_INT):
            raise PatternError("'ip ect': value missing")
        if prim.data == T_NONE:
            prim.u, prim.negated = 0, True
            prim.set_mask(0x3, 0)
        elif mask_dt and mask_dt != T_INT:
            raise PatternError("'ip ect': bad mask")
        else:
            prim.set_mask(0x3, mask if mask_dt else 0)
        prim.type = F_TOS
    elif t == T_IPCE:
        if header != "i":
            raise PatternError("'ip ce': ip only")
        if prim.data != T_NONE or mask_dt:
            raise PatternError("'ip ce': value not supported")
        prim.mask, prim.u, prim.type = 0x3, 0x3, F_TOS
    elif t in (T_IPFRAG, T_IPUNFRAG):
        if header != "i":
            raise PatternError("'ip frag': ip only")
        if prim.data != T_NONE or mask_dt:
            raise PatternError("'ip frag': value not supported")
        prim.mask = 1
        if t == T_IPUNFRAG:
            prim.negated = True
            prim.type = T_IPFRAG
    elif isinstance(t, FieldT):
        if header != "i":
            raise PatternError(f"'{name}': ip only")
        if prim.data != T_INT and prim.data != t:
            raise PatternError(f"'{name}': value missing")
        if mask_dt and mask_dt != T_INT:
            raise PatternError(f"'{name}': bad mask")
        full = 0xFFFFFFFF if t.length == 32 else (1 << t.length) - 1
        prim.set_mask(full, mask if mask_dt else 0)
    else:
        raise PatternError("unknown type")
    if prim.type in (T_HOST, T_PORT, T_ETHER) and prim.srcdst == 0:
        prim.srcdst = SD_OR


def type_name(t: TypeT) -> str:
    for k, v in TYPE_WORDS.items():
        if v == t and k not in ("dest",):
            return k
    return "ip[...]" if isinstance(t, FieldT) else str(t)
