"""Header builders: EtherEncap and IPEncap.

Offsets are counted in the switch's frame, which always starts with an Ethernet header:
Click's ``Strip(14) -> ... -> EtherEncap`` rewrites that header in place, so EtherEncap
needs the data pointer right after it (offset 14) and leaves it at the frame start.
IPEncap inserts ``hdr.ipv4_outer`` after the Ethernet header, so it needs the data
pointer at 14 (the packet it wraps starts there) and leaves it there: the new outer
header now starts at 14.
"""
