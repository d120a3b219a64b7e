"""The dynamic P4 program as plain data: its tables, actions and registers.

The templates under ``p4/templates/`` are the program's text; this module is what the
rest of the compiler knows about it (names as p4c qualifies them, key expressions, match
kinds, bit widths, action parameters). The two are kept in step by the tests, which
compare this model with the rendered text and, where p4c is installed, with the P4Info
p4c writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

INGRESS = "MyIngress"

# Element kinds in the order their blocks appear in the program.
ALL_KINDS: tuple[str, ...] = (
    "classify",
    "ip_lookup",
    "rewriter",
    "counter",
    "ether_encap",
    "ip_encap",
    "dec_ip_ttl",
    "set_ip_dscp",
    "check_ip_header",
    "paint",
    "discard",
    "alert",
    "forward",
)

# meta.out_port value meaning "drop"; also the rewriter's "no pass port".
DROP_PORT = 255
# Widths of the element-control masks: outputs 0..MASK_BITS-1 can complete the NF or drop.
MASK_BITS = 32

# The prefix every element table's key starts with (isolation between chains and NFs).
ELEMENT_KEY_PREFIX: tuple[tuple[str, int], ...] = (
    ("meta.chain_id", 16),
    ("meta.nf_id", 8),
    ("meta.elem_id", 8),
)

# Common leading parameters of every exec_<kind> action.
EXEC_COMMON_PARAMS: tuple[tuple[str, int], ...] = (
    ("elem_id", 8),
    ("exit_ports", MASK_BITS),
    ("drop_ports", MASK_BITS),
)


@dataclass(frozen=True)
class Key:
    field: str  # the P4 key expression, as P4Info names the match field
    match_kind: str  # "exact" | "ternary" | "lpm"
    bitwidth: int


@dataclass(frozen=True)
class Param:
    name: str
    bitwidth: int


@dataclass(frozen=True)
class Action:
    name: str  # fully qualified, e.g. MyIngress.stage0.exec_counter
    params: tuple[Param, ...] = ()

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[Key, ...]
    actions: tuple[str, ...]  # fully qualified action names, NoAction last (default only)
    size: int
    default_action: str = "NoAction"

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Register:
    name: str
    bitwidth: int
    size: int


@dataclass(frozen=True)
class KindSpec:
    """What one element kind adds to each stage."""

    exec_params: tuple[tuple[str, int], ...] = ()  # after EXEC_COMMON_PARAMS
    # table short name -> (keys after the common prefix, action short names)
    tables: dict[str, tuple[tuple[tuple[str, str, int], ...], tuple[str, ...]]] = field(
        default_factory=dict
    )
    table_actions: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    registers: tuple[tuple[str, int], ...] = ()


_CLASSIFY_KEYS: tuple[tuple[str, str, int], ...] = (
    ("hdr.ethernet.dstAddr", "ternary", 48),
    ("hdr.ethernet.srcAddr", "ternary", 48),
    ("meta.ether_type", "ternary", 16),
    ("meta.ip_ok", "ternary", 1),
    ("hdr.ipv4.version", "ternary", 4),
    ("hdr.ipv4.ihl", "ternary", 4),
    ("hdr.ipv4.diffserv", "ternary", 8),
    ("hdr.ipv4.totalLen", "ternary", 16),
    ("hdr.ipv4.identification", "ternary", 16),
    ("hdr.ipv4.flags", "ternary", 3),
    ("hdr.ipv4.fragOffset", "ternary", 13),
    ("hdr.ipv4.ttl", "ternary", 8),
    ("hdr.ipv4.protocol", "ternary", 8),
    ("hdr.ipv4.srcAddr", "ternary", 32),
    ("hdr.ipv4.dstAddr", "ternary", 32),
    ("meta.l4_ok", "ternary", 1),
    ("meta.sport", "ternary", 16),
    ("meta.dport", "ternary", 16),
    ("meta.tcp_flags", "ternary", 8),
    ("meta.icmp_type", "ternary", 8),
    ("meta.icmp_code", "ternary", 8),
)

KIND_SPECS: dict[str, KindSpec] = {
    "classify": KindSpec(
        tables={"classify": (_CLASSIFY_KEYS, ("set_port", "drop_packet"))},
        table_actions={"set_port": (("port", 8),), "drop_packet": ()},
    ),
    "ip_lookup": KindSpec(
        tables={"ip_lookup": ((("meta.dst_anno", "lpm", 32),), ("route", "route_gw"))},
        table_actions={"route": (("port", 8),), "route_gw": (("port", 8), ("gw", 32))},
    ),
    "rewriter": KindSpec(
        exec_params=(("proto", 8), ("server_entry", 8), ("pass_port", 8)),
        tables={
            "rewriter": (
                (
                    ("hdr.ipv4.srcAddr", "exact", 32),
                    ("meta.sport", "exact", 16),
                    ("hdr.ipv4.dstAddr", "exact", 32),
                    ("meta.dport", "exact", 16),
                    ("hdr.ipv4.protocol", "exact", 8),
                ),
                ("rewrite",),
            )
        },
        table_actions={
            "rewrite": (("saddr", 32), ("sport", 16), ("daddr", 32), ("dport", 16), ("port", 8))
        },
    ),
    "counter": KindSpec(
        exec_params=(("index", 32), ("timed", 1), ("bytes_base", 16)),
        registers=(
            ("counter_packets", 64),
            ("counter_bytes", 64),
            ("counter_first", 48),
            ("counter_last", 48),
        ),
    ),
    "ether_encap": KindSpec(exec_params=(("ether_type", 16), ("src", 48), ("dst", 48))),
    "ip_encap": KindSpec(
        exec_params=(
            ("proto", 8),
            ("src", 32),
            ("dst", 32),
            ("ttl", 8),
            ("tos", 8),
            ("df", 1),
            ("dst_anno", 1),
            ("index", 32),
        ),
        registers=(("ipencap_id", 16),),
    ),
    "dec_ip_ttl": KindSpec(),
    "set_ip_dscp": KindSpec(exec_params=(("dscp", 6),)),
    "check_ip_header": KindSpec(),
    "paint": KindSpec(exec_params=(("color", 8),)),
    "discard": KindSpec(),
    "alert": KindSpec(exec_params=(("session", 32),)),
    "forward": KindSpec(exec_params=(("port", 9),)),
}


@dataclass(frozen=True)
class ProgramParams:
    stages: int = 8
    max_chain: int = 8
    table_size: int = 1024
    register_size: int = 1024
    kinds: tuple[str, ...] = ALL_KINDS

    def __post_init__(self) -> None:
        # Kinds are kept in the program's canonical order, whatever order they came in.
        unknown = [k for k in self.kinds if k not in KIND_SPECS]
        if unknown:
            raise ValueError(f"unknown element kinds: {', '.join(unknown)}")
        object.__setattr__(self, "kinds", tuple(k for k in ALL_KINDS if k in set(self.kinds)))
        if not self.kinds:
            raise ValueError("the program needs at least one element kind")
        if not 1 <= self.stages <= 64:
            raise ValueError("stages must be in 1..64")
        # nfCount is 8 bits; the parser loop needs at least one slot.
        if not 1 <= self.max_chain <= 255:
            raise ValueError("max_chain must be in 1..255")
        if self.table_size < 1 or self.register_size < 1:
            raise ValueError("table_size and register_size must be positive")


@dataclass
class Program:
    params: ProgramParams
    tables: dict[str, Table] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    registers: dict[str, Register] = field(default_factory=dict)

    def stage_prefix(self, stage: int) -> str:
        return f"{INGRESS}.stage{stage}"

    def element_table(self, stage: int, short_name: str) -> Table:
        return self.tables[f"{self.stage_prefix(stage)}.{short_name}"]


def _params(pairs: Iterable[tuple[str, int]]) -> tuple[Param, ...]:
    return tuple(Param(n, w) for n, w in pairs)


def exec_params(kind: str) -> tuple[Param, ...]:
    """All parameters of ``exec_<kind>``, in declaration order."""
    return _params(EXEC_COMMON_PARAMS + KIND_SPECS[kind].exec_params)


def build_program(params: ProgramParams | None = None) -> Program:
    """The tables, actions and registers p4c exposes for a program rendered with ``params``."""
    params = params or ProgramParams()
    prog = Program(params)
    size = params.table_size

    def add_action(name: str, pairs: Iterable[tuple[str, int]] = ()) -> str:
        prog.actions[name] = Action(name, _params(pairs))
        return name

    def add_table(name: str, keys: Iterable[tuple[str, str, int]], actions: list[str]) -> None:
        prog.tables[name] = Table(
            name, tuple(Key(*k) for k in keys), (*actions, "NoAction"), size
        )

    add_action("NoAction")

    push = add_action(
        f"{INGRESS}.push_chain",
        [("chain_id", 16), ("nf_count", 8)] + [(f"nf{i}", 8) for i in range(params.max_chain)],
    )
    add_table(
        f"{INGRESS}.classify_chain",
        [
            ("standard_metadata.ingress_port", "ternary", 9),
            ("hdr.ipv4.srcAddr", "ternary", 32),
            ("hdr.ipv4.dstAddr", "ternary", 32),
            ("hdr.ipv4.protocol", "ternary", 8),
            ("meta.sport", "ternary", 16),
            ("meta.dport", "ternary", 16),
        ],
        [push],
    )

    prefix_keys = [(f, "exact", w) for f, w in ELEMENT_KEY_PREFIX]
    for s in range(params.stages):
        sp = prog.stage_prefix(s)
        execs = [add_action(f"{sp}.exec_{kind}", [(p.name, p.bitwidth) for p in exec_params(kind)])
                 for kind in params.kinds]
        add_table(
            f"{sp}.element_control",
            [("meta.chain_id", "exact", 16), ("meta.nf_id", "exact", 8),
             ("meta.prev_elem", "exact", 8), ("meta.prev_port", "exact", 8)],
            execs,
        )
        for kind in params.kinds:
            spec = KIND_SPECS[kind]
            for tname, (keys, actions) in spec.tables.items():
                names = [add_action(f"{sp}.{a}", spec.table_actions[a]) for a in actions]
                add_table(f"{sp}.{tname}", prefix_keys + list(keys), names)
            for rname, width in spec.registers:
                prog.registers[f"{sp}.{rname}"] = Register(
                    f"{sp}.{rname}", width, params.register_size
                )

    run_local = add_action(f"{INGRESS}.run_local")
    to_port = add_action(f"{INGRESS}.to_port", [("port", 9)])
    add_table(
        f"{INGRESS}.nf_dispatch",
        [("meta.chain_id", "exact", 16), ("meta.nf_id", "exact", 8), ("meta.to_server", "exact", 1)],
        [run_local, to_port],
    )
    exit_chain = add_action(f"{INGRESS}.exit_chain", [("port", 9)])
    forward_chain = add_action(f"{INGRESS}.forward_chain", [("port", 9)])
    add_table(
        f"{INGRESS}.chain_exit", [("meta.chain_id", "exact", 16)], [exit_chain, forward_chain]
    )
    return prog
