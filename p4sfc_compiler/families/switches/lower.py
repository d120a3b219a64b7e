"""Output choosers have no switch form."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.switches.config import SwitchConfig


def lower(cls: str, config: SwitchConfig, ctx: LowerContext) -> Lowering:
    raise NotOffloadable(f"{cls}: no switch kind chooses outputs this way")
