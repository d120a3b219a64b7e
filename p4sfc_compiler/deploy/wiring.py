"""Where a compiled deployment's pieces sit: switches and their ports, the server on each
server port, the links between switches (``plan.json``'s ``topology``), and the
instances of each server's configuration (``server_instances``: which NF of which chain
an element of the server belongs to)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from p4sfc_compiler.errors import P4SFCError

PortId = tuple[str, int]  # (switch, port)


@dataclass(frozen=True)
class ServerSite:
    name: str
    switch: str
    port: int
    config: Path | None  # its generated Click configuration; None: it runs no NF
    instances: dict[str, tuple[str, str, str]]  # instance -> (chain, nf, "nf" | "miss")


@dataclass(frozen=True)
class Wiring:
    switches: dict[str, tuple[int, ...]]  # name -> ports
    device_ids: dict[str, int]
    servers: dict[PortId, ServerSite]  # the switch port each server hangs off
    links: dict[PortId, PortId]  # both directions

    def egress_ports(self) -> list[PortId]:
        """Switch ports to the outside world: neither a server nor a link."""
        return [(sw, p) for sw, ports in sorted(self.switches.items()) for p in ports
                if (sw, p) not in self.servers and (sw, p) not in self.links]


def load_wiring(out: Path) -> Wiring:
    """OUT's wiring; a one-line error when its plan.json predates it or is not p4sfc's."""
    path = out / "plan.json"
    try:
        plan = json.loads(path.read_text())
        topo = plan["topology"]
        switches = {name: tuple(int(p) for p in sw["ports"])
                    for name, sw in topo["switches"].items()}
        device_ids = {name: int(sw["device_id"]) for name, sw in topo["switches"].items()}
        servers: dict[PortId, ServerSite] = {}
        for name, srv in topo["servers"].items():
            files = plan["servers"].get(name)
            inst = {i: (str(v["chain"]), str(v["nf"]), str(v["part"]))
                    for i, v in plan["server_instances"].get(name, {}).items()}
            servers[(srv["switch"], int(srv["port"]))] = ServerSite(
                name, srv["switch"], int(srv["port"]), out / files[0] if files else None, inst)
        links: dict[PortId, PortId] = {}
        for lk in topo["links"]:
            a, b = (lk["a"], int(lk["a_port"])), (lk["b"], int(lk["b_port"]))
            links[a], links[b] = b, a
    except OSError as exc:
        raise P4SFCError(f"{path}: {exc.strerror or exc} (give the -o folder of p4sfc "
                         "compile)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise P4SFCError(f"{path}: no deployment wiring ({type(exc).__name__} {exc}): "
                         "compile again with this version of p4sfc") from None
    return Wiring(switches, device_ids, servers, links)
