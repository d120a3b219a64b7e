"""IPv4 route tables: StaticIPLookup, LinearIPLookup, RadixIPLookup, DirectIPLookup,
RangeIPLookup, SortedIPLookup.

All six share Click's IPRouteTable syntax, one route per argument:
``ADDR/MASK [GW] OUT``. They differ only in lookup speed, not in result (longest prefix
wins), so all lower to the same LPM table on the destination-IP annotation. A route with
a gateway also replaces the annotation with the gateway, as Click does.
"""
