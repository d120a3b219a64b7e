"""The IPFilter / IPClassifier family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.ipfilter.behaviour import build
from p4sfc_compiler.families.ipfilter.config import CLASSES, FilterConfig, parse
from p4sfc_compiler.families.ipfilter.lower import lower

IPFILTER: ElementFamily[FilterConfig] = ElementFamily(
    "ipfilter", CLASSES, parse, lower, behaviour=build
)
