"""Render the dynamic P4 program from the jinja2 templates (``p4/templates``)."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from p4sfc_compiler.backend.program import DROP_PORT, MASK_BITS, ProgramParams
from p4sfc_compiler.resources import data_path

MAIN_TEMPLATE = "p4sfc.p4.j2"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_path("templates"))),
        undefined=jinja2.StrictUndefined,  # a misspelt name must fail, not print nothing
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(drop_port=DROP_PORT, mask_bits=MASK_BITS)
    return env


def element_template(kind: str) -> str:
    """Template path of one element kind's block."""
    return f"elements/{kind}.p4.j2"


def render_p4(params: ProgramParams | None = None) -> str:
    """The P4_16 (v1model) source of the program for ``params``."""
    params = params or ProgramParams()
    env = _environment()
    # Each kind's file holds two macros: decls (inside control Stage) and body (its case).
    blocks = {kind: env.get_template(element_template(kind)).module for kind in params.kinds}
    return env.get_template(MAIN_TEMPLATE).render(params=params, kind_blocks=blocks)
