"""IPFilter / IPClassifier in the engine: the first matching rule's output.

The rules are compiled once into a Python function
(:mod:`~p4sfc_compiler.families.wordprog`) that reads the packet as :mod:`evaluate`
does: the MAC header annotation is the frame start, the IP header annotation (the data
pointer when none is set) the network header, the transport header IHL * 4 bytes after
it, words zero past the end and Click's length checks on a virtual packet length. The
function runs Click's optimised program (:mod:`~p4sfc_compiler.families.wordwise`).
"""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.evaluate import program as click_program
from p4sfc_compiler.families.wordprog import Program, build_program
from p4sfc_compiler.families.wordwise import OFFSET_NET, OFFSET_TRANSP

LEAD = 4  # zero bytes before the frame: MAC tests read from 2 bytes before it
MAX_IP_HEADER = 60
_PROLOGUE = (
    "nl = len(b) - pad - n0",
    "nhl = (b[n0] & 15) << 2 if nl > 0 else 0",
    f"plen = nl + {OFFSET_TRANSP} - nhl if nl > nhl else nl + {OFFSET_NET}",
    "t0 = n0 + nhl",
)


def _word(voff: int) -> str:
    """The word at Click's virtual offset ``voff`` in ``b``."""
    if voff >= OFFSET_TRANSP:
        at = f"t0 + {voff - OFFSET_TRANSP}"
    elif voff >= OFFSET_NET:
        at = f"n0 + {voff - OFFSET_NET}"
    else:
        at = f"{LEAD - 2 + voff}"
    return f"from_bytes(b[{at}:{at} + 4], 'big')"


def compile_filter(config: FilterConfig) -> Program:
    """``program(b, n0, pad)``: ``b`` = :data:`LEAD` zeros, the frame from its MAC
    header, ``pad`` zeros; ``n0`` = the network header's index in ``b``."""
    return build_program(click_program(config), _PROLOGUE, _word, "b, n0, pad",
                         "b, n0, t0, plen", "plen")


def reach(config: FilterConfig) -> int:
    """Zero bytes after the frame that keep every read inside the buffer."""
    offs = [s.offset % OFFSET_NET for s in click_program(config).steps]
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
