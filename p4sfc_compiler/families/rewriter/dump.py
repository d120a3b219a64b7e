"""A rewriter's mapping handlers read back: the lines Click prints for ``tcp_table`` /
``udp_table`` (IPRewriter) or ``table`` (TCPRewriter, UDPRewriter), which
``behaviour.Rewriter`` prints the same way, parsed into the switch entries they stand
for. The state library mirrors the real ``click``'s mappings into the switch with it:
click cannot call into Python, but its handlers say what it mapped.

A line is one direction of a mapping::

    (10.0.0.5, 1024, 10.0.1.10, 80) => (192.168.0.1, 50000, 10.0.1.10, 80) [*0 1] i0 exp300

the flow a packet has, the flow it is rewritten to, and the two outputs, the starred one
being where this direction's packets go.
"""

from __future__ import annotations

import re

from p4sfc_compiler.families.values import parse_ip

TCP, UDP = 6, 17

_FLOW = r"\((\S+), (\d+), (\S+), (\d+)\)"
_LINE = re.compile(_FLOW + r" => " + _FLOW + r" \[(\*?)(\d+) (\*?)(\d+)\]")

Entry = tuple[tuple[int, ...], tuple[int, ...]]  # (saddr, sport, daddr, dport, proto), (..., port)


def mapping_handlers(cls: str) -> list[tuple[str, tuple[int, ...]]]:
    """The handlers that list a rewriter class's mappings, with the IP protocols each
    line's entry is for. UDPRewriter's one table serves TCP and UDP flows alike, so each
    of its lines stands for an entry of both."""
    if cls == "IPRewriter":
        return [("tcp_table", (TCP,)), ("udp_table", (UDP,))]
    if cls == "TCPRewriter":
        return [("table", (TCP,))]
    if cls == "UDPRewriter":
        return [("table", (TCP, UDP))]
    return []


def parse_mappings(text: str, protos: tuple[int, ...]) -> list[Entry]:
    """The switch entries (key, values in ``dataplane.fields.REWRITER_KEY`` and the
    ``rewrite`` action's order) of a mapping handler's text."""
    out: list[Entry] = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m is None:
            continue
        g = m.groups()
        key = (parse_ip(g[0]), int(g[1]), parse_ip(g[2]), int(g[3]))
        target = (parse_ip(g[4]), int(g[5]), parse_ip(g[6]), int(g[7]))
        port = int(g[9]) if g[8] == "*" else int(g[11])
        out.extend((key + (p,), target + (port,)) for p in protos)
    return out
