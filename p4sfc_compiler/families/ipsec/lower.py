"""The IPsec elements have no switch form."""

from __future__ import annotations

from p4sfc_compiler.families.base import LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.ipsec.config import IPsecConfig


def lower(cls: str, config: IPsecConfig, ctx: LowerContext) -> Lowering:
    raise NotOffloadable(f"{cls} encrypts or authenticates the payload")
