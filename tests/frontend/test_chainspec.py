"""chain.json / topology.json loading and validation: every error names file and path."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.errors import SpecError
from p4sfc_compiler.frontend.chainspec import (
    ChainSpec,
    Endpoint,
    Link,
    NFSpec,
    RouteSpec,
    Server,
    Switch,
    Topology,
    chain_switch_path,
    default_topology,
    load_chains,
    load_topology,
    validate,
)
from p4sfc_compiler.resources import data_path

TYPES = ["firewall", "monitor", "nat", "ips"]

CHAIN: dict[str, Any] = {
    "NFs": [
        {"name": "a", "type": "firewall", "location": "srv1"},
        {"name": "b", "type": "monitor", "location": "srv1"},
        {"name": "c", "type": "nat", "location": "srv2"},
    ],
    "Links": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}],
    "Route": {
        "ingress": {"switch": "s1", "port": 1},
        "egress": {"switch": "s2", "port": 3},
    },
}

TOPO: dict[str, Any] = {
    "switches": [
        {"name": "s1", "address": "127.0.0.1:50051", "device_id": 0, "ports": [1, 2, 3]},
        {"name": "s2", "address": "localhost:50052", "device_id": 1, "ports": [1, 2, 3]},
    ],
    "servers": [
        {"name": "srv1", "switch": "s1", "port": 2},
        {"name": "srv2", "switch": "s2", "port": 2},
    ],
    "links": [{"a": "s1", "a_port": 3, "b": "s2", "b_port": 1}],
}


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def chains_from(tmp_path: Path, data: Any, name: str = "chain.json") -> list[ChainSpec]:
    return load_chains(write(tmp_path, name, data), nf_types=TYPES)


def topo_from(tmp_path: Path, data: Any) -> Topology:
    return load_topology(write(tmp_path, "topology.json", data))


def mutated(base: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    change(data)
    return data


def expect(fn: Callable[[], Any], *fragments: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        fn()
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    return info.value


# ---------------------------------------------------------------------------- valid input


def test_chain_loads_in_links_order(tmp_path: Path) -> None:
    data = mutated(CHAIN, lambda d: d.update(Links=[["b", "c"], ["a", "b"]]))
    [chain] = chains_from(tmp_path, data)
    assert chain.name == "chain"
    assert [nf.name for nf in chain.nfs] == ["a", "b", "c"]
    assert chain.nfs[2].where == "NFs[2]"
    assert chain.nfs[0].file.endswith("chain.json")
    assert chain.route == RouteSpec(Endpoint("s1", 1), Endpoint("s2", 3), {}, ())


def test_links_order_differs_from_nfs_order(tmp_path: Path) -> None:
    data = mutated(CHAIN, lambda d: d.update(Links=[["c", "a"], ["a", "b"]]))
    [chain] = chains_from(tmp_path, data)
    assert [nf.name for nf in chain.nfs] == ["c", "a", "b"]


def test_list_file_names_and_paths(tmp_path: Path) -> None:
    second = mutated(CHAIN, lambda d: d.update(name="other"))
    chains = chains_from(tmp_path, [CHAIN, second], name="many.json")
    assert [c.name for c in chains] == ["many-0", "other"]
    assert chains[1].where == "[1]"
    assert chains[1].nfs[0].where == "[1].NFs[0]"


def test_match_is_normalised(tmp_path: Path) -> None:
    data = mutated(
        CHAIN,
        lambda d: d["Route"].update(
            match={"src": "10.0.0.0/8", "dst": "192.168.1.7", "proto": "UDP", "dport": 53}
        ),
    )
    [chain] = chains_from(tmp_path, data)
    assert chain.route.match == {"src": "10.0.0.0/8", "dst": "192.168.1.7/32", "proto": 17, "dport": 53}


def test_single_nf_chain_needs_no_links(tmp_path: Path) -> None:
    data = mutated(CHAIN, lambda d: d.update(NFs=d["NFs"][:1], Links=[]))
    [chain] = chains_from(tmp_path, data)
    assert [nf.name for nf in chain.nfs] == ["a"]


def test_config_and_click_are_kept(tmp_path: Path) -> None:
    (tmp_path / "mine.click").write_text("input -> output;")
    data = mutated(
        CHAIN,
        lambda d: d["NFs"][0].update(type="custom", click="mine.click", config={"x": "1"}),
    )
    [chain] = chains_from(tmp_path, data)
    assert chain.nfs[0].click == Path("mine.click")
    assert chain.nfs[0].config == {"x": "1"}


def test_topology_loads(tmp_path: Path) -> None:
    topo = topo_from(tmp_path, TOPO)
    assert topo.switches["s2"] == Switch("s2", "localhost:50052", 1, (1, 2, 3), None)
    assert topo.servers["srv1"] == Server("srv1", "s1", 2, None)
    assert topo.links == (Link("s1", 3, "s2", 1),)
    validate(chains_from(tmp_path, CHAIN), topo)


# ---------------------------------------------------------------------------- chain errors

CHAIN_ERRORS: list[tuple[str, Callable[[dict[str, Any]], Any], tuple[str, ...]]] = [
    ("missing NFs", lambda d: d.pop("NFs"), ("chain.json: NFs: required key is missing",)),
    ("missing Route", lambda d: d.pop("Route"), ("chain.json: Route: required key is missing",)),
    ("extra top key", lambda d: d.update(Extra=1), ("chain.json: Extra: unknown key", "NFs, Links, Route")),
    ("NFs not a list", lambda d: d.update(NFs={}), ("chain.json: NFs: expected a list, got object",)),
    ("empty NFs", lambda d: d.update(NFs=[], Links=[]), ("chain.json: NFs: must not be empty",)),
    ("NF not an object", lambda d: d["NFs"].__setitem__(1, "b"), ("NFs[1]: expected an object, got string",)),
    ("NF missing location", lambda d: d["NFs"][1].pop("location"), ("chain.json: NFs[1].location: required key is missing",)),
    ("NF extra key", lambda d: d["NFs"][2].update(cpu=1), ("NFs[2].cpu: unknown key", "name, type, location, config, click")),
    ("NF name not string", lambda d: d["NFs"][0].update(name=7), ("NFs[0].name: expected a string, got number 7",)),
    ("NF name not identifier", lambda d: d["NFs"][0].update(name="9fw"), ("NFs[0].name: bad name '9fw'",)),
    ("unknown NF type", lambda d: d["NFs"][1].update(type="dpi"), ("NFs[1].type: unknown NF type 'dpi'", "known: firewall, ips, monitor, nat")),
    ("duplicate NF name", lambda d: d["NFs"][2].update(name="a"), ("NFs[2].name: duplicate NF name 'a'", "NFs[0]")),
    ("config not object", lambda d: d["NFs"][0].update(config="x"), ("NFs[0].config: expected an object",)),
    ("config value not string", lambda d: d["NFs"][0].update(config={"acl": 3}), ("NFs[0].config.acl: expected a string",)),
    ("click file missing", lambda d: d["NFs"][0].update(click="nope.click"), ("NFs[0].click: no such file", "nope.click")),
    ("name of chain bad type", lambda d: d.update(name=["x"]), ("chain.json: name: expected a string, got list",)),
    ("Links not a list", lambda d: d.update(Links={"a": "b"}), ("chain.json: Links: expected a list",)),
    ("link bad shape", lambda d: d["Links"].__setitem__(0, "a->b"), ("Links[0]: expected {\"from\": A, \"to\": B} or [A, B]",)),
    ("link pair length", lambda d: d["Links"].__setitem__(0, ["a", "b", "c"]), ("Links[0]: a link pair needs 2 NF names, got 3",)),
    ("link missing to", lambda d: d["Links"][0].pop("to"), ("Links[0].to: required key is missing",)),
    ("link extra key", lambda d: d["Links"][0].update(port=1), ("Links[0].port: unknown key",)),
    ("link unknown NF", lambda d: d["Links"][1].update(to="z"), ("Links[1].to: unknown NF 'z'", "NFs: a, b, c")),
    ("link unknown NF in pair", lambda d: d["Links"].__setitem__(0, ["q", "b"]), ("Links[0][0]: unknown NF 'q'",)),
    ("link to itself", lambda d: d["Links"][0].update(to="a"), ("Links[0]: NF 'a' is linked to itself",)),
    ("fork", lambda d: d["Links"].append({"from": "a", "to": "c"}), ("Links[2]: the chain forks: 'a' already goes to 'b' (Links[0])",)),
    ("join", lambda d: d["Links"].__setitem__(1, {"from": "c", "to": "b"}), ("Links[1]: the chain joins: 'b' already follows 'a' (Links[0])",)),
    ("duplicate link", lambda d: d["Links"].append(["a", "b"]), ("Links[2]: duplicate link (Links[0])",)),
    ("loop", lambda d: d["Links"].append({"from": "c", "to": "a"}), ("Links", "the links form a loop through")),
    ("unlinked NF", lambda d: d["Links"].pop(), ("chain.json: Links: NF 'c' is not linked into the chain a -> b",)),
    ("no links at all", lambda d: d.update(Links=[]), ("chain.json: Links: NF 'b' is not linked",)),
    ("route extra key", lambda d: d["Route"].update(via="s3"), ("Route.via: unknown key",)),
    ("route missing egress", lambda d: d["Route"].pop("egress"), ("Route.egress: required key is missing",)),
    ("route port type", lambda d: d["Route"]["ingress"].update(port="1"), ("Route.ingress.port: expected an integer, got string",)),
    ("route port bool", lambda d: d["Route"]["ingress"].update(port=True), ("Route.ingress.port: expected an integer, got boolean",)),
    ("route port range", lambda d: d["Route"]["egress"].update(port=600), ("Route.egress.port: 600 is out of range 0..510",)),
    ("match extra key", lambda d: d["Route"].update(match={"vlan": 3}), ("Route.match.vlan: unknown key",)),
    ("match bad prefix", lambda d: d["Route"].update(match={"src": "10.0.0.300/8"}), ("Route.match.src: bad IPv4 prefix '10.0.0.300/8'",)),
    ("match host bits", lambda d: d["Route"].update(match={"dst": "10.0.0.1/8"}), ("Route.match.dst: bad IPv4 prefix",)),
    ("match proto name", lambda d: d["Route"].update(match={"proto": "sctp"}), ("Route.match.proto: unknown protocol 'sctp'",)),
    ("match proto range", lambda d: d["Route"].update(match={"proto": 256}), ("Route.match.proto: 256 is out of range 0..255",)),
    ("match port range", lambda d: d["Route"].update(match={"dport": 70000}), ("Route.match.dport: 70000 is out of range",)),
    ("match port without tcp/udp", lambda d: d["Route"].update(match={"proto": "icmp", "sport": 1}), ("Route.match: sport/dport need proto tcp or udp",)),
    ("switches empty", lambda d: d["Route"].update(switches=[]), ("Route.switches: must not be empty",)),
    ("switches item type", lambda d: d["Route"].update(switches=["s1", 2]), ("Route.switches[1]: expected a string",)),
]


@pytest.mark.parametrize(
    ("change", "fragments"), [(c, f) for _, c, f in CHAIN_ERRORS], ids=[i for i, _, _ in CHAIN_ERRORS]
)
def test_chain_error(tmp_path: Path, change: Callable[[dict[str, Any]], Any], fragments: tuple[str, ...]) -> None:
    expect(lambda: chains_from(tmp_path, mutated(CHAIN, change)), *fragments)


def test_error_path_in_list_file(tmp_path: Path) -> None:
    bad = mutated(CHAIN, lambda d: d["NFs"][1].update(type="dpi"))
    expect(lambda: chains_from(tmp_path, [CHAIN, bad]), "chain.json: [1].NFs[1].type: unknown NF type")


def test_duplicate_chain_name_in_file(tmp_path: Path) -> None:
    one = mutated(CHAIN, lambda d: d.update(name="x"))
    expect(lambda: chains_from(tmp_path, [one, one]), "chain.json: [1].name: duplicate chain name 'x'")


def test_empty_chain_list(tmp_path: Path) -> None:
    expect(lambda: chains_from(tmp_path, []), "chain.json: the file holds an empty list of chains")


def test_invalid_json_has_position(tmp_path: Path) -> None:
    err = expect(lambda: chains_from(tmp_path, '{"NFs": [\n  1,\n}'), "invalid JSON")
    assert err.pos is not None and err.pos.file.endswith("chain.json") and err.pos.line == 3


def test_duplicate_json_key(tmp_path: Path) -> None:
    text = json.dumps(CHAIN)[:-1] + ', "Links": []}'
    expect(lambda: chains_from(tmp_path, text), "chain.json: duplicate key 'Links'")


def test_unreadable_file(tmp_path: Path) -> None:
    expect(lambda: load_chains(tmp_path / "absent.json", nf_types=TYPES), "absent.json: cannot read")


def test_default_nf_types_are_the_library(tmp_path: Path) -> None:
    data = mutated(CHAIN, lambda d: d["NFs"][0].update(type="vpn"))
    [chain] = load_chains(write(tmp_path, "c.json", data))
    assert chain.nfs[0].type == "vpn"
    bad = mutated(CHAIN, lambda d: d["NFs"][0].update(type="nope"))
    expect(lambda: load_chains(write(tmp_path, "c.json", bad)), "known: firewall", "vpn")


# ---------------------------------------------------------------------------- topology errors

TOPO_ERRORS: list[tuple[str, Callable[[dict[str, Any]], Any], tuple[str, ...]]] = [
    ("not an object", lambda d: d.update(switches="s1"), ("topology.json: switches: expected a list",)),
    ("missing switches", lambda d: d.pop("switches"), ("topology.json: switches: required key is missing",)),
    ("extra top key", lambda d: d.update(hosts=[]), ("topology.json: hosts: unknown key", "switches, servers, links")),
    ("switch missing address", lambda d: d["switches"][0].pop("address"), ("switches[0].address: required key is missing",)),
    ("switch extra key", lambda d: d["switches"][1].update(grpc=1), ("switches[1].grpc: unknown key",)),
    ("duplicate switch", lambda d: d["switches"][1].update(name="s1"), ("switches[1].name: duplicate switch name 's1' (also switches[0])",)),
    ("duplicate device id", lambda d: d["switches"][1].update(device_id=0), ("switches[1].device_id: device_id 0 is already used by switch 's1'",)),
    ("negative device id", lambda d: d["switches"][1].update(device_id=-1), ("switches[1].device_id: -1 is out of range",)),
    ("address without port", lambda d: d["switches"][0].update(address="127.0.0.1"), ("switches[0].address: bad address '127.0.0.1'",)),
    ("address bad port", lambda d: d["switches"][0].update(address="h:99999"), ("switches[0].address: bad address 'h:99999'",)),
    ("address bad ipv4", lambda d: d["switches"][0].update(address="10.0.0.256:1"), ("switches[0].address: bad address",)),
    ("address bad host", lambda d: d["switches"][0].update(address="a b:1"), ("switches[0].address: bad address",)),
    ("address bad ipv6", lambda d: d["switches"][0].update(address="[::g]:1"), ("switches[0].address: bad address",)),
    ("ports empty", lambda d: d["switches"][0].update(ports=[]), ("switches[0].ports: must not be empty",)),
    ("duplicate port", lambda d: d["switches"][0].update(ports=[1, 2, 1]), ("switches[0].ports[2]: duplicate port 1",)),
    ("port out of range", lambda d: d["switches"][0].update(ports=[1, 511]), ("switches[0].ports[1]: 511 is out of range 0..510",)),
    ("cpu port in ports", lambda d: d["switches"][0].update(cpu_port=2), ("switches[0].cpu_port: cpu_port 2 is also in ports",)),
    ("server missing port", lambda d: d["servers"][0].pop("port"), ("servers[0].port: required key is missing",)),
    ("server extra key", lambda d: d["servers"][0].update(mac="x"), ("servers[0].mac: unknown key",)),
    ("duplicate server", lambda d: d["servers"][1].update(name="srv1"), ("servers[1].name: duplicate server name 'srv1'",)),
    ("server named like switch", lambda d: d["servers"][1].update(name="s2"), ("servers[1].name: 's2' is already a switch name",)),
    ("server on unknown switch", lambda d: d["servers"][1].update(switch="s9"), ("servers[1].switch: unknown switch 's9' (switches: s1, s2)",)),
    ("server on unknown port", lambda d: d["servers"][1].update(port=7), ("servers[1].port: switch 's2' has no port 7 (ports: 1, 2, 3)",)),
    ("servers share a port", lambda d: d["servers"][1].update(switch="s1"), ("servers[1].port: port 2 of switch 's1' is already used by server 'srv1'",)),
    ("interface type", lambda d: d["servers"][0].update(interface=1), ("servers[0].interface: expected a string",)),
    ("link unknown switch", lambda d: d["links"][0].update(b="s3"), ("links[0].b: unknown switch 's3'",)),
    ("link unknown port", lambda d: d["links"][0].update(a_port=9), ("links[0].a_port: switch 's1' has no port 9",)),
    ("link on server port", lambda d: d["links"][0].update(b_port=2), ("links[0].b_port: port 2 of switch 's2' is already used by server 'srv2'",)),
    ("link to itself", lambda d: d["links"][0].update(b="s1", b_port=1), ("links[0]: a link from switch 's1' to itself",)),
    ("links share a port", lambda d: d["links"].append({"a": "s2", "a_port": 3, "b": "s1", "b_port": 3}), ("links[1].b_port: port 3 of switch 's1' is already used by links[0]",)),
    ("link missing key", lambda d: d["links"][0].pop("b_port"), ("links[0].b_port: required key is missing",)),
]


@pytest.mark.parametrize(
    ("change", "fragments"), [(c, f) for _, c, f in TOPO_ERRORS], ids=[i for i, _, _ in TOPO_ERRORS]
)
def test_topology_error(tmp_path: Path, change: Callable[[dict[str, Any]], Any], fragments: tuple[str, ...]) -> None:
    expect(lambda: topo_from(tmp_path, mutated(TOPO, change)), *fragments)


def test_ipv6_and_hostname_addresses(tmp_path: Path) -> None:
    data = mutated(TOPO, lambda d: (d["switches"][0].update(address="[::1]:9559"),
                                    d["switches"][1].update(address="bmv2-2.lab:9559")))
    topo = topo_from(tmp_path, data)
    assert topo.switches["s1"].address == "[::1]:9559"


# ---------------------------------------------------------------------------- validate errors

VALIDATE_ERRORS: list[tuple[str, Callable[[dict[str, Any]], Any], tuple[str, ...]]] = [
    ("unknown location", lambda d: d["NFs"][2].update(location="srv9"), ("chain.json: NFs[2].location: server 'srv9' is not in the topology (servers: srv1, srv2, srv3, srv4)",)),
    ("unknown ingress switch", lambda d: d["Route"]["ingress"].update(switch="s7"), ("chain.json: Route.ingress.switch: switch 's7' is not in the topology",)),
    ("unknown egress port", lambda d: d["Route"]["egress"].update(port=9), ("chain.json: Route.egress.port: switch 's2' has no port 9",)),
    ("ingress on server port", lambda d: d["Route"]["ingress"].update(port=2), ("Route.ingress.port: port 2 of switch 's1' is already used by server 'srv1'",)),
    ("egress on link port", lambda d: d["Route"]["egress"].update(port=1), ("Route.egress.port: port 1 of switch 's2' is already used by the link to 's1'",)),
    ("path unknown switch", lambda d: d["Route"].update(switches=["s1", "s5", "s2"]), ("Route.switches[1]: switch 's5' is not in the topology",)),
    ("path not linked", lambda d: d["Route"].update(switches=["s1", "s3", "s2"]), ("Route.switches[2]: no link between 's3' and 's2'",)),
    ("path wrong start", lambda d: d["Route"].update(switches=["s2"]), ("Route.switches: must start at the ingress switch 's1'",)),
    ("path wrong end", lambda d: d["Route"].update(switches=["s1"]), ("Route.switches: must end at the egress switch 's2'",)),
    ("path misses NF switch", lambda d: (d["Route"].update(switches=["s1", "s2"]), d["NFs"][1].update(location="srv3")), ("Route.switches: NF 'b' runs on server 'srv3' behind switch 's3'",)),
    ("path visits NF switches out of order", lambda d: (d["Route"].update(switches=["s1", "s2"]), d["NFs"][0].update(location="srv2")), ("Route.switches: NF 'b' runs on server 'srv1' behind switch 's1', which the path does not visit after",)),
    ("no path to NF", lambda d: d["NFs"][1].update(location="srv4"), ("chain.json: Route: no switch path from 's1' to 's4'",)),
]


def _topo3(tmp_path: Path) -> Topology:
    """TOPO plus s3 (linked to s1 only, with server srv3) and an isolated s4 (server srv4)."""
    data = copy.deepcopy(TOPO)
    data["switches"] += [
        {"name": "s3", "address": "127.0.0.1:50053", "device_id": 2, "ports": [1, 2]},
        {"name": "s4", "address": "127.0.0.1:50054", "device_id": 3, "ports": [1]},
    ]
    data["switches"][0]["ports"].append(4)
    data["servers"] += [
        {"name": "srv3", "switch": "s3", "port": 2},
        {"name": "srv4", "switch": "s4", "port": 1},
    ]
    data["links"].append({"a": "s1", "a_port": 4, "b": "s3", "b_port": 1})
    return topo_from(tmp_path, data)


@pytest.mark.parametrize(
    ("change", "fragments"), [(c, f) for _, c, f in VALIDATE_ERRORS], ids=[i for i, _, _ in VALIDATE_ERRORS]
)
def test_validate_error(tmp_path: Path, change: Callable[[dict[str, Any]], Any], fragments: tuple[str, ...]) -> None:
    topo = _topo3(tmp_path)
    chains = chains_from(tmp_path, mutated(CHAIN, change))
    expect(lambda: validate(chains, topo), *fragments)


def test_validate_duplicate_chain_across_files(tmp_path: Path) -> None:
    topo = topo_from(tmp_path, TOPO)
    one = chains_from(tmp_path, mutated(CHAIN, lambda d: d.update(name="x")), name="one.json")
    two = chains_from(tmp_path, mutated(CHAIN, lambda d: d.update(name="x")), name="two.json")
    expect(lambda: validate(one + two, topo), "two.json: name: duplicate chain name 'x'", "one.json")


def test_validate_same_ingress_and_match(tmp_path: Path) -> None:
    topo = topo_from(tmp_path, TOPO)
    chains = chains_from(tmp_path, [CHAIN, mutated(CHAIN, lambda d: d.update(name="y"))])
    expect(lambda: validate(chains, topo), "chain.json: [1].Route: same ingress and match as chain 'chain-0'")
    other = mutated(CHAIN, lambda d: (d.update(name="y"), d["Route"].update(match={"proto": 6})))
    validate(chains_from(tmp_path, [CHAIN, other]), topo)


# ---------------------------------------------------------------------------- default topology, paths


def test_default_topology_avoids_route_ports(tmp_path: Path) -> None:
    data = mutated(CHAIN, lambda d: d["Route"].update(egress={"switch": "s1", "port": 2}))
    chains = chains_from(tmp_path, data)
    topo = default_topology(chains)
    assert list(topo.switches) == ["s1"]
    s1 = topo.switches["s1"]
    assert (s1.address, s1.device_id) == ("127.0.0.1:50051", 0)
    # Route ports 1 and 2 are taken, so the servers get 3 and 4 in order of appearance.
    assert topo.servers == {"srv1": Server("srv1", "s1", 3), "srv2": Server("srv2", "s1", 4)}
    assert s1.ports == (1, 2, 3, 4)
    validate(chains, topo)


def test_default_topology_runs_out_of_ports(tmp_path: Path) -> None:
    (chain,) = chains_from(tmp_path, CHAIN)
    nf = chain.nfs[0]
    many = [
        dataclasses.replace(chain, name=f"c{i}",
                            nfs=(dataclasses.replace(nf, location=f"srv{i}"),))
        for i in range(600)
    ]
    with pytest.raises(SpecError, match=r"chain.json: NFs: .* ports of the default switch \(1..510\)"):
        default_topology(many)
    assert max(s.port for s in default_topology(many[:505]).servers.values()) <= 510


def test_default_topology_reports_foreign_switch(tmp_path: Path) -> None:
    chains = chains_from(tmp_path, CHAIN)  # egress on s2
    expect(lambda: validate(chains, default_topology(chains)), "Route.egress.switch: switch 's2' is not in the topology")


def _line_topology(n: int) -> Topology:
    switches = {f"s{i}": Switch(f"s{i}", f"h:{5000 + i}", i, (1, 2)) for i in range(n)}
    links = tuple(Link(f"s{i}", 2, f"s{i + 1}", 1) for i in range(n - 1))
    return Topology(switches, {}, links, "t.json")


def test_topology_path_and_ports() -> None:
    topo = _line_topology(4)
    assert topo.path("s0", "s3") == ["s0", "s1", "s2", "s3"]
    assert topo.path("s3", "s1") == ["s3", "s2", "s1"]
    assert topo.path("s2", "s2") == ["s2"]
    assert topo.port_towards("s1", "s2") == 2
    assert topo.port_towards("s2", "s1") == 1
    expect(lambda: topo.port_towards("s0", "s2"), "no link from switch 's0' to 's2'")
    expect(lambda: topo.path("s0", "s9"), "no switch 's9'")


def test_topology_path_unreachable() -> None:
    topo = _line_topology(2)
    topo = Topology({**topo.switches, "x": Switch("x", "h:1", 9, (1,))}, {}, topo.links, "t.json")
    expect(lambda: topo.path("s0", "x"), "t.json: links: no path from switch 's0' to switch 'x'")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 7),
    extra=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=6),
    a=st.integers(0, 6),
    b=st.integers(0, 6),
)
def test_path_is_a_shortest_walk_over_links(n: int, extra: list[tuple[int, int]], a: int, b: int) -> None:
    import networkx as nx

    a, b = a % n, b % n
    base = _line_topology(n)
    links = list(base.links)
    for i, (x, y) in enumerate(extra):
        x, y = x % n, y % n
        if x != y:
            links.append(Link(f"s{x}", 10 + i, f"s{y}", 20 + i))
    topo = Topology(base.switches, {}, tuple(links), "t.json")
    path = topo.path(f"s{a}", f"s{b}")
    assert path[0] == f"s{a}" and path[-1] == f"s{b}"
    for x, y in zip(path, path[1:], strict=False):
        assert y in topo.neighbours(x)
        topo.port_towards(x, y)
    g = nx.Graph([(lk.a, lk.b) for lk in links])
    assert len(path) - 1 == nx.shortest_path_length(g, f"s{a}", f"s{b}")


def test_chain_switch_path(tmp_path: Path) -> None:
    topo = _topo3(tmp_path)
    data = mutated(CHAIN, lambda d: d["NFs"][1].update(location="srv3"))
    [chain] = chains_from(tmp_path, data)
    validate([chain], topo)
    assert chain_switch_path(chain, topo) == ["s1", "s3", "s1", "s2"]


# ---------------------------------------------------------------------------- shipped examples


@pytest.mark.parametrize(
    ("chain_file", "topo_file", "expected"),
    [
        ("paper-chain.json", "paper-topology.json", {"paper": ["ips", "monitor", "firewall", "nat"]}),
        (
            "two-server-chain.json",
            "two-server-topology.json",
            {
                "site-to-site": ["firewall", "ips", "monitor", "nat", "vpn", "router"],
                "web": ["firewall", "lb"],
            },
        ),
    ],
)
def test_examples_load_and_validate(chain_file: str, topo_file: str, expected: dict[str, list[str]]) -> None:
    chains = load_chains(data_path("examples", chain_file))
    topo = load_topology(data_path("examples", topo_file))
    validate(chains, topo)
    assert {c.name: [nf.type for nf in c.nfs] for c in chains} == expected


def test_paper_example_matches_default_topology() -> None:
    chains = load_chains(data_path("examples", "paper-chain.json"))
    validate(chains, default_topology(chains))
    assert {nf.location for nf in chains[0].nfs} == {"srv1"}


def test_two_server_example_crosses_switches() -> None:
    chains = load_chains(data_path("examples", "two-server-chain.json"))
    topo = load_topology(data_path("examples", "two-server-topology.json"))
    sfc = chains[0]
    locations = [topo.servers[nf.location].switch for nf in sfc.nfs]
    assert locations == ["s1", "s1", "s2", "s2", "s2", "s2"]
    assert chain_switch_path(sfc, topo) == ["s1", "s2"]
    assert topo.port_towards("s1", "s2") == 3


def test_nfspec_is_plain_data() -> None:
    nf = NFSpec("a", "firewall", "srv1")
    assert nf.config == {} and nf.click is None


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 8))
def test_links_in_any_order_and_form_give_the_sequence(data: st.DataObject, n: int) -> None:
    import tempfile

    order = data.draw(st.permutations([f"nf{i}" for i in range(n)]))
    links: list[Any] = [
        data.draw(st.sampled_from([[a, b], {"from": a, "to": b}]))
        for a, b in zip(order, order[1:], strict=False)
    ]
    links = data.draw(st.permutations(links))
    chain = copy.deepcopy(CHAIN)
    chain["NFs"] = [{"name": f"nf{i}", "type": "nat", "location": "srv1"} for i in range(n)]
    chain["Links"] = links
    with tempfile.TemporaryDirectory() as tmp:
        [loaded] = chains_from(Path(tmp), chain)
        assert [nf.name for nf in loaded.nfs] == list(order)
        if links:
            dropped = data.draw(st.integers(0, len(links) - 1))
            chain["Links"] = links[:dropped] + links[dropped + 1:]
            expect(lambda: chains_from(Path(tmp), chain), "chain.json: Links: NF ", "is not linked")
