"""Classifier: ``OFFSET/HEXVALUE[%HEXMASK]`` byte patterns, Click semantics and switch form.

Offsets count from Click's data pointer. A clause fails when a byte it tests (non-zero
mask) lies past the packet end, so its negation holds there; an all-``?`` clause tests
nothing and holds on every packet. On the switch, bytes 0..13 of the frame are the
Ethernet key fields and bytes 14..33 the fixed IPv4 header fields (only for EtherType
0x0800); the header checksum, IP options and anything later are not in the key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
    lower_patterns,
    make_cube,
    rl_cubes,
    rl_true_cubes,
    word_cube,
)
from p4sfc_compiler.families.wordtests import And, Const, Leaf, Node, Not, eval_node

CLASSES = ("Classifier",)

_HEX = "0123456789abcdefABCDEF"
ETH_HEADER_BITS = 14 * 8


@dataclass(frozen=True)
class ClassifierConfig:
    patterns: tuple[Node, ...]  # one per output, as Click's word tests on ``data``
    texts: tuple[str, ...]
    pos: SourcePos | None = field(default=None, compare=False)


def _nibbles(text: str) -> tuple[list[int], list[int]]:
    """Byte values and masks of a hex string where ``?`` is a don't-care nibble."""
    vals: list[int] = []
    masks: list[int] = []
    for i in range(0, len(text), 2):
        v = m = 0
        for ch, shift in ((text[i], 4), (text[i + 1], 0)):
            if ch != "?":
                v |= int(ch, 16) << shift
                m |= 0xF << shift
        vals.append(v)
        masks.append(m)
    return vals, masks


def _clause(offset: int, vals: list[int], masks: list[int], desc: str) -> Node:
    words: dict[int, list[int]] = {}
    for k, (v, m) in enumerate(zip(vals, masks, strict=True)):
        off = offset + k
        w = words.setdefault(off & ~3, [0, 0])
        shift = 8 * (3 - (off & 3))
        w[0] |= (v & m) << shift
        w[1] |= m << shift
    leaves: list[Node] = [
        Leaf("data", off, v, m, False, desc) for off, (v, m) in sorted(words.items()) if m
    ]
    # Click drops tests with an empty mask: such a clause holds on every packet.
    if not leaves:
        return Const(True)
    return leaves[0] if len(leaves) == 1 else And(tuple(leaves))


def _parse_pattern(text: str, where: str) -> Node:
    s = text.strip()
    if s == "-":
        return Const(True)
    clauses: list[Node] = []
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        negated = s[i] == "!"
        if negated:
            i += 1
            while i < n and s[i].isspace():
                i += 1
        if i >= n or not s[i].isdigit():
            raise ElementConfigError(f"{where}: expected a digit in '{s[start:].split()[0]}'")
        j = i
        while j < n and s[j].isdigit():
            j += 1
        offset = int(s[i:j])
        if j >= n or s[j] != "/":
            raise ElementConfigError(f"{where}: expected '/' after '{s[start:j]}'")
        k = j + 1
        while k < n and (s[k] in _HEX or s[k] == "?"):
            k += 1
        value = s[j + 1 : k]
        mask: str | None = None
        end = k
        if k < n and s[k] == "%":
            end = k + 1
            while end < n and (s[end] in _HEX or s[end] == "?"):
                end += 1
            mask = s[k + 1 : end]
        token = s[start:end]
        if end < n and not s[end].isspace():
            raise ElementConfigError(f"{where}: bad character '{s[end]}' in '{token}'")
        if len(value) < 2:
            raise ElementConfigError(f"{where}: value has less than 2 hex digits in '{token}'")
        if len(value) % 2:
            raise ElementConfigError(f"{where}: value has odd number of hex digits in '{token}'")
        if mask is not None and len(mask) != len(value):
            many = "many" if len(mask) > len(value) else "few"
            raise ElementConfigError(f"{where}: mask has too {many} hex digits in '{token}'")
        vals, masks = _nibbles(value)
        if mask is not None:
            mvals, mmasks = _nibbles(mask)
            masks = [m & mv & mm for m, mv, mm in zip(masks, mvals, mmasks, strict=True)]
        node = _clause(offset, vals, masks, token)
        clauses.append(Not(node) if negated else node)
        i = end
    if not clauses:
        return Const(True)
    return clauses[0] if len(clauses) == 1 else And(tuple(clauses))


def parse(cls: str, args: Sequence[str], pos: SourcePos | None = None,
          env: values.ConfigEnv | None = None) -> ClassifierConfig:
    if cls not in CLASSES:
        raise ElementConfigError(f"{cls} is not handled by the Classifier module", pos)
    patterns = []
    for i, arg in enumerate(args):
        text = values.unquote(arg)
        try:
            patterns.append(_parse_pattern(text, f"Classifier pattern {i}"))
        except ElementConfigError as e:
            raise ElementConfigError(e.message, pos) from None
    return ClassifierConfig(tuple(patterns), tuple(a.strip() for a in args), pos)


def evaluate(cls: str, config: ClassifierConfig, packet_bytes: bytes,
             data_offset: int) -> int | None:
    """The output Click's Classifier picks for a frame, None = drop."""
    data = packet_bytes[data_offset:]

    def test(lf: Leaf) -> bool:
        raw = data[lf.off : lf.off + 4]
        mb = lf.mask.to_bytes(4, "big")
        if any(mb[k] for k in range(len(raw), 4)):
            return lf.short_true
        word = int.from_bytes(raw.ljust(4, b"\0"), "big")
        return (word & lf.mask) == lf.value

    for port, node in enumerate(config.patterns):
        if eval_node(node, test):
            return port
    return None


def _mapper(layout: Layout, data_offset: int) -> Callable[[Leaf], Cube | bool | None]:
    def map_leaf(lf: Leaf) -> Cube | bool | None:
        return word_cube(layout, (data_offset + lf.off) * 8, lf.value, lf.mask)

    return map_leaf


def contexts_for(data_offset: int) -> list[Context]:
    """IPv4 frames (the switch sees the fixed IP header), then every other frame."""
    ip_layout: Layout = ETH_LAYOUT + tuple(
        (name, start + ETH_HEADER_BITS, width) for name, start, width in IPV4_LAYOUT
    )
    ipv4 = make_cube([("meta.ether_type", 0x0800, 0xFFFF)])
    assert ipv4 is not None
    rest = tuple(rl_true_cubes(rl_cubes([ipv4], False, True)))
    return [
        Context("IPv4 frames", ipv4, (ipv4,), _mapper(ip_layout, data_offset)),
        Context("non-IPv4 frames", (), rest, _mapper(ETH_LAYOUT, data_offset)),
    ]


def lower_rules(config: ClassifierConfig, data_offset: int,
                bound: int = DEFAULT_RULE_BOUND) -> list[tuple[Cube, int | None]]:
    patterns = [(node, port) for port, node in enumerate(config.patterns)]
    try:
        return lower_patterns(patterns, contexts_for(data_offset), None, bound)
    except Unexpressible as e:
        first = int(e.desc.lstrip("!").split("/")[0]) + data_offset
        if 14 <= first < 34 and first not in (24, 25):
            why = "the switch reads frame bytes 14-33 only as the IPv4 header of EtherType "\
                "0x0800 frames, so the pattern must require 12/0800"
        else:
            why = "the classify key covers the Ethernet header and the fixed IPv4 header "\
                "(frame bytes 0-33 without the checksum); later bytes move with IP options"
        raise NotOffloadable(
            f"Classifier clause '{e.desc}' (frame byte {first}) tests bytes the switch does "
            f"not extract for {e.context}: {why}"
        ) from None
    except RuleExplosion:
        raise NotOffloadable(f"Classifier needs more than {bound} classify rules") from None


def lower(cls: str, config: ClassifierConfig, ctx: LowerContext,
          bound: int = DEFAULT_RULE_BOUND) -> Lowering:
    rules = lower_rules(config, ctx.data_offset, bound)
    return Lowering(kind="classify", entries=entries_from_rules(rules, bound))


CLASSIFIER: ElementFamily[ClassifierConfig] = ElementFamily(
    "classifier", CLASSES, parse, lower
)
