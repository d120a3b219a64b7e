"""The IP route table family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.iplookup.behaviour import build
from p4sfc_compiler.families.iplookup.config import CLASSES, LookupConfig, parse
from p4sfc_compiler.families.iplookup.lower import lower

IPLOOKUP: ElementFamily[LookupConfig] = ElementFamily(
    "iplookup", CLASSES, parse, lower, behaviour=build
)
