"""The dynamic P4 program as plain data: its tables, actions, registers and parameters.

The templates under ``p4/templates/`` are the program's text and are rendered from the
specs below (table keys, action signatures, registers); the P4Info, the entry builder and
the switch model read the same specs, so a name, key or width is written once. The tests
compare the rendered text with this model and, where p4c is installed, with the P4Info p4c
writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.match import Match
from p4sfc_compiler.dataplane.packing import pack_match
from p4sfc_compiler.dataplane.reserved import (
    CHAIN_VERSION_BIT,
    ELEMENT_PORT_BITS,
    PORT_BITS,
)
from p4sfc_compiler.dataplane.wire import ETHERNET, IPV4, SFC, SFC_NF

INGRESS = "MyIngress"
NO_ACTION = "NoAction"
# The counter kind's packet counters: one cell per slot counting packets, and
# COUNTER_LEN_CELLS cells per slot for Click's byte length (from its data pointer), kept
# digit by digit: a packet counts, for each of the COUNTER_DIGITS base-2^COUNTER_DIGIT_BITS
# digits d of its length, the cell of that digit's value, so the bytes are
# sum(value << (d * COUNTER_DIGIT_BITS) * cell). A count per digit and no branch: BMv2
# pays per condition and per block, and a bit per cell took a branch per bit.
COUNTER_PACKETS = "counter_packets"
COUNTER_LEN = "counter_len_digits"
COUNTER_DIGIT_BITS = 4
COUNTER_DIGITS = 5  # lengths below 2**20 bytes
COUNTER_DIGIT_VALUES = 1 << COUNTER_DIGIT_BITS
COUNTER_LEN_CELLS = COUNTER_DIGITS * COUNTER_DIGIT_VALUES


def counter_len_cells(slot: int) -> range:
    """The indices of a slot's cells in the ``COUNTER_LEN`` array."""
    return range(slot * COUNTER_LEN_CELLS, (slot + 1) * COUNTER_LEN_CELLS)


def counted_cells(slot: int, length: int) -> list[int]:
    """The ``COUNTER_LEN`` cells one packet of ``length`` bytes counts (one per digit)."""
    base = slot * COUNTER_LEN_CELLS
    mask = COUNTER_DIGIT_VALUES - 1
    return [base + d * COUNTER_DIGIT_VALUES + (length >> (d * COUNTER_DIGIT_BITS) & mask)
            for d in range(COUNTER_DIGITS)]


def counted_bytes(len_cells: Mapping[int, int], slot: int) -> int:
    """The bytes a counter slot counted, from the cells of its ``COUNTER_LEN`` array
    (index -> packets; cells left out count 0)."""
    base = slot * COUNTER_LEN_CELLS
    return sum(
        len_cells.get(base + d * COUNTER_DIGIT_VALUES + v, 0) * (v << (d * COUNTER_DIGIT_BITS))
        for d in range(COUNTER_DIGITS) for v in range(1, COUNTER_DIGIT_VALUES)
    )

# v1model's ingress_global_timestamp, which the counters' first/last registers keep.
TIMESTAMP_BITS = 48

# Limits of the program's parameters and ids, from the widths that carry them.
MAX_STAGES = 64
MAX_CHAIN_NFS = (1 << SFC.field("nfCount").bitwidth) - 1  # NF ids one SFC header carries
# the top bit of a chain id is its version (reserved.CHAIN_VERSION_BIT)
MAX_CHAIN_ID = CHAIN_VERSION_BIT - 1
MAX_NF_ID = (1 << F.field_width(F.NF_ID)) - 1  # NF ids count from 1
MAX_ELEM_ID = (1 << F.field_width(F.ELEM_ID)) - 1  # element ids count from 1 (0 = input)

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

# The prefix every element table's key starts with (isolation between chains and NFs).
ELEMENT_KEY_PREFIX: tuple[str, ...] = F.ELEMENT_PREFIX

ParamSpecs = tuple[tuple[str, int], ...]

DST_FROM_IP = F.DST_FROM_IP
EXEC_COMMON = F.EXEC_COMMON
EXEC_COMMON_PARAM = "element"
# Common leading parameters of every exec_<kind> action.
EXEC_COMMON_PARAMS: ParamSpecs = ((EXEC_COMMON_PARAM, EXEC_COMMON.width),)


@dataclass(frozen=True)
class Key:
    field: str  # the P4 key expression (hdr.ipv4.srcAddr)
    match_kind: str  # "exact" | "ternary" | "lpm"
    bitwidth: int

    @property
    def name(self) -> str:
        """The match field's P4Info name (``ip_src``), given in the program by ``@name``."""
        return F.key_name(self.field)


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
    default_action: str = NO_ACTION
    # P4 ``support_timeout``: entries may carry a TTL, the switch keeps when each was last
    # hit (P4Runtime time_since_last_hit, IdleTimeoutNotification). The state tables have
    # it: the state library expires a mapping only when the switch has not used it either.
    idle_timeout: bool = False

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Register:
    name: str
    bitwidth: int
    size: int


@dataclass(frozen=True)
class CounterArray:
    """An indirect P4 ``counter`` extern of packets (P4Runtime reads it, BMv2 included)."""

    name: str
    size: int


@dataclass(frozen=True)
class TableSpec:
    """A table as the program declares it: short name, key (expression, match kind) and
    its actions' short names (the miss is always a fixed ``NoAction``)."""

    name: str
    keys: tuple[tuple[str, str], ...]
    actions: tuple[str, ...]
    # Entries written at run time by the state library (a server's P4SFCTable mirrors
    # its element's mappings here), never by a compile: apply leaves the running chain
    # version's entries of such a table alone, destroy removes them with the chain. Such
    # a table supports idle timeout (``Table.idle_timeout``).
    state: bool = False
    # The program matches this one packed field (fields.PACKED_KEYS), which holds the
    # key (after the element prefix, for an element table) as its parts.
    packed: str | None = None


def packed_kind(kinds: Iterable[str]) -> str:
    """The match kind of a packed field whose parts have ``kinds``: LPM with an LPM part
    (the last), ternary with a ternary part, else exact."""
    kinds = set(kinds)
    return "lpm" if "lpm" in kinds else "ternary" if "ternary" in kinds else "exact"


def table_keys(spec: TableSpec, prefix: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """The key the program gives a table: its prefix (exact) and keys, or the one packed
    field holding them (whose parts must be exactly those)."""
    keys = tuple((k, "exact") for k in prefix) + spec.keys
    if spec.packed is None:
        return keys
    names = F.PACKED_KEYS[spec.packed].names
    if names != tuple(k for k, _ in keys):
        raise ValueError(f"{spec.name}: {spec.packed} packs {names}, not its key")
    kinds = [kind for _, kind in keys]
    if "lpm" in kinds and (kinds[-1] != "lpm" or set(kinds[:-1]) != {"exact"}):
        raise ValueError(f"{spec.name}: a packed LPM key is exact parts, then the LPM one")
    return ((spec.packed, packed_kind(kinds)),)


# exec_<kind>'s parameter naming the table of a kind with several (KindSpec.tables).
TABLE_PARAM = "table_sel"


@dataclass(frozen=True)
class KindSpec:
    """What one element kind adds to each stage."""

    exec_params: ParamSpecs = ()  # after EXEC_COMMON_PARAMS
    # Keys after ELEMENT_KEY_PREFIX. With several, an element's entries all go to the
    # first table whose key holds every field they test, and exec_<kind>'s parameter
    # TABLE_PARAM says which (its position): narrow keys are cheaper lookups.
    tables: tuple[TableSpec, ...] = ()
    table_actions: dict[str, ParamSpecs] = field(default_factory=dict)
    registers: tuple[tuple[str, int], ...] = ()
    # Packet counter externs: (name, cells per register slot).
    counters: tuple[tuple[str, int], ...] = ()
    # The kind's block reads these of exec_<kind>'s parameters (and every one of
    # ``copied_actions``) after the action ran, from metadata fields named prefix +
    # parameter, one set shared by all stages: control locals would be assigned at every
    # stage's start. Work that needs no table and no branch stays in the action, with
    # no copy: after the table it would be a block of its own, which BMv2 runs as a table.
    copy_prefix: str = ""
    block_params: tuple[str, ...] = ()
    copied_actions: tuple[str, ...] = ()
    # The block never writes hdr.ipv4 nor anything that decides how the next pass parses
    # it (hdr.ipv4's fields, its validity, an EtherType, an outer header): a CheckIPHeader
    # after such blocks only repeats an earlier one's verdict (analysis/redundant.py).
    # tests/backend/test_p4program.py holds each flag to its template.
    keeps_ip_header: bool = False
    # The block rewrites words under the TCP/UDP checksum and adds their one's-complement
    # change to fields.L4_DELTA; ingress then patches the checksum once per pass.
    adds_l4_delta: bool = False


_W = F.field_width
_PORT8 = ("port", ELEMENT_PORT_BITS)

KIND_SPECS: dict[str, KindSpec] = {
    "classify": KindSpec(
        keeps_ip_header=True,
        copy_prefix="cls_", block_params=(TABLE_PARAM,),
        exec_params=((TABLE_PARAM, 1),),
        tables=(
            TableSpec("classify_ip", tuple((k, "ternary") for k in F.CLASSIFY_IP_KEY),
                      ("set_port", "drop_packet"), packed=F.CLASSIFY_IP_PACKED),
            TableSpec("classify", tuple((k, "ternary") for k in F.CLASSIFY_KEY),
                      ("set_port", "drop_packet"), packed=F.CLASSIFY_PACKED),
        ),
        table_actions={"set_port": (_PORT8,), "drop_packet": ()},
    ),
    "ip_lookup": KindSpec(
        keeps_ip_header=True,
        tables=(TableSpec("ip_lookup", ((F.DST_ANNO, "lpm"),), ("route", "route_gw"),
                          packed=F.IP_LOOKUP_PACKED),),
        table_actions={"route": (_PORT8,), "route_gw": (_PORT8, ("gw", _W(F.DST_ANNO)))},
    ),
    "rewriter": KindSpec(
        adds_l4_delta=True,
        copy_prefix="rw_", copied_actions=("rewrite",),
        block_params=("proto", "server_entry", "pass_port"),
        exec_params=(
            ("proto", IPV4.field("protocol").bitwidth),
            ("server_entry", SFC.field("entry").bitwidth),
            ("pass_port", ELEMENT_PORT_BITS),
        ),
        tables=(TableSpec("rewriter", tuple((k, "exact") for k in F.REWRITER_KEY),
                          ("rewrite",), state=True),),
        table_actions={
            "rewrite": (
                ("saddr", _W("hdr.ipv4.srcAddr")),
                ("sport", _W("meta.sport")),
                ("daddr", _W("hdr.ipv4.dstAddr")),
                ("dport", _W("meta.dport")),
                _PORT8,
            )
        },
    ),
    "counter": KindSpec(
        keeps_ip_header=True,
        copy_prefix="cnt_", block_params=("index", "timed"),
        exec_params=(("index", 32), ("timed", 1), ("bytes_base", 16)),
        # Click's byte count of a packet is not the frame length a P4 byte counter adds
        # (it starts at the data pointer: IP length + bytes_base), so the bytes are kept
        # digit by digit in packet cells (COUNTER_LEN_CELLS, counted_bytes). P4Runtime
        # reads counters on BMv2 (it answers register reads with UNIMPLEMENTED).
        counters=((COUNTER_PACKETS, 1), (COUNTER_LEN, COUNTER_LEN_CELLS)),
        registers=(
            ("counter_first", TIMESTAMP_BITS),
            ("counter_last", TIMESTAMP_BITS),
        ),
    ),
    "ether_encap": KindSpec(
        exec_params=(
            ("ether_type", ETHERNET.field("etherType").bitwidth),
            ("src", ETHERNET.field("srcAddr").bitwidth),
            ("dst", ETHERNET.field("dstAddr").bitwidth),
        )
    ),
    "ip_encap": KindSpec(
        exec_params=(
            ("proto", IPV4.field("protocol").bitwidth),
            ("src", IPV4.field("srcAddr").bitwidth),
            ("dst", IPV4.field("dstAddr").bitwidth),
            ("ttl", IPV4.field("ttl").bitwidth),
            ("tos", IPV4.field("diffserv").bitwidth),
            ("df", 1),
            ("dst_anno", 1),
            ("index", 32),
        ),
        registers=(("ipencap_id", IPV4.field("identification").bitwidth),),
    ),
    "dec_ip_ttl": KindSpec(),
    "set_ip_dscp": KindSpec(exec_params=(("dscp", 6),)),
    "check_ip_header": KindSpec(keeps_ip_header=True),
    "paint": KindSpec(keeps_ip_header=True, exec_params=(("color", _W("meta.paint")),)),
    "discard": KindSpec(keeps_ip_header=True),
    "alert": KindSpec(keeps_ip_header=True, exec_params=(("session", 32),)),
    "forward": KindSpec(exec_params=(("port", PORT_BITS),)),
}

# The tables of MyIngress around the stages, and their actions' parameters.
# Short names of the element tables the state library writes (TableSpec.state).
STATE_TABLES: frozenset[str] = frozenset(
    t.name for spec in KIND_SPECS.values() for t in spec.tables if t.state)


def is_state_table(name: str) -> bool:
    """Whether a table (P4Info name, ``MyIngress.stage3.rewriter``) holds run-time state."""
    return name.rsplit(".", 1)[-1] in STATE_TABLES and name.startswith(f"{INGRESS}.stage")


CLASSIFY_CHAIN_NAME = "classify_chain"
NF_DISPATCH = TableSpec(
    "nf_dispatch", ((F.CHAIN_ID, "exact"), (F.NF_ID, "exact"), (F.TO_SERVER, "exact")),
    ("run_local", "to_port"),
)
CHAIN_EXIT = TableSpec("chain_exit", ((F.CHAIN_ID, "exact"),), ("exit_chain", "forward_chain"))
ELEMENT_CONTROL_KEY: tuple[tuple[str, str], ...] = ((F.CONTROL_KEY, "exact"),)


def kind_copies(kind: str) -> ParamSpecs:
    """The metadata fields holding ``kind``'s parameter copies: (name, width)."""
    spec = KIND_SPECS[kind]
    params = tuple(p for p in spec.exec_params if p[0] in spec.block_params)
    params += tuple(p for a in spec.copied_actions for p in spec.table_actions[a])
    return tuple((spec.copy_prefix + name, width) for name, width in params)


def push_chain_action(count: int) -> str:
    """The classify_chain action that tags a packet for a chain of ``count`` NFs. One
    action per count, so each pushes just its NF ids and marks the last: a count
    parameter would leave BMv2 a branch per count and a block to trim the stack."""
    return f"push_chain_{count}"


def push_chain_params(count: int) -> ParamSpecs:
    nf_w = SFC_NF.field("nfId").bitwidth
    return (("chain_id", _W(F.CHAIN_ID)), *((f"nf{i}", nf_w) for i in range(count)))


def push_chain_count(action: str) -> int | None:
    """The NF count of a push_chain action's name (short or full), else None."""
    short = action.rsplit(".", 1)[-1]
    head, _, tail = short.rpartition("_")
    if head != "push_chain" or not tail.isdigit() or push_chain_action(int(tail)) != short:
        return None
    return int(tail)


def classify_chain(max_chain: int) -> TableSpec:
    """The chain classification table of a program carrying ``max_chain`` NF ids."""
    return TableSpec(
        CLASSIFY_CHAIN_NAME, tuple((k, "ternary") for k in F.CHAIN_CLASSIFY_KEY),
        tuple(push_chain_action(n) for n in range(1, max_chain + 1)),
        packed=F.CHAIN_CLASSIFY_PACKED,
    )


INGRESS_ACTIONS: dict[str, ParamSpecs] = {
    "run_local": (),
    "to_port": (("port", PORT_BITS),),
    "exit_chain": (("port", PORT_BITS),),
    "forward_chain": (("port", PORT_BITS),),
}


def element_control(kinds: Iterable[str]) -> TableSpec:
    """The element-control table of a stage for a program with ``kinds``."""
    return TableSpec("element_control", ELEMENT_CONTROL_KEY, tuple(f"exec_{k}" for k in kinds))


# Tables the program gives one packed key field: short name -> (field, match kind).
PACKED_TABLES: dict[str, tuple[str, str]] = {
    **{t.name: table_keys(t, ELEMENT_KEY_PREFIX)[0]
       for spec in KIND_SPECS.values() for t in spec.tables if t.packed is not None},
    CLASSIFY_CHAIN_NAME: table_keys(classify_chain(1))[0],
}


def pack_key(table: str, match: Iterable[tuple[str, Match]]) -> tuple[tuple[str, Match], ...]:
    """An entry's match by key expression (``hdr.ipv4.srcAddr``), its table's key parts
    packed into the table's packed field if it has one. ``table`` is the full or short
    name."""
    match = tuple(match)
    packed = PACKED_TABLES.get(table.rsplit(".", 1)[-1])
    if packed is None:
        return match
    expr, kind = packed
    m = pack_match(F.PACKED_KEYS[expr], kind, dict(match))
    return () if m is None else ((expr, m),)


def pack_key_fields(table: str, match: Iterable[tuple[str, Match]]
                    ) -> tuple[tuple[str, Match], ...]:
    """:func:`pack_key` for a match by P4Info name (``chain_id``, ``ip_src``...), the
    inverse of ``fields.unpack_key_fields``."""
    match = tuple(match)
    if table.rsplit(".", 1)[-1] not in PACKED_TABLES:
        return match
    by_expr = tuple((F.KEY_EXPRESSIONS.get(name, name), m) for name, m in match)
    return tuple((F.key_name(x), m) for x, m in pack_key(table, by_expr))


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
        if not 1 <= self.stages <= MAX_STAGES:
            raise ValueError(f"stages must be in 1..{MAX_STAGES}")
        # the parser loop needs at least one slot
        if not 1 <= self.max_chain <= MAX_CHAIN_NFS:
            raise ValueError(f"max_chain must be in 1..{MAX_CHAIN_NFS}")
        if self.table_size < 1 or self.register_size < 1:
            raise ValueError("table_size and register_size must be positive")


@dataclass
class Program:
    params: ProgramParams
    tables: dict[str, Table] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    registers: dict[str, Register] = field(default_factory=dict)
    counters: dict[str, CounterArray] = field(default_factory=dict)

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

    def add_table(prefix: str, spec: TableSpec, key_prefix: tuple[str, ...] = ()) -> None:
        name = f"{prefix}.{spec.name}"
        keys = tuple(Key(k, kind, F.field_width(k)) for k, kind in table_keys(spec, key_prefix))
        actions = tuple(f"{prefix}.{a}" for a in spec.actions)
        prog.tables[name] = Table(name, keys, (*actions, NO_ACTION), size,
                                  idle_timeout=spec.state)

    add_action(NO_ACTION)
    for n in range(1, params.max_chain + 1):
        add_action(f"{INGRESS}.{push_chain_action(n)}", push_chain_params(n))
    add_table(INGRESS, classify_chain(params.max_chain))

    for s in range(params.stages):
        sp = prog.stage_prefix(s)
        for kind in params.kinds:
            add_action(f"{sp}.exec_{kind}", [(p.name, p.bitwidth) for p in exec_params(kind)])
        add_table(sp, element_control(params.kinds))
        for kind in params.kinds:
            spec = KIND_SPECS[kind]
            for table in spec.tables:
                for a in table.actions:
                    add_action(f"{sp}.{a}", spec.table_actions[a])
                add_table(sp, table, ELEMENT_KEY_PREFIX)
            for rname, width in spec.registers:
                prog.registers[f"{sp}.{rname}"] = Register(
                    f"{sp}.{rname}", width, params.register_size
                )
            for cname, cells in spec.counters:
                prog.counters[f"{sp}.{cname}"] = CounterArray(
                    f"{sp}.{cname}", params.register_size * cells
                )

    for name in NF_DISPATCH.actions:
        add_action(f"{INGRESS}.{name}", INGRESS_ACTIONS[name])
    add_table(INGRESS, NF_DISPATCH)
    for name in CHAIN_EXIT.actions:
        add_action(f"{INGRESS}.{name}", INGRESS_ACTIONS[name])
    add_table(INGRESS, CHAIN_EXIT)
    return prog
