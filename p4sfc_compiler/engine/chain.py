"""A whole chain in software: each NF body in its own :class:`Engine`, NF i's
``output[0]`` wired straight into NF i+1's ``input``. The baseline an offloaded
deployment is compared with (``p4sfc run --software``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from p4sfc_compiler.engine.engine import Engine, Frame, to_packet
from p4sfc_compiler.engine.pcap import Record
from p4sfc_compiler.frontend.chaindata import ChainSpec
from p4sfc_compiler.frontend.nflib import load_nf


@dataclass(frozen=True)
class NFCount:
    """Packets one NF took in, passed on (output 0) and sent to its other outputs."""

    name: str
    type: str
    packets_in: int
    packets_out: int
    other_outputs: dict[int, int]

    @property
    def dropped(self) -> int:
        return self.packets_in - self.packets_out - sum(self.other_outputs.values())


class ChainEngine:
    """The NFs of one chain, built once and wired in Links order."""

    def __init__(self, chain: ChainSpec, base_dir: Path | None = None) -> None:
        self.chain = chain
        self.engines = [Engine(load_nf(nf, base_dir)) for nf in chain.nfs]
        for a, b in zip(self.engines, self.engines[1:], strict=False):
            a.body_output().forward = partial(b.body_input().push, 0)
        self._entry = self.engines[0].body_input() if self.engines else None

    def run(self, frames: Iterable[Frame]) -> list[Record]:
        """Push every frame; what leaves the last NF's ``output[0]``, with timestamps."""
        entry = self._entry
        if entry is None:
            return []
        for frame in frames:
            entry.push(0, to_packet(frame))
        out = self.engines[-1].body_output()
        return [(p.bytes(), p.ts) for p in out.ports.get(0, [])]

    def counts(self) -> list[NFCount]:
        result = []
        for nf, eng in zip(self.chain.nfs, self.engines, strict=True):
            out = eng.body_output()
            result.append(NFCount(nf.name, nf.type, eng.body_input().count,
                                  out.counts.get(0, 0),
                                  {p: n for p, n in out.counts.items() if p != 0}))
        return result
