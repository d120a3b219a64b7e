"""chain.json and topology.json: the public face of reading, checking and the plain data.

Import from here; the pieces live in small modules, each importing only those above it:

- :mod:`chaindata`: ChainSpec, NFSpec, RouteSpec, Endpoint;
- :mod:`topology`: Topology, Switch, Server, Link, paths over the switches, the default
  topology;
- :mod:`specjson`: JSON decoding with errors that name the file and the JSON path;
- :mod:`chainfile`: :func:`load_chains`, the chain.json format;
- :mod:`topologyfile`: :func:`load_topology`, the topology.json format;
- :mod:`validation`: :func:`validate`, chains against a topology and each other.

``docs/formats.md`` describes both formats. Every problem is a :class:`SpecError` whose
message starts with the file and the JSON path of the offending value.
"""

from __future__ import annotations

from p4sfc_compiler.errors import SpecError
from p4sfc_compiler.frontend.chaindata import ChainSpec, Endpoint, NFSpec, RouteSpec
from p4sfc_compiler.frontend.chainfile import PROTO_NAMES, load_chains
from p4sfc_compiler.frontend.topology import (
    DEFAULT_ADDRESS,
    DEFAULT_SWITCH,
    DEFAULT_TOPOLOGY_FILE,
    Link,
    Server,
    Switch,
    Topology,
    chain_switch_path,
    default_topology,
)
from p4sfc_compiler.frontend.topologyfile import load_topology
from p4sfc_compiler.frontend.validation import validate

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_SWITCH",
    "DEFAULT_TOPOLOGY_FILE",
    "PROTO_NAMES",
    "ChainSpec",
    "Endpoint",
    "Link",
    "NFSpec",
    "RouteSpec",
    "Server",
    "SpecError",
    "Switch",
    "Topology",
    "chain_switch_path",
    "default_topology",
    "load_chains",
    "load_topology",
    "validate",
]
