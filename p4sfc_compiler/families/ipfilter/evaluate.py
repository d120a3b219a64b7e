"""IPFilter / IPClassifier in software: the output Click picks for a frame.

Runs the compiled word tests against the frame with Click's header bases and length
checks; the lowering is proved against this.
"""

from __future__ import annotations

from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.wordtests import Leaf, eval_node


class ClickPacket:
    """How IPFilter reads a packet: MAC header at frame start, IP header at the
    annotation, transport header after IHL * 4 bytes, with Click's length checks."""

    BASE = {"mac": 0, "net": 256, "transp": 512}

    def __init__(self, frame: bytes | bytearray, ip_offset: int) -> None:
        self.frame = frame
        self.net = frame[ip_offset:]
        nl = len(self.net)
        self.nhl = (self.net[0] & 0x0F) * 4 if nl else 0
        if nl > self.nhl:
            self.plen = nl + 512 - self.nhl
        else:
            self.plen = nl + 256

    def _bytes(self, space: str, off: int) -> bytes:
        if space == "mac":
            start = off - 2
            src = self.frame
        elif space == "net":
            start, src = off, self.net
        else:
            start, src = self.nhl + off, self.net
        out = bytearray(4)
        for k in range(4):
            i = start + k
            if 0 <= i < len(src):
                out[k] = src[i]
        return bytes(out)

    def test(self, lf: Leaf) -> bool:
        voff = self.BASE[lf.space] + lf.off
        if voff + 4 > self.plen:
            avail = self.plen - voff
            mb = lf.mask.to_bytes(4, "big")
            if avail <= 0 or any(mb[k] for k in range(max(avail, 0), 4)):
                return lf.short_true
        word = int.from_bytes(self._bytes(lf.space, lf.off), "big")
        return (word & lf.mask) == lf.value


def evaluate(cls: str, config: FilterConfig, packet_bytes: bytes | bytearray, data_offset: int,
             ip_offset: int | None = None) -> int | None:
    """The output port Click's IPFilter/IPClassifier picks for a frame, None = drop.

    ``packet_bytes`` is the whole frame as Click holds it (MAC header annotation at its
    start), ``data_offset`` Click's data pointer; the IP header annotation is at
    ``ip_offset`` (default: the data pointer, as CheckIPHeader after Strip sets it).
    """
    pkt = ClickPacket(packet_bytes, data_offset if ip_offset is None else ip_offset)
    for rule in config.rules:
        if eval_node(rule.node, pkt.test):
            return rule.port
    return None
