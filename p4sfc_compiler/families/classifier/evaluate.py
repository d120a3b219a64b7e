"""Classifier in software: the output Click picks for a frame."""

from __future__ import annotations

from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.wordtests import Leaf, eval_node


def evaluate(cls: str, config: ClassifierConfig, packet_bytes: bytes | bytearray,
             data_offset: int) -> int | None:
    """The output Click's Classifier picks for a frame, None = drop."""
    data = packet_bytes[data_offset:]

    def test(lf: Leaf) -> bool:
        raw = data[lf.off : lf.off + 4]
        mb = lf.mask.to_bytes(4, "big")
        if any(mb[k] for k in range(len(raw), 4)):
            return lf.short_true
        word = int.from_bytes(raw.ljust(4, b"\0"), "big")
        return (word & lf.mask) == lf.value

    for port, node in enumerate(config.patterns):
        if eval_node(node, test):
            return port
    return None
