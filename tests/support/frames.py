"""Random well-formed IPv4 frames and random IPFilter / IPClassifier patterns, shared by
the lowering's property tests and the BMv2 equivalence tests."""

from __future__ import annotations

import random
import struct

from hypothesis import strategies as st

# ---------------------------------------------------------------------------------------
# random well-formed frames (complete transport headers; what CheckIPHeader passes)

MACS = [bytes.fromhex(h) for h in ("0200c0a801fb", "020000000001", "ffffffffffff",
                                   "0200ac1061ed")]
ADDRS = ["10.0.0.1", "10.1.2.3", "192.168.1.7", "192.168.1.200", "172.16.5.4",
         "8.8.8.8", "0.0.0.0", "255.255.255.255"]
PORTS = [0, 20, 22, 23, 53, 80, 123, 443, 1023, 1024, 5000, 8080, 65535]


def csum16(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(map(int, a.split(".")))


def random_frame(rng: random.Random) -> bytes:
    """An Ethernet/IPv4 frame: TCP, UDP, ICMP, other protocols, later fragments (whose
    data may look like a port 80 header), IP options, DSCP/ECN, TTL edge values."""
    proto = rng.choice([6, 6, 6, 17, 17, 1, 1, 2, 4, 47, 50, 132, rng.randrange(256)])
    frag = rng.choice([0, 0, 0, 0, 1, 185])
    mf, df = rng.random() < 0.2, rng.random() < 0.3

    def port() -> int:
        return rng.choice(PORTS) if rng.random() < 0.8 else rng.randrange(65536)

    if frag == 0 and proto == 6:
        flags = rng.choice([0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x29, 0, rng.randrange(256)])
        l4 = struct.pack("!HHIIBBHHH", port(), port(), 1, 2, rng.choice([0x50, 0x60]), flags,
                         rng.choice([0, 1000, 65535]), 0, 0)
    elif frag == 0 and proto == 17:
        l4 = struct.pack("!HHHH", port(), port(), 8, 0)
    elif frag == 0 and proto == 1:
        l4 = struct.pack("!BBHI", rng.choice([0, 3, 5, 8, 11, 13, rng.randrange(256)]),
                         rng.randrange(4), 0, 0)
    else:
        l4 = rng.choice([rng.randbytes(8), struct.pack("!HHI", 1234, 80, 0)])
    l4 += rng.randbytes(rng.randrange(7))
    opts = b"\x01" * 4 * rng.choice([0, 0, 0, 1, 2])
    ihl = 5 + len(opts) // 4
    tos = rng.choice([0, 1, 2, 3, 0xB8, 0xB9, 0x28, 0xFF, rng.randrange(256)])
    ttl = rng.choice([0, 1, 2, 3, 4, 5, 10, 11, 64, 255])
    ident = rng.choice([0, 1, 99, 100, 54321])
    flags_frag = (0x4000 if df else 0) | (0x2000 if mf else 0) | frag
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, ihl * 4 + len(l4), ident, flags_frag,
                      ttl, proto, 0, ip4(rng.choice(ADDRS)), ip4(rng.choice(ADDRS))) + opts
    hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
    return rng.choice(MACS) + rng.choice(MACS) + b"\x08\x00" + hdr + l4




def padded(frame: bytes) -> bytes:
    """What the switch receives: the frame padded to Ethernet's 60-byte minimum."""
    return frame.ljust(60, b"\0")


# ---------------------------------------------------------------------------------------
# random patterns

PRIMITIVES = [
    "tcp", "udp", "icmp", "igmp", "ipip", "ip proto 47", "ip proto != 6",
    "src host 10.0.0.1", "dst host 192.168.1.7", "host 8.8.8.8", "10.1.2.3",
    "src net 10.0.0.0/8", "dst net 192.168.1.0 mask 255.255.255.0", "net 172.16.0.0/12",
    "src and dst net 10.0.0.0/8", "src or dst host 255.255.255.255",
    "src port 80", "dst port 53 or 123", "port ssh or telnet", "tcp dst port > 1023",
    "udp src port <= 1023", "tcp port != 80", "dst tcp port 8080", "port www",
    "src port & 0xff00 == 0x1300", "dst port < 1024", "port >= 5000", "udp port != 53",
    "icmp type echo", "icmp type != 3", "icmp type < 5", "icmp type timeexceeded",
    "tcp opt syn", "syn", "ack", "fin or rst", "syn && !ack", "tcp[13] & 0x12 == 0x12",
    "transp[0:2] == 80", "udp[2:2] == 53", "icmp[1] == 3",
    "ip ttl < 3", "ip ttl > 10", "ip ttl != 64", "ip len >= 60", "ip len < 50",
    "ip dscp == 46", "ip dscp > 40", "ip tos & 3 == 3", "ip tos 0", "ip ect", "ip ce",
    "ip frag", "ip unfrag", "ip hl > 5", "ip id < 100", "ip vers 4", "ip[9] == 17",
    "ip[12:4] == 0x0a000001", "ip[1] & 0xfc != 0", "ip[6:2] & 0x3fff == 0",
    "src ether host 02:00:c0:a8:01:fb", "ether host ff:ff:ff:ff:ff:ff",
    "dst ether host 02:00:ac:10:61:ed", "true", "false",
]


def patterns() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(PRIMITIVES)

    def combine(sub: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a: f"!({a})", sub),
            st.builds(lambda a: f"not {a}" if " " not in a else f"not ({a})", sub),
            st.builds(lambda a, b: f"({a}) and ({b})", sub, sub),
            st.builds(lambda a, b: f"({a}) ({b})", sub, sub),
            st.builds(lambda a, b: f"({a}) or ({b})", sub, sub),
            st.builds(lambda a, b: f"{a} || {b}", sub, sub),
            st.builds(lambda a, b, c: f"({a}) ? ({b}) : ({c})", sub, sub, sub),
        )

    return st.recursive(leaf, combine, max_leaves=4)


ACTIONS = st.sampled_from(["allow", "deny", "drop", "1", "2", "3"])
