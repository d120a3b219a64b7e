"""Ternary match algebra for the classify table: cubes, ordered rule lists, expansion.

A *cube* is a conjunction of ternary field tests, ``((field, value, mask), ...)`` sorted by
field name; ``()`` matches every packet. An *ordered rule list* is a first-match list of
``(cube, result)`` whose last rule is the catch-all ``((), default)``. Boolean rule lists
(results ``True``/``False``) are closed under not/and/or/if-then-else without a blow-up
for negation, which a plain union of cubes would need; that is why filters are built
this way and only flattened to table entries at the end.

Fields not in :data:`FIELD_WIDTHS` may appear in cubes (one-bit pseudo-fields standing
for values the switch cannot see); callers remove them before emitting entries.

The second half is :func:`lower_patterns`, which turns an ordered list of (word-test
tree, action) (:mod:`~p4sfc_compiler.families.wordtests`) into first-match rules, block by block of packets
(:class:`Context`) where a test's bytes mean different key fields, and proves that bytes
the switch cannot see do not change the result (else :class:`Unexpressible`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.families.wordtests import (
    And,
    Const,
    Ite,
    Leaf,
    Node,
    Not,
    Or,
    Rel,
    iter_leaves,
    range_to_prefixes,
)

R = TypeVar("R", bound=Hashable)
Cube = tuple[tuple[str, int, int], ...]
RuleList = list[tuple[Cube, R]]

TRUE_CUBE: Cube = ()

# Widths of the classify table's key fields (the data-plane contract's), in bits.
FIELD_WIDTHS: dict[str, int] = {k: F.field_width(k) for k in F.CLASSIFY_KEY}

DEFAULT_RULE_BOUND = 4096


class RuleExplosion(Exception):
    """A rule list grew past the bound; the switch table would be too large."""


def field_width(name: str) -> int:
    return FIELD_WIDTHS.get(name, 1)


def make_cube(tests: Iterable[tuple[str, int, int]]) -> Cube | None:
    """A cube from (field, value, mask) tests, merging tests of one field; None if empty."""
    merged: dict[str, tuple[int, int]] = {}
    for name, value, mask in tests:
        if mask == 0:
            continue
        value &= mask
        if name in merged:
            v0, m0 = merged[name]
            if (v0 ^ value) & m0 & mask:
                return None
            merged[name] = ((v0 | value) & (m0 | mask), m0 | mask)
        else:
            merged[name] = (value, mask)
    return tuple(sorted((n, v, m) for n, (v, m) in merged.items()))


def cube_and(a: Cube, b: Cube) -> Cube | None:
    """Intersection of two cubes; None when they are disjoint."""
    if not a:
        return b
    if not b:
        return a
    # Both are sorted by field with one test per field: merge them in one pass.
    out: list[tuple[str, int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        na, va, ma = a[i]
        nb, vb, mb = b[j]
        if na == nb:
            if (va ^ vb) & ma & mb:
                return None
            out.append((na, (va | vb) & (ma | mb), ma | mb))
            i += 1
            j += 1
        elif na < nb:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return tuple(out)


def cube_covers(a: Cube, b: Cube) -> bool:
    """True when every packet in ``b`` is in ``a``."""
    bd = {n: (v, m) for n, v, m in b}
    for n, v, m in a:
        if n not in bd:
            return False
        bv, bm = bd[n]
        if m & ~bm or (bv ^ v) & m:
            return False
    return True


def cube_intersects(a: Cube, b: Cube) -> bool:
    """True when some packet is in both cubes: no field they share fixes a bit both ways.
    (The hot test of rule-list simplification: no intersection cube is built.)"""
    if len(a) > len(b):
        a, b = b, a
    if not a:
        return True
    ad = {n: (v, m) for n, v, m in a}
    for n, v, m in b:
        other = ad.get(n)
        if other is not None and (other[0] ^ v) & other[1] & m:
            return False
    return True


def cube_fields(c: Cube) -> set[str]:
    return {n for n, _, _ in c}


def cube_complement(c: Cube) -> list[Cube]:
    """Disjoint cubes whose union is the complement of ``c`` (one per constrained bit)."""
    out: list[Cube] = []
    fixed: list[tuple[str, int, int]] = []
    for name, value, mask in c:
        bit = 1 << (mask.bit_length() - 1) if mask else 0
        while bit:
            if mask & bit:
                flipped = make_cube([*fixed, (name, ~value & bit, bit)])
                assert flipped is not None
                out.append(flipped)
                fixed.append((name, value & bit, bit))
            bit >>= 1
    return out


def _split_bit(c: Cube, other: Cube) -> tuple[str, int] | None:
    """A bit that ``other`` constrains and ``c`` leaves free, to split ``c`` on."""
    cd = {n: m for n, _, m in c}
    for n, _, m in other:
        free = m & ~cd.get(n, 0)
        if free:
            return n, 1 << (free.bit_length() - 1)
    return None


def covered_by_union(c: Cube, cubes: Sequence[Cube], budget: list[int] | None = None) -> bool:
    """True when ``c`` lies inside the union of ``cubes`` (exact, by splitting ``c``).

    ``budget`` caps the splitting work; when it runs out the answer is False (the safe
    side for every caller: a rule is kept, an equivalence is not assumed).
    """
    if budget is None:
        budget = [20000]
    relevant = [u for u in cubes if cube_intersects(u, c)]
    while True:
        if not relevant:
            return False
        if any(cube_covers(u, c) for u in relevant):
            return True
        budget[0] -= 1
        if budget[0] <= 0:
            return False
        split = _split_bit(c, relevant[0])
        assert split is not None  # relevant[0] intersects but does not cover c
        name, bit = split
        half0 = cube_and(c, ((name, 0, bit),))
        half1 = cube_and(c, ((name, bit, bit),))
        assert half0 is not None and half1 is not None
        if not covered_by_union(half0, relevant, budget):
            return False
        c = half1
        relevant = [u for u in relevant if cube_intersects(u, c)]


def try_merge(a: Cube, b: Cube) -> Cube | None:
    """One cube equal to ``a`` ∪ ``b`` when they differ in exactly one bit, else None."""
    if len(a) != len(b):
        return None
    diff: tuple[int, str, int, int] | None = None
    out: list[tuple[str, int, int]] = []
    for i, ((na, va, ma), (nb, vb, mb)) in enumerate(zip(a, b, strict=True)):
        if na != nb or ma != mb:
            return None
        x = va ^ vb
        if x:
            if diff is not None or x & (x - 1):
                return None
            diff = (i, na, va & ~x, ma & ~x)
        out.append((na, va, ma))
    if diff is None:
        return a
    i, name, value, mask = diff
    if mask:
        out[i] = (name, value, mask)
    else:
        del out[i]
    return tuple(out)


# ---------------------------------------------------------------------------------------
# ranges as cubes (word_range_tests in wordtests.py is the same expansion on words)


def masked_range_cubes(
    lo: int, hi: int, bits: Sequence[tuple[str, int]]
) -> list[Cube]:
    """Cubes for ``lo <= V <= hi`` where V is the number formed by ``bits``.

    ``bits`` lists (field, bit mask) pairs from the most to the least significant bit of
    V, so a masked comparison (``x & 0xfc > 40``) expands over just the bits it reads.
    """
    width = len(bits)
    cubes: list[Cube] = []
    for value, mask in range_to_prefixes(lo, hi, width):
        tests = []
        for k, (name, bit) in enumerate(bits):
            pos = 1 << (width - 1 - k)
            if mask & pos:
                tests.append((name, bit if value & pos else 0, bit))
        cube = make_cube(tests)
        assert cube is not None
        cubes.append(cube)
    return cubes


# ---------------------------------------------------------------------------------------
# ordered rule lists


def rl_const(value: R) -> RuleList[R]:
    return [(TRUE_CUBE, value)]


def rl_cubes(cubes: Iterable[Cube], hit: R, miss: R) -> RuleList[R]:
    """``hit`` for packets in any of ``cubes``, ``miss`` otherwise."""
    rules: RuleList[R] = [(c, hit) for c in cubes]
    rules.append((TRUE_CUBE, miss))
    return rules


def rl_map(rules: RuleList[R], fn: Callable[[R], R]) -> RuleList[R]:
    return [(c, fn(v)) for c, v in rules]


def rl_refine(
    outer: RuleList[R], inner_for: Callable[[R], RuleList[R] | None], bound: int
) -> RuleList[R]:
    """Replace each rule of ``outer`` whose ``inner_for(result)`` is a list by that list
    restricted to the rule's cube (first-match composition)."""
    out: RuleList[R] = []
    for c, v in outer:
        inner = inner_for(v)
        if inner is None:
            out.append((c, v))
            continue
        for d, w in inner:
            x = cube_and(c, d)
            if x is not None:
                out.append((x, w))
                if len(out) > bound * 4:
                    raise RuleExplosion(f"more than {bound} rules")
    return simplify(out, bound)


def rl_not(rules: RuleList[bool]) -> RuleList[bool]:
    return [(c, not v) for c, v in rules]


def rl_and(a: RuleList[bool], b: RuleList[bool], bound: int) -> RuleList[bool]:
    return rl_refine(a, lambda v: b if v else None, bound)


def rl_or(a: RuleList[bool], b: RuleList[bool], bound: int) -> RuleList[bool]:
    return rl_refine(a, lambda v: None if v else b, bound)


def rl_ite(
    c: RuleList[bool], a: RuleList[bool], b: RuleList[bool], bound: int
) -> RuleList[bool]:
    return rl_refine(c, lambda v: a if v else b, bound)


def simplify(rules: RuleList[R], bound: int = DEFAULT_RULE_BOUND) -> RuleList[R]:
    """Drop shadowed and redundant rules and merge neighbours; same first-match function.

    * a rule covered by one earlier rule (or, for short lists, by their union) is shadowed;
    * a rule is redundant when the first later rule that decides its packets differently
      never comes before a later rule with its result that covers it;
    * two adjacent rules with one result whose cubes differ in one bit become one.
    """
    out: RuleList[R] = []
    for c, v in rules:
        if any(cube_covers(d, c) for d, _ in out):
            continue
        out.append((c, v))
        if not c:
            break  # the catch-all ends the list
    if len(out) <= 64:
        out = [
            (c, v)
            for i, (c, v) in enumerate(out)
            if not c or not covered_by_union(c, [d for d, _ in out[:i]], [200])
        ]
    changed = True
    while changed:
        changed = False
        # merge adjacent rules with the same result
        i = 0
        while i + 1 < len(out):
            (c1, v1), (c2, v2) = out[i], out[i + 1]
            if v1 == v2:
                m = try_merge(c1, c2)
                if m is not None:
                    out[i : i + 2] = [(m, v1)]
                    changed = True
                    if i:
                        i -= 1
                    continue
            i += 1
        # redundant rules
        kept: RuleList[R] = []
        for i, (c, v) in enumerate(out):
            if c and _redundant(c, v, out[i + 1 :]):
                changed = True
                continue
            kept.append((c, v))
        out = kept
    if len(out) > bound:
        raise RuleExplosion(f"more than {bound} rules")
    return out


def _redundant(c: Cube, v: Hashable, later: RuleList) -> bool:
    for d, w in later:
        if w == v:
            if cube_covers(d, c):
                return True
        elif cube_intersects(c, d):
            return False
    return False


def cube_subtract(p: Cube, f: Cube) -> list[Cube]:
    """Disjoint cubes covering ``p`` minus ``f`` (one per bit ``f`` fixes and ``p`` leaves
    free, the "sharp" operation)."""
    if not cube_intersects(p, f):
        return [p]
    pd = {n: (v, m) for n, v, m in p}
    out: list[Cube] = []
    fixed = dict(pd)
    for name, value, mask in f:
        pv, pm = fixed.get(name, (0, 0))
        free = mask & ~pm
        bit = 1 << (free.bit_length() - 1) if free else 0
        while bit:
            if free & bit:
                cur_v, cur_m = fixed.get(name, (0, 0))
                piece = dict(fixed)
                piece[name] = ((cur_v | (~value & bit)) & (cur_m | bit), cur_m | bit)
                out.append(tuple(sorted((n, v, m) for n, (v, m) in piece.items())))
                fixed[name] = ((cur_v | (value & bit)), cur_m | bit)
            bit >>= 1
    return out


def rl_true_cubes(rules: RuleList[bool], limit: int | None = None) -> list[Cube]:
    """Cubes whose union is exactly the True set (disjoint from earlier False rules).

    With ``limit``, raises RuleExplosion once more pieces than that are in play.
    """
    out: list[Cube] = []
    earlier_false: list[Cube] = []
    for c, v in rules:
        if v:
            pieces = [c]
            for f in earlier_false:
                pieces = [x for p in pieces for x in cube_subtract(p, f)]
                if limit is not None and len(pieces) > limit:
                    raise RuleExplosion(f"more than {limit} cubes")
            out.extend(pieces)
        else:
            earlier_false.append(c)
    return out


def rl_is_false(rules: RuleList[bool], within: Cube = TRUE_CUBE) -> bool:
    """True when no packet in ``within`` reaches a True rule."""
    seen: list[Cube] = []
    for c, v in rules:
        x = cube_and(c, within)
        if x is None:
            continue
        if v and not covered_by_union(x, seen):
            return False
        seen.append(x)
    return True


def rl_equivalent(a: RuleList[bool], b: RuleList[bool], within: Cube = TRUE_CUBE) -> bool:
    """Same function on the packets of ``within``."""
    return rl_is_false(rl_xor(a, b), within)


def rl_xor(a: RuleList[bool], b: RuleList[bool]) -> RuleList[bool]:
    """True where ``a`` and ``b`` differ; not bounded, as it is only tested, never emitted."""
    return rl_refine(a, lambda v: rl_not(b) if v else b, 1 << 30)


def rl_eval(rules: RuleList[R], values: dict[str, int]) -> R:
    """The result of the first rule matching a packet's field ``values`` (absent = 0)."""
    for c, v in rules:
        if all((values.get(n, 0) & m) == val for n, val, m in c):
            return v
    raise ValueError("rule list without catch-all")


# ---------------------------------------------------------------------------------------
# lowering Click's word-test trees (wordtests.py) by context


# A layout places switch fields on a byte stream: (field, first bit, width in bits).
Layout = tuple[tuple[str, int, int], ...]


def word_cube(layout: Layout, start_bit: int, value: int, mask: int) -> Cube | None:
    """The cube for ``(32-bit word at start_bit) & mask == value`` over ``layout``'s fields,
    or None when a masked bit is not in the layout (the switch cannot see it)."""
    tests: list[tuple[str, int, int]] = []
    covered = 0
    for name, fstart, width in layout:
        lo = max(fstart, start_bit)
        hi = min(fstart + width, start_bit + 32)
        if lo >= hi:
            continue
        fv = fm = 0
        for p in range(lo, hi):
            wbit = 1 << (31 - (p - start_bit))
            if not mask & wbit:
                continue
            covered |= wbit
            fbit = 1 << (width - 1 - (p - fstart))
            fm |= fbit
            if value & wbit:
                fv |= fbit
        if fm:
            tests.append((name, fv, fm))
    if covered != mask:
        return None
    return make_cube(tests)


@dataclass(frozen=True)
class Context:
    """One block of the table: packets of ``domain`` (a union of cubes), rules prefixed
    with ``cube``; ``map_leaf`` gives a test's cube there, a constant, or None when the
    switch cannot see what it reads."""

    name: str
    cube: Cube
    domain: tuple[Cube, ...]
    map_leaf: Callable[[Leaf], Cube | bool | None]


class Unexpressible(Exception):
    """The switch cannot see a byte the classification depends on; ``desc`` names it."""

    def __init__(self, desc: str, context: str) -> None:
        super().__init__(desc)
        self.desc = desc
        self.context = context


_NEXT = "\x00next"


def _build(node: Node, ctx: Context, pseudo: dict[str, str], bound: int,
           memo: dict[int, RuleList[bool]] | None = None) -> RuleList[bool]:
    """``node``'s rule list in ``ctx``; ``memo`` (by node identity) builds a subtree
    shared within a DAG once."""
    if memo is None:
        memo = {}
    hit = memo.get(id(node))
    if hit is None:
        hit = memo[id(node)] = _build_node(node, ctx, pseudo, bound, memo)
    return hit


def _build_node(node: Node, ctx: Context, pseudo: dict[str, str], bound: int,
                memo: dict[int, RuleList[bool]]) -> RuleList[bool]:
    match node:
        case Leaf():
            m = ctx.map_leaf(node)
            if m is None:
                name = f"?{len(pseudo)}"
                pseudo[name] = node.desc
                return rl_cubes([((name, 1, 1),)], True, False)
            if isinstance(m, bool):
                return rl_const(m)
            x = cube_and(m, ctx.cube)
            if x is None:
                return rl_const(False)
            if cube_covers(m, ctx.cube):
                return rl_const(True)
            return rl_cubes([m], True, False)
        case Const(v):
            return rl_const(v)
        case Not(child):
            return rl_not(_build(child, ctx, pseudo, bound, memo))
        case And(children):
            out = rl_const(True)
            for c in children:
                out = _smaller(rl_and, out, _build(c, ctx, pseudo, bound, memo), bound)
            return out
        case Or(children):
            out = rl_const(False)
            for c in children:
                out = _smaller(rl_or, out, _build(c, ctx, pseudo, bound, memo), bound)
            return out
        case Ite(c, a, b):
            return rl_ite(
                _build(c, ctx, pseudo, bound, memo),
                _build(a, ctx, pseudo, bound, memo),
                _build(b, ctx, pseudo, bound, memo),
                bound,
            )
        case Rel(c, p):
            # both forms read the same bits, so they see the same unknowns
            mine, alt = _build(c, ctx, pseudo, bound, memo), _build(p, ctx, pseudo, bound, memo)
            return alt if len(alt) < len(mine) else mine
    raise TypeError(node)


def _smaller(
    op: Callable[[RuleList[bool], RuleList[bool], int], RuleList[bool]],
    a: RuleList[bool],
    b: RuleList[bool],
    bound: int,
) -> RuleList[bool]:
    """``op(a, b)`` or ``op(b, a)`` (and/or commute), whichever has fewer rules: the
    operand refined into the other's rules gets copied once per rule."""
    ab = op(a, b, bound)
    if len(a) == 1 or len(b) == 1:
        return ab
    ba = op(b, a, bound)
    return ba if len(ba) < len(ab) else ab


def rl_subst(rules: RuleList[R], name: str, value: int) -> RuleList[R]:
    """Rules with field ``name`` fixed to ``value`` (its tests resolved)."""
    out: RuleList[R] = []
    for c, v in rules:
        keep = True
        rest = []
        for n, fv, fm in c:
            if n == name:
                keep = (value & fm) == fv
            else:
                rest.append((n, fv, fm))
        if keep:
            out.append((tuple(rest), v))
    return simplify(out, 1 << 30)


def _eliminate_pseudo(
    rules: RuleList[bool],
    pseudo: dict[str, str],
    ctx: Context,
    reach: RuleList[bool] | None = None,
) -> RuleList[bool]:
    """Remove the stand-ins for unseen bytes when the result does not depend on them,
    on the context's packets that earlier patterns leave over (``reach``)."""
    for name in sorted({n for c, _ in rules for n, _, _ in c if n.startswith("?")}):
        r1, r0 = rl_subst(rules, name, 1), rl_subst(rules, name, 0)
        xor = rl_xor(r1, r0)
        if reach is not None and any(v for _, v in xor):
            xor = rl_and(xor, reach, 1 << 30)
        if any(v for _, v in xor) and not all(rl_is_false(xor, d) for d in ctx.domain):
            raise Unexpressible(pseudo[name], ctx.name)
        rules = r1 if len(r1) <= len(r0) else r0
    return rules


def merge_cubes(cubes: Sequence[Cube]) -> list[Cube]:
    """The same union with one-bit neighbours merged and covered cubes dropped.

    Only cubes with the same fields and masks can merge, so they are grouped by that
    shape and neighbours are found by flipping one bit of the value.
    """
    work = set(cubes)
    changed = True
    while changed:
        changed = False
        groups: dict[tuple, set[tuple[int, ...]]] = {}
        for c in work:
            groups.setdefault(tuple((n, m) for n, _, m in c), set()).add(
                tuple(v for _, v, _ in c))
        merged: set[Cube] = set()
        for shape, vals in groups.items():
            used: set[tuple[int, ...]] = set()
            for vs in sorted(vals):
                if vs in used:
                    continue
                done = False
                for i, (name, mask) in enumerate(shape):
                    bit = mask
                    while bit and not done:
                        low = bit & -bit
                        bit ^= low
                        if vs[i] & low:
                            continue
                        other = vs[:i] + (vs[i] | low,) + vs[i + 1 :]
                        if other in vals and other not in used:
                            used.update((vs, other))
                            cube = make_cube([(n, v, m) for (n, m), v in zip(shape, vs, strict=True)
                                              if not (n == name)] +
                                             ([(name, vs[i], mask & ~low)] if mask & ~low else []))
                            assert cube is not None
                            merged.add(cube)
                            done = changed = True
                    if done:
                        break
                if not done:
                    used.add(vs)
                    merged.add(tuple((n, v, m) for (n, m), v in zip(shape, vs, strict=True)))
        work = merged
    out = sorted(work)
    if len(out) <= 256:
        out = [c for i, c in enumerate(out)
               if not any(j != i and cube_covers(d, c) and (d != c or j < i)
                          for j, d in enumerate(out))]
    return out


def _pattern_rules(
    node: Node, contexts: Sequence[Context], bound: int, reach: RuleList[bool] | None = None
) -> RuleList[bool]:
    """One pattern as a boolean rule list over all packets."""
    split = len(contexts) > 1 and any(
        len({ctx.map_leaf(lf) for ctx in contexts}) > 1 for lf in iter_leaves(node)
    )
    if not split:
        whole = Context("all packets", TRUE_CUBE, (TRUE_CUBE,), contexts[-1].map_leaf)
        pseudo: dict[str, str] = {}
        return _eliminate_pseudo(_build(node, whole, pseudo, bound), pseudo, whole, reach)
    rules: RuleList[bool] = []
    for ctx in contexts:
        pseudo = {}
        built = _build(node, ctx, pseudo, bound)
        for c, v in _eliminate_pseudo(built, pseudo, ctx, reach):
            x = cube_and(ctx.cube, c)
            if x is not None:
                rules.append((x, v))
    return simplify(rules, bound)


def _continue_into(tail: RuleList[R]) -> Callable[[object], RuleList[R] | None]:
    """The refinement of a pattern's rule list that sends its ``_NEXT`` rules on to
    ``tail`` (the table built from the later patterns) and keeps the others."""
    return lambda v: tail if v == _NEXT else None


def lower_patterns(
    patterns: Sequence[tuple[Node, R]],
    contexts: Sequence[Context],
    drop: R,
    bound: int = DEFAULT_RULE_BOUND,
) -> RuleList[R]:
    """First-match rules equal to "the action of the first pattern that holds, else drop".

    The contexts must be disjoint and cover every packet in the order given (the last
    one has the empty cube and catches the rest). Patterns are added from the last: each
    either as the cubes of its true set followed by the table so far, or as its own rule
    list whose false rules continue into the table so far, whichever is smaller.
    """
    # forward: each pattern sees the packets earlier patterns leave over, so bytes the
    # switch cannot read may still be irrelevant there
    conds: list[RuleList[bool]] = []
    reach: RuleList[bool] | None = rl_const(True)
    for node, _ in patterns:
        cond = _pattern_rules(node, contexts, bound, reach)
        conds.append(cond)
        if reach is not None:
            try:
                reach = rl_and(reach, rl_not(cond), bound)
            except RuleExplosion:
                reach = None  # too big to track: later checks consider every packet
    table: RuleList = rl_const(drop)
    for cond, (_, action) in zip(reversed(conds), reversed(patterns), strict=True):
        tail = table
        options: list[RuleList] = []
        try:
            options.append(rl_refine(
                [(c, action if v else _NEXT) for c, v in cond],
                _continue_into(tail),
                bound,
            ))
        except RuleExplosion:
            pass
        try:
            if len(cond) < 64:
                true_cubes = merge_cubes(rl_true_cubes(cond, limit=256))
                options.append(simplify([(c, action) for c in true_cubes] + tail, bound))
        except RuleExplosion:
            pass
        if not options:
            raise RuleExplosion(f"more than {bound} rules")
        table = min(options, key=len)
    return simplify(table, bound)
