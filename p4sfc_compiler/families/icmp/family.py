"""The ICMP error family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.icmp.behaviour import build
from p4sfc_compiler.families.icmp.config import CLASSES, ICMPErrorConfig, parse
from p4sfc_compiler.families.icmp.lower import lower

ICMP: ElementFamily[ICMPErrorConfig] = ElementFamily("icmp", CLASSES, parse, lower,
                                                      behaviour=build)
