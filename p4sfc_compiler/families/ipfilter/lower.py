"""IPFilter / IPClassifier on the switch: first-match rules over the classify table key.

Tests on transport bytes mean different key fields per protocol, so the table is built
block by block (:func:`filter_contexts`): TCP, UDP and ICMP first fragments, then the
rest, where a pattern must not depend on transport bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.families.base import ElementConfigError, LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.classify_table import entries_from_rules
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.names import PROTO_ICMP, PROTO_TCP, PROTO_UDP
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
from p4sfc_compiler.families.wordtests import Leaf, Node, iter_leaves

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
