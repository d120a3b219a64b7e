"""The IPsec family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.ipsec.behaviour import build
from p4sfc_compiler.families.ipsec.config import CLASSES, IPsecConfig, parse
from p4sfc_compiler.families.ipsec.lower import lower

IPSEC: ElementFamily[IPsecConfig] = ElementFamily("ipsec", CLASSES, parse, lower,
                                                   behaviour=build)
