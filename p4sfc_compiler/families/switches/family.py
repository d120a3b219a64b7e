"""The output chooser family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.switches.behaviour import build
from p4sfc_compiler.families.switches.config import CLASSES, SwitchConfig, parse
from p4sfc_compiler.families.switches.lower import lower

SWITCHES: ElementFamily[SwitchConfig] = ElementFamily(
    "switches", CLASSES, parse, lower, behaviour=build
)
