"""chain.json and topology.json: loading, checking, and the plain data they describe.

A chain file follows the paper's orchestrator input (section III-C): ``NFs`` (name, type,
location), ``Links`` (the NF order) and ``Route`` (where the chain's traffic enters and
leaves the network, and which traffic it is). A topology file names the switches (with
their P4Runtime address and device id), the servers hanging on them and the links between
switches. ``docs/formats.md`` describes both formats.

Every problem is a :class:`SpecError` whose message starts with the file and the JSON path
of the offending value (``chain.json: NFs[2].location: ...``), so a user can find it
without reading a traceback.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from p4sfc_compiler.errors import SourcePos, SpecError

# NF names become Click element-class names when the emitter wraps an NF body, so they
# must be Click identifiers that cannot be mistaken for port numbers.
_NF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Chain, switch and server names end up in file names and messages, nowhere else.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\Z")

MAX_PORT = 511  # v1model ports are 9 bits wide
PROTO_NAMES = {"icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17}
DEFAULT_SWITCH = "s1"
DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_TOPOLOGY_FILE = "<default topology>"


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Endpoint:
    """A switch port where a chain's traffic enters or leaves the network."""

    switch: str
    port: int


@dataclass(frozen=True)
class NFSpec:
    """One NF instance of a chain.

    ``config`` maps element names of the NF body to replacement configuration strings;
    ``click`` is a ``.click`` file (as written, relative to the chain file) replacing the
    library body; ``where`` is the JSON path of the NF (``NFs[2]``, ``[1].NFs[0]``) and
    ``file`` the chain file, both for messages.
    """

    name: str
    type: str
    location: str
    config: Mapping[str, str] = field(default_factory=dict)
    click: Path | None = None
    where: str = ""
    file: str = ""


@dataclass(frozen=True)
class RouteSpec:
    """Where a chain's traffic enters and leaves, and which traffic belongs to it.

    ``match`` holds the present keys of ``src``/``dst`` (normalised prefixes such as
    ``10.0.0.0/8``), ``proto`` (int), ``sport``/``dport`` (int); absent = any.
    ``switches`` is the explicit switch path, empty when the file gives none.
    """

    ingress: Endpoint
    egress: Endpoint
    match: Mapping[str, object] = field(default_factory=dict)
    switches: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainSpec:
    """One chain: its NFs in Links order, its route, and where it was read from."""

    name: str
    nfs: tuple[NFSpec, ...]
    route: RouteSpec
    file: str = ""
    where: str = ""  # JSON path of the chain object: "" or "[i]" in a list file


@dataclass(frozen=True)
class Switch:
    name: str
    address: str  # HOST:PORT of its P4Runtime server
    device_id: int
    ports: tuple[int, ...]
    cpu_port: int | None = None


@dataclass(frozen=True)
class Server:
    name: str
    switch: str
    port: int
    interface: str | None = None


@dataclass(frozen=True)
class Link:
    """A cable between two switch ports."""

    a: str
    a_port: int
    b: str
    b_port: int


@dataclass(frozen=True)
class Topology:
    switches: dict[str, Switch]
    servers: dict[str, Server]
    links: tuple[Link, ...] = ()
    file: str = ""

    def neighbours(self, sw: str) -> list[str]:
        """Switches one link away from ``sw``, sorted by name (so paths are stable)."""
        out = {lk.b for lk in self.links if lk.a == sw} | {lk.a for lk in self.links if lk.b == sw}
        return sorted(out)

    def path(self, a: str, b: str) -> list[str]:
        """A shortest switch path from ``a`` to ``b`` (both included) over the links."""
        for sw in (a, b):
            if sw not in self.switches:
                raise SpecError(f"{self.file}: switches: no switch {sw!r}")
        previous: dict[str, str | None] = {a: None}
        queue = deque([a])
        while queue:
            sw = queue.popleft()
            if sw == b:
                result = [b]
                while (prev := previous[result[-1]]) is not None:
                    result.append(prev)
                return result[::-1]
            for nxt in self.neighbours(sw):
                if nxt not in previous:
                    previous[nxt] = sw
                    queue.append(nxt)
        raise SpecError(f"{self.file}: links: no path from switch {a!r} to switch {b!r}")

    def port_towards(self, sw: str, next_sw: str) -> int:
        """The port of ``sw`` cabled to ``next_sw`` (the lowest one when there are several)."""
        ports = [lk.a_port for lk in self.links if lk.a == sw and lk.b == next_sw]
        ports += [lk.b_port for lk in self.links if lk.b == sw and lk.a == next_sw]
        if not ports:
            raise SpecError(f"{self.file}: links: no link from switch {sw!r} to {next_sw!r}")
        return min(ports)

    def port_owner(self, sw: str, port: int) -> str | None:
        """What is cabled to a switch port (``server 'srv1'``, ``link to 's2'``), if anything."""
        for srv in self.servers.values():
            if srv.switch == sw and srv.port == port:
                return f"server {srv.name!r}"
        for lk in self.links:
            if (lk.a, lk.a_port) == (sw, port):
                return f"the link to {lk.b!r}"
            if (lk.b, lk.b_port) == (sw, port):
                return f"the link to {lk.a!r}"
        return None


# ---------------------------------------------------------------------------- helpers


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _fail(file: str, path: str, message: str) -> SpecError:
    return SpecError(f"{file}: {path}: {message}" if path else f"{file}: {message}")


def _describe(value: Any) -> str:
    kind = {
        bool: "boolean", int: "number", float: "number", str: "string",
        list: "list", dict: "object", type(None): "null",
    }.get(type(value), type(value).__name__)
    text = json.dumps(value) if not isinstance(value, dict | list) else ""
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}".strip()


class _Reader:
    """Type and key checks over one decoded JSON file, failing with the JSON path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> SpecError:
        return _fail(self.file, path, message)

    def as_obj(
        self, value: Any, path: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {_describe(value)}")
        for key in required:
            if key not in value:
                raise self.fail(_join(path, key), "required key is missing")
        allowed = list(required) + list(optional)
        for key in value:
            if key not in allowed:
                raise self.fail(_join(path, key), f"unknown key (allowed: {', '.join(allowed)})")
        return value

    def as_list(self, value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_describe(value)}")
        if non_empty and not value:
            raise self.fail(path, "must not be empty")
        return value

    def as_str(self, value: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {_describe(value)}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(path, f"bad name {value!r} (letters, digits, '_'{_extra(pattern)})")
        return value

    def as_int(self, value: Any, path: str, low: int, high: int) -> int:
        # JSON true/false decode to bool, which Python counts as int: refuse them.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"expected an integer, got {_describe(value)}")
        if not low <= value <= high:
            raise self.fail(path, f"{value} is out of range {low}..{high}")
        return value


def _extra(pattern: re.Pattern[str]) -> str:
    return "; not starting with a digit" if pattern is _NF_NAME else ", '.', '-'"


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _read_json(path: Path) -> Any:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        # json gives no position for a hook failure; the key name is enough to find it.
        raise SpecError(f"{file}: duplicate key {exc.args[0]!r} in an object") from exc
    except json.JSONDecodeError as exc:
        raise SpecError(f"invalid JSON: {exc.msg}", SourcePos(file, exc.lineno, exc.colno)) from exc


# ---------------------------------------------------------------------------- chains

_CHAIN_KEYS = ("NFs", "Links", "Route")
_NF_KEYS = ("name", "type", "location")
_ROUTE_KEYS = ("ingress", "egress")
_MATCH_KEYS = ("src", "dst", "proto", "sport", "dport")


def load_chains(path: Path, *, nf_types: Iterable[str] | None = None) -> list[ChainSpec]:
    """Read a chain file: one chain object or a list of them.

    ``nf_types`` are the accepted NF ``type`` values (default: the NF library's); an NF
    that brings its own ``click`` file may have any type. Checks what the file alone can
    tell; :func:`validate` checks the chains against a topology.
    """
    path = Path(path)
    if nf_types is None:
        from p4sfc_compiler.frontend import nflib  # nflib imports this module

        nf_types = nflib.nf_types()
    known = sorted(set(nf_types))
    reader = _Reader(str(path))
    data = _read_json(path)
    if isinstance(data, list):
        if not data:
            raise reader.fail("", "the file holds an empty list of chains")
        items = [(f"[{i}]", f"{path.stem}-{i}", item) for i, item in enumerate(data)]
    else:
        items = [("", path.stem, data)]
    chains: list[ChainSpec] = []
    seen: dict[str, str] = {}
    for where, default_name, item in items:
        chain = _parse_chain(reader, item, where, default_name, known, path.parent)
        if chain.name in seen:
            raise reader.fail(
                _join(where, "name"), f"duplicate chain name {chain.name!r} (also {seen[chain.name] or 'the file'})"
            )
        seen[chain.name] = where
        chains.append(chain)
    return chains


def _parse_chain(
    r: _Reader, value: Any, where: str, default_name: str, known: list[str], base: Path
) -> ChainSpec:
    obj = r.as_obj(value, where, _CHAIN_KEYS, ("name",))
    name = r.as_str(obj["name"], _join(where, "name"), _NAME) if "name" in obj else default_name
    nfs_path = _join(where, "NFs")
    nfs: list[NFSpec] = []
    index_of: dict[str, int] = {}
    for i, raw in enumerate(r.as_list(obj["NFs"], nfs_path, non_empty=True)):
        nf = _parse_nf(r, raw, _join(nfs_path, i), known, base)
        if nf.name in index_of:
            raise r.fail(
                _join(nf.where, "name"),
                f"duplicate NF name {nf.name!r} (also {_join(nfs_path, index_of[nf.name])})",
            )
        index_of[nf.name] = i
        nfs.append(nf)
    order = _link_order(r, obj["Links"], _join(where, "Links"), [nf.name for nf in nfs])
    by_name = {nf.name: nf for nf in nfs}
    route = _parse_route(r, obj["Route"], _join(where, "Route"))
    return ChainSpec(
        name=name, nfs=tuple(by_name[n] for n in order), route=route, file=r.file, where=where
    )


def _parse_nf(r: _Reader, value: Any, where: str, known: list[str], base: Path) -> NFSpec:
    obj = r.as_obj(value, where, _NF_KEYS, ("config", "click"))
    name = r.as_str(obj["name"], _join(where, "name"), _NF_NAME)
    nf_type = r.as_str(obj["type"], _join(where, "type"))
    location = r.as_str(obj["location"], _join(where, "location"), _NAME)
    click: Path | None = None
    if "click" in obj:
        click_path = _join(where, "click")
        click = Path(r.as_str(obj["click"], click_path))
        if not (base / click).is_file():
            raise r.fail(click_path, f"no such file: {base / click}")
    elif nf_type not in known:
        raise r.fail(
            _join(where, "type"), f"unknown NF type {nf_type!r} (known: {', '.join(known)})"
        )
    config: dict[str, str] = {}
    if "config" in obj:
        config_path = _join(where, "config")
        raw = obj["config"]
        if not isinstance(raw, dict):
            raise r.fail(config_path, f"expected an object, got {_describe(raw)}")
        for element, text in raw.items():
            config[element] = r.as_str(text, _join(config_path, element))
    return NFSpec(
        name=name, type=nf_type, location=location, config=config, click=click,
        where=where, file=r.file,
    )


def _link_order(r: _Reader, value: Any, path: str, names: list[str]) -> list[str]:
    """The NF names in chain order; the links must make them one sequence."""
    succ: dict[str, tuple[str, int]] = {}
    pred: dict[str, tuple[str, int]] = {}
    for i, raw in enumerate(r.as_list(value, path)):
        lpath = _join(path, i)
        if isinstance(raw, list):
            if len(raw) != 2:
                raise r.fail(lpath, f"a link pair needs 2 NF names, got {len(raw)}")
            a = r.as_str(raw[0], _join(lpath, 0))
            b = r.as_str(raw[1], _join(lpath, 1))
            a_path, b_path = _join(lpath, 0), _join(lpath, 1)
        elif isinstance(raw, dict):
            obj = r.as_obj(raw, lpath, ("from", "to"))
            a_path, b_path = _join(lpath, "from"), _join(lpath, "to")
            a, b = r.as_str(obj["from"], a_path), r.as_str(obj["to"], b_path)
        else:
            raise r.fail(lpath, f"expected {{\"from\": A, \"to\": B}} or [A, B], got {_describe(raw)}")
        for nf, npath in ((a, a_path), (b, b_path)):
            if nf not in names:
                raise r.fail(npath, f"unknown NF {nf!r} (NFs: {', '.join(names)})")
        if a == b:
            raise r.fail(lpath, f"NF {a!r} is linked to itself")
        if a in succ:
            other, j = succ[a]
            what = "duplicate link" if other == b else f"the chain forks: {a!r} already goes to {other!r}"
            raise r.fail(lpath, f"{what} ({_join(path, j)})")
        if b in pred:
            other, j = pred[b]
            raise r.fail(lpath, f"the chain joins: {b!r} already follows {other!r} ({_join(path, j)})")
        succ[a] = (b, i)
        pred[b] = (a, i)
    # With no fork and no join the links are disjoint paths and cycles.
    for start in names:
        seen = {start}
        nf = start
        while nf in succ:
            nf, i = succ[nf]
            if nf == start:
                raise r.fail(_join(path, i), f"the links form a loop through {start!r}")
            if nf in seen:
                break
            seen.add(nf)
    heads = [n for n in names if n not in pred]
    order = [heads[0]]
    while order[-1] in succ:
        order.append(succ[order[-1]][0])
    if len(order) < len(names):
        missing = [n for n in names if n not in order]
        raise r.fail(
            path,
            f"NF {missing[0]!r} is not linked into the chain {' -> '.join(order)} "
            "(a chain is one sequence of all its NFs)",
        )
    return order


def _parse_route(r: _Reader, value: Any, path: str) -> RouteSpec:
    obj = r.as_obj(value, path, _ROUTE_KEYS, ("match", "switches"))
    ends = []
    for key in _ROUTE_KEYS:
        epath = _join(path, key)
        ep = r.as_obj(obj[key], epath, ("switch", "port"))
        ends.append(
            Endpoint(
                r.as_str(ep["switch"], _join(epath, "switch"), _NAME),
                r.as_int(ep["port"], _join(epath, "port"), 0, MAX_PORT),
            )
        )
    match: dict[str, object] = {}
    if "match" in obj:
        mpath = _join(path, "match")
        raw = r.as_obj(obj["match"], mpath, (), _MATCH_KEYS)
        for key in ("src", "dst"):
            if key in raw:
                match[key] = _prefix(r, raw[key], _join(mpath, key))
        if "proto" in raw:
            match["proto"] = _proto(r, raw["proto"], _join(mpath, "proto"))
        for key in ("sport", "dport"):
            if key in raw:
                match[key] = r.as_int(raw[key], _join(mpath, key), 0, 65535)
        if ("sport" in match or "dport" in match) and match.get("proto", 6) not in (6, 17):
            raise r.fail(mpath, "sport/dport need proto tcp or udp (or no proto)")
    switches: tuple[str, ...] = ()
    if "switches" in obj:
        spath = _join(path, "switches")
        switches = tuple(
            r.as_str(s, _join(spath, i), _NAME)
            for i, s in enumerate(r.as_list(obj["switches"], spath, non_empty=True))
        )
    return RouteSpec(ingress=ends[0], egress=ends[1], match=match, switches=switches)


def _prefix(r: _Reader, value: Any, path: str) -> str:
    text = r.as_str(value, path)
    try:
        return str(ipaddress.IPv4Network(text, strict=True))
    except ValueError as exc:
        raise r.fail(path, f"bad IPv4 prefix {text!r}: {exc}") from exc


def _proto(r: _Reader, value: Any, path: str) -> int:
    if isinstance(value, str):
        if value.lower() not in PROTO_NAMES:
            raise r.fail(
                path, f"unknown protocol {value!r} (names: {', '.join(PROTO_NAMES)}; or a number)"
            )
        return PROTO_NAMES[value.lower()]
    return r.as_int(value, path, 0, 255)


# ---------------------------------------------------------------------------- topology


def load_topology(path: Path) -> Topology:
    """Read and check a topology file."""
    path = Path(path)
    reader = _Reader(str(path))
    return _parse_topology(reader, _read_json(path))


def _parse_topology(r: _Reader, value: Any) -> Topology:
    obj = r.as_obj(value, "", ("switches",), ("servers", "links"))
    switches: dict[str, Switch] = {}
    where: dict[str, str] = {}
    device_of: dict[int, str] = {}
    for i, raw in enumerate(r.as_list(obj["switches"], "switches", non_empty=True)):
        path = _join("switches", i)
        sw = _parse_switch(r, raw, path)
        if sw.name in switches:
            raise r.fail(_join(path, "name"), f"duplicate switch name {sw.name!r} (also {where[sw.name]})")
        if sw.device_id in device_of:
            raise r.fail(
                _join(path, "device_id"),
                f"device_id {sw.device_id} is also switch {device_of[sw.device_id]!r}'s",
            )
        switches[sw.name] = sw
        where[sw.name] = path
        device_of[sw.device_id] = sw.name

    # owner[(switch, port)] = what is cabled there, to refuse two things on one port.
    owner: dict[tuple[str, int], str] = {}

    def claim(sw: str, port: int, what: str, ppath: str) -> None:
        if port not in switches[sw].ports:
            raise r.fail(ppath, f"switch {sw!r} has no port {port} (ports: {_ports(switches[sw])})")
        if (sw, port) in owner:
            raise r.fail(ppath, f"port {port} of switch {sw!r} is already used by {owner[(sw, port)]}")
        owner[(sw, port)] = what

    servers: dict[str, Server] = {}
    for i, raw in enumerate(r.as_list(obj.get("servers", []), "servers")):
        path = _join("servers", i)
        o = r.as_obj(raw, path, ("name", "switch", "port"), ("interface",))
        srv = Server(
            name=r.as_str(o["name"], _join(path, "name"), _NAME),
            switch=r.as_str(o["switch"], _join(path, "switch"), _NAME),
            port=r.as_int(o["port"], _join(path, "port"), 0, MAX_PORT),
            interface=r.as_str(o["interface"], _join(path, "interface")) if "interface" in o else None,
        )
        if srv.name in servers:
            raise r.fail(_join(path, "name"), f"duplicate server name {srv.name!r}")
        if srv.name in switches:
            raise r.fail(_join(path, "name"), f"{srv.name!r} is already a switch name")
        if srv.switch not in switches:
            raise r.fail(_join(path, "switch"), f"unknown switch {srv.switch!r} (switches: {', '.join(switches)})")
        claim(srv.switch, srv.port, f"server {srv.name!r}", _join(path, "port"))
        servers[srv.name] = srv

    links: list[Link] = []
    for i, raw in enumerate(r.as_list(obj.get("links", []), "links")):
        path = _join("links", i)
        o = r.as_obj(raw, path, ("a", "a_port", "b", "b_port"))
        lk = Link(
            a=r.as_str(o["a"], _join(path, "a"), _NAME),
            a_port=r.as_int(o["a_port"], _join(path, "a_port"), 0, MAX_PORT),
            b=r.as_str(o["b"], _join(path, "b"), _NAME),
            b_port=r.as_int(o["b_port"], _join(path, "b_port"), 0, MAX_PORT),
        )
        for key in ("a", "b"):
            sw = getattr(lk, key)
            if sw not in switches:
                raise r.fail(_join(path, key), f"unknown switch {sw!r} (switches: {', '.join(switches)})")
        if lk.a == lk.b:
            raise r.fail(path, f"a link from switch {lk.a!r} to itself")
        claim(lk.a, lk.a_port, f"links[{i}]", _join(path, "a_port"))
        claim(lk.b, lk.b_port, f"links[{i}]", _join(path, "b_port"))
        links.append(lk)
    return Topology(switches=switches, servers=servers, links=tuple(links), file=r.file)


def _parse_switch(r: _Reader, value: Any, path: str) -> Switch:
    o = r.as_obj(value, path, ("name", "address", "device_id", "ports"), ("cpu_port",))
    ports_path = _join(path, "ports")
    ports: list[int] = []
    for j, p in enumerate(r.as_list(o["ports"], ports_path, non_empty=True)):
        port = r.as_int(p, _join(ports_path, j), 0, MAX_PORT)
        if port in ports:
            raise r.fail(_join(ports_path, j), f"duplicate port {port}")
        ports.append(port)
    cpu_port = None
    if "cpu_port" in o:
        cpu_port = r.as_int(o["cpu_port"], _join(path, "cpu_port"), 0, MAX_PORT)
        if cpu_port in ports:
            raise r.fail(_join(path, "cpu_port"), f"cpu_port {cpu_port} is also in ports")
    return Switch(
        name=r.as_str(o["name"], _join(path, "name"), _NAME),
        address=_address(r, o["address"], _join(path, "address")),
        device_id=r.as_int(o["device_id"], _join(path, "device_id"), 0, 2**64 - 1),
        ports=tuple(ports),
        cpu_port=cpu_port,
    )


def _address(r: _Reader, value: Any, path: str) -> str:
    """HOST:PORT, HOST an IPv4 address, a host name or a bracketed IPv6 address."""
    text = r.as_str(value, path)
    host, sep, port = text.rpartition(":")
    ok = bool(sep) and port.isdigit() and 1 <= int(port) <= 65535
    if ok and host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            ok = False
    elif ok:
        # Dotted digits must be a real IPv4 address, not a name that looks like one.
        if re.fullmatch(r"[0-9.]+", host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                ok = False
        else:
            ok = bool(_HOSTNAME.match(host))
    if not ok:
        raise r.fail(path, f"bad address {text!r} (expected HOST:PORT, e.g. 127.0.0.1:50051)")
    return text


def _ports(sw: Switch) -> str:
    return ", ".join(str(p) for p in sw.ports)


def default_topology(chains: Iterable[ChainSpec]) -> Topology:
    """The topology used when none is given: one switch ``s1``, one port per server.

    The switch is at 127.0.0.1:50051 with device id 0; every location named by an NF
    becomes a server on its own port (the lowest ports from 1 up not taken by a Route),
    and the Routes' ingress and egress ports on ``s1`` are added to its ports.
    """
    chains = list(chains)
    route_ports = {
        ep.port
        for chain in chains
        for ep in (chain.route.ingress, chain.route.egress)
        if ep.switch == DEFAULT_SWITCH
    }
    servers: dict[str, Server] = {}
    used = set(route_ports)
    port = 1
    for chain in chains:
        for nf in chain.nfs:
            if nf.location in servers:
                continue
            while port in used:
                port += 1
            servers[nf.location] = Server(nf.location, DEFAULT_SWITCH, port)
            used.add(port)
    switch = Switch(DEFAULT_SWITCH, DEFAULT_ADDRESS, 0, tuple(sorted(used)))
    return Topology({DEFAULT_SWITCH: switch}, servers, (), DEFAULT_TOPOLOGY_FILE)


# ---------------------------------------------------------------------------- validation


def validate(chains: Iterable[ChainSpec], topology: Topology) -> None:
    """Check chains against a topology and against each other; raise the first problem."""
    names: dict[str, ChainSpec] = {}
    entries: dict[tuple[Endpoint, tuple[tuple[str, object], ...]], ChainSpec] = {}
    for chain in chains:
        fail = _chain_failer(chain)
        if chain.name in names:
            other = names[chain.name]
            raise fail(
                _join(chain.where, "name"),
                f"duplicate chain name {chain.name!r} (also in {other.file or 'another file'})",
            )
        names[chain.name] = chain
        for nf in chain.nfs:
            if nf.location not in topology.servers:
                known = ", ".join(topology.servers) or "none"
                raise fail(
                    _join(nf.where, "location"),
                    f"server {nf.location!r} is not in the topology (servers: {known})",
                )
        _validate_route(chain, topology, fail)
        key = (chain.route.ingress, tuple(sorted(chain.route.match.items())))
        if key in entries:
            raise fail(
                _join(chain.where, "Route"),
                f"same ingress and match as chain {entries[key].name!r}: "
                "this chain would never receive traffic",
            )
        entries[key] = chain


def _chain_failer(chain: ChainSpec) -> Callable[[str, str], SpecError]:
    return lambda path, message: _fail(chain.file or chain.name, path, message)


def _validate_route(
    chain: ChainSpec, topo: Topology, fail: Callable[[str, str], SpecError]
) -> None:
    route = chain.route
    rpath = _join(chain.where, "Route")
    for key, ep in (("ingress", route.ingress), ("egress", route.egress)):
        epath = _join(rpath, key)
        if ep.switch not in topo.switches:
            raise fail(
                _join(epath, "switch"),
                f"switch {ep.switch!r} is not in the topology (switches: {', '.join(topo.switches)})",
            )
        sw = topo.switches[ep.switch]
        if ep.port not in sw.ports:
            raise fail(_join(epath, "port"), f"switch {sw.name!r} has no port {ep.port} (ports: {_ports(sw)})")
        owner = topo.port_owner(ep.switch, ep.port)
        if owner is not None:
            raise fail(_join(epath, "port"), f"port {ep.port} of switch {sw.name!r} is {owner}'s port")
    # The switches whose servers the chain visits, in chain order.
    stops = [(nf, topo.servers[nf.location].switch) for nf in chain.nfs]
    if route.switches:
        spath = _join(rpath, "switches")
        for i, sw in enumerate(route.switches):
            if sw not in topo.switches:
                raise fail(_join(spath, i), f"switch {sw!r} is not in the topology")
            if i and sw != route.switches[i - 1] and sw not in topo.neighbours(route.switches[i - 1]):
                raise fail(_join(spath, i), f"no link between {route.switches[i - 1]!r} and {sw!r}")
        if route.switches[0] != route.ingress.switch:
            raise fail(spath, f"must start at the ingress switch {route.ingress.switch!r}")
        if route.switches[-1] != route.egress.switch:
            raise fail(spath, f"must end at the egress switch {route.egress.switch!r}")
        at = 0
        for nf, sw in stops:
            while at < len(route.switches) and route.switches[at] != sw:
                at += 1
            if at == len(route.switches):
                raise fail(
                    spath,
                    f"NF {nf.name!r} runs on server {nf.location!r} behind switch {sw!r}, "
                    "which the path does not visit after the previous NFs",
                )
        return
    hops = [route.ingress.switch, *(sw for _, sw in stops), route.egress.switch]
    for a, b in zip(hops, hops[1:], strict=False):
        try:
            topo.path(a, b)
        except SpecError:
            raise fail(rpath, f"no switch path from {a!r} to {b!r} in the topology") from None


def chain_switch_path(chain: ChainSpec, topology: Topology) -> list[str]:
    """The switches a chain's packets cross, in order: ``Route.switches`` when given,
    else shortest paths from the ingress through each NF's switch to the egress.
    Consecutive repeats are merged."""
    if chain.route.switches:
        return list(chain.route.switches)
    hops = [
        chain.route.ingress.switch,
        *(topology.servers[nf.location].switch for nf in chain.nfs),
        chain.route.egress.switch,
    ]
    path = [hops[0]]
    for a, b in zip(hops, hops[1:], strict=False):
        path.extend(topology.path(a, b)[1:])
    return path
