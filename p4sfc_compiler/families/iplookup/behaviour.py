"""The route tables in software: every class is the same longest-prefix match on the
destination IP annotation (Click's classes differ in speed, not in answers). A route
with a gateway replaces the annotation with it; a packet no route matches is dropped."""

from __future__ import annotations

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.iplookup.config import LookupConfig, Route

ALL_ONES = 0xFFFFFFFF


class IPLookup(Behaviour):
    __slots__ = ("levels",)

    def __init__(self, ctx: BuildContext, config: LookupConfig) -> None:
        super().__init__(ctx)
        by_len: dict[int, dict[int, Route]] = {}
        for route in config.routes:
            by_len.setdefault(route.prefix_len, {})[route.addr] = route
        # Longest prefixes first: the first hit is the longest match.
        self.levels = [((ALL_ONES << (32 - plen)) & ALL_ONES, table)
                       for plen, table in sorted(by_len.items(), reverse=True)]

    def push(self, port: int, p: Packet) -> None:
        dst = p.dst_anno
        for mask, table in self.levels:
            route = table.get(dst & mask)
            if route is not None:
                if route.gw:
                    p.dst_anno = route.gw
                return self.emit(route.port, p)


def build(cls: str, config: LookupConfig, ctx: BuildContext) -> Behaviour:
    return IPLookup(ctx, config)
