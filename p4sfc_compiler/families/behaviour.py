"""The NF engine's contract with the element families: packets, element instances, build.

A family's ``behaviour`` slot holds a :data:`BuildFn`: given one instance's class, parsed
configuration and :class:`BuildContext`, it returns a :class:`Behaviour`, the instance as
it runs in software. The engine (``p4sfc_compiler/engine/``) only wires instances
together: it fills each instance's :attr:`Behaviour.out` with the successor of every
output port (the next instance's ``push`` bound to its input port, or a drop), once,
before any packet runs, so the per-packet path has no graph lookups.

:class:`Packet` is Click's packet as the elements see it: one buffer with Click's data
pointer (``data``; Strip moves it forward, Unstrip back, and the bytes before it stay),
the end of the packet at the end of the buffer (``take`` cuts there), and the
annotations the families use: the MAC and IP header pointers (buffer indexes, ``-1`` =
unset), the destination IP address, the paint colour and the timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from p4sfc_compiler.errors import P4SFCError, SourcePos
from p4sfc_compiler.families.values import ConfigEnv

C = TypeVar("C")


class UnsupportedElement(P4SFCError):
    """An element (or one of its settings) the engine cannot run; raised while building,
    before any packet runs."""


class Packet:
    """A Click packet: ``buf[data:]`` is the packet; annotations travel with it."""

    __slots__ = ("buf", "data", "mac", "ip", "dst_anno", "paint", "ts", "annos")

    def __init__(self, frame: bytes | bytearray, ts: tuple[int, int] = (0, 0)) -> None:
        self.buf = bytearray(frame)
        self.data = 0
        self.mac = -1  # MAC header annotation, an index into buf
        self.ip = -1  # IP header annotation, an index into buf
        self.dst_anno = 0  # destination IP address annotation
        self.paint = 0
        self.ts = ts  # (seconds, microseconds)
        # Annotations few elements use (IPsec's SPI and SA, FixIPSrc's flag), by name;
        # None until one is set, so most packets carry no dict.
        self.annos: dict[str, object] | None = None

    def length(self) -> int:
        return len(self.buf) - self.data

    def bytes(self) -> bytes:
        """The packet from the data pointer to its end, as a sink writes it."""
        return bytes(self.buf[self.data:])

    def clone(self) -> Packet:
        q = Packet.__new__(Packet)
        q.buf = bytearray(self.buf)
        q.data = self.data
        q.mac = self.mac
        q.ip = self.ip
        q.dst_anno = self.dst_anno
        q.paint = self.paint
        q.ts = self.ts
        q.annos = None if self.annos is None else dict(self.annos)
        return q

    def pull(self, n: int) -> None:
        """Strip ``n`` bytes from the front; more than the packet leaves it empty."""
        self.data = min(self.data + n, len(self.buf))

    def push(self, n: int) -> None:
        """Expose ``n`` bytes before the data pointer. Past the buffer start, Click gets
        fresh headroom whose bytes are undefined; here they are zeros."""
        if n > self.data:
            grow = n - self.data
            self.buf[0:0] = bytes(grow)
            self.data += grow
            if self.mac >= 0:
                self.mac += grow
            if self.ip >= 0:
                self.ip += grow
        self.data -= n

    def anno(self, name: str) -> object:
        return None if self.annos is None else self.annos.get(name)

    def set_anno(self, name: str, value: object) -> None:
        if self.annos is None:
            self.annos = {}
        self.annos[name] = value

    def take(self, n: int) -> None:
        """Cut ``n`` bytes from the end."""
        if n > 0:
            del self.buf[len(self.buf) - n:]


Emit = Callable[[Packet], None]

# Names of the annotations in ``Packet.annos`` that elements of two families share.
FIX_IP_SRC = "fix_ip_src"  # set by ICMPError and IPsecEncap, used by FixIPSrc
IPSEC_SPI = "ipsec_spi"  # set by RadixIPsecLookup, used by IPsecESPEncap
IPSEC_SA = "ipsec_sa"  # the security association, shared by the IPsec elements


def drop(p: Packet) -> None:
    """Where an unconnected output leads: the packet is gone."""


@dataclass(frozen=True)
class BuildContext:
    """What an instance knows when it is built: its name and place, the ports the
    configuration connects, the configuration's AddressInfo names, the parsed
    configurations of the other elements (rewriters refer to mappers and pattern
    sets by name) and state that elements of one class share across the engine."""

    name: str
    cls: str
    n_inputs: int
    n_outputs: int
    pos: SourcePos | None = None
    env: ConfigEnv | None = None
    configs: Mapping[str, tuple[str, object]] = field(default_factory=dict)
    shared: dict[str, object] = field(default_factory=dict)

    def unsupported(self, what: str) -> UnsupportedElement:
        return UnsupportedElement(f"{self.name} ({self.cls}): the engine cannot run {what}",
                                  self.pos)


class Behaviour:
    """One element instance in the engine.

    ``push(port, p)`` takes a packet on input ``port`` and hands it (or its copies) to
    ``self.out[k]``; ``out`` has one slot per output the configuration connects, filled
    by the engine. ``handlers()`` are Click's read handlers by name.
    """

    __slots__ = ("name", "out")

    def __init__(self, ctx: BuildContext) -> None:
        self.name = ctx.name
        self.out: list[Emit] = [drop] * ctx.n_outputs

    def push(self, port: int, p: Packet) -> None:
        raise NotImplementedError

    def emit(self, port: int, p: Packet) -> None:
        """Click's ``checked_output_push``: a port the configuration lacks drops."""
        if 0 <= port < len(self.out):
            self.out[port](p)

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        return {}


class Source(Behaviour):
    """An element that creates packets (FromDump): the engine feeds it frames."""

    __slots__ = ("source_file",)

    def __init__(self, ctx: BuildContext, source_file: str) -> None:
        super().__init__(ctx)
        self.source_file = source_file

    def push(self, port: int, p: Packet) -> None:
        raise UnsupportedElement(f"{self.name} has no inputs")

    def inject(self, p: Packet) -> None:
        if self.out:
            self.out[0](p)


class Sink(Behaviour):
    """An element that keeps what reaches it (ToDump): ``records`` are (bytes, ts)."""

    __slots__ = ("sink_file", "records", "snaplen")

    def __init__(self, ctx: BuildContext, sink_file: str, snaplen: int) -> None:
        super().__init__(ctx)
        self.sink_file = sink_file
        self.snaplen = snaplen
        self.records: list[tuple[bytes, tuple[int, int]]] = []

    def push(self, port: int, p: Packet) -> None:
        self.records.append((bytes(p.buf[p.data:p.data + self.snaplen]), p.ts))
        if self.out:
            self.out[0](p)


# build(cls, config, ctx): the instance as it runs in software; raises
# UnsupportedElement for a class or setting the family's behaviour does not cover.
BuildFn = Callable[[str, C, BuildContext], Behaviour]
