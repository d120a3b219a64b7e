"""Trace files have no switch form."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.io.config import IOConfig


def lower(cls: str, config: IOConfig, ctx: LowerContext) -> Lowering:
    raise NotOffloadable(f"{cls} reads or writes a file")
