"""Server-side Click configurations, valid for the real ``click``.

One configuration per server. Each NF the server runs is its NF body wrapped as an
``elementclass``; a split NF contributes only the subgraph reachable from its partial
element. Packets arrive from the switch with the SFC header; a ``Classifier`` on
(chain id, server entry, first NF id) picks the entry point, the header is stripped and
an Ethernet header put back, the NFs run, and on the way out the header is rebuilt with
the NF ids still to pass (``Unstrip`` + ``StoreData`` + ``EtherEncap``, stock elements).
Both versions of a chain id are accepted (``dataplane.reserved.CHAIN_VERSION_BIT``, for
``p4sfc apply``'s make-before-break), and the inner EtherTypes of :data:`INNER_TYPES`
(a whole NF on a server may get ARP or IPv6 frames a route claims; a split NF's misses are
IPv4). One entry pattern per (version, inner EtherType); ``Paint(code, ANNO RETURN_ANNO)``
keeps the pair through the NFs as one return code and a ``PaintSwitch`` on it picks the
header to send back. Frames of another inner EtherType reach the catch-all.

The byte offsets of the SFC header's fields come from its layout in the data-plane contract
(:mod:`p4sfc_compiler.dataplane.wire`).

No user text reaches the configuration unchecked: element and class names are made from
identifiers (:func:`_ident`, unique per configuration), an interface or pcap file name is
a plain word or a quoted Click string (:func:`click_string`), comments are one line
(:func:`comment_text`), and each NF class body is parsed back and must hold exactly the
NF's elements and connections (:func:`_check_round_trip`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx

from p4sfc_compiler.analysis.catalog import load_catalog
from p4sfc_compiler.analysis.offload import IP_HEADER_ANNO
from p4sfc_compiler.analysis.partition import Placement
from p4sfc_compiler.analysis.plan import ChainPlan, NFPlan, Plan
from p4sfc_compiler.dataplane.reserved import RETURN_ANNO, with_version
from p4sfc_compiler.dataplane.wire import (
    ETH_LEN,
    ETHERNET,
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_SFC,
    IPV4,
    SFC,
    SFC_LEN,
    SFC_NF,
    SFC_NF_LEN,
    sfc_header,
)
from p4sfc_compiler.errors import ClickSyntaxError, P4SFCError
from p4sfc_compiler.families import config_only
from p4sfc_compiler.families.base import ServerOnlyError
from p4sfc_compiler.families.registry import server_form
from p4sfc_compiler.frontend.configstring import quote, split_args
from p4sfc_compiler.frontend.ir import (
    INPUT_CLASS,
    OUTPUT_CLASS,
    add_element,
    connect,
    connections,
    new_graph,
)
from p4sfc_compiler.frontend.parser import parse_text
from p4sfc_compiler.frontend.printer import to_click
from p4sfc_compiler.frontend.topology import Server

# Inner EtherTypes a server config takes and restores on the way back.
INNER_TYPES = (ETHERTYPE_IPV4, ETHERTYPE_ARP, ETHERTYPE_IPV6)
# (chain id version, inner EtherType) -> the return code kept in Click annotation RETURN_ANNO
RETURN_CODES = {(v, t): 2 * i + v for i, t in enumerate(INNER_TYPES) for v in (0, 1)}

# Offsets, in a tagged frame, of what the entry Classifier tests.
_AT_ETHERTYPE = ETHERNET.byte_offset("etherType")
_AT_CHAIN = ETH_LEN + SFC.byte_offset("chainId")
_AT_ENTRY = ETH_LEN + SFC.byte_offset("entry")
_AT_INNER_TYPE = ETH_LEN + SFC.byte_offset("etherType")
_AT_FIRST_NF = ETH_LEN + SFC_LEN + SFC_NF.byte_offset("nfId")
# Elements that only hold configuration: a server part keeps them for name lookups
_CONFIG_ONLY = frozenset(config_only.CLASSES) | {"IPRewriterPatterns"}
DST_IP_ANNO = "anno.dst_ip"
SERVER_MAC = "02:00:00:00:00:01"
# the element of every server configuration that counts (and drops) Alert copies
ALERT_SINK = "p4sfc_alerts"
SWITCH_MAC = "02:00:00:00:00:fe"


@dataclass
class ServerIO:
    """Where a server config reads and writes frames."""

    mode: str = "device"  # device | pcap
    interface: str = "eth0"
    pcap_in: str = "in.pcap"
    pcap_out: str = "out.pcap"

    def source(self) -> str:
        if self.mode == "pcap":
            return f"FromDump({click_string(self.pcap_in)}, STOP true, TIMING false)"
        return f"FromDevice({click_string(self.interface)}, SNIFFER false)"

    def sink(self) -> str:
        if self.mode == "pcap":
            return f"ToDump({click_string(self.pcap_out)})"
        return f"Queue(1000) -> ToDevice({click_string(self.interface)})"


# A word Click reads as itself in a configuration argument: no quote, comment, comma,
# parenthesis, '$' variable, backslash escape or space can hide in it ...
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_.+@%=-]+(?:/[A-Za-z0-9_.+@%=-]+)*\Z")
# ... and it cannot be taken for a keyword argument (SNIFFER, PROMISC, STOP, ...)
_KEYWORD_LIKE = re.compile(r"[A-Z_][A-Z0-9_.]*\Z")


def click_string(text: str) -> str:
    """``text`` as one configuration argument that Click reads back as ``text``: a plain
    word as it is, anything else double-quoted with Click's escapes (``cp_quote``)."""
    if not text:
        raise P4SFCError("an empty name cannot be a Click configuration argument")
    plain = _PLAIN_WORD.match(text) and not _KEYWORD_LIKE.match(text)
    return text if plain else quote(text)


def comment_text(text: object) -> str:
    """``text`` for a ``//`` comment: one line (line breaks and other control or
    non-printable characters escaped as in Python) and no ``*/``."""
    s = str(text)
    if not s.isprintable() or "\\" in s:
        s = "".join(ch if ch.isprintable() and ch != "\\" else ch.encode("unicode_escape").decode("ascii")
                    for ch in s)
    return s.replace("*/", "*\\/")


def _ident(*parts: object) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(str(p) for p in parts))


def _fresh(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``, ... : the first name not in ``taken`` (added)."""
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


def _hex(data: bytes) -> str:
    return "\\<" + " ".join(f"{b:02x}" for b in data) + ">"


@dataclass
class _Entry:
    chain: ChainPlan
    nf: NFPlan
    entry: int  # 0 = start of the NF, k > 0 = split NF miss on the partial element's input k-1
    in_port: int = 0


@dataclass
class ServerConfig:
    server: str
    text: str
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # chain, nf, entry
    # instance name -> (chain, nf, part): whoever reads the server's handlers (p4sfc run)
    # finds an NF's elements under its instance; part is "nf", or "miss" for a split NF
    instances: dict[str, tuple[str, str, str]] = field(default_factory=dict)


def server_part(nf: NFPlan) -> nx.MultiDiGraph:
    """The subgraph a split NF's server runs: the partial element and all it reaches.

    Its compound inputs are the partial element's inputs; config-only elements
    (AddressInfo, IPRewriterPatterns) come along so names still resolve.
    """
    g = nf.graph
    keep = set(nf.split.server) | {
        n for n, d in g.nodes(data=True) if d["cls"] in _CONFIG_ONLY
    }
    part = new_graph(name=f"{nf.name}_miss", file=g.graph.get("file", ""))
    add_element(part, INPUT_CLASS, INPUT_CLASS)
    for n, d in g.nodes(data=True):
        if n in keep:
            add_element(part, n, d["cls"], d["config"], d["args"], d["pos"])
    add_element(part, OUTPUT_CLASS, OUTPUT_CLASS)
    for port in range(_n_inputs(g, nf.split.partial)):
        connect(part, INPUT_CLASS, port, nf.split.partial, port)
    for src, sp, dst, dp in connections(g):
        if src in keep and (dst in keep or g.nodes[dst]["cls"] == OUTPUT_CLASS):
            connect(part, src, sp, dst, dp)
    return part


def _server_forms(g: nx.MultiDiGraph, nf: NFPlan) -> nx.MultiDiGraph:
    """The graph with every element in the form a server's Click runs (see
    :func:`p4sfc_compiler.families.registry.server_form`); the NF's own graph is left alone."""
    changed = {}
    for n, d in g.nodes(data=True):
        try:
            form = server_form(d["cls"], d["config"])
        except ServerOnlyError as exc:
            where = f"{d['pos']}: " if d.get("pos") else ""
            raise ServerOnlyError(f"{where}NF '{nf.name}' runs on server '{nf.location}': {exc}") from None
        if form != (d["cls"], d["config"]):
            changed[n] = form
    if not changed:
        return g
    g = g.copy()
    for n, (cls, config) in changed.items():
        g.nodes[n]["cls"] = cls
        g.nodes[n]["config"] = config
        g.nodes[n]["args"] = split_args(config)
    return g


def _check_round_trip(g: nx.MultiDiGraph, text: str, nf: NFPlan) -> None:
    """The class body as printed must parse back into exactly the NF's elements and
    connections: a configuration string that closes its parenthesis early would
    otherwise put elements of its own into the server's configuration."""
    problem = ""
    try:
        back = parse_text(text, f"<server form of NF {nf.name}>", compound_body=True)
    except ClickSyntaxError as exc:
        problem = exc.message
    else:
        want = {(n, d["cls"]) for n, d in g.nodes(data=True)}
        got = {(n, d["cls"]) for n, d in back.nodes(data=True)}
        extra = sorted(n for n, _ in got - want)
        if extra:
            problem = f"it would declare {', '.join(extra)}"
        elif want != got or set(connections(g)) != set(connections(back)):
            problem = "its elements or connections would change"
    if problem:
        raise P4SFCError(
            f"NF {nf.name!r} (type {nf.type!r}) cannot be written into the Click configuration "
            f"of server {nf.location!r}: {problem}"
        )


def _n_inputs(g: nx.MultiDiGraph, name: str) -> int:
    return 1 + max((d["dst_port"] for _, _, d in g.in_edges(name, data=True)), default=0)


def _entry_shim(nf: NFPlan) -> list[str]:
    """Elements that rebuild, at a split NF's server entry, the data pointer and the
    annotations the switch-side elements before the partial element had set."""
    info = nf.infos[nf.split.partial]
    offset = info.data_offset or 0
    shim = [f"Strip({offset})"] if offset else []
    upstream = {nf.graph.nodes[n]["cls"] for n in nx.ancestors(nf.graph, nf.split.partial)}
    catalog = load_catalog()
    ip_at = ETH_LEN - offset
    if any(catalog.writes(c, IP_HEADER_ANNO) for c in upstream) and ip_at >= 0:
        shim.append(f"MarkIPHeader({ip_at})")
    if any(catalog.sets_anno_from_header(c, DST_IP_ANNO) for c in upstream) and ip_at >= 0:
        shim.append(f"GetIPAddress({ip_at + IPV4.byte_offset('dstAddr')})")
    return shim


def build_server_configs(plan: Plan, io_mode: str = "device") -> dict[str, ServerConfig]:
    """One Click configuration per server that runs anything."""
    per_server: dict[str, list[_Entry]] = {}
    for chain in plan.chains:
        for nf in chain.nfs:
            if nf.placement is Placement.SERVER:
                prev = chain.nfs[nf.nf_id - 2] if nf.nf_id > 1 else None
                if prev is None or not (
                    prev.placement is Placement.SERVER and prev.location == nf.location
                ):
                    per_server.setdefault(nf.location, []).append(_Entry(chain, nf, 0))
            elif nf.placement is Placement.SPLIT:
                low = nf.infos[nf.split.partial].lowering
                assert low is not None  # a split NF's partial element has its counterpart
                for in_port, params in sorted(low.input_params.items()):
                    if params.get("server_entry", 0):
                        per_server.setdefault(nf.location, []).append(
                            _Entry(chain, nf, params["server_entry"], in_port)
                        )
    configs = {}
    for server, entries in sorted(per_server.items()):
        srv = plan.topology.servers[server]
        io = ServerIO(io_mode, interface=getattr(srv, "interface", None) or "eth0")
        configs[server] = _render(server, srv, entries, io)
    return configs


def _render(server: str, srv: Server, entries: list[_Entry], io: ServerIO) -> ServerConfig:
    classes: list[str] = []
    body: list[str] = []
    instances: dict[tuple[int, int, bool], str] = {}
    class_names: dict[tuple[int, bool], str] = {}
    # every name declared at the top level: the fixed elements, classes, instances
    taken = {"p4sfc_in", "p4sfc_out", "p4sfc_entry", ALERT_SINK}

    def class_for(nf: NFPlan, miss: bool) -> str:
        """One elementclass per NF body (NF instances of one type share theirs)."""
        key = (id(nf.graph), miss)
        if key not in class_names:
            base = _ident("P4SFC", nf.type, "miss" if miss else "nf")
            cls = base if base not in taken else _fresh(f"{base}_{len(class_names)}", taken)
            taken.add(cls)
            class_names[key] = cls
            graph = _server_forms(server_part(nf) if miss else nf.graph, nf)
            text = to_click(graph).rstrip()
            _check_round_trip(graph, text, nf)
            indented = "\n".join("  " + line if line else line for line in text.splitlines())
            what = f"server part of {nf.type} (from {nf.split.partial})" if miss else nf.type
            classes.append(f"// {comment_text(what)}\nelementclass {cls} {{\n{indented}\n}}\n")
        return class_names[key]

    def instance(chain: ChainPlan, nf: NFPlan, miss: bool) -> str:
        key = (chain.chain_id, nf.nf_id, miss)
        if key in instances:
            return instances[key]
        cls = class_for(nf, miss)
        name = _fresh(_ident("c", chain.chain_id, nf.name, "miss" if miss else "").rstrip("_"), taken)
        body.append(f"{name} :: {cls};")
        instances[key] = name
        # where this instance's output goes: the next NF here, or back to the switch
        nxt = chain.nfs[nf.nf_id] if nf.nf_id < len(chain.nfs) else None
        if nxt is not None and nxt.placement is Placement.SERVER and nxt.location == nf.location:
            body.append(f"{name} -> {instance(chain, nxt, False)};")
        else:
            # back to the switch with the chain id version and inner EtherType it came with
            remaining = [n.nf_id for n in chain.nfs[nf.nf_id :]]
            back = _fresh(f"p4sfc_{name}_back", taken)
            length = len(sfc_header(chain.chain_id, remaining))
            body.append(f"{name} -> Strip({ETH_LEN}) -> Unstrip({length})"
                        f" -> {back} :: PaintSwitch(ANNO {RETURN_ANNO});")
            for (v, ether_type), code in RETURN_CODES.items():
                data = sfc_header(with_version(chain.chain_id, v), remaining,
                                  inner_ether_type=ether_type)
                body.append(
                    f"{back}[{code}] -> StoreData(0, {_hex(data)})"
                    f" -> EtherEncap(0x{ETHERTYPE_SFC:04x}, {SERVER_MAC}, {SWITCH_MAC})"
                    " -> p4sfc_out;"
                )
        return name

    patterns: list[str] = []
    wiring: list[str] = []
    listed: list[tuple[str, str, int]] = []
    for k, e in enumerate(entries):
        chain, nf = e.chain, e.nf
        remaining = len(chain.nfs) - nf.nf_id + 1
        hdr = ETH_LEN + SFC_LEN + SFC_NF_LEN * remaining
        shim = _entry_shim(nf) if e.entry else []
        target = (f"[{e.in_port}]{instance(chain, nf, True)}" if e.entry
                  else instance(chain, nf, False))
        # a split NF's misses are IPv4 (the switch passes other frames on)
        types = (ETHERTYPE_IPV4,) if e.entry else INNER_TYPES
        for ether_type in types:
            start = _fresh(f"p4sfc_e{k}_{ether_type:04x}", taken)
            for v in (0, 1):
                patterns.append(
                    f"{_AT_ETHERTYPE}/{ETHERTYPE_SFC:04x}"
                    f" {_AT_CHAIN}/{with_version(chain.chain_id, v):04x}"
                    f" {_AT_ENTRY}/{e.entry:02x} {_AT_INNER_TYPE}/{ether_type:04x}"
                    f" {_AT_FIRST_NF}/{nf.nf_id:02x}"
                )
                code = RETURN_CODES[(v, ether_type)]
                to = start if v else f"{start} :: Strip({hdr})"
                wiring.append(f"p4sfc_entry[{len(patterns) - 1}] -> Paint({code}, ANNO "
                              f"{RETURN_ANNO}) -> {to};")
            steps = [f"EtherEncap(0x{ether_type:04x}, {SWITCH_MAC}, {SERVER_MAC})", *shim]
            wiring.append(f"{start} -> " + " -> ".join(steps) + f" -> {target};")
        listed.append((chain.name, nf.name, e.entry))
    patterns.append("-")
    # The switch sends a server only its NFs' frames and the Alert copies of its clone
    # sessions (the frame as received in that pass, which no entry point matches): the
    # catch-all is the alert sink, its Counter the alert count (handler count).
    wiring.append(f"p4sfc_entry[{len(patterns) - 1}] -> {ALERT_SINK} :: Counter -> Discard;"
                  "  // alert copies")
    # a server part needs every input of its partial element connected (a rewriter takes
    # one spec per input); inputs the switch never sends misses to get an Idle
    used: dict[str, set[int]] = {}
    for e in entries:
        if e.entry:
            used.setdefault(instances[(e.chain.chain_id, e.nf.nf_id, True)], set()).add(e.in_port)
    for e in entries:
        if not e.entry:
            continue
        name = instances[(e.chain.chain_id, e.nf.nf_id, True)]
        n_in = _n_inputs(e.nf.graph, e.nf.split.partial)
        for port in range(n_in):
            if port not in used[name]:
                wiring.append(f"Idle -> [{port}]{name};")
                used[name].add(port)

    head = [
        comment_text(
            f"// p4sfc server configuration for {server}"
            f" (switch {srv.switch}, port {srv.port}). Generated: do not edit."
        ),
        comment_text(
            "// Entry points (chain, NF, entry): " + "; ".join(f"{c}/{n}/{x}" for c, n, x in listed)
        ),
        "",
    ]
    top = [
        f"p4sfc_in :: {io.source()};",
        f"p4sfc_out :: {io.sink()};",
        "p4sfc_entry :: Classifier(" + ", ".join(patterns) + ");",
        "p4sfc_in -> p4sfc_entry;",
    ]
    text = "\n".join(head + classes + top + body + wiring) + "\n"
    named = {name: (_chain_name(key[0], entries), _nf_name(key, entries), "miss" if key[2] else "nf")
             for key, name in instances.items()}
    return ServerConfig(server, text, listed, named)


def _chain_name(chain_id: int, entries: list[_Entry]) -> str:
    return next(e.chain.name for e in entries if e.chain.chain_id == chain_id)


def _nf_name(key: tuple[int, int, bool], entries: list[_Entry]) -> str:
    chain = next(e.chain for e in entries if e.chain.chain_id == key[0])
    return chain.nfs[key[1] - 1].name
