"""Reserved values and widths of ports, element outputs and clone sessions.

One place for every number that the P4 program, the entry builder, the element lowerings,
the spec checks and the switch model must agree on.
"""

from __future__ import annotations

from p4sfc_compiler.dataplane.wire import SFC

# v1model's port width (standard_metadata.ingress_port / egress_spec).
PORT_BITS = 9
# BMv2's default drop port (egress_spec 511 drops): no switch port may be it.
BMV2_DROP_PORT = (1 << PORT_BITS) - 1
# The highest port a switch, a server, a link, a Route or Forward may use.
MAX_PORT = BMV2_DROP_PORT - 1

# An element's output port number inside a stage (meta.out_port, meta.prev_port).
ELEMENT_PORT_BITS = 8
# meta.out_port value meaning "drop"; also the rewriter's "no pass output".
DROP_PORT = (1 << ELEMENT_PORT_BITS) - 1
# Width of the element-control masks: outputs 0..MASK_BITS-1 can complete the NF or drop.
MASK_BITS = 32

# Element id of an NF's `input` in the element-control key (meta.prev_elem); elements of
# an NF are numbered from 1.
INPUT_ELEM_ID = 0

# Alert copies go to a clone session per switch port: session MIRROR_SESSION_BASE + port.
# Fixed ids keep a port's session stable as chains come and go; an Alert given its own
# SESSION uses that one as it is (the user configures it).
MIRROR_SESSION_BASE = 512
CLONE_INSTANCE = 1

# A chain id's top bit is its version. A chain changed in place is installed beside the
# running one under the other version, its classification flips to it in one MODIFY,
# and the old version goes once packets in flight drained (make-before-break, p4sfc
# apply). Compiles emit version 0; server configs accept both and send a packet back
# with the version it came with, which they keep in one Click annotation byte.
CHAIN_VERSION_BIT = 1 << (SFC.field("chainId").bitwidth - 1)
# Click annotation byte the server configs keep, through the NFs, what they restore on
# the way back to the switch (the chain id version and the inner EtherType, as one return
# code): free in Click 2.1 (PAINT is 16, ICMP_PARAMPROB 17, FIX_IP_SRC 19,
# AGGREGATE/MISC_IP 20-23).
RETURN_ANNO = 18


def chain_version(chain_id: int) -> int:
    """0 or 1: the version a chain id carries."""
    return 1 if chain_id & CHAIN_VERSION_BIT else 0


def with_version(chain_id: int, version: int) -> int:
    """``chain_id`` (either version) as the id of ``version``."""
    return (chain_id & ~CHAIN_VERSION_BIT) | (CHAIN_VERSION_BIT if version else 0)


# P4Runtime election ids (the highest connected is the switch's primary). Controllers
# (``p4sfc apply`` / ``destroy``, the ``.txtpb`` WriteRequests) default above the state
# library's agents, so a controller that connects takes the switch over while it writes
# and the agents, its backups meanwhile, write again once it leaves.
CONTROLLER_ELECTION_ID = 10
STATE_ELECTION_ID = 1
