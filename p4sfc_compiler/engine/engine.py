"""Build a Click configuration's elements and push frames through them.

Everything graph-shaped happens once, in :class:`Engine`'s constructor: each element's
configuration is parsed by its family (so the engine accepts what the compiler accepts),
its behaviour is built, and each output port gets its successor (the next element's
``push`` bound to its input port, or a drop). A class without a behaviour is an
:class:`UnsupportedElement` error naming the class and the element's place, raised
before any packet runs. Running is then one call per frame into the first element.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import networkx as nx

from p4sfc_compiler.engine.boundary import BodyInput, BodyOutput
from p4sfc_compiler.engine.pcap import Record, read_pcap, write_pcap
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.families import registry
from p4sfc_compiler.families.behaviour import (
    Behaviour,
    BuildContext,
    Packet,
    Sink,
    Source,
    UnsupportedElement,
)
from p4sfc_compiler.families.values import ConfigEnv
from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend.parser import parse_text

Frame = bytes | Record


class HandlerError(P4SFCError):
    """A read handler that no element of the configuration has."""


class Engine:
    """One configuration, built and wired; ``run`` pushes frames, handlers read state."""

    def __init__(self, g: nx.MultiDiGraph, *, base_dir: Path | None = None) -> None:
        self.graph = g
        self.base_dir = base_dir
        configs: dict[str, tuple[str, object]] = {}
        for name, d in g.nodes(data=True):
            cls = d["cls"]
            if cls in ir.PSEUDO_CLASSES:
                continue
            family = registry.family_for(cls)
            if family is None or family.behaviour is None:
                raise UnsupportedElement(
                    f"the NF engine has no element class {cls} (element '{name}')", d["pos"])
            pos = d.get("config_pos") or d["pos"]
            env = ConfigEnv.from_graph(g, name)
            configs[name] = (cls, registry.parse_config(cls, d["args"], pos, env))
        shared: dict[str, object] = {}
        self.elements: dict[str, Behaviour] = {}
        for name, d in g.nodes(data=True):
            n_in, n_out = ir.n_ports_used(g, name)
            ctx = BuildContext(name, d["cls"], n_in, n_out, d["pos"],
                               ConfigEnv.from_graph(g, name), configs, shared)
            if d["cls"] == ir.INPUT_CLASS:
                self.elements[name] = BodyInput(ctx)
                continue
            if d["cls"] == ir.OUTPUT_CLASS:
                self.elements[name] = BodyOutput(ctx)
                continue
            cls, config = configs[name]
            family = registry.family_for(cls)
            assert family is not None and family.behaviour is not None
            self.elements[name] = family.behaviour(cls, config, ctx)
        for src, sp, dst, dp in ir.connections(g):
            self.elements[src].out[sp] = partial(self.elements[dst].push, dp)

    @classmethod
    def from_text(cls, text: str, filename: str = "<string>", *,
                  compound_body: bool = False, base_dir: Path | None = None) -> Engine:
        return cls(parse_text(text, filename, compound_body=compound_body),
                   base_dir=base_dir)

    @classmethod
    def from_file(cls, path: Path) -> Engine:
        return cls.from_text(path.read_text(), str(path), base_dir=path.parent)

    # --- running ---------------------------------------------------------------------

    def sources(self) -> dict[str, Source]:
        return {n: e for n, e in self.elements.items() if isinstance(e, Source)}

    def sinks(self) -> dict[str, Sink]:
        return {n: e for n, e in self.elements.items() if isinstance(e, Sink)}

    def run(self, inputs: Mapping[str, Iterable[Frame]] | None = None) -> None:
        """Push every source's frames. ``inputs`` maps a source element's name (or its
        file name) to frames; a source not named there reads its file (relative to
        the configuration's folder). Several sources take turns, one frame each."""
        feeds = []
        for name, src in self.sources().items():
            frames: Iterable[Frame]
            if inputs is not None and name in inputs:
                frames = inputs[name]
            elif inputs is not None and src.source_file in inputs:
                frames = inputs[src.source_file]
            else:
                base = self.base_dir or Path.cwd()
                frames = read_pcap(base / src.source_file)
            feeds.append((src, iter(frames)))
        while feeds:
            live = []
            for src, it in feeds:
                frame = next(it, None)
                if frame is None:
                    continue
                src.inject(_packet(frame))
                live.append((src, it))
            feeds = live

    def body_input(self) -> BodyInput:
        entry = self.elements.get(ir.INPUT_CLASS)
        if not isinstance(entry, BodyInput):
            raise UnsupportedElement("the configuration is not an NF body: no 'input'")
        return entry

    def body_output(self) -> BodyOutput:
        exit_ = self.elements.get(ir.OUTPUT_CLASS)
        if not isinstance(exit_, BodyOutput):
            raise UnsupportedElement("the configuration is not an NF body: no 'output'")
        return exit_

    def push_body(self, frames: Iterable[Frame], port: int = 0) -> None:
        """An NF body (parsed with ``compound_body``): frames into ``input[port]``."""
        entry = self.body_input()
        for frame in frames:
            entry.push(port, _packet(frame))

    def body_outputs(self) -> dict[int, list[Packet]]:
        return self.body_output().ports

    # --- results ---------------------------------------------------------------------

    def outputs(self) -> dict[str, list[Record]]:
        """What reached each ToDump, by its file name."""
        return {s.sink_file: s.records for s in self.sinks().values()}

    def write_outputs(self, folder: Path) -> None:
        for sink in self.sinks().values():
            write_pcap(folder / sink.sink_file, sink.records, sink.snaplen)

    def read_handler(self, spec: str) -> str:
        """``element.handler`` as Click's ``-h`` prints it."""
        name, _, handler = spec.rpartition(".")
        element = self.elements.get(name)
        fn = element.handlers().get(handler) if element is not None else None
        if fn is None:
            raise HandlerError(f"no read handler '{spec}'")
        return fn()


def to_packet(frame: Frame) -> Packet:
    """A frame as a source gives it: MAC header annotation at its start."""
    return _packet(frame)


def _packet(frame: Frame) -> Packet:
    if isinstance(frame, tuple):
        p = Packet(frame[0], frame[1])
    else:
        p = Packet(frame)
    p.mac = 0  # FromDump sets the MAC header annotation at the frame start
    return p


def run_config(text: str, frames: Sequence[Frame], filename: str = "<string>") -> Engine:
    """Convenience for tests and tools: build ``text``, feed every source ``frames``."""
    eng = Engine.from_text(text, filename)
    eng.run({name: frames for name in eng.sources()})
    return eng
