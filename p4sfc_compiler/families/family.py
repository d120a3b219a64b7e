"""What an element family provides, typed by the family's own configuration type.

A family is one :class:`ElementFamily` value: the Click classes it implements and the
functions that do its jobs. The registry calls every family the same way, with the same
arguments; a family that does not move the data pointer or that runs on a server as
itself takes the defaults (:func:`unchanged_offset`, :func:`same_form`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import LowerContext, Lowering
from p4sfc_compiler.families.behaviour import BuildFn
from p4sfc_compiler.families.values import ConfigEnv

C = TypeVar("C")  # the family's parsed configuration

# parse(cls, args, pos, env): ``args`` are the Click-split argument strings, ``env`` the
# AddressInfo names of the same configuration; raises ElementConfigError.
ParseFn = Callable[[str, Sequence[str], SourcePos | None, ConfigEnv | None], C]
# lower(cls, config, ctx): the switch form of one instance; raises NotOffloadable.
LowerFn = Callable[[str, C, LowerContext], Lowering]
# data_offset(cls, config, offset): Click's data pointer after the element.
DataOffsetFn = Callable[[str, C, int], int]
# server_form(cls, config_string): the Click class and configuration string on a server.
ServerFormFn = Callable[[str, str], tuple[str, str]]


def unchanged_offset(cls: str, config: object, offset: int) -> int:
    """The default ``data_offset``: the element leaves Click's data pointer where it is."""
    return offset


def same_form(cls: str, config: str) -> tuple[str, str]:
    """The default ``server_form``: on a server the element is itself."""
    return cls, config


@dataclass(frozen=True)
class ElementFamily(Generic[C]):
    """One element family.

    ``parse`` and ``lower`` are required; ``data_offset`` is for elements that move
    Click's data pointer (Strip, Unstrip, EtherEncap), which the analysis follows because
    lowering depends on it; ``server_form`` is for elements whose server form is not
    themselves (P4SFC's Alert and Forward are not Click classes). Its ``config`` is the
    raw configuration string, since a server's Click config is written from strings.

    ``behaviour`` builds an instance as the NF engine runs it
    (:mod:`~p4sfc_compiler.families.behaviour`; ``None`` = the engine cannot run the
    family's classes). The embedded switch's models are per P4 kind, not per family (one
    family may own several kinds, two families share ``classify``): each lives in the
    owning family's ``switch.py`` and
    :data:`~p4sfc_compiler.families.kind_models.KIND_MODELS` maps kinds to them.
    """

    name: str
    classes: tuple[str, ...]
    parse: ParseFn[C]
    lower: LowerFn[C]
    data_offset: DataOffsetFn[C] = unchanged_offset
    server_form: ServerFormFn = same_form
    behaviour: BuildFn[C] | None = None
