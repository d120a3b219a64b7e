"""Plumbing: Strip, Unstrip, Queue, SimpleQueue, Paint, Discard, Tee, PullTee, and the
P4SFC actions Alert and Forward.

Strip/Unstrip only move Click's data pointer; the switch keeps the frame whole, so they
need no stage and the analysis follows the pointer through ``lower.data_offset``. Queues
change push/pull scheduling only, which has no meaning on the switch.

Alert and Forward are P4SFC's own actions (paper Table I), not Click classes:
``Alert([SESSION])`` passes the packet on and clones a copy to a mirror session (default
0 = the backend picks the server's session); ``Forward(PORT)`` sends the packet out of
switch port PORT, leaving the chain.
"""
