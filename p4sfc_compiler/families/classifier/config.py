"""Classifier configurations: ``OFFSET/HEXVALUE[%HEXMASK]`` clauses compiled to word tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families import values
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.wordtests import And, Const, Leaf, Node, Not

CLASSES = ("Classifier",)

_HEX = "0123456789abcdefABCDEF"
# An offset is ASCII digits (values.ascii_digits); one of more digits than this is past
# any frame, and is refused before int() converts it.
_MAX_OFFSET_DIGITS = 9
ascii_digits = values.ascii_digits


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
    # one test per word, an empty mask included: Click adds an insn for each word the
    # clause touches (Classifier::parse_program), and its optimiser removes the empty ones
    leaves: list[Node] = [
        Leaf("data", off, v, m, False, desc) for off, (v, m) in sorted(words.items())
    ]
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
        if i >= n or not ascii_digits(s[i]):
            raise ElementConfigError(f"{where}: expected a digit in '{s[start:].split()[0]}'")
        j = i
        while j < n and ascii_digits(s[j]):
            j += 1
        if j - i > _MAX_OFFSET_DIGITS:
            raise ElementConfigError(f"{where}: offset {s[i:i + 12]}... is too large")
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
