"""Classifier in software: the output Click picks for a frame.

Click answers with its optimised program (:mod:`~p4sfc_compiler.families.wordwise`,
``Classifier::parse_program`` then ``Program::optimize``), which on a packet too short
for a test can differ from the patterns' tree; this runs the same program on the packet
from Click's data pointer, its length being the bytes from there to the end.
"""

from __future__ import annotations

from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.wordwise import Compiled, classifier_program, per_config


def _build(config: ClassifierConfig) -> Compiled:
    return classifier_program(config.patterns)


# Click's program for a configuration, built once per configuration object.
program = per_config(_build)


def evaluate(cls: str, config: ClassifierConfig, packet_bytes: bytes | bytearray,
             data_offset: int) -> int | None:
    """The output Click's Classifier picks for a frame, None = drop."""
    data = bytes(packet_bytes[data_offset:])
    prog = program(config)

    def word(off: int) -> int:
        return int.from_bytes(data[off:off + 4].ljust(4, b"\0"), "big")

    return prog.output(prog.match(word, len(data)), len(config.patterns))
