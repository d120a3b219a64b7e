"""Classifier in the engine: the first matching pattern's output, by :mod:`evaluate`."""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.classifier.evaluate import evaluate


class Classifier(Behaviour):
    __slots__ = ("config",)

    def __init__(self, ctx: BuildContext, config: ClassifierConfig) -> None:
        super().__init__(ctx)
        self.config = config

    def push(self, port: int, p: Packet) -> None:
        out = evaluate("Classifier", self.config, p.buf, p.data)
        if out is not None:
            self.emit(out, p)


def build(cls: str, config: ClassifierConfig, ctx: BuildContext) -> Behaviour:
    return Classifier(ctx, config)
