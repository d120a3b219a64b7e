"""IPFilter / IPClassifier in the engine: the first matching rule's output.

The rules are compiled once into a Python function
(:mod:`~p4sfc_compiler.families.wordprog`) that reads the packet as :mod:`evaluate`
does: the MAC header annotation is the frame start, the IP header annotation (the data
pointer when none is set) the network header, the transport header IHL * 4 bytes after
it, words zero past the end and Click's length checks on a virtual packet length.
"""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.evaluate import ClickPacket
from p4sfc_compiler.families.wordprog import Program, build_program, last_masked_byte
from p4sfc_compiler.families.wordtests import Leaf, iter_leaves

LEAD = 4  # zero bytes before the frame: MAC tests read from 2 bytes before it
MAX_IP_HEADER = 60
_BASE = ClickPacket.BASE  # Click's virtual offsets of the mac, net and transp spaces
_PROLOGUE = (
    "nl = len(b) - pad - n0",
    "nhl = (b[n0] & 15) << 2 if nl > 0 else 0",
    f"plen = nl + {_BASE['transp']} - nhl if nl > nhl else nl + {_BASE['net']}",
    "t0 = n0 + nhl",
)


def compile_filter(config: FilterConfig) -> Program:
    """``program(b, n0, pad)``: ``b`` = :data:`LEAD` zeros, the frame from its MAC
    header, ``pad`` zeros; ``n0`` = the network header's index in ``b``."""

    def leaf(lf: Leaf) -> str:
        limit = _BASE[lf.space] + lf.off + last_masked_byte(lf.mask)
        at = {"mac": f"{LEAD - 2 + lf.off}", "net": f"n0 + {lf.off}",
              "transp": f"t0 + {lf.off}"}[lf.space]
        word = f"(from_bytes(b[{at}:{at} + 4], 'big') & {lf.mask}) == {lf.value}"
        return f"({lf.short_true} if plen <= {limit} else {word})"

    return build_program(_PROLOGUE, [(r.node, r.port) for r in config.rules], leaf,
                         "b, n0, pad")


def reach(config: FilterConfig) -> int:
    """Zero bytes after the frame that keep every read inside the buffer."""
    offs = [lf.off for r in config.rules for lf in iter_leaves(r.node)]
    return max(offs, default=0) + MAX_IP_HEADER + 8


class IPFilter(Behaviour):
    __slots__ = ("program", "pad", "lead")

    def __init__(self, ctx: BuildContext, config: FilterConfig) -> None:
        super().__init__(ctx)
        self.program = compile_filter(config)
        self.pad = bytes(reach(config))
        self.lead = bytes(LEAD)

    def push(self, port: int, p: Packet) -> None:
        mac = p.mac if p.mac >= 0 else p.data
        ip = p.ip if p.ip >= 0 else p.data
        pad = self.pad
        out = self.program(self.lead + p.buf[mac:] + pad, LEAD + ip - mac, len(pad))
        if out is not None:
            self.emit(out, p)


def build(cls: str, config: FilterConfig, ctx: BuildContext) -> Behaviour:
    return IPFilter(ctx, config)
