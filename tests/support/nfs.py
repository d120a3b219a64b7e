"""Small NF bodies the switch tests run on BMv2, on the embedded switch and in click."""

from __future__ import annotations

# (After IPEncap a new Ethernet header, not Unstrip: in Click the 14 bytes before the
# pushed header are uninitialised headroom, the switch keeps the old Ethernet header.)
HEADER_NF = """// DSCP marking, TTL decrement and an IP-in-IP tunnel: elements the library lacks
input -> Strip(14) -> chk :: CheckIPHeader -> SetIPDSCP(46) -> ttl :: DecIPTTL
      -> IPEncap(4, 192.0.2.1, 192.0.2.2, TTL 32)
      -> EtherEncap(0x0800, 02:00:00:00:00:aa, 02:00:00:00:00:bb) -> output;
chk[1] -> Discard;
ttl[1] -> Discard;
"""

TRIM_NF = """// CheckIPHeader cuts the bytes that follow the IP packet; Counter counts IP lengths
input -> Strip(14) -> chk :: CheckIPHeader -> cnt :: Counter -> Unstrip(14) -> output;
chk[1] -> Discard;
"""

SIDE_EXITS_NF = """// telnet is copied to the server (Alert); DNS leaves the chain on port 4 (Forward)
input -> Strip(14) -> chk :: CheckIPHeader
      -> cls :: IPClassifier(tcp dst port 22, udp dst port 53, -);
cls[0] -> Alert -> j :: Unstrip(14) -> output;
cls[1] -> Forward(4);
cls[2] -> j;
chk[1] -> Discard;
"""
