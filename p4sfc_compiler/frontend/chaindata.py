"""What a chain file describes, as plain data: NFs in chain order and the chain's route.

A chain file follows the paper's orchestrator input (section III-C): ``NFs`` (name, type,
location), ``Links`` (the NF order) and ``Route`` (where the chain's traffic enters and
leaves the network, and which traffic it is). :mod:`chainfile` reads and checks one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


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
