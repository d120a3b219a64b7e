"""Checking chains against a topology and against each other: what no single file tells.

NF servers must exist, route ports must be free switch ports, the route must reach every
NF's switch in order, and no two chains may claim the same ingress traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from p4sfc_compiler.errors import SpecError
from p4sfc_compiler.frontend.chaindata import ChainSpec, Endpoint
from p4sfc_compiler.frontend.specjson import json_path, spec_error
from p4sfc_compiler.frontend.topology import Topology, port_list


def validate(chains: Iterable[ChainSpec], topology: Topology) -> None:
    """Check chains against a topology and against each other; raise the first problem."""
    names: dict[str, ChainSpec] = {}
    entries: dict[tuple[Endpoint, tuple[tuple[str, object], ...]], ChainSpec] = {}
    for chain in chains:
        fail = _chain_failer(chain)
        if chain.name in names:
            other = names[chain.name]
            raise fail(
                json_path(chain.where, "name"),
                f"duplicate chain name {chain.name!r} (also in {other.file or 'another file'})",
            )
        names[chain.name] = chain
        for nf in chain.nfs:
            if nf.location not in topology.servers:
                known = ", ".join(topology.servers) or "none"
                raise fail(
                    json_path(nf.where, "location"),
                    f"server {nf.location!r} is not in the topology (servers: {known})",
                )
        _validate_route(chain, topology, fail)
        key = (chain.route.ingress, tuple(sorted(chain.route.match.items())))
        if key in entries:
            raise fail(
                json_path(chain.where, "Route"),
                f"same ingress and match as chain {entries[key].name!r}: "
                "this chain would never receive traffic",
            )
        entries[key] = chain


def _chain_failer(chain: ChainSpec) -> Callable[[str, str], SpecError]:
    return lambda path, message: spec_error(chain.file or chain.name, path, message)


def _validate_route(
    chain: ChainSpec, topo: Topology, fail: Callable[[str, str], SpecError]
) -> None:
    route = chain.route
    rpath = json_path(chain.where, "Route")
    for key, ep in (("ingress", route.ingress), ("egress", route.egress)):
        epath = json_path(rpath, key)
        if ep.switch not in topo.switches:
            raise fail(
                json_path(epath, "switch"),
                f"switch {ep.switch!r} is not in the topology (switches: {', '.join(topo.switches)})",
            )
        switch = topo.switches[ep.switch]
        if ep.port not in switch.ports:
            raise fail(json_path(epath, "port"), f"switch {switch.name!r} has no port {ep.port} (ports: {port_list(switch)})")
        owner = topo.port_owner(ep.switch, ep.port)
        if owner is not None:
            raise fail(json_path(epath, "port"), f"port {ep.port} of switch {switch.name!r} is already used by {owner}")
    # The switches whose servers the chain visits, in chain order.
    stops = [(nf, topo.servers[nf.location].switch) for nf in chain.nfs]
    if route.switches:
        spath = json_path(rpath, "switches")
        for i, sw in enumerate(route.switches):
            if sw not in topo.switches:
                raise fail(json_path(spath, i), f"switch {sw!r} is not in the topology")
            if i and sw != route.switches[i - 1] and sw not in topo.neighbours(route.switches[i - 1]):
                raise fail(json_path(spath, i), f"no link between {route.switches[i - 1]!r} and {sw!r}")
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
