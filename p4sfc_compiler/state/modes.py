"""The state library's update methods, and a deployment's state-sync modes (a leaf: the
command line reads them without loading the library)."""

from __future__ import annotations

BLOCKING = "blocking"  # a change returns once the switch accepted it
NON_BLOCKING = "nonblocking"  # a change returns at once; writes are batched behind it
METHODS = (NON_BLOCKING, BLOCKING)
OFF = "off"  # no sync: a split NF's stateful element sees every packet on the server
SYNC_MODES = (*METHODS, OFF)
