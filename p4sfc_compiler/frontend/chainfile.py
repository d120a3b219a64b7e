"""Reading chain.json: one chain object or a list of them, checked as far as the file alone
allows (:mod:`validation` checks chains against a topology). ``docs/formats.md``
describes the format.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from p4sfc_compiler.dataplane.reserved import MAX_PORT
from p4sfc_compiler.frontend import inputs, nflib
from p4sfc_compiler.frontend.chaindata import ChainSpec, Endpoint, NFSpec, RouteSpec
from p4sfc_compiler.frontend.parser import config_string_problem
from p4sfc_compiler.frontend.specjson import (
    NAME,
    NF_NAME,
    JsonReader,
    describe,
    excerpt,
    json_path,
    read_json,
)

PROTO_NAMES = {"icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17}
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
        nf_types = nflib.nf_types()
    known = sorted(set(nf_types))
    reader = JsonReader(str(path))
    data = read_json(path)
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
                json_path(where, "name"), f"duplicate chain name {chain.name!r} (also {seen[chain.name] or 'the file'})"
            )
        seen[chain.name] = where
        chains.append(chain)
    return chains


def _parse_chain(
    r: JsonReader, value: Any, where: str, default_name: str, known: list[str], base: Path
) -> ChainSpec:
    obj = r.as_obj(value, where, _CHAIN_KEYS, ("name",))
    name = r.as_str(obj["name"], json_path(where, "name"), NAME) if "name" in obj else default_name
    if not NAME.match(name):
        # the name comes from the file name; it must be a name all the same
        raise r.fail(
            json_path(where, "name"),
            f"no name given, and the file name gives {name!r}, which is not a chain name "
            "(letters, digits, '_', '.', '-'): add a \"name\"",
        )
    nfs_path = json_path(where, "NFs")
    nfs: list[NFSpec] = []
    index_of: dict[str, int] = {}
    for i, raw in enumerate(r.as_list(obj["NFs"], nfs_path, non_empty=True)):
        nf = _parse_nf(r, raw, json_path(nfs_path, i), known, base)
        if nf.name in index_of:
            raise r.fail(
                json_path(nf.where, "name"),
                f"duplicate NF name {nf.name!r} (also {json_path(nfs_path, index_of[nf.name])})",
            )
        index_of[nf.name] = i
        nfs.append(nf)
    order = _link_order(r, obj["Links"], json_path(where, "Links"), [nf.name for nf in nfs])
    by_name = {nf.name: nf for nf in nfs}
    route = _parse_route(r, obj["Route"], json_path(where, "Route"))
    return ChainSpec(
        name=name, nfs=tuple(by_name[n] for n in order), route=route, file=r.file, where=where
    )


def _parse_nf(r: JsonReader, value: Any, where: str, known: list[str], base: Path) -> NFSpec:
    obj = r.as_obj(value, where, _NF_KEYS, ("config", "click"))
    name = r.as_str(obj["name"], json_path(where, "name"), NF_NAME)
    nf_type = r.as_str(obj["type"], json_path(where, "type"))
    location = r.as_str(obj["location"], json_path(where, "location"), NAME)
    click: Path | None = None
    if "click" in obj:
        click_path = json_path(where, "click")
        click = Path(r.as_str(obj["click"], click_path))
        if not inputs.is_file(base / click):
            raise r.fail(click_path, f"no such file: {excerpt(str(base / click), 200)}")
    elif nf_type not in known:
        raise r.fail(
            json_path(where, "type"), f"unknown NF type {excerpt(nf_type)} (known: {', '.join(known)})"
        )
    config: dict[str, str] = {}
    if "config" in obj:
        config_path = json_path(where, "config")
        raw = obj["config"]
        if not isinstance(raw, dict):
            raise r.fail(config_path, f"expected an object, got {describe(raw)}")
        for element, text in raw.items():
            epath = json_path(config_path, element)
            config[element] = r.as_str(text, epath, multiline=True)
            # the string goes between the element's parentheses in Click text (the
            # server configs): it must stay there, as Click's lexer reads it
            problem = config_string_problem(text)
            if problem is not None:
                raise r.fail(epath, f"not a Click configuration string: {problem}")
    return NFSpec(
        name=name, type=nf_type, location=location, config=config, click=click,
        where=where, file=r.file,
    )


def _link_order(r: JsonReader, value: Any, path: str, names: list[str]) -> list[str]:
    """The NF names in chain order; the links must make them one sequence."""
    succ: dict[str, tuple[str, int]] = {}
    pred: dict[str, tuple[str, int]] = {}
    known = set(names)
    for i, raw in enumerate(r.as_list(value, path)):
        lpath = json_path(path, i)
        if isinstance(raw, list):
            if len(raw) != 2:
                raise r.fail(lpath, f"a link pair needs 2 NF names, got {len(raw)}")
            a = r.as_str(raw[0], json_path(lpath, 0))
            b = r.as_str(raw[1], json_path(lpath, 1))
            a_path, b_path = json_path(lpath, 0), json_path(lpath, 1)
        elif isinstance(raw, dict):
            obj = r.as_obj(raw, lpath, ("from", "to"))
            a_path, b_path = json_path(lpath, "from"), json_path(lpath, "to")
            a, b = r.as_str(obj["from"], a_path), r.as_str(obj["to"], b_path)
        else:
            raise r.fail(lpath, f"expected {{\"from\": A, \"to\": B}} or [A, B], got {describe(raw)}")
        for nf, npath in ((a, a_path), (b, b_path)):
            if nf not in known:
                raise r.fail(npath, f"unknown NF {excerpt(nf)} (NFs: {', '.join(names)})")
        if a == b:
            raise r.fail(lpath, f"NF {a!r} is linked to itself")
        if a in succ:
            other, j = succ[a]
            what = "duplicate link" if other == b else f"the chain forks: {a!r} already goes to {other!r}"
            raise r.fail(lpath, f"{what} ({json_path(path, j)})")
        if b in pred:
            other, j = pred[b]
            raise r.fail(lpath, f"the chain joins: {b!r} already follows {other!r} ({json_path(path, j)})")
        succ[a] = (b, i)
        pred[b] = (a, i)
    # With no fork and no join the links are disjoint paths and cycles: what the walks
    # from the paths' heads do not reach lies on a cycle (linear in the NFs, so a huge
    # hostile file cannot make this quadratic).
    reached: set[str] = set()
    for head in (n for n in names if n not in pred):
        nf = head
        reached.add(nf)
        while nf in succ:
            nf = succ[nf][0]
            reached.add(nf)
    for start in names:
        if start in reached:
            continue
        nf, i = succ[start]
        while nf != start:
            nf, i = succ[nf]
        raise r.fail(json_path(path, i), f"the links form a loop through {start!r}")
    heads = [n for n in names if n not in pred]
    order = [heads[0]]
    while order[-1] in succ:
        order.append(succ[order[-1]][0])
    if len(order) < len(names):
        in_order = set(order)
        missing = [n for n in names if n not in in_order]
        raise r.fail(
            path,
            f"NF {missing[0]!r} is not linked into the chain {' -> '.join(order)} "
            "(a chain is one sequence of all its NFs)",
        )
    return order


def _parse_route(r: JsonReader, value: Any, path: str) -> RouteSpec:
    obj = r.as_obj(value, path, _ROUTE_KEYS, ("match", "switches"))
    ends = []
    for key in _ROUTE_KEYS:
        epath = json_path(path, key)
        ep = r.as_obj(obj[key], epath, ("switch", "port"))
        ends.append(
            Endpoint(
                r.as_str(ep["switch"], json_path(epath, "switch"), NAME),
                r.as_int(ep["port"], json_path(epath, "port"), 0, MAX_PORT),
            )
        )
    match: dict[str, object] = {}
    if "match" in obj:
        mpath = json_path(path, "match")
        raw = r.as_obj(obj["match"], mpath, (), _MATCH_KEYS)
        for key in ("src", "dst"):
            if key in raw:
                match[key] = _prefix(r, raw[key], json_path(mpath, key))
        if "proto" in raw:
            match["proto"] = _proto(r, raw["proto"], json_path(mpath, "proto"))
        for key in ("sport", "dport"):
            if key in raw:
                match[key] = r.as_int(raw[key], json_path(mpath, key), 0, 65535)
        if ("sport" in match or "dport" in match) and match.get("proto", 6) not in (6, 17):
            raise r.fail(mpath, "sport/dport need proto tcp or udp (or no proto)")
    switches: tuple[str, ...] = ()
    if "switches" in obj:
        spath = json_path(path, "switches")
        switches = tuple(
            r.as_str(s, json_path(spath, i), NAME)
            for i, s in enumerate(r.as_list(obj["switches"], spath, non_empty=True))
        )
    return RouteSpec(ingress=ends[0], egress=ends[1], match=match, switches=switches)


def _prefix(r: JsonReader, value: Any, path: str) -> str:
    text = r.as_str(value, path)
    try:
        return str(ipaddress.IPv4Network(text, strict=True))
    except ValueError as exc:
        why = f": {exc}" if len(text) <= 40 else ""
        raise r.fail(path, f"bad IPv4 prefix {excerpt(text)}{why}") from None


def _proto(r: JsonReader, value: Any, path: str) -> int:
    if isinstance(value, str):
        if value.lower() not in PROTO_NAMES:
            raise r.fail(
                path, f"unknown protocol {excerpt(value)} (names: {', '.join(PROTO_NAMES)}; or a number)"
            )
        return PROTO_NAMES[value.lower()]
    return r.as_int(value, path, 0, 255)
