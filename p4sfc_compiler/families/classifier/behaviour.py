"""Classifier in the engine: the first matching pattern's output.

The patterns are compiled once into a Python function
(:mod:`~p4sfc_compiler.families.wordprog`) that decides as :mod:`evaluate` does: words
from the data pointer, zero past the end, a masked byte past the end fails its test.
"""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.wordprog import Program, build_program, last_masked_byte
from p4sfc_compiler.families.wordtests import Leaf, iter_leaves


def compile_classifier(config: ClassifierConfig) -> Program:
    """``program(padded, data, n)``: ``padded`` holds the packet from the data pointer
    followed by zeros, ``n`` is the packet's length from the data pointer."""

    def leaf(lf: Leaf) -> str:
        limit = lf.off + last_masked_byte(lf.mask)
        word = f"(from_bytes(b[{lf.off}:{lf.off + 4}], 'big') & {lf.mask}) == {lf.value}"
        return f"({lf.short_true} if n <= {limit} else {word})"

    return build_program(["pass"], [(node, port) for port, node in enumerate(config.patterns)],
                         leaf, "b, n")


def reach(config: ClassifierConfig) -> int:
    """Bytes past the data pointer any test reads."""
    return max((lf.off + 4 for node in config.patterns for lf in iter_leaves(node)), default=0)


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
