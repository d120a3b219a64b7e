"""An NF body's boundary in the engine: ``input`` takes frames from the caller on its
ports, ``output`` keeps what reaches each of its ports."""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet


class BodyInput(Behaviour):
    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        self.emit(port, p)


class BodyOutput(Behaviour):
    __slots__ = ("ports",)

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.ports: dict[int, list[Packet]] = {}

    def push(self, port: int, p: Packet) -> None:
        self.ports.setdefault(port, []).append(p)
