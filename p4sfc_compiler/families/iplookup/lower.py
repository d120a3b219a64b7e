"""Route tables on the switch: one LPM entry per route on the destination-IP annotation."""

from __future__ import annotations

from p4sfc_compiler.dataplane.fields import DST_ANNO
from p4sfc_compiler.dataplane.match import Lpm
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    Lowering,
    NotOffloadable,
    TableEntry,
)
from p4sfc_compiler.families.iplookup.config import LookupConfig


def lower(cls: str, config: LookupConfig, ctx: LowerContext) -> Lowering:
    entries = []
    for r in config.routes:
        if r.port >= ctx.n_outputs:
            raise ElementConfigError(
                f"{cls}: route {r}: bad OUTPUT (the element has {ctx.n_outputs} outputs)"
            )
        if r.port >= DROP_PORT:
            raise NotOffloadable(f"route {r}: output port {r.port} does not fit the switch")
        if r.gw:
            entries.append(TableEntry(
                match={DST_ANNO: Lpm(r.addr, r.prefix_len)},
                action="route_gw",
                params={"port": r.port, "gw": r.gw},
            ))
        else:
            entries.append(TableEntry(
                match={DST_ANNO: Lpm(r.addr, r.prefix_len)},
                action="route",
                params={"port": r.port},
            ))
    return Lowering("ip_lookup", entries=tuple(entries))
