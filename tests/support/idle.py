"""A one-NAT switch for the idle-timeout tests: the rewriter-only program, the entries of
a chain whose single NF is a rewriter (claimed on port 1, leaving on port 2), mappings in
its rewriter table, and TCP frames of those flows; entries by name and as the runtime
client's ids."""

from __future__ import annotations

import struct

from p4sfc_compiler.dataplane.fields import pack_control_key
from p4sfc_compiler.dataplane.match import Entry, Exact, Ternary
from p4sfc_compiler.dataplane.program import EXEC_COMMON, ProgramParams, pack_key_fields
from support.frames import csum16, ip4

PARAMS = ProgramParams(stages=1, max_chain=1, table_size=8, register_size=8,
                       kinds=("rewriter",))
S0 = "MyIngress.stage0"
REWRITER = f"{S0}.rewriter"
IN_PORT, OUT_PORT = 1, 2
CHAIN, NF, ELEM = 1, 1, 1
SRC, DST, NAT = "10.0.0.5", "10.0.1.10", "192.168.0.1"
MS = 1_000_000


def _addr(a: str) -> int:
    return int.from_bytes(ip4(a), "big")


def chain_entries() -> list[Entry]:
    """Claim every frame of port 1 for the chain; run the rewriter (output 0 ends the NF,
    a miss passes to output 0 too); leave on port 2."""
    return [
        Entry("MyIngress.classify_chain",
              pack_key_fields("classify_chain", (("ingress_port", Ternary(IN_PORT, 0x1FF)),)),
              "MyIngress.push_chain_1", (("chain_id", CHAIN), ("nf0", NF)),
              priority=1),
        Entry(f"{S0}.element_control", (("ctl", Exact(pack_control_key(CHAIN, NF, 0, 0))),),
              f"{S0}.exec_rewriter",
              (("element", EXEC_COMMON.pack(ELEM, 1, 0, 0)), ("proto", 0),
               ("server_entry", 0), ("pass_port", 0))),
        Entry("MyIngress.chain_exit", (("chain_id", Exact(CHAIN)),), "MyIngress.exit_chain",
              (("port", OUT_PORT),)),
    ]


def mapping(sport: int) -> Entry:
    """The NAT's mapping of flow ``sport``: source -> NAT address, port 50000 + sport."""
    five = (("ip_src", _addr(SRC)), ("sport", sport), ("ip_dst", _addr(DST)), ("dport", 80),
            ("ip_proto", 6))
    key = (("chain_id", Exact(CHAIN)), ("nf_id", Exact(NF)), ("elem_id", Exact(ELEM)),
           *((n, Exact(v)) for n, v in five))
    return Entry(REWRITER, key, f"{S0}.rewrite",
                 (("saddr", _addr(NAT)), ("sport", 50000 + sport), ("daddr", _addr(DST)),
                  ("dport", 80), ("port", 0)))


def frame(sport: int) -> bytes:
    """A TCP SYN of flow ``sport`` (sent to port 1)."""
    tcp = struct.pack("!HHIIBBHHH", sport, 80, 1, 0, 5 << 4, 0x02, 1024, 0, 0)
    pseudo = ip4(SRC) + ip4(DST) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum16(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, ip4(SRC),
                     ip4(DST))
    ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + b"\x08\x00"
    return eth + ip + tcp


