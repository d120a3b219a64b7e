"""The contract of element families: their errors and the plain data lowering returns.

An element family holds all of one group of Click classes' knowledge: their
configuration syntax, their lowering to switch entries, and (later issues) their
software behaviour and their switch model. What a family provides is typed by
:class:`~p4sfc_compiler.families.family.ElementFamily`; the registry
(:mod:`~p4sfc_compiler.families.registry`) maps Click classes to families.

Layout. A family is a folder ``families/<name>/`` with one module per job:

* ``__init__.py``: only a docstring (the family's Click quirks and switch limits); it
  imports nothing, so importing one stage file loads only what that file imports;
* ``config.py``: ``CLASSES``, the config types and ``parse``;
* ``lower.py``: ``lower``, and ``data_offset`` where the family moves the data pointer;
* ``family.py``: the family object (``IPFILTER``, ``PLUMBING``, ...), the only module
  the registry imports;
* ``behaviour.py``: ``build``, the NF engine's form of the family's classes
  (:mod:`~p4sfc_compiler.families.behaviour` is the contract);
* more stage files where the family has more jobs: ``evaluate.py`` (Click's result in
  software: IPFilter, Classifier), ``server.py`` (plumbing's server forms),
  ``switch.py`` (the embedded switch's models of the family's P4 kinds, listed in
  ``kind_models.py``), and IPFilter's pattern language (``names``, ``primitive``,
  ``compile``, ``parser``).

Imports run one way: ``evaluate``, ``lower`` and ``server`` import ``config``, ``family``
imports them, and a family never imports another family; what two share is a module
beside them (``values``, ``wordtests``, ``wordwise``, ``wordprog``, ``ternary``, ``classify_table``,
``behaviour``, ``checksum``, and the ``classify`` kind's model ``classify_switch``).
``config_only.py`` is the one single-module family: its classes have no packet ports and
no P4 kind, so it has no jobs to split.

The element's catalog row (``elements/catalog.yaml``) says what it reads and writes, and
which P4 template block (``p4/templates/elements/<kind>.p4.j2``) runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from p4sfc_compiler.dataplane.match import Match
from p4sfc_compiler.errors import P4SFCError


class ElementConfigError(P4SFCError):
    """An element's configuration string is not valid for that element."""


class ServerOnlyError(P4SFCError):
    """An element that only a switch can run sits in an NF that runs on a server."""


class NotOffloadable(Exception):
    """This instance cannot run on the switch; ``reason`` says why, for the plan."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason




@dataclass(frozen=True)
class TableEntry:
    """One entry of an element kind's table, without the common key prefix.

    ``match`` maps P4 key expressions (``hdr.ipv4.srcAddr``, ``meta.dport``) to match
    values; absent ternary fields are wildcards. ``action`` is the action's short name in
    the template block (``set_port``). ``order`` ranks ternary entries: 0 is tried first;
    the backend turns it into a P4Runtime priority.
    """

    match: dict[str, Match]
    action: str
    params: dict[str, int] = field(default_factory=dict)
    order: int | None = None


@dataclass(frozen=True)
class LowerContext:
    """What the analysis knows about the packet where the element runs."""

    data_offset: int = 0  # bytes from the frame start to Click's data pointer
    ip_header: bool = False  # an IP header annotation was set upstream
    n_inputs: int = 1  # ports connected in this configuration
    n_outputs: int = 1


@dataclass(frozen=True)
class Lowering:
    """The switch form of one element instance.

    ``kind`` names the P4 template block (``classify``, ``ip_lookup``, ...) or ``nop`` for
    elements the switch needs no stage for (Strip, MarkIPHeader, Queue). ``params`` go
    into the element-control action ``exec_<kind>``; ``input_params`` add per-input
    parameters (a rewriter's miss behaviour depends on the input the packet came in on).
    ``entries`` fill the kind's table.
    """

    kind: str
    params: dict[str, int] = field(default_factory=dict)
    input_params: dict[int, dict[str, int]] = field(default_factory=dict)
    entries: tuple[TableEntry, ...] = ()
    state: dict[str, int] = field(default_factory=dict)  # register slots wanted, by name

    @property
    def is_nop(self) -> bool:
        return self.kind == "nop"
