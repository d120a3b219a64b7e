"""The software baseline: each chain's NFs in a row in the NF engine, on the frames its
route claims (what the switch's chain classification gives it), one frame to
completion at a time so its outputs can be set beside the deployment's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.parser_model import switch_fields
from p4sfc_compiler.deploy.servers import Count, ElementKey
from p4sfc_compiler.engine.engine import Engine, to_packet
from p4sfc_compiler.families.counters.behaviour import Counter
from p4sfc_compiler.families.registry import server_form
from p4sfc_compiler.families.values import parse_prefix
from p4sfc_compiler.frontend.chaindata import ChainSpec
from p4sfc_compiler.frontend.configstring import split_args
from p4sfc_compiler.frontend.nflib import load_nf

ALERT = "Alert"


@dataclass(frozen=True)
class _Rule:
    chain: ChainSpec
    tests: tuple[tuple[str, int, int], ...]  # key field, value, mask
    bits: int  # set mask bits: more specific routes win, as on the switch


def _rule(chain: ChainSpec) -> _Rule:
    tests = []
    for key, field in F.ROUTE_MATCH.items():
        if key not in chain.route.match:
            continue
        full = (1 << F.field_width(field)) - 1
        value = chain.route.match[key]
        if key in ("src", "dst"):
            addr, plen = parse_prefix(str(value))
            mask = full ^ (full >> plen)
            tests.append((field, addr & mask, mask))
        else:
            assert isinstance(value, int)  # the chain reader gives numbers
            tests.append((field, value, full))
    return _Rule(chain, tuple(tests), sum(bin(m).count("1") for _, _, m in tests))


@dataclass(frozen=True)
class _Chain:
    """A chain's NF engines, NF i's output 0 wired into NF i+1's input (as
    ``engine.chain.ChainEngine`` does, with Alerts in their server form)."""

    chain: ChainSpec
    engines: list[Engine]


def _chain_engine(chain: ChainSpec, base_dir: Path | None,
                  alerts: set[ElementKey]) -> _Chain:
    """The chain in the engine, its Alerts (P4SFC actions, not Click classes) in the
    server form the compiler gives them: a pass-through Counter, whose count is the
    number of alert copies. Their keys go into ``alerts``."""
    engines = []
    for nf in chain.nfs:
        g = load_nf(nf, base_dir)
        for name, d in g.nodes(data=True):
            if d["cls"] == ALERT:
                d["cls"], d["config"] = server_form(d["cls"], d["config"])
                d["args"] = split_args(d["config"])
                alerts.add((chain.name, nf.name, name))
        engines.append(Engine(g))
    for a, b in zip(engines, engines[1:], strict=False):
        a.body_output().forward = partial(b.body_input().push, 0)
    return _Chain(chain, engines)


class SoftwareChains:
    """Every chain of a chain file in the engine; ``push`` gives a frame to the chain
    whose route claims it at (switch, port)."""

    def __init__(self, chains: Sequence[ChainSpec], base_dir: Path | None = None) -> None:
        self.alert_elements: set[ElementKey] = set()
        self.engines = {c.name: _chain_engine(c, base_dir, self.alert_elements)
                        for c in chains}
        self._rules = sorted((_rule(c) for c in chains), key=lambda r: -r.bits)
        self._taken = {name: 0 for name in self.engines}
        self.claimed = 0

    def claim(self, switch: str, port: int, frame: bytes) -> ChainSpec | None:
        fields: dict[str, int] | None = None
        for r in self._rules:
            ingress = r.chain.route.ingress
            if (ingress.switch, ingress.port) != (switch, port):
                continue
            if fields is None:
                fields = switch_fields(frame)
            if all(fields.get(f, 0) & m == v for f, v, m in r.tests):
                return r.chain
        return None

    def push(self, switch: str, port: int, frame: bytes) -> list[tuple[str, int, bytes]]:
        """What leaves the network for ``frame`` entering at (switch, port): the claiming
        chain's output at its egress port; nothing when no chain claims it."""
        chain = self.claim(switch, port, frame)
        if chain is None:
            return []
        self.claimed += 1
        eng = self.engines[chain.name]
        if not eng.engines:
            return [(chain.route.egress.switch, chain.route.egress.port, frame)]
        eng.engines[0].body_input().push(0, to_packet(frame))
        kept = eng.engines[-1].body_output().ports.get(0, [])
        new = kept[self._taken[chain.name]:]
        self._taken[chain.name] = len(kept)
        egress = chain.route.egress
        return [(egress.switch, egress.port, p.bytes()) for p in new]

    def _counters(self) -> dict[ElementKey, Count]:
        out: dict[ElementKey, Count] = {}
        for name, eng in self.engines.items():
            for nf, e in zip(eng.chain.nfs, eng.engines, strict=True):
                for element, b in e.elements.items():
                    if isinstance(b, Counter):
                        out[(name, nf.name, element)] = Count(b.count, b.byte_count)
        return out

    def counts(self) -> dict[ElementKey, Count]:
        """The counting elements' counts (Alerts are counted by :meth:`alerts`)."""
        return {k: c for k, c in self._counters().items() if k not in self.alert_elements}

    def nf_packets(self) -> dict[tuple[str, str], int]:
        """Packets each NF took in, by (chain, NF)."""
        return {(name, nf.name): e.body_input().count
                for name, eng in self.engines.items()
                for nf, e in zip(eng.chain.nfs, eng.engines, strict=True)}

    def alerts(self) -> int:
        """Packets that passed an Alert: the copies a deployment sends its alert sinks."""
        return sum(c.packets for k, c in self._counters().items() if k in self.alert_elements)
