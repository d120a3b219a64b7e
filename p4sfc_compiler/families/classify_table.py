"""The ``classify`` table both filter families lower to (IPFilter/IPClassifier, Classifier).

What the two share: where the table's Ethernet and IPv4 key fields sit in the headers, so
a word test on header bytes becomes a cube over key fields, and how a first-match rule
list becomes the table's entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from p4sfc_compiler.dataplane.match import Match, Ternary
from p4sfc_compiler.families.base import NotOffloadable, TableEntry
from p4sfc_compiler.families.ternary import Cube, Layout

# (field, first bit, width) from the start of the Ethernet and the IPv4 header
ETH_LAYOUT: Layout = (
    ("hdr.ethernet.dstAddr", 0, 48),
    ("hdr.ethernet.srcAddr", 48, 48),
    ("meta.ether_type", 96, 16),
)
IPV4_LAYOUT: Layout = (
    ("hdr.ipv4.version", 0, 4),
    ("hdr.ipv4.ihl", 4, 4),
    ("hdr.ipv4.diffserv", 8, 8),
    ("hdr.ipv4.totalLen", 16, 16),
    ("hdr.ipv4.identification", 32, 16),
    ("hdr.ipv4.flags", 48, 3),
    ("hdr.ipv4.fragOffset", 51, 13),
    ("hdr.ipv4.ttl", 64, 8),
    ("hdr.ipv4.protocol", 72, 8),
    ("hdr.ipv4.srcAddr", 96, 32),
    ("hdr.ipv4.dstAddr", 128, 32),
)

_L4_FIELDS = ("meta.sport", "meta.dport", "meta.tcp_flags", "meta.icmp_type",
              "meta.icmp_code")
_IP_FIELDS = ("hdr.ipv4.", "meta.l4_ok", *_L4_FIELDS)


def entries_from_rules(
    rules: Sequence[tuple[Cube, int | None]], bound: int
) -> tuple[TableEntry, ...]:
    """Table entries for a simplified rule list (catch-all drop left to the default)."""
    rules = list(rules)
    while rules and rules[-1][1] is None:
        rules.pop()
    if len(rules) > bound:
        raise NotOffloadable(f"needs {len(rules)} classify rules, more than the bound {bound}")
    out = []
    for i, (cube, port) in enumerate(rules):
        match: dict[str, Match] = {}
        for name, v, m in cube:
            match[name] = Ternary(v, m)
        # the switch's l4 fields read 0 unless a transport header was parsed
        if any(n in _L4_FIELDS for n in match) and "meta.l4_ok" not in match:
            match["meta.l4_ok"] = Ternary(1, 1)
        if any(n.startswith(_IP_FIELDS) for n in match) and "meta.ip_ok" not in match:
            match["meta.ip_ok"] = Ternary(1, 1)
        if port is None:
            out.append(TableEntry(match=match, action="drop_packet", order=i))
        else:
            out.append(TableEntry(match=match, action="set_port", params={"port": port},
                                  order=i))
    return tuple(out)
