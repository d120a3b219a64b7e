"""A server of the deployment: its generated Click configuration, unchanged, run on the
frames the switch sends to its port. The configuration's one ``FromDevice`` is where
those frames enter and its one ``ToDevice`` what goes back to the switch port.

:class:`EngineServer` runs it in the NF engine, one frame to completion at a time, so a
frame's answers go back to the switch before the next frame arrives (as the software
chain runs it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from p4sfc_compiler.backend.clickgen import ALERT_SINK
from p4sfc_compiler.deploy.wiring import ServerSite
from p4sfc_compiler.engine.engine import Engine, to_packet
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.families.counters.behaviour import Counter

ElementKey = tuple[str, str, str]  # chain, NF, element (its name in the NF body)


@dataclass(frozen=True)
class Count:
    packets: int
    bytes: int


class Server(Protocol):
    site: ServerSite

    def push(self, frame: bytes) -> list[bytes]:
        """The frames the server sends back to the switch for ``frame``."""
        ...

    def counts(self) -> dict[ElementKey, Count]:
        """Packets and bytes of each counting element the server runs."""
        ...

    def alerts(self) -> int:
        """Alert copies the switch sent the server (its alert sink's count)."""
        ...

    def close(self) -> None:
        """Stop whatever runs the server."""
        ...


class SinkServer:
    """A server that runs no NF of the chains (the compiler wrote it no configuration):
    what reaches it can only be Alert copies, which it counts and keeps."""

    def __init__(self, site: ServerSite) -> None:
        self.site = site
        self.received = 0

    def push(self, frame: bytes) -> list[bytes]:
        self.received += 1
        return []

    def counts(self) -> dict[ElementKey, Count]:
        return {}

    def alerts(self) -> int:
        return self.received

    def close(self) -> None:
        pass  # nothing runs


class EngineServer:
    """A server configuration in the NF engine."""

    def __init__(self, site: ServerSite) -> None:
        assert site.config is not None
        self.site = site
        self.engine = Engine.from_file(site.config)
        sources, sinks = self.engine.sources(), self.engine.sinks()
        if len(sources) != 1 or len(sinks) != 1:
            raise P4SFCError(f"{site.config}: a server configuration has one FromDevice and "
                             f"one ToDevice (found {len(sources)} and {len(sinks)})")
        (self._source,) = sources.values()
        (self._sink,) = sinks.values()
        self._counters: dict[ElementKey, Counter] = {}
        for name, element in self.engine.elements.items():
            inst, sep, inner = name.partition("/")
            if sep and inst in site.instances and isinstance(element, Counter):
                chain, nf, _part = site.instances[inst]
                self._counters[(chain, nf, inner)] = element
        self.received = 0
        self.sent = 0

    def push(self, frame: bytes) -> list[bytes]:
        self.received += 1
        self._source.inject(to_packet(frame))
        records = self._sink.records
        out = [f for f, _ in records]
        records.clear()
        self.sent += len(out)
        return out

    def counts(self) -> dict[ElementKey, Count]:
        return {k: Count(c.count, c.byte_count) for k, c in self._counters.items()}

    def alerts(self) -> int:
        sink = self.engine.elements.get(ALERT_SINK)
        return sink.count if isinstance(sink, Counter) else 0

    def close(self) -> None:
        pass  # in-process: nothing to stop
