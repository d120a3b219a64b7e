"""The Counter / AverageCounter family."""

from __future__ import annotations

from p4sfc_compiler.families.counters.behaviour import build
from p4sfc_compiler.families.counters.config import CLASSES, CountersConfig, parse
from p4sfc_compiler.families.counters.lower import lower
from p4sfc_compiler.families.family import ElementFamily

COUNTERS: ElementFamily[CountersConfig] = ElementFamily(
    "counters", CLASSES, parse, lower, behaviour=build
)
