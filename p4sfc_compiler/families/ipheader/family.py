"""The IPv4 header elements family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.ipheader.behaviour import build
from p4sfc_compiler.families.ipheader.config import CLASSES, IPHeaderConfig, parse
from p4sfc_compiler.families.ipheader.lower import lower

IPHEADER: ElementFamily[IPHeaderConfig] = ElementFamily(
    "ipheader", CLASSES, parse, lower, behaviour=build
)
