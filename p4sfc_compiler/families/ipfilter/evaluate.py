"""IPFilter / IPClassifier in software: the output Click picks for a frame.

Click answers with its optimised program (:mod:`~p4sfc_compiler.families.wordwise`), not
with the pattern's tree: on a packet too short for a test the program's surviving insn
decides, with its own short branch. So this runs the same program as Click, on Click's
view of the packet: MAC header words from 2 bytes before the frame, the network header
at the IP header annotation, the transport header IHL * 4 bytes after it, and the
virtual length ``IPFilter::match`` checks tests against (``512 + bytes after the IP
header`` when there are any, else ``256 + network length``). The lowering is proved
against this.
"""

from __future__ import annotations

from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.wordtests import Leaf
from p4sfc_compiler.families.wordwise import (
    OFFSET_NET,
    OFFSET_TRANSP,
    SPACE_BASE,
    Compiled,
    filter_program,
    per_config,
    required_length,
)


def _build(config: FilterConfig) -> Compiled:
    return filter_program([(r.node, r.port) for r in config.rules])


# Click's program for a configuration, built once per configuration object.
program = per_config(_build)


class ClickPacket:
    """How IPFilter reads a packet: MAC header at frame start, IP header at the
    annotation, transport header after IHL * 4 bytes, with Click's virtual length."""

    BASE = SPACE_BASE

    def __init__(self, frame: bytes | bytearray, ip_offset: int) -> None:
        self.frame = frame
        self.net = frame[ip_offset:]
        nl = len(self.net)
        self.nhl = (self.net[0] & 0x0F) * 4 if nl else 0
        if nl > self.nhl:
            self.plen = nl + OFFSET_TRANSP - self.nhl
        else:
            self.plen = nl + OFFSET_NET

    def word(self, voff: int) -> int:
        """The 32-bit word at a virtual offset (bytes outside the buffer read 0; Click
        reads whatever is there, but only under a mask it has checked the length for)."""
        if voff >= OFFSET_TRANSP:
            start, src = self.nhl + voff - OFFSET_TRANSP, self.net
        elif voff >= OFFSET_NET:
            start, src = voff - OFFSET_NET, self.net
        else:
            start, src = voff - 2, self.frame
        out = bytearray(4)
        for k in range(4):
            i = start + k
            if 0 <= i < len(src):
                out[k] = src[i]
        return int.from_bytes(out, "big")

    def test(self, lf: Leaf) -> bool:
        """One test of the tree on its own (Click's unoptimised meaning of the leaf):
        what the two forms of a relation are compared with."""
        voff = self.BASE[lf.space] + lf.off
        if lf.mask and self.plen < required_length(voff, lf.mask):
            return lf.short_true
        return (self.word(voff) & lf.mask) == lf.value


def evaluate(cls: str, config: FilterConfig, packet_bytes: bytes | bytearray, data_offset: int,
             ip_offset: int | None = None) -> int | None:
    """The output port Click's IPFilter/IPClassifier picks for a frame, None = drop.

    ``packet_bytes`` is the whole frame as Click holds it (MAC header annotation at its
    start), ``data_offset`` Click's data pointer; the IP header annotation is at
    ``ip_offset`` (default: the data pointer, as CheckIPHeader after Strip sets it).
    """
    pkt = ClickPacket(packet_bytes, data_offset if ip_offset is None else ip_offset)
    prog = program(config)
    return prog.output(prog.match(pkt.word, pkt.plen))
