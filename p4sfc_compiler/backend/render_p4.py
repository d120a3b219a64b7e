"""Render the dynamic P4 program from the jinja2 templates (``p4/templates``).

The templates hold the program's logic; what the rest of the system must agree on
(headers, metadata, table keys, action signatures, registers, reserved values) is printed
from the data-plane contract (:mod:`p4sfc_compiler.dataplane`) by the helpers below.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from types import SimpleNamespace

import jinja2

from p4sfc_compiler.dataplane import fields, program, reserved, wire
from p4sfc_compiler.dataplane.program import (
    DST_FROM_IP,
    EXEC_COMMON,
    EXEC_COMMON_PARAM,
    EXEC_COMMON_PARAMS,
    INGRESS_ACTIONS,
    KIND_SPECS,
    ParamSpecs,
    ProgramParams,
    TableSpec,
)
from p4sfc_compiler.resources import data_path

MAIN_TEMPLATE = "p4sfc.p4.j2"
# Continuation lines of a long action signature wrap before this column.
_WRAP = 90


def _bit_types(pairs: Iterable[tuple[str, int, bool]]) -> list[tuple[str, str]]:
    """(type, name) per field, the types padded to one column as the program writes them."""
    typed = [(f"varbit<{w}>" if var else f"bit<{w}>", name, var) for name, w, var in pairs]
    pad = max((len(t) for t, _, var in typed if not var), default=0)
    return [(t if var else t.ljust(pad), name) for t, name, var in typed]


def p4_header(ht: wire.HeaderType) -> str:
    lines = [f"header {ht.name} {{"]
    for typ, name in _bit_types((f.name, f.bitwidth, f.varbit) for f in ht.fields):
        lines.append(f"    {typ} {name};")
    return "\n".join(lines + ["}"])


def p4_metadata(kinds: Iterable[str] = ()) -> str:
    lines = ["struct metadata_t {"]
    rows = [(m.name, m.bitwidth, m.note, m.preserved) for m in fields.METADATA]
    for kind in kinds:
        for i, (name, width) in enumerate(program.kind_copies(kind)):
            rows.append((name, width, f"{kind}'s parameters, for its block" if i == 0 else "",
                         False))
    typed = _bit_types((name, width, False) for name, width, _, _ in rows)
    for (_, _, note, preserved), (typ, name) in zip(rows, typed, strict=True):
        if note:
            lines.append(f"    // {note}")
        if preserved:
            lines.append("    @field_list(0)")
        lines.append(f"    {typ} {name};")
    return "\n".join(lines + ["}"])


def p4_table(spec: TableSpec, size: int, key_prefix: tuple[str, ...] = (), indent: int = 4
             ) -> str:
    pad = " " * indent
    keys = program.table_keys(spec, key_prefix)
    lines = [f"table {spec.name} {{", "    key = {"]
    # each key element carries its P4Info name (a P4_16 key element's annotations follow
    # its match kind)
    lines += [f'        {k}: {kind} @name("{fields.key_name(k)}");' for k, kind in keys]
    lines += ["    }", "    actions = {"]
    lines += [f"        {a};" for a in spec.actions]
    lines += [f"        @defaultonly {program.NO_ACTION};", "    }",
              f"    const default_action = {program.NO_ACTION}();", f"    size = {size};"]
    if spec.state:  # the contract's Table.idle_timeout
        lines.append("    support_timeout = true;")
    lines.append("}")
    return "\n".join(pad + line if i else line for i, line in enumerate(lines))


def _signature(name: str, first: ParamSpecs, rest: ParamSpecs, indent: int) -> str:
    """``action name(first...`` with ``rest`` on continuation lines under the parenthesis."""
    head = f"action {name}("
    text = head + ", ".join(f"bit<{w}> {n}" for n, w in first)
    if not rest:
        return text + ")"
    col = indent + len(head)
    lines = [text + ","]
    line = ""
    for i, (n, w) in enumerate(rest):
        part = f"bit<{w}> {n}" + ("," if i < len(rest) - 1 else "")
        if line and col + len(line) + 1 + len(part) > _WRAP:
            lines.append(line)
            line = part
        else:
            line = f"{line} {part}" if line else part
    lines.append(line)
    return ("\n" + " " * col).join(lines) + ")"


def exec_action(kind: str) -> str:
    """The signature of ``exec_<kind>`` inside ``control Stage``."""
    return _signature(f"exec_{kind}", EXEC_COMMON_PARAMS, KIND_SPECS[kind].exec_params, 4)


def mask_select(flag: str, if_one: str, if_zero: str, width: int) -> str:
    """``flag ? if_one : if_zero`` for a one-bit ``flag``, as a select by mask: in an
    action p4c makes a bare ``?:`` a branch and a temporary (of every stage, for p4c's
    every pass); this is one expression."""
    return (f"{if_zero} ^ (({if_zero} ^ {if_one}) & ({width}w0 - (bit<{width}>)({flag})))")


def exec_common(kind: str, out_port: int | str = 0) -> str:
    """The statements every ``exec_<kind>`` starts with: the destination annotation from
    the IP header when the entry says so (``DST_FROM_IP``), the element parameter whole in
    ``fields.ELEMENT`` (the stage reads its port masks there, and ingress whether the pass
    ran an element), its id and default output port in the control key
    (``fields.POSITION``); ``meta.elem_id`` only for a kind with tables, whose keys are all
    that read it. They live in the action, not before or after the block, because BMv2
    runs each straight-line stretch of control code as a table of its own (a cost per
    packet), and every statement costs it a primitive."""
    port_bits = fields.field_width(fields.OUT_PORT)
    anno_bits = fields.field_width(fields.DST_ANNO)

    def part(name: str) -> str:
        return EXEC_COMMON.slice(EXEC_COMMON_PARAM, name)

    anno = mask_select(part(DST_FROM_IP), "hdr.ipv4.dstAddr", fields.DST_ANNO, anno_bits)
    lines = [f"{fields.DST_ANNO} = {anno};", f"{fields.ELEMENT} = {EXEC_COMMON_PARAM};"]
    if KIND_SPECS[kind].tables:
        lines.append(f"{fields.ELEM_ID} = {part('elem_id')};")
    # the element's place in the control key: the next stage looks up what follows it
    lines.append(f"{fields.POSITION} = {part('elem_id')} ++ (bit<{port_bits}>)({out_port});")
    return "\n".join(" " * 8 + line for line in lines)


def packed_key(expr: str, indent: int = 8, keep: int | None = None) -> str:
    """The statement assigning a packed key field (``fields.PACKED_KEYS``) its parts'
    current values, first part in the high bits; with ``keep``, only the first ``keep``
    parts, the rest 0."""
    packing = fields.PACKED_KEYS[expr]
    parts = list(packing.names)
    if keep is not None:
        zeros = sum(w for _, w in packing.parts[keep:])
        parts = parts[:keep] + [f"{zeros}w0"]
    # a balanced tree of concatenations, four parts to a line: p4c's JSON nests each
    # operation in the last, so a flat chain of 25 made BMv2 JSON a third larger
    chunks = [" ++ ".join(parts[i:i + 4]) for i in range(0, len(parts), 4)]
    lines = _balanced(chunks)
    lines[0] = f"{expr} = {lines[0]}"
    lines[-1] += ";"
    return ("\n" + " " * indent).join(lines)


def _balanced(chunks: list[str]) -> list[str]:
    """Lines of ``chunks`` joined with ``++`` as a balanced tree of parenthesised halves."""
    if len(chunks) == 1:
        return [f"({chunks[0]})" if " ++ " in chunks[0] else chunks[0]]
    mid = (len(chunks) + 1) // 2
    left, right = _balanced(chunks[:mid]), _balanced(chunks[mid:])
    lines = ["(" + left[0], *(" " + line for line in left[1:])]
    lines += [" ++ " + right[0], *("    " + line for line in right[1:])]
    lines[-1] += ")"
    return lines


def port_literal(port: int) -> str:
    """An element output port as a P4 literal of the contract's width (``8w1``)."""
    return f"{fields.field_width(fields.OUT_PORT)}w{port}"


def table_action(kind: str, name: str) -> str:
    """The signature of an action of one of ``kind``'s tables."""
    return _signature(name, KIND_SPECS[kind].table_actions[name], (), 4)


def ingress_action(name: str) -> str:
    """The signature of an action of ``MyIngress``."""
    count = program.push_chain_count(name)
    params = INGRESS_ACTIONS[name] if count is None else program.push_chain_params(count)
    return _signature(name, params, (), 4)


def kind_registers(kind: str, size: int) -> str:
    return "\n".join(
        f"    register<bit<{w}>>({size}) {name};" for name, w in KIND_SPECS[kind].registers
    )


def kind_counters(kind: str, register_size: int) -> str:
    return "\n".join(
        f"    counter({register_size * cells}, CounterType.packets) {name};"
        for name, cells in KIND_SPECS[kind].counters
    )


def kind_table(kind: str, name: str, size: int) -> str:
    spec = next(t for t in KIND_SPECS[kind].tables if t.name == name)
    return "    " + p4_table(spec, size, program.ELEMENT_KEY_PREFIX)


def l4_key_values() -> list[tuple[str, str]]:
    """Each transport key field and the expression ingress sets it to: for a first fragment
    of a protocol that has the field, where it comes from, a slice of ``fields.L4_WORD``
    (transport bytes 0-3, cut to the bytes there are) or ``meta.l4_flags`` (the byte
    the last of ``wire.L4_PROBES`` reaches, 0 unless the packet reaches it); else 0. One
    expression per field and no branch: BMv2 pays a condition and a table per branch."""
    last = wire.L4_PROBES[-1] - 1
    sources: dict[str, dict[str, list[int]]] = {}
    for proto, layout in fields.TRANSPORT_KEY_LAYOUT.items():
        for key, first, width in layout:
            ones = f"~(bit<{width}>)0"
            if first + width <= 32:
                src = f"{fields.L4_WORD}[{31 - first}:{32 - first - width}]"
            elif first == 8 * last and width == 8:
                src = f"(meta.l4_flags & (({fields.L4_HAVE} >= {last + 1}) ? {ones} : 0))"
            else:
                raise ValueError(f"{key}: the parser reads transport bytes 0-3 and {last} only")
            sources.setdefault(key, {}).setdefault(src, []).append(proto)
    out = []
    for key, by_source in sources.items():
        ones = f"~(bit<{fields.field_width(key)}>)0"
        terms = []
        for src, protos in by_source.items():
            test = " || ".join(f"hdr.ipv4.protocol == {p}" for p in protos)
            terms.append(f"({src} & ((hdr.ipv4.fragOffset == 0 && ({test})) ? {ones} : 0))")
        out.append((key, "\n                | ".join(terms)))
    return out


def l4_takes() -> list[tuple[int, int]]:
    """The parser's ``l4_take<N>`` states: (N, the most transport bytes after the IP
    header that select it; N is the fewest). N bytes are read (at most 4: the ports or ICMP
    type and code), and the last state also reads the TCP flags. Probes that read the same
    bytes share a state: BMv2 pays per parser state."""
    probes = wire.L4_PROBES
    starts = [p for i, p in enumerate(probes)
              if i == 0 or p == probes[-1] or min(p, 4) != min(probes[i - 1], 4)]
    ends = [nxt - 1 for nxt in starts[1:]] + [0xFFFF]
    return list(zip(starts, ends, strict=True))


def l4_states() -> list[tuple[int, str]]:
    """The transport protocols the parser reads a header of, with their states; the last
    one is the parser's default after an ``l4_take<N>`` state."""
    return [(wire.PROTO_TCP, "parse_tcp"), (wire.PROTO_UDP, "parse_udp"),
            (wire.PROTO_ICMP, "parse_icmp")]


def ihl_lookahead() -> str:
    """The IPv4 header length (words) looked ahead at, before the header is extracted:
    a plain bit string, since a header type's lookahead costs BMv2 a header instance."""
    width = sum(f.bitwidth for f in wire.IPV4_LEAD.fields)
    lo = 0
    for f in reversed(wire.IPV4_LEAD.fields):
        if f.name == "ihl":
            return f"packet.lookahead<bit<{width}>>()[{lo + f.bitwidth - 1}:{lo}]"
        lo += f.bitwidth
    raise KeyError("ihl")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_path("templates"))),
        undefined=jinja2.StrictUndefined,  # a misspelt name must fail, not print nothing
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(
        drop_port=reserved.DROP_PORT,
        mask_bits=reserved.MASK_BITS,
        input_elem_id=reserved.INPUT_ELEM_ID,
        wire=wire,
        fields=fields,
        l4_len=SimpleNamespace(
            tcp=wire.L4_HEADER_LEN[wire.PROTO_TCP], udp=wire.L4_HEADER_LEN[wire.PROTO_UDP]
        ),
        l4_keys=l4_key_values(),
        l4_takes=l4_takes(),
        l4_states=l4_states(),
        ihl_lookahead=ihl_lookahead(),
        dp=program,
        p4_header=p4_header,
        p4_metadata=p4_metadata,
        p4_table=p4_table,
        exec_action=exec_action,
        exec_common=exec_common,
        mask_select=mask_select,
        packed_key=packed_key,
        port_literal=port_literal,
        table_action=table_action,
        ingress_action=ingress_action,
        kind_registers=kind_registers,
        kind_counters=kind_counters,
        counter_digits=SimpleNamespace(
            count=program.COUNTER_DIGITS, bits=program.COUNTER_DIGIT_BITS,
            values=program.COUNTER_DIGIT_VALUES, cells=program.COUNTER_LEN_CELLS,
            array=program.COUNTER_LEN,
        ),
        kind_table=kind_table,
    )
    return env


def element_template(kind: str) -> str:
    """Template path of one element kind's block."""
    return f"elements/{kind}.p4.j2"


def kind_block_text(kind: str, params: ProgramParams | None = None) -> str:
    """One kind's template text as the program prints it: its declarations (actions,
    tables) and its block."""
    params = params or ProgramParams()
    module = _environment().get_template(element_template(kind)).module
    return str(module.decls(params)) + "\n" + str(module.body(params))  # type: ignore[attr-defined]


def render_p4(params: ProgramParams | None = None) -> str:
    """The P4_16 (v1model) source of the program for ``params``."""
    params = params or ProgramParams()
    env = _environment()
    # Each kind's file holds two macros: decls (inside control Stage) and body (its case).
    blocks = {kind: env.get_template(element_template(kind)).module for kind in params.kinds}
    l4_delta = any(KIND_SPECS[kind].adds_l4_delta for kind in params.kinds)
    return env.get_template(MAIN_TEMPLATE).render(params=params, kind_blocks=blocks,
                                                  l4_delta=l4_delta)
