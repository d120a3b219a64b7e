"""IPFilter / IPClassifier on the switch: first-match rules over the classify table key.

Tests on transport bytes mean different key fields per protocol, so the table is built
block by block (:func:`filter_contexts`): TCP, UDP and ICMP first fragments, then the
rest, where a pattern must not depend on transport bytes.

Click answers with its optimised program (:mod:`~p4sfc_compiler.families.wordwise`),
which equals the patterns' trees on packets long enough for every test but not on
packets whose transport header is cut short. The switch knows how many transport bytes a
packet has as far as the key's tests can tell (``meta.l4_reach``, at the thresholds
``wire.L4_PROBES``), so the table starts with one block of rules per such length class
below the program's longest transport test (:func:`short_rules`): each is Click's program
with the tests the class makes short taken as their short branch, lowered like a
pattern. Packets of the longer classes get the trees' rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.wire import L4_PROBES
from p4sfc_compiler.families.base import ElementConfigError, LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.classify_table import entries_from_rules
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.evaluate import program as click_program
from p4sfc_compiler.families.ipfilter.names import PROTO_ICMP, PROTO_TCP, PROTO_UDP
from p4sfc_compiler.families.ternary import (
    DEFAULT_RULE_BOUND,
    Context,
    Cube,
    Layout,
    RuleExplosion,
    RuleList,
    Unexpressible,
    cube_and,
    lower_patterns,
    make_cube,
    rl_cubes,
    rl_is_false,
    rl_true_cubes,
    rl_xor,
    word_cube,
)
from p4sfc_compiler.families.wordtests import Const, Ite, Leaf, Node, Or, iter_leaves
from p4sfc_compiler.families.wordwise import OFFSET_NET, OFFSET_TRANSP, Compiled

_PROTOCOL = "hdr.ipv4.protocol"
_FRAG_OFFSET = "hdr.ipv4.fragOffset"


def _full(key: str) -> int:
    return (1 << F.field_width(key)) - 1


_L4_NAMES = {PROTO_TCP: "TCP", PROTO_UDP: "UDP", PROTO_ICMP: "ICMP"}


def _first_fragment(proto: int) -> Cube:
    c = make_cube([(_PROTOCOL, proto, _full(_PROTOCOL)), (_FRAG_OFFSET, 0, _full(_FRAG_OFFSET))])
    assert c is not None
    return c


def _mapper(l4: Layout | None) -> Callable[[Leaf], Cube | bool | None]:
    def map_leaf(lf: Leaf) -> Cube | bool | None:
        if lf.space == "mac":
            return word_cube(F.ETHERNET_KEY_LAYOUT, (lf.off - 2) * 8, lf.value, lf.mask)
        if lf.space == "net":
            return word_cube(F.IPV4_KEY_LAYOUT, lf.off * 8, lf.value, lf.mask)
        if l4 is None or lf.space != "transp":
            return None  # "unseen": whether a test is short, where the class cannot say
        return word_cube(l4, lf.off * 8, lf.value, lf.mask)

    return map_leaf


def filter_contexts(nodes: Sequence[Node]) -> list[Context]:
    """Blocks for the classify table: one per parsed transport protocol when a pattern
    reads transport bytes (there the switch's l4 fields stand for them), then the rest."""
    if not any(lf.space == "transp" for n in nodes for lf in iter_leaves(n)):
        return [Context("all packets", (), ((),), _mapper(None))]
    contexts = []
    firsts = []
    for proto, layout in F.TRANSPORT_KEY_LAYOUT.items():
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


def _classes() -> list[tuple[int, int | None, Cube]]:
    """The packets' transport length classes ``(lo, hi, cube)``: at least ``lo`` bytes,
    fewer than ``hi`` (None: no bound), as a cube on ``meta.l4_reach`` and ``ip_ok``."""
    out = []
    for k in range(len(L4_PROBES) + 1):
        tests = [(F.IP_OK, 1, 1)]
        if k > 0:
            tests.append((F.L4_REACH, 1 << (k - 1), 1 << (k - 1)))
        if k < len(L4_PROBES):
            tests.append((F.L4_REACH, 0, 1 << k))
        cube = make_cube(tests)
        assert cube is not None
        out.append((L4_PROBES[k - 1] if k else 0, L4_PROBES[k] if k < len(L4_PROBES) else None,
                    cube))
    return out


def _step_leaf(offset: int, value: int, mask: int) -> Leaf:
    space, base = (("transp", OFFSET_TRANSP) if offset >= OFFSET_TRANSP else
                   ("net", OFFSET_NET) if offset >= OFFSET_NET else ("mac", 0))
    return Leaf(space, offset - base, value, mask, False,
                f"{space}[{offset - base}:4] & {mask:#010x}")


def program_patterns(prog: Compiled, lo: int, hi: int | None) -> list[tuple[Node, int | None]]:
    """Click's program on packets with ``lo`` to ``hi - 1`` transport bytes, as one
    pattern per output: a transport test every such packet is short for takes its short
    branch; one only some are short for asks an unseen bit first."""
    memo: dict[tuple[int, int | None], Node] = {}

    def node(jump: int, port: int | None) -> Node:
        return Const(prog.output(jump) == port) if jump <= 0 else step(jump, port)

    def step(jump: int, port: int | None) -> Node:
        key = (jump, port)
        if key in memo:
            return memo[key]
        s = prog.steps[jump]
        short_branch = s.yes if s.short else s.no
        need = s.need - OFFSET_TRANSP
        if s.offset >= OFFSET_TRANSP and hi is not None and need >= hi:
            out = node(short_branch, port)
        else:
            test: Node = _step_leaf(s.offset, s.values[0], s.mask)
            if len(s.values) > 1:
                test = Or(tuple(_step_leaf(s.offset, v, s.mask) for v in s.values))
            out = Ite(test, node(s.yes, port), node(s.no, port))
            if s.offset >= OFFSET_TRANSP and need > lo:
                unsure = Leaf("unseen", s.offset - OFFSET_TRANSP, 0, s.mask, False,
                              f"whether transport bytes {lo}..{need - 1} are there")
                out = Ite(unsure, node(short_branch, port), out)
        memo[key] = out
        return out

    ports = list(dict.fromkeys(prog.output(j) for s in prog.steps for j in (s.yes, s.no)
                               if j <= 0))
    if prog.everything >= 0:
        ports = [prog.output(-prog.everything)]
    return [(step(0, p) if prog.everything < 0 else Const(True), p)
            for p in ports if p is not None]


def short_rules(prog: Compiled, nodes: Sequence[Node], full: RuleList, bound: int) -> \
        list[tuple[Cube, int | None]]:
    """First-match rules for the packets whose transport bytes are fewer than the
    program's longest transport test needs (each class's block ends with its catch-all).
    A class on which the trees' rules ``full`` already give Click's answers (for the key
    values its packets can have) needs no block; adjacent classes with the same rules
    share one."""
    need = max((s.need - OFFSET_TRANSP for s in prog.steps if s.offset >= OFFSET_TRANSP),
               default=0)
    contexts = filter_contexts(nodes)
    blocks: list[tuple[list[tuple[Cube, int | None]], list[int]]] = []
    # classes that make the same tests short (and the same ones unsure) share their rules
    lowered: dict[tuple[tuple[int, ...], tuple[int, ...]], list[tuple[Cube, int | None]]] = {}
    for k, (lo, hi, cube) in enumerate(_classes()):
        if lo >= need:
            break
        transp = [s.need - OFFSET_TRANSP if s.offset >= OFFSET_TRANSP else 0
                  for s in prog.steps]
        shape = (tuple(i for i, n in enumerate(transp) if hi is not None and n >= hi),
                 tuple(i for i, n in enumerate(transp) if n > lo and (hi is None or n < hi)))
        if shape not in lowered:
            lowered[shape] = lower_patterns(program_patterns(prog, lo, hi), contexts, None,
                                            bound)
        rules = lowered[shape]
        if _same_on_class(rules, full, contexts, cube, lo):
            continue
        if blocks and blocks[-1][0] == rules and blocks[-1][1][-1] == k - 1:
            blocks[-1][1].append(k)
        else:
            blocks.append((rules, [k]))
    out: list[tuple[Cube, int | None]] = []
    for rules, ks in blocks:
        guard = _span(ks[0], ks[-1])
        for c, port in rules:
            x = cube_and(c, guard)
            if x is not None:
                out.append((x, port))
    if len(out) > bound:
        raise RuleExplosion(f"more than {bound} rules")
    return out


def _absent(ctx: Context, lo: int) -> Cube | None:
    """What the transport key fields hold for packets of ``ctx`` with ``lo`` transport
    bytes of the key's (the class's others are not key bytes): 0 in every byte past them,
    and in every field of another protocol."""
    proto = next((v for n, v, _ in ctx.cube if n == _PROTOCOL), None)
    layout = F.TRANSPORT_KEY_LAYOUT.get(proto, ()) if proto is not None else ()
    mine = {k for k, _, _ in layout}
    tests = [(k, 0, _full(k)) for k in F.TRANSPORT_KEYS if k not in mine]
    for key, first, width in layout:
        mask = sum(1 << (width - 1 - b) for b in range(width) if (first + b) // 8 >= lo)
        tests.append((key, 0, mask))
    return make_cube(tests)


def _same_on_class(a: RuleList, b: RuleList, contexts: Sequence[Context], cls_cube: Cube,
                   lo: int) -> bool:
    """``a`` and ``b`` give the same results on every key the class's packets can have."""
    results = {v for _, v in a} | {v for _, v in b}
    for ctx in contexts:
        base = cube_and(cls_cube, ctx.cube)
        absent = _absent(ctx, lo)
        base = cube_and(base, absent) if base is not None and absent is not None else None
        if base is None:
            continue
        # both lists cut to the class's packets first: the comparison grows with them
        a2 = [(x, v) for c, v in a if (x := cube_and(c, base)) is not None]
        b2 = [(x, v) for c, v in b if (x := cube_and(c, base)) is not None]
        for r in results:
            diff = rl_xor([(c, v == r) for c, v in a2], [(c, v == r) for c, v in b2])
            for d in ctx.domain:
                within = cube_and(d, base)
                if within is not None and not rl_is_false(diff, within):
                    return False
    return True


def _span(first: int, last: int) -> Cube:
    """The cube of the length classes ``first..last`` (consecutive: l4_reach is a
    thermometer, so they are one cube)."""
    tests = [(F.IP_OK, 1, 1)]
    if first > 0:
        tests.append((F.L4_REACH, 1 << (first - 1), 1 << (first - 1)))
    if last < len(L4_PROBES):
        tests.append((F.L4_REACH, 0, 1 << last))
    cube = make_cube(tests)
    assert cube is not None
    return cube


def lower_rules(
    config: FilterConfig, bound: int = DEFAULT_RULE_BOUND
) -> list[tuple[Cube, int | None]]:
    """The first-match rule list ``[(cube, port or None), ...]``: the short classes'
    blocks, then the trees' rules."""
    patterns = [(r.node, r.port) for r in config.rules]
    nodes = [r.node for r in config.rules]
    contexts = filter_contexts(nodes)
    prog = click_program(config)
    try:
        full = lower_patterns(patterns, contexts, None, bound)
        if any(s.need - OFFSET_TRANSP > L4_PROBES[-1] for s in prog.steps
               if s.offset >= OFFSET_TRANSP):
            # a test the trees do not depend on, but whose shortness Click's program may
            raise NotOffloadable(
                f"{config.cls}: a test needs transport bytes past byte {L4_PROBES[-1] - 1}, "
                "and the switch does not tell packets that have them from those that have not")
        return short_rules(prog, nodes, full, bound) + full
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
