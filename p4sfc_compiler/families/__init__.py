"""The element registry: which module implements a Click class, and uniform entry points.

Every element module lists its classes in ``CLASSES`` (see :mod:`.base`). The registry
imports the known modules lazily, so a module that is missing (or not written yet) only
makes its classes unknown instead of breaking every caller.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from functools import cache
from types import ModuleType

from p4sfc_compiler.errors import P4SFCError, SourcePos
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    Lowering,
    NotOffloadable,
)
from p4sfc_compiler.families.values import ConfigEnv

# Element family modules, in lookup order; a class listed by two modules resolves to the
# first one.
MODULE_NAMES: tuple[str, ...] = (
    "ipfilter",
    "classifier",
    "rewriter",
    "iplookup",
    "encap",
    "ipheader",
    "counters",
    "plumbing",
    "config_only",
)


def _import(name: str) -> ModuleType | None:
    full = f"{__name__}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as e:
        # Only the module itself being absent is tolerated; a broken import inside an
        # existing module is a bug the caller must see.
        if e.name == full:
            return None
        raise


@cache
def _index() -> dict[str, ModuleType]:
    index: dict[str, ModuleType] = {}
    for name in MODULE_NAMES:
        module = _import(name)
        if module is None:
            continue
        for cls in getattr(module, "CLASSES", ()):
            index.setdefault(cls, module)
    return index


def module_for(cls: str) -> ModuleType | None:
    """The element module implementing Click class ``cls``, or ``None``."""
    return _index().get(cls)


def known_classes() -> frozenset[str]:
    """Every Click class some element module implements."""
    return frozenset(_index())


@cache
def _takes_env(module: ModuleType) -> bool:
    params = inspect.signature(module.parse).parameters
    return "env" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def parse_config(
    cls: str,
    args: Sequence[str],
    pos: SourcePos | None = None,
    env: ConfigEnv | None = None,
) -> object:
    """Parse one instance's configuration with its class's module.

    Raises :class:`ElementConfigError` (located at ``pos``) for a bad configuration or a
    class no module implements.
    """
    module = module_for(cls)
    if module is None:
        raise ElementConfigError(f"no element module implements class {cls}", pos)
    try:
        if _takes_env(module):
            return module.parse(cls, tuple(args), pos, env=env)
        return module.parse(cls, tuple(args), pos)
    except ElementConfigError as e:
        if e.pos is None:
            e.pos = pos
        raise


def lower(cls: str, config: object, ctx: LowerContext | None = None) -> Lowering:
    """The switch form of one instance; raises :class:`NotOffloadable` with the reason."""
    module = module_for(cls)
    if module is None:
        raise NotOffloadable(f"{cls} has no switch implementation")
    return module.lower(cls, config, ctx if ctx is not None else LowerContext())


def data_offset(cls: str, config: object, offset: int) -> int:
    """Click's data pointer (bytes from the frame start) after the element."""
    module = module_for(cls)
    fn = getattr(module, "data_offset", None) if module is not None else None
    return fn(cls, config, offset) if fn is not None else offset


class ServerOnlyError(P4SFCError):
    """An element that only a switch can run sits in an NF that runs on a server."""


def server_form(cls: str, config: str) -> tuple[str, str]:
    """The Click class and configuration an element has in a server's config: itself,
    unless its module says otherwise (P4SFC's own actions are not Click classes).
    Raises :class:`ServerOnlyError` for an element no server can run."""
    module = module_for(cls)
    fn = getattr(module, "server_form", None) if module is not None else None
    return fn(cls, config) if fn is not None else (cls, config)
