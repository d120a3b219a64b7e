"""IPv4 header elements: CheckIPHeader, MarkIPHeader, DecIPTTL, SetIPDSCP, SetIPChecksum.

The switch parses the IPv4 header right after the Ethernet header (frame offset 14), so
an element whose IP header sits elsewhere (data offset + OFFSET != 14) looks at bytes
the switch does not parse and cannot run there.
"""
