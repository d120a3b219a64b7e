"""Click's static name tables for IPFilter patterns: IP protocols, ports, TCP flags,
ICMP types.

Userlevel Click also reads /etc/services and /etc/protocols, which a portable compiler
cannot rely on; these are the names Click knows without them. The ``PROTO_*`` values
above 255 are Click's pseudo-protocols (``tcpudp``, ``payload``, ``transp``).
"""

from __future__ import annotations

from p4sfc_compiler.families.values import ICMP_TYPES

__all__ = ["ICMP_TYPES"]  # ICMPError reads the same table: it lives in values

UNKNOWN = -1  # no protocol given
PROTO_ICMP, PROTO_IGMP, PROTO_IPIP, PROTO_TCP, PROTO_UDP, PROTO_DCCP = 1, 2, 4, 6, 17, 33
PROTO_TCP_OR_UDP, PROTO_PAYLOAD, PROTO_TRANSP = 256, 257, 258

IP_PROTOS = {
    "dccp": PROTO_DCCP, "gre": 47, "icmp": PROTO_ICMP, "igmp": PROTO_IGMP,
    "ipip": PROTO_IPIP, "payload": PROTO_PAYLOAD, "sctp": 132, "tcp": PROTO_TCP,
    "tcpudp": PROTO_TCP_OR_UDP, "transp": PROTO_TRANSP, "udp": PROTO_UDP,
}
PORTS = {
    "auth": 113, "bootpc": 68, "bootps": 67, "chargen": 19, "daytime": 13, "discard": 9,
    "dns": 53, "domain": 53, "echo": 7, "finger": 79, "ftp": 21, "ftp-data": 20,
    "https": 443, "imap3": 220, "imaps": 993, "irc": 194, "netbios-dgm": 138,
    "netbios-ns": 137, "netbios-ssn": 139, "nntp": 119, "ntp": 123, "pop3": 110,
    "pop3s": 995, "pptp": 1723, "rip": 520, "route": 520, "smtp": 25, "snmp": 161,
    "snmp-trap": 162, "ssh": 22, "sunrpc": 111, "telnet": 23, "tftp": 69, "www": 80,
}
TCP_OPTS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20}
