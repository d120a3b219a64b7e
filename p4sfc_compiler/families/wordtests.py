"""Click's classifier expression trees: 32-bit word tests combined by not/and/or/if.

Both filter families compile their patterns into these trees, as Click's classifiers
compile theirs into word-test programs: a :class:`Leaf` tests one masked word at an
offset from a base (``mac``, ``net``, ``transp``, ``data``) and says what Click answers
when the packet is too short for it. :func:`eval_node` decides a packet as Click does,
which is all the software side needs; the switch side lowers the same trees to ternary
rules (:func:`p4sfc_compiler.families.ternary.lower_patterns`). A relation's range is
written as prefix word tests (:func:`word_range_tests`) when the pattern is compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Leaf:
    """Click's test ``(word at off) & mask == value`` on a 32-bit big-endian word.

    ``space`` names the base the offset counts from (``mac``, ``net``, ``transp`` for
    IPFilter, ``data`` for Classifier). ``short_true`` is the result Click gives when a
    masked byte lies past the packet end (its ``short_output``); ``desc`` is the source
    text the test came from, for NotOffloadable reasons.
    """

    space: str
    off: int
    value: int
    mask: int
    short_true: bool = False
    desc: str = ""


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Ite:
    cond: Node
    then: Node
    other: Node


@dataclass(frozen=True)
class Rel:
    """A relation (``dst port > 1023``) two ways: ``click``, Click's own chain of masked
    tests, which decides packets (with Click's too-short results); ``prefixes``, the same
    range as a union of prefix tests, which the lowering may prefer when smaller."""

    click: Node
    prefixes: Node


Node = Leaf | Const | Not | And | Or | Ite | Rel


def leaf(space: str, off: int, value: int, mask: int, desc: str = "") -> Node:
    # A test with an empty mask holds on every packet; it stays a Leaf because Click
    # compiles it to an insn at its offset, which its optimiser sees before removing it
    return Leaf(space, off, value & mask, mask, False, desc)


def flip_short(node: Node) -> Node:
    """``node`` with every test's too-short result inverted (Click's negate with flip)."""
    match node:
        case Leaf():
            return replace(node, short_true=not node.short_true)
        case Const():
            return node
        case Not(child):
            return Not(flip_short(child))
        case And(children):
            return And(tuple(flip_short(c) for c in children))
        case Or(children):
            return Or(tuple(flip_short(c) for c in children))
        case Ite(c, a, b):
            return Ite(flip_short(c), flip_short(a), flip_short(b))
        case Rel(c, p):
            return Rel(flip_short(c), flip_short(p))
    raise TypeError(node)


def iter_leaves(node: Node, seen: set[int] | None = None) -> Iterator[Leaf]:
    """The leaves of ``node``; a subtree shared within it (a DAG, as a program's steps
    give) is visited once."""
    if seen is None:
        seen = set()
    if id(node) in seen:
        return
    seen.add(id(node))
    match node:
        case Leaf():
            yield node
        case Const():
            return
        case Not(child):
            yield from iter_leaves(child, seen)
        case And(children) | Or(children):
            for c in children:
                yield from iter_leaves(c, seen)
        case Ite(c, a, b):
            yield from iter_leaves(c, seen)
            yield from iter_leaves(a, seen)
            yield from iter_leaves(b, seen)
        case Rel(c, p):
            yield from iter_leaves(c, seen)
            yield from iter_leaves(p, seen)


def eval_node(node: Node, test: Callable[[Leaf], bool]) -> bool:
    match node:
        case Leaf():
            return test(node)
        case Const(v):
            return v
        case Not(child):
            return not eval_node(child, test)
        case And(children):
            return all(eval_node(c, test) for c in children)
        case Or(children):
            return any(eval_node(c, test) for c in children)
        case Ite(c, a, b):
            return eval_node(a if eval_node(c, test) else b, test)
        case Rel(c, _):
            return eval_node(c, test)
    raise TypeError(node)


# ---------------------------------------------------------------------------------------
# ranges as word tests (a relation such as ``port > 1023`` is a union of prefixes)


def range_to_prefixes(lo: int, hi: int, width: int) -> list[tuple[int, int]]:
    """Minimal (value, mask) prefixes covering the integers ``lo..hi`` of ``width`` bits."""
    full = (1 << width) - 1
    out: list[tuple[int, int]] = []
    if lo > hi:
        return out
    while lo <= hi:
        size = lo & -lo if lo else 1 << width
        while size > hi - lo + 1:
            size >>= 1
        out.append((lo, full & ~(size - 1)))
        lo += size
    return out


def word_range_tests(lo: int, hi: int, word_mask: int) -> list[tuple[int, int]]:
    """(value, mask) word tests for ``lo <= V <= hi``, V being the number formed by the
    bits of ``word_mask`` (most significant first): masked values order like V does."""
    positions = [b for b in range(31, -1, -1) if word_mask >> b & 1]
    width = len(positions)
    out = []
    for pv, pm in range_to_prefixes(lo, hi, width):
        wv = wm = 0
        for j, b in enumerate(positions):
            bit = 1 << (width - 1 - j)
            if pm & bit:
                wm |= 1 << b
                if pv & bit:
                    wv |= 1 << b
        out.append((wv, wm))
    return out


def compress_bits(value: int, word_mask: int) -> int:
    """The bits of ``value`` under ``word_mask``, packed (most significant first)."""
    out = 0
    for b in range(31, -1, -1):
        if word_mask >> b & 1:
            out = out << 1 | (value >> b & 1)
    return out
