"""Classifier on the switch: first-match rules over the classify table key."""

from __future__ import annotations

from collections.abc import Callable

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.wire import ETH_LEN, ETHERTYPE_IPV4
from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.classify_table import entries_from_rules
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
from p4sfc_compiler.families.wordtests import Leaf

ETH_HEADER_BITS = ETH_LEN * 8


def _mapper(layout: Layout, data_offset: int) -> Callable[[Leaf], Cube | bool | None]:
    def map_leaf(lf: Leaf) -> Cube | bool | None:
        return word_cube(layout, (data_offset + lf.off) * 8, lf.value, lf.mask)

    return map_leaf


def contexts_for(data_offset: int) -> list[Context]:
    """IPv4 frames (the switch sees the fixed IP header), then every other frame."""
    ip_layout: Layout = F.ETHERNET_KEY_LAYOUT + tuple(
        (name, start + ETH_HEADER_BITS, width) for name, start, width in F.IPV4_KEY_LAYOUT
    )
    ipv4 = make_cube([(F.ETHER_TYPE, ETHERTYPE_IPV4, (1 << F.field_width(F.ETHER_TYPE)) - 1)])
    assert ipv4 is not None
    rest = tuple(rl_true_cubes(rl_cubes([ipv4], False, True)))
    return [
        Context("IPv4 frames", ipv4, (ipv4,), _mapper(ip_layout, data_offset)),
        Context("non-IPv4 frames", (), rest, _mapper(F.ETHERNET_KEY_LAYOUT, data_offset)),
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
