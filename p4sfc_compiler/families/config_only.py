"""Elements that only hold configuration: AddressInfo, RandomSeed.

They have no packet ports; other elements read them (names, mappers) at configuration
time. On the switch they are ``nop``: their effect is already folded into the lowering
of the elements that use them, and a server part keeps them for name lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError, LowerContext, Lowering
from p4sfc_compiler.families.behaviour import Behaviour, BuildContext
from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.values import ConfigEnv, split_words

CLASSES = ("AddressInfo", "RandomSeed")


@dataclass(frozen=True)
class ConfigOnly:
    args: tuple[str, ...]


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> ConfigOnly:
    if cls == "AddressInfo":
        for arg in args:
            if len(split_words(arg)) < 2:
                raise ElementConfigError(f"AddressInfo: {arg!r}: expected NAME ADDRESS...", pos)
    return ConfigOnly(tuple(args))


def lower(cls: str, config: ConfigOnly, ctx: LowerContext) -> Lowering:
    return Lowering("nop")


class Inert(Behaviour):
    """In the engine a configuration-only element takes no packets; the elements that
    read it find its configuration through their build context."""

    __slots__ = ()

    def push(self, port: int, p: object) -> None:
        raise TypeError(f"{self.name} has no packet ports")


def build(cls: str, config: ConfigOnly, ctx: BuildContext) -> Behaviour:
    return Inert(ctx)


CONFIG_ONLY: ElementFamily[ConfigOnly] = ElementFamily(
    "config_only", CLASSES, parse, lower, behaviour=build
)
