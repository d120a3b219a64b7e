"""The rewriter family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.rewriter.behaviour import build
from p4sfc_compiler.families.rewriter.config import CLASSES, RewriterFamilyConfig, parse
from p4sfc_compiler.families.rewriter.lower import lower

REWRITER: ElementFamily[RewriterFamilyConfig] = ElementFamily(
    "rewriter", CLASSES, parse, lower, behaviour=build
)
