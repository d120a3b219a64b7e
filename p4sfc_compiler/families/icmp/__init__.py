"""ICMPError: builds the ICMP error message a router sends about a packet.

Click 2.1's element: a fresh packet (IP ids from 1, one counter shared by every
ICMPError), TTL 200, the offending packet's IP header and data after the ICMP header up
to MTU bytes in all, none for ICMP errors, broadcasts, bad sources or later fragments.
No switch kind builds packets; the NF engine runs it.
"""
