"""The ``classify`` table both filter families lower to (IPFilter/IPClassifier, Classifier):
how a first-match rule list becomes the table's entries. Where the key fields sit in the
headers is the data-plane contract's (``dataplane.fields``: ``*_KEY_LAYOUT``)."""

from __future__ import annotations

from collections.abc import Sequence

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane.match import Match, Ternary
from p4sfc_compiler.families.base import NotOffloadable, TableEntry
from p4sfc_compiler.families.ternary import Cube

# Key fields that exist only for IPv4 frames: an entry testing one also tests the flag
# that says the switch parsed the header. Transport fields need no such flag: they hold
# the bytes a first fragment has, and a filter's rules test only bytes its packets have
# (ipfilter/lower.py splits the packets by meta.l4_reach where that matters).
_IP_DEPENDENT = frozenset(k for k, _, _ in F.IPV4_KEY_LAYOUT) | frozenset(F.TRANSPORT_KEYS) | \
    {F.L4_OK, F.L4_REACH}


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
        if any(n in _IP_DEPENDENT for n in match) and F.IP_OK not in match:
            match[F.IP_OK] = Ternary(1, 1)
        if port is None:
            out.append(TableEntry(match=match, action="drop_packet", order=i))
        else:
            out.append(TableEntry(match=match, action="set_port", params={"port": port},
                                  order=i))
    return tuple(out)
