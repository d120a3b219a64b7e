"""The EtherEncap / IPEncap family."""

from __future__ import annotations

from p4sfc_compiler.families.encap.behaviour import build
from p4sfc_compiler.families.encap.config import CLASSES, EncapConfig, parse
from p4sfc_compiler.families.encap.lower import data_offset, lower
from p4sfc_compiler.families.family import ElementFamily

ENCAP: ElementFamily[EncapConfig] = ElementFamily(
    "encap", CLASSES, parse, lower, data_offset=data_offset, behaviour=build
)
