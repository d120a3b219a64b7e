"""Classifier: ``OFFSET/HEXVALUE[%HEXMASK]`` byte patterns, Click semantics and switch form.

Offsets count from Click's data pointer. A clause fails when a byte it tests (non-zero
mask) lies past the packet end, so its negation holds there; an all-``?`` clause tests
nothing and holds on every packet. On the switch, bytes 0..13 of the frame are the
Ethernet key fields and bytes 14..33 the fixed IPv4 header fields (only for EtherType
0x0800); the header checksum, IP options and anything later are not in the key.
"""
