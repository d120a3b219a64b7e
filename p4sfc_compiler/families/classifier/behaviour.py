"""Classifier in the engine: the first matching pattern's output.

The patterns are compiled once into a Python function
(:mod:`~p4sfc_compiler.families.wordprog`) that decides as :mod:`evaluate` does: words
from the data pointer, zero past the end, Click's optimised program
(:mod:`~p4sfc_compiler.families.wordwise`) with its length checks.
"""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.classifier.evaluate import program as click_program
from p4sfc_compiler.families.wordprog import Program, build_program


def _word(off: int) -> str:
    return f"from_bytes(b[{off}:{off + 4}], 'big')"


def compile_classifier(config: ClassifierConfig) -> Program:
    """``program(padded, data, n)``: ``padded`` holds the packet from the data pointer
    followed by zeros, ``n`` is the packet's length from the data pointer."""
    return build_program(click_program(config), (), _word, "b, n", "b, n", "n")


def reach(config: ClassifierConfig) -> int:
    """Bytes past the data pointer any test reads."""
    return max((s.offset + 4 for s in click_program(config).steps), default=0)


class Classifier(Behaviour):
    __slots__ = ("program", "pad")

    def __init__(self, ctx: BuildContext, config: ClassifierConfig) -> None:
        super().__init__(ctx)
        self.program = compile_classifier(config)
        self.pad = bytes(reach(config))

    def push(self, port: int, p: Packet) -> None:
        data = p.buf[p.data:p.data + len(self.pad)]
        out = self.program(data + self.pad, len(p.buf) - p.data)
        if out is not None:
            self.emit(out, p)


def build(cls: str, config: ClassifierConfig, ctx: BuildContext) -> Behaviour:
    return Classifier(ctx, config)
