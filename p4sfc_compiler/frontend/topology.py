"""The network a chain runs on: switches, the servers hanging on them, links between switches.

Paths over the topology (shortest switch paths, the port towards a neighbour, a chain's
whole switch path) and the topology used when none is given live here too;
:mod:`topologyfile` reads one from topology.json.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from p4sfc_compiler.dataplane.reserved import MAX_PORT
from p4sfc_compiler.errors import SpecError
from p4sfc_compiler.frontend.chaindata import ChainSpec

DEFAULT_SWITCH = "s1"
DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_TOPOLOGY_FILE = "<default topology>"


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
        return list(self._adjacency.get(sw, ()))

    @cached_property
    def _adjacency(self) -> dict[str, tuple[str, ...]]:
        # built once: a path search asks for every switch's neighbours, and scanning all
        # links each time made a large topology file quadratic
        out: dict[str, set[str]] = {}
        for lk in self.links:
            out.setdefault(lk.a, set()).add(lk.b)
            out.setdefault(lk.b, set()).add(lk.a)
        return {sw: tuple(sorted(ns)) for sw, ns in out.items()}

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


def port_list(sw: Switch) -> str:
    """The switch's ports as messages list them (``1, 2, 3``)."""
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
            if port > MAX_PORT:
                where = f"{chain.file}: NFs" if chain.file else "NFs"
                raise SpecError(
                    f"{where}: {len(servers) + 1} or more NF locations do not fit the ports "
                    f"of the default switch (1..{MAX_PORT}); give a topology file"
                )
            servers[nf.location] = Server(nf.location, DEFAULT_SWITCH, port)
            used.add(port)
    switch = Switch(DEFAULT_SWITCH, DEFAULT_ADDRESS, 0, tuple(sorted(used)))
    return Topology({DEFAULT_SWITCH: switch}, servers, (), DEFAULT_TOPOLOGY_FILE)


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
