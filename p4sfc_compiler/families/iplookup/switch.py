"""The switch model of the ``ip_lookup`` kind: longest-prefix match on the destination
annotation; ``route_gw`` makes the gateway the annotation; a miss drops. Twin of
``p4/templates/elements/ip_lookup.p4.j2``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import PacketState
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.kind_model import KindRun, StageResources


def ip_lookup_model(res: StageResources) -> KindRun:
    table = res.tables["ip_lookup"]
    lookup, key = table.lookup, table.key
    route, route_gw = res.action("route"), res.action("route_gw")
    port_at = res.action_param("route", "port")
    gw_port_at = res.action_param("route_gw", "port")
    gw_at = res.action_param("route_gw", "gw")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        st.out_port = DROP_PORT
        hit = lookup(key(st))
        if hit is None:
            return
        if hit.action == route:
            st.out_port = hit.params[port_at]
        elif hit.action == route_gw:
            st.out_port = hit.params[gw_port_at]
            st.dst_anno = hit.params[gw_at]
    return run
