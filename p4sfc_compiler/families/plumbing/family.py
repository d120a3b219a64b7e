"""The plumbing family."""

from __future__ import annotations

from p4sfc_compiler.families.family import ElementFamily
from p4sfc_compiler.families.plumbing.behaviour import build
from p4sfc_compiler.families.plumbing.config import CLASSES, PlumbingConfig, parse
from p4sfc_compiler.families.plumbing.lower import data_offset, lower
from p4sfc_compiler.families.plumbing.server import server_form

PLUMBING: ElementFamily[PlumbingConfig] = ElementFamily(
    "plumbing", CLASSES, parse, lower, data_offset=data_offset, server_form=server_form,
    behaviour=build,
)
