"""Reading topology.json: switches (P4Runtime address, device id, ports), servers and links,
checked so that no two things share a switch port. ``docs/formats.md`` describes it.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from p4sfc_compiler.dataplane.reserved import MAX_PORT
from p4sfc_compiler.frontend.specjson import NAME, JsonReader, excerpt, json_path, read_json
from p4sfc_compiler.frontend.topology import (
    Link,
    Server,
    Switch,
    Topology,
    port_list,
)

# A Linux interface name (the kernel's dev_valid_name, in printable ASCII): 1 to 15
# characters (IFNAMSIZ - 1), no whitespace, '/' or ':', no quotes, not '.' or '..'.
_INTERFACE = re.compile(r"[\x21-\x7e]{1,15}\Z")
_NOT_IN_INTERFACE = frozenset("/:'\"")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\Z")
# Ports and IPv4 digits are ASCII: Python's int() and str.isdigit() take any Unicode
# digit ("５００５１"), which no P4Runtime client would.
_TCP_PORT = re.compile(r"[0-9]{1,5}\Z")
_DOTTED = re.compile(r"[0-9.]+\Z")
# An IPv6 zone (fe80::1%eth0) is an interface name or number.
_ZONE = re.compile(r"[A-Za-z0-9_.-]{1,15}\Z")


def load_topology(path: Path) -> Topology:
    """Read and check a topology file."""
    path = Path(path)
    reader = JsonReader(str(path))
    return _parse_topology(reader, read_json(path))


def _parse_topology(r: JsonReader, value: Any) -> Topology:
    obj = r.as_obj(value, "", ("switches",), ("servers", "links"))
    switches: dict[str, Switch] = {}
    where: dict[str, str] = {}
    device_of: dict[int, str] = {}
    for i, raw in enumerate(r.as_list(obj["switches"], "switches", non_empty=True)):
        path = json_path("switches", i)
        sw = _parse_switch(r, raw, path)
        if sw.name in switches:
            raise r.fail(json_path(path, "name"), f"duplicate switch name {sw.name!r} (also {where[sw.name]})")
        if sw.device_id in device_of:
            raise r.fail(
                json_path(path, "device_id"),
                f"device_id {sw.device_id} is already used by switch {device_of[sw.device_id]!r}",
            )
        switches[sw.name] = sw
        where[sw.name] = path
        device_of[sw.device_id] = sw.name

    # owner[(switch, port)] = what is cabled there, to refuse two things on one port.
    owner: dict[tuple[str, int], str] = {}

    def claim(sw: str, port: int, what: str, ppath: str) -> None:
        if port not in switches[sw].ports:
            raise r.fail(ppath, f"switch {sw!r} has no port {port} (ports: {port_list(switches[sw])})")
        if (sw, port) in owner:
            raise r.fail(ppath, f"port {port} of switch {sw!r} is already used by {owner[(sw, port)]}")
        owner[(sw, port)] = what

    servers: dict[str, Server] = {}
    for i, raw in enumerate(r.as_list(obj.get("servers", []), "servers")):
        path = json_path("servers", i)
        o = r.as_obj(raw, path, ("name", "switch", "port"), ("interface",))
        srv = Server(
            name=r.as_str(o["name"], json_path(path, "name"), NAME),
            switch=r.as_str(o["switch"], json_path(path, "switch"), NAME),
            port=r.as_int(o["port"], json_path(path, "port"), 0, MAX_PORT),
            interface=_interface(r, o["interface"], json_path(path, "interface")) if "interface" in o else None,
        )
        if srv.name in servers:
            raise r.fail(json_path(path, "name"), f"duplicate server name {srv.name!r}")
        if srv.name in switches:
            raise r.fail(json_path(path, "name"), f"{srv.name!r} is already a switch name")
        if srv.switch not in switches:
            raise r.fail(json_path(path, "switch"), f"unknown switch {srv.switch!r} (switches: {', '.join(switches)})")
        claim(srv.switch, srv.port, f"server {srv.name!r}", json_path(path, "port"))
        servers[srv.name] = srv

    links: list[Link] = []
    for i, raw in enumerate(r.as_list(obj.get("links", []), "links")):
        path = json_path("links", i)
        o = r.as_obj(raw, path, ("a", "a_port", "b", "b_port"))
        lk = Link(
            a=r.as_str(o["a"], json_path(path, "a"), NAME),
            a_port=r.as_int(o["a_port"], json_path(path, "a_port"), 0, MAX_PORT),
            b=r.as_str(o["b"], json_path(path, "b"), NAME),
            b_port=r.as_int(o["b_port"], json_path(path, "b_port"), 0, MAX_PORT),
        )
        for key in ("a", "b"):
            sw = getattr(lk, key)
            if sw not in switches:
                raise r.fail(json_path(path, key), f"unknown switch {sw!r} (switches: {', '.join(switches)})")
        if lk.a == lk.b:
            raise r.fail(path, f"a link from switch {lk.a!r} to itself")
        claim(lk.a, lk.a_port, f"links[{i}]", json_path(path, "a_port"))
        claim(lk.b, lk.b_port, f"links[{i}]", json_path(path, "b_port"))
        links.append(lk)
    return Topology(switches=switches, servers=servers, links=tuple(links), file=r.file)


def _parse_switch(r: JsonReader, value: Any, path: str) -> Switch:
    o = r.as_obj(value, path, ("name", "address", "device_id", "ports"), ("cpu_port",))
    ports_path = json_path(path, "ports")
    ports: list[int] = []
    for j, p in enumerate(r.as_list(o["ports"], ports_path, non_empty=True)):
        port = r.as_int(p, json_path(ports_path, j), 0, MAX_PORT)
        if port in ports:
            raise r.fail(json_path(ports_path, j), f"duplicate port {port}")
        ports.append(port)
    cpu_port = None
    if "cpu_port" in o:
        cpu_port = r.as_int(o["cpu_port"], json_path(path, "cpu_port"), 0, MAX_PORT)
        if cpu_port in ports:
            raise r.fail(json_path(path, "cpu_port"), f"cpu_port {cpu_port} is also in ports")
    return Switch(
        name=r.as_str(o["name"], json_path(path, "name"), NAME),
        address=_address(r, o["address"], json_path(path, "address")),
        device_id=r.as_int(o["device_id"], json_path(path, "device_id"), 0, 2**64 - 1),
        ports=tuple(ports),
        cpu_port=cpu_port,
    )


def _interface(r: JsonReader, value: Any, path: str) -> str:
    text = r.as_str(value, path)
    if not _INTERFACE.match(text) or _NOT_IN_INTERFACE & set(text) or text in (".", ".."):
        raise r.fail(
            path,
            f"bad interface name {excerpt(text)} (a Linux interface name: 1 to 15 printable ASCII "
            "characters, no space, '/', ':' or quotes, not '.' or '..')",
        )
    return text


def _address(r: JsonReader, value: Any, path: str) -> str:
    """HOST:PORT, HOST an IPv4 address, a host name or a bracketed IPv6 address."""
    text = r.as_str(value, path)
    host, sep, port = text.rpartition(":")
    ok = bool(sep) and bool(_TCP_PORT.match(port)) and 1 <= int(port) <= 65535
    if ok and host.startswith("[") and host.endswith("]"):
        addr, percent, zone = host[1:-1].partition("%")
        try:
            ipaddress.IPv6Address(addr)
        except ValueError:
            ok = False
        if percent and not _ZONE.match(zone):
            ok = False
    elif ok:
        # Dotted digits must be a real IPv4 address, not a name that looks like one.
        if _DOTTED.match(host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                ok = False
        else:
            ok = bool(_HOSTNAME.match(host))
    if not ok:
        raise r.fail(path, f"bad address {excerpt(text)} (expected HOST:PORT, e.g. 127.0.0.1:50051)")
    return text

