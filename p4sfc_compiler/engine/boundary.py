"""An NF body's boundary in the engine: ``input`` takes frames from the caller on its
ports, ``output`` counts what reaches each of its ports and either keeps it or, inside
a chain, hands port 0 on to the next NF's ``input``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Emit, Packet


class BodyInput(Behaviour):
    __slots__ = ("count",)

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.count = 0

    def push(self, port: int, p: Packet) -> None:
        self.count += 1
        self.emit(port, p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"count": lambda: str(self.count)}


class BodyOutput(Behaviour):
    __slots__ = ("ports", "counts", "forward")

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.ports: dict[int, list[Packet]] = {}
        self.counts: dict[int, int] = {}
        self.forward: Emit | None = None  # set: port 0 continues there, nothing is kept

    def push(self, port: int, p: Packet) -> None:
        self.counts[port] = self.counts.get(port, 0) + 1
        if port == 0 and self.forward is not None:
            return self.forward(p)
        self.ports.setdefault(port, []).append(p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {"count": lambda: str(self.counts.get(0, 0))}
