"""Classifier: ``OFFSET/HEXVALUE[%HEXMASK]`` byte patterns, Click semantics and switch form.

Offsets count from Click's data pointer. In the patterns' trees a clause fails when a byte
it tests (non-zero mask) lies past the packet end, so its negation holds there; an
all-``?`` clause tests nothing and holds on every packet. Click decides with the program
its optimiser makes of them (``Classifier::parse_program`` + ``Program::optimize``, ported
in :mod:`~p4sfc_compiler.families.wordwise`), which can answer otherwise on a packet too
short for a test; ``evaluate.py`` runs that program. The switch lowering takes the trees'
answer on frames shorter than the bytes a pattern tests (a known gap). On the switch, bytes 0..13 of the frame are the
Ethernet key fields and bytes 14..33 the fixed IPv4 header fields (only for EtherType
0x0800); the header checksum, IP options and anything later are not in the key.
"""
