"""The data-plane bench's cases: one element or the chain, run natively and dynamically.

Native side: a hand-written program in ``bench/native/`` and its entries. Dynamic side:
the chain p4sfc compiles for the same NFs. Both take their rules from the same NF
configs: the library NFs of ``examples/nfs`` (firewall, monitor, router, nat). An element
case wraps one library element's configuration in a minimal NF body; the native entries
are the project's own lowering of that body (``check_elements``: IPFilter / IPClassifier
rules as classify entries, routes as LPM entries), projected on the native tables' keys.

Ports are the same for both: frames enter on 1, leave on 2; the rewriter's misses go to
the server on 3.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import networkx as nx
from support.specs import line_chain

from p4sfc_compiler.analysis.offload import check_elements
from p4sfc_compiler.backend.compile import CompileResult, compile_chains
from p4sfc_compiler.backend.entry_formats import write_request_txtpb
from p4sfc_compiler.dataplane.fields import L4_REACH, field_width, key_name
from p4sfc_compiler.dataplane.match import Entry, Exact, Match, Ternary, significant
from p4sfc_compiler.families import registry
from p4sfc_compiler.families.base import Lowering, TableEntry
from p4sfc_compiler.frontend.chainspec import load_chains, validate
from p4sfc_compiler.frontend.configstring import split_args
from p4sfc_compiler.frontend.ir import OUTPUT_CLASS, out_edges_by_port
from p4sfc_compiler.frontend.nflib import nf_source
from p4sfc_compiler.frontend.parser import parse_text
from p4sfc_compiler.frontend.topology import default_topology
from p4sfc_compiler.p4info.checks import check_entry
from p4sfc_compiler.p4info.index import P4InfoIndex

NATIVE_DIR = Path(__file__).resolve().parent
INGRESS, EGRESS, SERVER = 1, 2, 3

# A flow as (src, sport, dst, dport, proto) and its rewrite as (src, sport, dst, dport).
Flow = tuple[str, int, str, int, int]
Rewrite = tuple[str, int, str, int]

# The bench's frame: TCP 10.0.0.5:40000 -> 10.0.1.10:80 (PSH+ACK). The firewall allows it
# (dst host 10.0.1.10 && tcp && dst port 80), the monitor counts it as web, the router
# sends it to 10.0.1.0/24 (output 0); the rewriter maps it as Click's NAT maps its first
# flow.
BENCH_FLOW: Flow = ("10.0.0.5", 40000, "10.0.1.10", 80, 6)
BENCH_REWRITE: Rewrite = ("192.168.0.1", 50000, "10.0.1.10", 80)


def _graph(text: str, name: str) -> nx.MultiDiGraph:
    return parse_text(text, name, compound_body=True)


def library_graph(nf_type: str) -> nx.MultiDiGraph:
    path = nf_source(nf_type)
    return _graph(path.read_text(), str(path))


def library_config(nf_type: str, element: str) -> str:
    """The configuration string of ``element`` in the library NF ``nf_type``."""
    return library_graph(nf_type).nodes[element]["config"]


def _element_bodies() -> dict[str, str]:
    acl = library_config("firewall", "acl")
    routes = library_config("router", "rt")
    n_routes = 1 + max(out_edges_by_port(library_graph("router"), "rt"))
    # the NAT's rewriter has a spec per input; the element case has one input: the first
    rw = split_args(library_config("nat", "rw"))[0]
    return {
        "classifier": "input -> Strip(14) -> MarkIPHeader\n"
                      f"      -> acl :: IPFilter({acl})\n"
                      "      -> Unstrip(14) -> output;\n",
        "rewriter": "input -> Strip(14) -> MarkIPHeader\n"
                    f"      -> rw :: IPRewriter({rw}) -> Unstrip(14) -> output;\n",
        "route": "input -> Strip(14) -> chk :: CheckIPHeader\n"
                 f"      -> rt :: RadixIPLookup({routes});\n"
                 "u :: Unstrip(14) -> output;\n"
                 + "".join(f"rt[{k}] -> u;\n" for k in range(n_routes))
                 + "chk[1] -> Discard;\n",
        "counter": "input -> c :: Counter -> output;\n",
    }


@dataclass(frozen=True)
class Case:
    """One bench case. ``nfs``: the dynamic chain as (instance, library type or body);
    a body (it contains ``->``) is written to ``<instance>.click``. Empty: native only."""

    name: str
    native: str  # file in bench/native
    nfs: tuple[tuple[str, str], ...] = ()
    flows: tuple[tuple[Flow, Rewrite], ...] = ()  # rewriter mappings, installed on both
    doc: str = ""

    @property
    def native_path(self) -> Path:
        return NATIVE_DIR / self.native

    def nf_graphs(self) -> list[tuple[str, nx.MultiDiGraph]]:
        out = []
        for inst, what in self.nfs:
            if "->" in what:
                out.append((inst, _graph(what, f"{inst}.click")))
            else:
                out.append((inst, library_graph(what)))
        return out


def cases() -> dict[str, Case]:
    bodies = _element_bodies()
    mapping = ((BENCH_FLOW, BENCH_REWRITE),)
    all_cases = [
        Case("forward", "forward.p4", doc="one exact table: port 1 -> port 2 (native only)"),
        Case("classifier", "classifier.p4", (("acl", bodies["classifier"]),),
             doc="IPFilter with the firewall's acl rules"),
        Case("rewriter", "rewriter.p4", (("rw", bodies["rewriter"]),), flows=mapping,
             doc="IPRewriter hit path (the NAT's pattern, one mapping installed)"),
        Case("route", "route.p4", (("rt", bodies["route"]),),
             doc="CheckIPHeader + RadixIPLookup with the router's routes"),
        Case("counter", "counter.p4", (("cnt", bodies["counter"]),), doc="one Counter"),
        Case("chain", "chain_fw_mon_rt.p4",
             (("fw", "firewall"), ("mon", "monitor"), ("rt", "router")),
             doc="firewall -> monitor -> router (library NFs)"),
    ]
    return {c.name: c for c in all_cases}


# ---------------------------------------------------------------------------------------
# the dynamic side


def dynamic_chain_json(case: Case, folder: Path) -> Path:
    """Write the case's chain (and its NF bodies) into ``folder``; the chain file."""
    chain = line_chain(case.name, case.nfs, folder, INGRESS, EGRESS)
    path = folder / "chain.json"
    path.write_text(json.dumps(chain, indent=1))
    return path


def compile_dynamic(case: Case, folder: Path, stages: int):
    """``(CompileResult, topology)`` of the case's chain on the default topology (s1:
    ingress 1, egress 2, srv1 on 3)."""
    folder.mkdir(parents=True, exist_ok=True)
    chains = load_chains(dynamic_chain_json(case, folder))
    topology = default_topology(chains)
    validate(chains, topology)
    return compile_chains(chains, topology, stages=stages), topology


def passes(result: CompileResult) -> int:
    """How many passes through the pipeline the chain's switch elements take."""
    plan = json.loads(result.files["plan.json"])
    most = 0
    for nf in plan["chains"][0]["nfs"]:
        for e in nf.get("elements", []):
            if e.get("pass") is not None:
                most = max(most, e["pass"] + 1)
    return most


def dynamic_rewriter_txtpb(result: CompileResult, case: Case) -> str:
    """A WriteRequest with the case's rewriter mappings in the dynamic program's table."""
    plan = json.loads(result.files["plan.json"])
    index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
    chain = plan["chains"][0]
    entries = []
    for nf in chain["nfs"]:
        for e in nf.get("elements", []):
            if e["name"] != "rw" or e.get("stage") is None:
                continue
            stage = f"MyIngress.stage{e['stage']}"
            key: tuple[tuple[str, Match], ...] = (
                ("meta.chain_id", Exact(chain["chain_id"])), ("meta.nf_id", Exact(nf["nf_id"])),
                ("meta.elem_id", Exact(e["elem_id"])))
            for flow, to in case.flows:
                # match fields by P4Info name, as the compiler's entries leave it
                match = tuple((key_name(x), v) for x, v in key + _five_tuple(flow))
                entry = Entry(f"{stage}.rewriter", match, f"{stage}.rewrite",
                              _rewrite_params(to, port=0))
                check_entry(entry, index)
                entries.append(entry)
    return write_request_txtpb(entries, index, device_id=0)


def _five_tuple(flow: Flow) -> tuple[tuple[str, Match], ...]:
    src, sport, dst, dport, proto = flow
    return (("hdr.ipv4.srcAddr", Exact(int(IPv4Address(src)))), ("meta.sport", Exact(sport)),
            ("hdr.ipv4.dstAddr", Exact(int(IPv4Address(dst)))), ("meta.dport", Exact(dport)),
            ("hdr.ipv4.protocol", Exact(proto)))


def _rewrite_params(to: Rewrite, port: int | None = None) -> tuple[tuple[str, int], ...]:
    nsrc, nsport, ndst, ndport = to
    if port is None:  # the native action's parameter names
        return (("new_saddr", int(IPv4Address(nsrc))), ("new_sport", nsport),
                ("new_daddr", int(IPv4Address(ndst))), ("new_dport", ndport))
    return (("saddr", int(IPv4Address(nsrc))), ("sport", nsport),
            ("daddr", int(IPv4Address(ndst))), ("dport", ndport), ("port", port))


# ---------------------------------------------------------------------------------------
# the native side: the same lowering, projected on the hand-written tables


@dataclass
class _Lowered:
    graph: nx.MultiDiGraph
    lowerings: dict[str, Lowering] = field(default_factory=dict)


def _lowered(graph: nx.MultiDiGraph) -> _Lowered:
    infos = check_elements(graph)
    return _Lowered(graph, {n: i.lowering for n, i in infos.items() if i.lowering is not None})


def _ranked(entries: Sequence[TableEntry]) -> Iterator[tuple[TableEntry, int | None]]:
    ranked = [e.order for e in entries if e.order is not None]
    top = max(ranked, default=0) + 1
    for e in entries:
        yield e, None if e.order is None else top - e.order


def _project(table: str, match: dict[str, Match], index: P4InfoIndex,
             rename: dict[str, str] | None = None) -> tuple[tuple[str, Match], ...]:
    """A lowered match on a native table's key. ``meta.ip_ok`` goes: the native programs
    classify IPv4 packets only (after their header check), so it must read 1 or be free.
    Every other field must be in the native key, under its name or ``rename``'s."""
    match = dict(match)
    ip_ok = match.pop("meta.ip_ok", None)
    if ip_ok is not None and ip_ok != Ternary(1, 1):
        raise ValueError(f"{table}: a rule for non-IPv4 packets ({ip_ok}) has no native form")
    rename = rename or {}
    fields = index.table(table).fields
    out = []
    for name, value in significant(match.items()):
        native = rename.get(name, name)
        if native not in fields:
            raise ValueError(f"{table}: the rules test {name}, which the native key lacks "
                             f"(key: {', '.join(fields)})")
        out.append((native, value))
    return tuple(out)


def _classify_entries(table: str, low: Lowering, index: P4InfoIndex,
                      action: Callable[[TableEntry], tuple[str, tuple[tuple[str, int], ...]]]
                      ) -> list[Entry]:
    out = []
    for e, priority in _ranked(low.entries):
        match = _whole_transport(e.match)
        if match is None:
            continue
        name, params = action(e)
        out.append(Entry(table, _project(table, match, index), name, params, priority))
    return out


def _whole_transport(match: dict[str, Match]) -> dict[str, Match] | None:
    """A lowered match as it reads on a native program, which parses whole transport
    headers only: ``meta.l4_reach`` (the bytes a cut transport header reaches, which the
    dynamic program's Click-exact rule blocks for cut headers test) has every probe bit of
    a whole TCP header set. A test that such a header passes goes; an entry whose test it
    fails is only for cut headers and has no native form (None). The bench's frames carry
    whole headers, and ``same_output`` checks native and dynamic emit the same."""
    reach = match.get(L4_REACH)
    if reach is None:
        return match
    assert isinstance(reach, Ternary)
    whole = (1 << field_width(L4_REACH)) - 1
    if whole & reach.mask != reach.value:
        return None
    return {k: v for k, v in match.items() if k != L4_REACH}


def _leads_to_output(g: nx.MultiDiGraph, element: str, port: int) -> bool:
    """Output ``port`` of ``element`` reaches the NF's output through no other class than
    Unstrip (the element cases send every output on)."""
    for dst, _ in out_edges_by_port(g, element).get(port, []):
        cls = g.nodes[dst]["cls"]
        if cls == OUTPUT_CLASS:
            return True
        if cls == "Unstrip":
            return _leads_to_output(g, dst, 0)
    return False


def _ether_encap_after(g: nx.MultiDiGraph, element: str, port: int):
    """The EtherEncap config that output ``port`` of ``element`` reaches (through DecIPTTL)."""
    seen = 0
    node, out = element, port
    while seen < 8:
        ((dst, _),) = out_edges_by_port(g, node)[out]
        d = g.nodes[dst]
        if d["cls"] == "EtherEncap":
            return registry.parse_config("EtherEncap", d["args"])
        node, out, seen = dst, 0, seen + 1
    raise ValueError(f"no EtherEncap after {element}[{port}]")


def native_entries(case: Case, index: P4InfoIndex) -> list[Entry]:
    """The native program's entries for ``case``, checked against its P4Info (p4c's)."""
    entries = _native_entries(case, index)
    for e in entries:
        check_entry(e, index)
    return entries


def _native_entries(case: Case, index: P4InfoIndex) -> list[Entry]:
    graphs = dict(case.nf_graphs())
    if case.name == "forward":
        return [Entry("FwdIngress.forward", (("standard_metadata.ingress_port", Exact(INGRESS)),),
                      "FwdIngress.fwd", (("port", EGRESS),))]
    if case.name == "counter":
        return []
    if case.name == "rewriter":
        return [Entry("RwIngress.rw", _five_tuple(flow), "RwIngress.rewrite", _rewrite_params(to))
                for flow, to in case.flows]
    if case.name == "classifier":
        low = _lowered(graphs["acl"]).lowerings["acl"]
        return _classify_entries("ClsIngress.acl", low, index, _allow_deny("ClsIngress"))
    if case.name == "route":
        lowered = _lowered(graphs["rt"])
        out = []
        for e, _ in _ranked(lowered.lowerings["rt"].entries):
            port = e.params["port"]
            if not _leads_to_output(lowered.graph, "rt", port):
                raise ValueError(f"rt[{port}] does not lead to the NF's output")
            out.append(Entry("RouteIngress.rt",
                             _project("RouteIngress.rt", e.match, index,
                                      {"meta.dst_anno": "hdr.ipv4.dstAddr"}),
                             "RouteIngress.route", (("port", EGRESS),)))
        return out
    if case.name == "chain":
        fw = _lowered(graphs["fw"]).lowerings["acl"]
        out = _classify_entries("ChainIngress.firewall_acl", fw, index,
                                _allow_deny("ChainIngress"))
        mon = _lowered(graphs["mon"]).lowerings["cls"]

        def count(e: TableEntry) -> tuple[str, tuple[tuple[str, int], ...]]:
            if e.action != "set_port":
                raise ValueError(f"monitor cls: no native form for {e.action}")
            return "ChainIngress.count_class", (("index", e.params["port"]),)

        out += _classify_entries("ChainIngress.monitor_cls", mon, index, count)
        rt_graph = graphs["rt"]
        for e, _ in _ranked(_lowered(rt_graph).lowerings["rt"].entries):
            encap = _ether_encap_after(rt_graph, "rt", e.params["port"])
            out.append(Entry("ChainIngress.router_rt",
                             _project("ChainIngress.router_rt", e.match, index,
                                      {"meta.dst_anno": "hdr.ipv4.dstAddr"}),
                             "ChainIngress.next_hop",
                             (("ether_type", encap.ether_type), ("src", encap.src),
                              ("dst", encap.dst))))
        return out
    raise ValueError(f"unknown case {case.name}")


def _allow_deny(control: str) -> Callable[[TableEntry], tuple[str, tuple[tuple[str, int], ...]]]:
    def action(e: TableEntry) -> tuple[str, tuple[tuple[str, int], ...]]:
        if e.action == "drop_packet":
            return f"{control}.deny", ()
        if e.action == "set_port" and e.params["port"] == 0:
            return f"{control}.allow", ()
        raise ValueError(f"no native form for {e.action} {e.params}")
    return action


# ---------------------------------------------------------------------------------------
# frames


def _csum16(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def bench_frames(n: int, size: int = 64, id_base: int = 0) -> list[bytes]:
    """``n`` frames of the bench flow, ``size`` bytes each (Ethernet, no FCS); frame i
    carries IP id ``(id_base + i) % 65536``, which names it at the receiver. Valid IPv4
    and TCP checksums (the TCP checksum does not cover the IP id)."""
    src, sport, dst, dport, proto = BENCH_FLOW
    payload = bytes(max(0, size - 54))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 0x50, 0x18, 8192, 0, 0) + payload
    s, d = IPv4Address(src).packed, IPv4Address(dst).packed
    pseudo = s + d + struct.pack("!BBH", 0, proto, len(tcp))
    body = pseudo + tcp + (b"\0" if len(tcp) % 2 else b"")
    tcp = tcp[:16] + struct.pack("!H", _csum16(body)) + tcp[18:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    out = []
    for i in range(n):
        ident = (id_base + i) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident, 0x4000, 64, proto, 0,
                         s, d)
        ip = ip[:10] + struct.pack("!H", _csum16(ip)) + ip[12:]
        out.append(eth + ip + tcp)
    return out


def frame_id(frame: bytes) -> int | None:
    """The IP id of an untagged Ethernet/IPv4 frame (what the bench numbers frames by)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    return int.from_bytes(frame[18:20], "big")
