"""Table entries, by name, for every switch of a plan.

Names are the P4Info names of the dynamic program (``MyIngress.stage0.element_control``,
``MyIngress.stage0.exec_classify``, match fields ``chain_id``, ``ip_src``, ...): entries
are built with the key expressions the families lower to and leave :func:`build_entries`
with the match fields' P4Info names (``dataplane.fields.KEY_NAMES``). Every entry records the chain it belongs to,
so a chain can be deployed or destroyed alone. Per chain, the chain-classification entry
comes last: applied in file order, a chain starts taking traffic only when all its other
entries are in place (and removing in reverse order stops the traffic first).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from p4sfc_compiler.analysis.partition import Placement
from p4sfc_compiler.analysis.plan import ChainPlan, NFPlan, Plan
from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.match import Entry, Exact, Match, Ternary, significant
from p4sfc_compiler.dataplane.program import (
    CHAIN_EXIT,
    CLASSIFY_CHAIN_NAME,
    EXEC_COMMON,
    EXEC_COMMON_PARAM,
    INGRESS,
    KIND_SPECS,
    NF_DISPATCH,
    TABLE_PARAM,
    ProgramParams,
    pack_key,
    push_chain_action,
)
from p4sfc_compiler.dataplane.reserved import (
    INPUT_ELEM_ID,
    MASK_BITS,
    MIRROR_SESSION_BASE,
    PORT_BITS,
)
from p4sfc_compiler.errors import CapacityError, SpecError
from p4sfc_compiler.families.base import Lowering
from p4sfc_compiler.families.values import parse_prefix
from p4sfc_compiler.frontend.ir import INPUT_CLASS

# element kinds whose block owns tables: each table's name and key fields (after the prefix)
KIND_TABLES = {
    kind: tuple((t.name, frozenset(k for k, _ in t.keys)) for t in spec.tables)
    for kind, spec in KIND_SPECS.items()
    if spec.tables
}
# register and counter arrays a kind indexes through its ``index`` parameter
KIND_REGISTERS = {
    kind: tuple(name for name, _ in spec.counters + spec.registers)
    for kind, spec in KIND_SPECS.items()
    if spec.registers or spec.counters
}
PORT_MASK = (1 << PORT_BITS) - 1


@dataclass(frozen=True)
class RegisterSlot:
    """A register slot held by one element instance (counters, IPEncap ids): its index in
    the kind's register arrays and (scaled by the cells per slot) in its counter arrays."""

    switch: str
    chain: str
    nf: str
    element: str
    registers: tuple[str, ...]
    index: int


@dataclass(frozen=True)
class CloneSession:
    """A P4Runtime clone session copying to one port; shared by every chain that uses it."""

    session_id: int
    port: int
    chains: tuple[str, ...]


@dataclass
class SwitchEntries:
    switch: str
    entries: list[Entry] = field(default_factory=list)
    registers: list[RegisterSlot] = field(default_factory=list)
    clone_sessions: list[CloneSession] = field(default_factory=list)

    def use_clone_session(self, port: int, chain: str) -> int:
        session_id = MIRROR_SESSION_BASE + port
        for i, cs in enumerate(self.clone_sessions):
            if cs.session_id == session_id:
                if chain not in cs.chains:
                    self.clone_sessions[i] = CloneSession(session_id, port, cs.chains + (chain,))
                return session_id
        self.clone_sessions.append(CloneSession(session_id, port, (chain,)))
        return session_id


def stage_path(stage: int) -> str:
    return f"{INGRESS}.stage{stage}"


def _key(chain_id: int, nf_id: int) -> tuple[tuple[str, Match], ...]:
    return ((F.CHAIN_ID, Exact(chain_id)), (F.NF_ID, Exact(nf_id)))


def build_entries(plan: Plan, params: ProgramParams | None = None) -> dict[str, SwitchEntries]:
    """Entries for every switch in the topology (switches a chain never touches get none).

    Raises CapacityError when a chain needs more NF ids than the program carries or a
    stage more register slots than it has, and SpecError (naming both chain files) when
    two chains claim the same packets at the same ingress with equal precedence.
    """
    params = params or ProgramParams()
    max_chain = params.max_chain
    result = {sw: SwitchEntries(sw) for sw in sorted(plan.topology.switches)}
    next_index: dict[tuple[str, int], int] = {}
    claims: dict[str, list[_Claim]] = {}
    for chain in plan.chains:
        if len(chain.nfs) > max_chain:
            raise CapacityError(
                f"chain '{chain.name}' has {len(chain.nfs)} NFs; the program carries at most "
                f"{max_chain} NF ids (raise --max-chain)"
            )
        for nf in chain.nfs:
            if nf.on_switch:
                sw = result[nf.switch]
                server_port = _port_to_server(plan, nf.switch, nf.location)
                sw.entries.extend(
                    _nf_entries(chain, nf, sw, next_index, server_port, params.register_size)
                )
        for name in _touched_switches(plan, chain):
            result[name].entries.extend(_dispatch_entries(plan, chain, name))
        # last: traffic is claimed for the chain only once everything it needs is in place
        ingress = chain.spec.route.ingress
        claim = _classify_chain_entry(chain)
        result[ingress.switch].entries.append(claim)
        claims.setdefault(ingress.switch, []).append((claim, chain))
    for switch, switch_claims in claims.items():
        _check_claims(switch, switch_claims)
    for se in result.values():
        se.entries = [_p4info_names(e) for e in se.entries]
    return result


@lru_cache(maxsize=4096)
def _key_names(exprs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(F.key_name(x) for x in exprs)


def _p4info_names(entry: Entry) -> Entry:
    """The entry with its match fields by P4Info name (``ip_src``) instead of the key
    expressions (``hdr.ipv4.srcAddr``) the builder and the families work with, and a
    packed key's parts packed into its field: the one place the two forms meet."""
    match = pack_key(entry.table, entry.match)
    names = _key_names(tuple(x for x, _ in match))
    return entry._replace(match=tuple(zip(names, (v for _, v in match), strict=True)))


_Claim = tuple[Entry, ChainPlan]


def _intersect(a: Entry, b: Entry) -> bool:
    """Whether some packet matches both ternary entries (a field absent is a wildcard)."""
    bm = dict(b.match)
    for name, va in a.match:
        vb = bm.get(name)
        if isinstance(va, Ternary) and isinstance(vb, Ternary):
            if (va.value ^ vb.value) & va.mask & vb.mask:
                return False
    return True


def _check_claims(switch: str, claims: list[_Claim]) -> None:
    """Two chains whose classification entries have equal priority and match a common
    packet: which one takes it is up to the switch (and equal keys it refuses outright).
    Entries are grouped by priority and ingress port, then bucketed by the field and mask
    most of them test (:func:`_candidate_pairs`), so thousands of disjoint routes are not
    compared pairwise."""
    by_group: dict[tuple[int | None, object], list[_Claim]] = {}
    for entry, chain in claims:
        port = dict(entry.match)[F.INGRESS_PORT]
        by_group.setdefault((entry.priority, port), []).append((entry, chain))
    for group in by_group.values():
        for (a, ca), (b, cb) in _candidate_pairs(group):
            if _intersect(a, b):
                same = "the same packets" if a.match == b.match else "packets in common"
                raise SpecError(
                    f"{ca.spec.file}: chains '{cb.name}' ({cb.spec.file}) and '{ca.name}' "
                    f"claim {same} on switch {switch}, ingress port "
                    f"{ca.spec.route.ingress.port}, with equal precedence: make one "
                    "Route.match more specific than the other, or make them disjoint"
                )


def _candidate_pairs(
    group: list[_Claim],
) -> Iterator[tuple[_Claim, _Claim]]:
    """Pairs that may intersect: entries testing a field with the group's most common mask
    are bucketed by their value under it (different buckets never intersect); the rest
    are paired with everything."""
    counts: dict[tuple[str, int], int] = {}
    for entry, _ in group:
        for name, v in entry.match:
            if isinstance(v, Ternary) and name != F.INGRESS_PORT:
                counts[(name, v.mask)] = counts.get((name, v.mask), 0) + 1
    if not counts:
        yield from itertools.combinations(group, 2)
        return
    name, mask = max(counts, key=lambda k: (counts[k], k))
    buckets: dict[int, list[_Claim]] = {}
    wide: list[_Claim] = []
    for item in group:
        tested = dict(item[0].match).get(name)
        if isinstance(tested, Ternary) and tested.mask & mask == mask:
            buckets.setdefault(tested.value & mask, []).append(item)
        else:
            wide.append(item)
    for bucket in buckets.values():
        yield from itertools.combinations(bucket, 2)
    narrow = [item for bucket in buckets.values() for item in bucket]
    for i, w in enumerate(wide):
        for other in narrow + wide[i + 1:]:
            yield w, other


def _port_to_server(plan: Plan, sw: str, server: str) -> int:
    srv = plan.topology.servers[server]
    return srv.port if srv.switch == sw else plan.topology.port_towards(sw, srv.switch)


def _touched_switches(plan: Plan, chain: ChainPlan) -> list[str]:
    route = chain.spec.route
    stops = [route.ingress.switch]
    for nf in chain.nfs:
        stops.append(nf.switch)
    stops.append(route.egress.switch)
    touched: list[str] = []
    for a, b in zip(stops, stops[1:], strict=False):
        for sw in plan.topology.path(a, b):
            if sw not in touched:
                touched.append(sw)
    for sw in stops:
        if sw not in touched:
            touched.append(sw)
    return touched


def _classify_chain_entry(chain: ChainPlan) -> Entry:
    route = chain.spec.route
    match: list[tuple[str, Match]] = [
        (F.INGRESS_PORT, Ternary(route.ingress.port, PORT_MASK))
    ]
    m = route.match
    for key, field_name in F.ROUTE_MATCH.items():
        if key not in m:
            continue
        full = (1 << F.field_width(field_name)) - 1
        if key in ("src", "dst"):
            addr, plen = parse_prefix(str(m[key]))
            mask = full ^ (full >> plen)
            match.append((field_name, Ternary(addr & mask, mask)))
        else:
            value = m[key]
            assert isinstance(value, int)  # the chain spec reader gives numbers
            match.append((field_name, Ternary(value, full)))
    bits = sum(bin(v.mask).count("1") for _, v in match if isinstance(v, Ternary))
    params = [("chain_id", chain.chain_id)]
    params += [(f"nf{i}", nf.nf_id) for i, nf in enumerate(chain.nfs)]
    # more specific routes win over catch-alls
    return Entry(
        f"{INGRESS}.{CLASSIFY_CHAIN_NAME}",
        significant(match),
        f"{INGRESS}.{push_chain_action(len(chain.nfs))}",
        tuple(params),
        priority=1 + bits,
        chain=chain.name,
    )


def _nf_entries(
    chain: ChainPlan,
    nf: NFPlan,
    sw: SwitchEntries,
    next_index: dict[tuple[str, int], int],
    server_port: int,
    register_size: int,
) -> Iterator[Entry]:
    part = nf.switch_part
    snf = part.switch_nf
    key = _key(chain.chain_id, nf.nf_id)
    for elem, elem_id in snf.elem_ids.items():
        if elem not in part.slots:
            continue  # no path from the NF's input reaches it
        low = nf.infos[elem].lowering
        assert low is not None  # the switch view holds lowered elements only
        stage = part.slots[elem].stage
        path = stage_path(stage)
        params = dict(low.params)
        table = _element_table(low)
        if table is not None and len(KIND_TABLES[low.kind]) > 1:
            params[TABLE_PARAM] = table[0]
        if low.kind == "alert" and params["session"] == 0:
            params["session"] = sw.use_clone_session(server_port, chain.name)
        if "index" in params and low.kind in KIND_REGISTERS:
            slot = (nf.switch, stage)
            params["index"] = next_index.get(slot, 0)
            if params["index"] >= register_size:
                raise CapacityError(
                    f"switch {nf.switch}, stage {stage}: more than {register_size} counter and "
                    f"IPEncap instances need a register slot (chain '{chain.name}', NF "
                    f"'{nf.name}', element '{elem}'); raise --table-size"
                )
            next_index[slot] = params["index"] + 1
            sw.registers.append(
                RegisterSlot(
                    nf.switch,
                    chain.name,
                    nf.name,
                    elem,
                    tuple(f"{path}.{r}" for r in KIND_REGISTERS[low.kind]),
                    params["index"],
                )
            )
        for src, port, target in snf.inputs(elem):
            prev = INPUT_ELEM_ID if src == INPUT_CLASS else snf.elem_ids[src]
            element = EXEC_COMMON.pack(elem_id, snf.exit_ports(elem),
                                       snf.drop_ports(elem, MASK_BITS), int(target.dst_from_ip))
            all_params = [(EXEC_COMMON_PARAM, element), *sorted(
                {**params, **low.input_params.get(target.in_port, {})}.items())]
            ctl = F.pack_control_key(chain.chain_id, nf.nf_id, prev, port)
            yield Entry(
                f"{path}.element_control",
                ((F.CONTROL_KEY, Exact(ctl)),),
                f"{path}.exec_{low.kind}",
                tuple(all_params),
                chain=chain.name,
            )
        if table is None:
            continue
        ranked = [e.order for e in low.entries if e.order is not None]
        top = max(ranked, default=0) + 1
        for e in low.entries:
            yield Entry(
                f"{path}.{table[1]}",
                key + ((F.ELEM_ID, Exact(elem_id)),) + significant(e.match.items()),
                f"{path}.{e.action}",
                tuple(e.params.items()),
                priority=None if e.order is None else top - e.order,
                chain=chain.name,
            )


def _element_table(low: Lowering) -> tuple[int, str] | None:
    """Position and name of the kind's first table whose key holds every field the
    element's entries test (KindSpec.tables), or None for a kind without tables."""
    tables = KIND_TABLES.get(low.kind)
    if tables is None:
        return None
    used = {name for e in low.entries for name, _ in significant(e.match.items())}
    return next((i, name) for i, (name, keys) in enumerate(tables) if used <= keys)


def _dispatch_entries(plan: Plan, chain: ChainPlan, sw: str) -> Iterator[Entry]:
    topo = plan.topology
    for nf in chain.nfs:
        key = _key(chain.chain_id, nf.nf_id)
        server = topo.servers[nf.location]
        if nf.on_switch and nf.switch == sw:
            yield Entry(
                f"{INGRESS}.{NF_DISPATCH.name}",
                key + ((F.TO_SERVER, Exact(0)),),
                f"{INGRESS}.run_local",
                chain=chain.name,
            )
            if nf.placement is Placement.SPLIT:
                yield _to_port(chain, key, 1, server.port)
        elif nf.placement is Placement.SERVER and server.switch == sw:
            yield _to_port(chain, key, 0, server.port)
        else:
            yield _to_port(chain, key, 0, topo.port_towards(sw, nf.switch))
    egress = chain.spec.route.egress
    port = egress.port if egress.switch == sw else topo.port_towards(sw, egress.switch)
    action = "exit_chain" if egress.switch == sw else "forward_chain"
    yield Entry(
        f"{INGRESS}.{CHAIN_EXIT.name}",
        ((F.CHAIN_ID, Exact(chain.chain_id)),),
        f"{INGRESS}.{action}",
        (("port", port),),
        chain=chain.name,
    )


def _to_port(
    chain: ChainPlan, key: tuple[tuple[str, Match], ...], to_server: int, port: int
) -> Entry:
    return Entry(
        f"{INGRESS}.{NF_DISPATCH.name}",
        key + ((F.TO_SERVER, Exact(to_server)),),
        f"{INGRESS}.to_port",
        (("port", port),),
        chain=chain.name,
    )


