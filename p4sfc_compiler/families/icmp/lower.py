"""ICMPError has no switch form."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.icmp.config import ICMPErrorConfig


def lower(cls: str, config: ICMPErrorConfig, ctx: LowerContext) -> Lowering:
    raise NotOffloadable("ICMPError builds a new packet; no switch kind does")
