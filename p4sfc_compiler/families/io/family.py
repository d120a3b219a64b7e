"""The trace file family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.io.behaviour import build
from p4sfc_compiler.families.io.config import CLASSES, IOConfig, parse
from p4sfc_compiler.families.io.lower import lower

IO: ElementFamily[IOConfig] = ElementFamily("io", CLASSES, parse, lower, behaviour=build)
