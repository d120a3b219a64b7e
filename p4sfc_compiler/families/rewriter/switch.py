"""The switch model of the ``rewriter`` kind (the switch half of IPRewriter, TCPRewriter,
UDPRewriter): a known flow's addresses and ports are rewritten, and the one's-complement
change of the rewritten words (RFC 1624) is added to the pass's ``l4_delta``, by which
ingress patches the TCP/UDP checksum once (``switch.pipeline.patch_l4_checksum``); a miss
goes to the server's half, to the pass output, or drops; so does a TCP/UDP first fragment
whose header is cut but long enough for Click to rewrite it. Twin of
``p4/templates/elements/rewriter.p4.j2``."""

from __future__ import annotations

from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.packet import (
    IP_DST,
    IP_FRAG,
    IP_PROTO,
    IP_SRC,
    TCP_DPORT,
    TCP_SPORT,
    UDP_DPORT,
    UDP_SPORT,
    PacketState,
)
from p4sfc_compiler.families.kind_model import KindRun, StageResources

_M16 = 0xFFFF
_REWRITE_REACH = 1 << wire.L4_PROBES.index(wire.L4_REWRITE_MIN)
_M32 = 0xFFFFFFFF


def rewriter_model(res: StageResources) -> KindRun:
    proto_at, entry_at, pass_at = (res.param(n) for n in ("proto", "server_entry",
                                                           "pass_port"))
    table = res.tables["rewriter"]
    lookup, key = table.lookup, table.key
    rewrite = res.action("rewrite")
    saddr_at, sport_at, daddr_at, dport_at, port_at = (
        res.action_param("rewrite", n) for n in ("saddr", "sport", "daddr", "dport", "port"))

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        proto = params[proto_at]
        rw_tcp = st.l4_ok == 1 and st.tcp is not None and proto in (0, wire.PROTO_TCP)
        rw_udp = st.l4_ok == 1 and st.udp is not None and proto in (0, wire.PROTO_UDP)
        if not rw_tcp and not rw_udp:
            ip = st.ipv4
            # a TCP/UDP first fragment Click rewrites, whose header is not whole here
            if (st.l4_ok == 0 and ip is not None and ip[IP_FRAG] == 0
                    and st.l4_reach & _REWRITE_REACH and params[entry_at] != 0
                    and ip[IP_PROTO] in (wire.PROTO_TCP, wire.PROTO_UDP)
                    and proto in (0, ip[IP_PROTO])):
                st.to_server = 1
                st.server_entry = params[entry_at]
            else:
                st.out_port = params[pass_at]
            return
        hit = lookup(key(st))
        if hit is None or hit.action != rewrite:
            if params[entry_at] != 0:
                st.to_server = 1
                st.server_entry = params[entry_at]
            else:
                st.out_port = params[pass_at]
            return
        p = hit.params
        saddr, sport, daddr, dport = p[saddr_at], p[sport_at], p[daddr_at], p[dport_at]
        ip = st.ipv4
        assert ip is not None  # l4_ok implies a parsed IPv4 header
        old_src, old_dst = ip[IP_SRC], ip[IP_DST]
        total = ((~(old_src >> 16) & _M16) + (saddr >> 16)
                 + (~old_src & _M16) + (saddr & _M16)
                 + (~(old_dst >> 16) & _M16) + (daddr >> 16)
                 + (~old_dst & _M16) + (daddr & _M16)
                 + (~st.sport & _M16) + sport
                 + (~st.dport & _M16) + dport) & _M32
        # the pass's transport checksum change: ingress patches the checksum once
        st.l4_delta = (st.l4_delta + total) & _M32
        tcp = st.tcp
        if tcp is not None:
            tcp[TCP_SPORT] = sport
            tcp[TCP_DPORT] = dport
        else:
            udp = st.udp
            assert udp is not None
            udp[UDP_SPORT] = sport
            udp[UDP_DPORT] = dport
        ip[IP_SRC] = saddr
        ip[IP_DST] = daddr
        st.sport = sport
        st.dport = dport
        st.dst_anno = daddr
        st.ip_dirty = 1
        st.out_port = p[port_at]
    return run
