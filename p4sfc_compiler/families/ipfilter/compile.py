"""A checked primitive compiled into Click's word tests (Click's ``Primitive::add_exprs``).

Each test becomes :class:`~p4sfc_compiler.families.wordtests.Leaf` words on the MAC,
network or transport header, with the protocol and first-fragment tests the test
implies, and Click's result for packets too short for a word; a relation (``> 1023``) is
kept two ways (:class:`~p4sfc_compiler.families.wordtests.Rel`).
"""

from __future__ import annotations

from p4sfc_compiler.families.ipfilter.names import PROTO_TCP, PROTO_TCP_OR_UDP, PROTO_UDP, UNKNOWN
from p4sfc_compiler.families.ipfilter.primitive import (
    OP_EQ,
    SD_AND,
    SD_DST,
    SD_OR,
    SD_SRC,
    T_ETHER,
    T_HOST,
    T_IPFRAG,
    T_PORT,
    T_PROTO,
    T_TCPOPT,
    FieldT,
    Primitive,
)
from p4sfc_compiler.families.wordtests import (
    And,
    Const,
    Node,
    Not,
    Or,
    Rel,
    compress_bits,
    flip_short,
    leaf,
    word_range_tests,
)


def _proto_node(proto: int, desc: str) -> Node | None:
    if proto == PROTO_TCP_OR_UDP:
        return Or((
            leaf("net", 8, PROTO_TCP << 16, 0xFF << 16, desc),
            leaf("net", 8, PROTO_UDP << 16, 0xFF << 16, desc),
        ))
    if proto >= 256:
        return None
    return leaf("net", 8, proto << 16, 0xFF << 16, desc)


def _comparison(prim: Primitive, space: str, off: int, shift: int, op_negate: bool,
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


def _srcdst(prim: Primitive, parts: list[Node]) -> Node:
    node: Node = parts[0] if len(parts) == 1 else (
        Or(tuple(parts)) if prim.srcdst == SD_OR else And(tuple(parts)))
    return flip_short(Not(node)) if prim.negated else node


def compile_primitive(prim: Primitive, desc: str) -> Node:
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
