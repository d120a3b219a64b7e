"""The element registry: which family implements a Click class, and uniform entry points.

The families are imported statically: a family that fails to import fails this module,
and with it every caller, instead of silently making its classes unknown. Every family
is called with the same arguments. A class listed by two families resolves to the first
one in :data:`FAMILIES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError, LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.classifier.family import CLASSIFIER
from p4sfc_compiler.families.config_only import CONFIG_ONLY
from p4sfc_compiler.families.counters.family import COUNTERS
from p4sfc_compiler.families.encap.family import ENCAP
from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.icmp.family import ICMP
from p4sfc_compiler.families.io.family import IO
from p4sfc_compiler.families.ipfilter.family import IPFILTER
from p4sfc_compiler.families.ipheader.family import IPHEADER
from p4sfc_compiler.families.iplookup.family import IPLOOKUP
from p4sfc_compiler.families.ipsec.family import IPSEC
from p4sfc_compiler.families.plumbing.family import PLUMBING
from p4sfc_compiler.families.rewriter.family import REWRITER
from p4sfc_compiler.families.switches.family import SWITCHES
from p4sfc_compiler.families.values import ConfigEnv

# Each family is typed by its own config; here they are held side by side.
AnyFamily = ElementFamily[Any]

# In lookup order.
FAMILIES: tuple[AnyFamily, ...] = (
    IPFILTER,
    CLASSIFIER,
    REWRITER,
    IPLOOKUP,
    ENCAP,
    IPHEADER,
    COUNTERS,
    PLUMBING,
    SWITCHES,
    ICMP,
    IPSEC,
    IO,
    CONFIG_ONLY,
)


def index_by_class(families: Iterable[AnyFamily]) -> Mapping[str, AnyFamily]:
    """Click class -> family; the first family listing a class wins."""
    index: dict[str, AnyFamily] = {}
    for family in families:
        for cls in family.classes:
            index.setdefault(cls, family)
    return MappingProxyType(index)


_BY_CLASS = index_by_class(FAMILIES)
_KNOWN = frozenset(_BY_CLASS)


def family_for(cls: str) -> AnyFamily | None:
    """The family implementing Click class ``cls``, or ``None``."""
    return _BY_CLASS.get(cls)


def known_classes() -> frozenset[str]:
    """Every Click class some family implements."""
    return _KNOWN


def parse_config(
    cls: str,
    args: Sequence[str],
    pos: SourcePos | None = None,
    env: ConfigEnv | None = None,
) -> object:
    """Parse one instance's configuration with its class's family.

    Raises :class:`ElementConfigError` (located at ``pos``) for a bad configuration or a
    class no family implements.
    """
    family = family_for(cls)
    if family is None:
        raise ElementConfigError(f"no element module implements class {cls}", pos)
    try:
        return family.parse(cls, tuple(args), pos, env)
    except ElementConfigError as e:
        if e.pos is None:
            e.pos = pos
        raise


def lower(cls: str, config: object, ctx: LowerContext | None = None) -> Lowering:
    """The switch form of one instance; raises :class:`NotOffloadable` with the reason."""
    family = family_for(cls)
    if family is None:
        raise NotOffloadable(f"{cls} has no switch implementation")
    return family.lower(cls, config, ctx if ctx is not None else LowerContext())


def data_offset(cls: str, config: object, offset: int) -> int:
    """Click's data pointer (bytes from the frame start) after the element."""
    family = family_for(cls)
    return offset if family is None else family.data_offset(cls, config, offset)


def server_form(cls: str, config: str) -> tuple[str, str]:
    """The Click class and configuration an element has in a server's config: itself,
    unless its family says otherwise (P4SFC's own actions are not Click classes).
    Raises :class:`~p4sfc_compiler.families.base.ServerOnlyError` for an element no
    server can run."""
    family = family_for(cls)
    return (cls, config) if family is None else family.server_form(cls, config)
