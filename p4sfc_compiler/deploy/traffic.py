"""Generated traces: mixed traffic that exercises every path of the example chains
(TCP flows with and without IPS signatures, UDP / DNS, ICMP, ARP, fragments, IP options,
bad checksums and lengths, TTL 1, repeated flows that find NAT state and new ones that
do not), deterministic for a seed, and frames of one size for the bench."""

from __future__ import annotations

import random
import struct

from p4sfc_compiler.families.checksum import in_cksum

INSIDE_MAC = bytes.fromhex("020000000001")
OUTSIDE_MAC = bytes.fromhex("020000000002")
# payloads the library IPS looks for (examples/nfs/ips.click), and harmless ones
SIGNATURES = (b"attack", b"GET /etc/passwd", b"SELECT * FROM")
BENIGN = (b"GET /index.html", b"hello", b"")


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def ipv4_frame(src: str, dst: str, proto: int, l4: bytes, *, ttl: int = 64, ident: int = 1,
               frag: int = 0, options: bytes = b"", tos: int = 0, bad_checksum: bool = False,
               length_delta: int = 0) -> bytes:
    """An Ethernet/IPv4 frame; the transport checksum is computed for TCP and UDP."""
    ihl = 5 + len(options) // 4
    if proto in (6, 17) and frag == 0:
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(l4))
        at = 16 if proto == 6 else 6
        l4 = l4[:at] + struct.pack("!H", in_cksum(pseudo + l4)) + l4[at + 2:]
    total = ihl * 4 + len(l4) + length_delta
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, total, ident, frag, ttl, proto, 0,
                      ip4(src), ip4(dst)) + options
    csum = in_cksum(hdr) ^ (0x5555 if bad_checksum else 0)
    hdr = hdr[:10] + struct.pack("!H", csum) + hdr[12:]
    return OUTSIDE_MAC + INSIDE_MAC + b"\x08\x00" + hdr + l4


def tcp(sport: int, dport: int, flags: int, payload: bytes = b"", seq: int = 1) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 0x50, flags, 8192, 0, 0) + payload


def udp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp_echo(ident: int, payload: bytes = b"ping") -> bytes:
    body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + payload
    return body[:2] + struct.pack("!H", in_cksum(body)) + body[4:]


def arp(src: str, dst: str) -> bytes:
    return (b"\xff" * 6 + INSIDE_MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
            + INSIDE_MAC + ip4(src) + b"\0" * 6 + ip4(dst))


SYN, ACK, PSH_ACK, FIN_ACK = 0x02, 0x10, 0x18, 0x11


def mixed_trace(n: int = 200, seed: int = 1) -> list[bytes]:
    """``n`` frames of mixed traffic, mostly from 10.0.0.0/8 (the example chains' routes)."""
    rng = random.Random(seed)
    flows = [(f"10.0.{rng.randrange(4)}.{rng.randrange(2, 250)}", rng.randrange(30000, 40000))
             for _ in range(12)]  # repeated flows: the NAT finds their mapping again
    servers = ["10.0.1.10", "10.0.1.53", "10.20.1.1", "198.51.100.7", "192.168.10.1"]
    out: list[bytes] = []
    for i in range(n):
        ident = 100 + i
        src, sport = rng.choice(flows) if rng.random() < 0.7 else (
            f"10.{rng.randrange(256)}.0.{rng.randrange(1, 255)}", rng.randrange(1024, 65536))
        dst = rng.choice(servers)
        kind = rng.randrange(16)
        if kind < 5:
            payload = rng.choice(SIGNATURES if rng.random() < 0.2 else BENIGN)
            flags = rng.choice((SYN, ACK, PSH_ACK))
            frame = ipv4_frame(src, dst, 6, tcp(sport, rng.choice((80, 443, 22, 8080)), flags,
                                                payload), ident=ident)
        elif kind < 8:
            payload = b"\x90" * 8 if rng.random() < 0.1 else b"\x12\x34\x01\x00"
            frame = ipv4_frame(src, dst, 17, udp(sport, rng.choice((53, 4000)), payload),
                               ident=ident)
        elif kind == 8:
            frame = ipv4_frame(src, dst, 1, icmp_echo(i), ident=ident)
        elif kind == 9:
            frame = arp(src, dst)
        elif kind == 10:  # a first fragment (whole TCP header) and a later one
            frag = rng.choice((0x2000, 185))
            frame = ipv4_frame(src, dst, 6, tcp(sport, 80, ACK, b"attack"), frag=frag,
                               ident=ident)
        elif kind == 11:  # IP options (NOPs + end)
            frame = ipv4_frame(src, dst, 6, tcp(sport, 80, SYN), options=b"\x01\x01\x01\x00",
                               ident=ident)
        elif kind == 12:
            frame = ipv4_frame(src, dst, 17, udp(sport, 53, b"x"), bad_checksum=True,
                               ident=ident)
        elif kind == 13:  # IP length short of the frame: bytes after the IP packet
            frame = ipv4_frame(src, dst, 6, tcp(sport, 80, ACK, b"tail"), ident=ident,
                               length_delta=-4)
        elif kind == 14:
            frame = ipv4_frame(src, dst, 6, tcp(sport, 80, SYN), ttl=1, ident=ident)
        else:  # from outside the route's source prefix
            frame = ipv4_frame("198.51.100.9", "192.168.0.1", 6, tcp(80, 50000, ACK),
                               ident=ident)
        out.append(frame)
    return out


def cut_transport_trace() -> list[bytes]:
    """First fragments and short IP lengths that cut the TCP header after its flags:
    Click's filters read the bytes that are there, and so does the switch (the parser
    reads a cut header's first bytes; the rewriter sends such a frame to its server half,
    as it cannot rewrite a header it does not hold whole)."""
    return [
        ipv4_frame("10.0.0.5", "10.0.1.10", 6, tcp(40000, 80, ACK, b"attack")[:16],
                   frag=0x2000, ident=1),
        ipv4_frame("10.0.0.5", "10.0.1.10", 6, tcp(40001, 80, ACK), length_delta=-4, ident=2),
    ]


def long_length_trace() -> list[bytes]:
    """IP total lengths past the frame's end (CheckIPHeader's bad branch): the switch's
    Counter counts the IP length, Click the bytes there (a known program difference)."""
    return [ipv4_frame("10.0.0.5", "10.0.1.10", 6, tcp(40000 + k, 80, ACK), length_delta=8,
                       ident=k) for k in range(3)]


def sized_trace(n: int, size: int, seed: int = 1) -> list[bytes]:
    """``n`` TCP frames of ``size`` bytes (64: the minimum; 1500) over a few flows, all
    from 10.0.0.0/8 to an allowed web server: the chain passes them."""
    rng = random.Random(seed)
    flows = [(f"10.0.0.{k + 2}", 40000 + k) for k in range(8)]
    base = 14 + 20 + 20
    out = []
    for i in range(n):
        src, sport = flows[rng.randrange(len(flows))]
        payload = bytes(max(0, size - base))
        out.append(ipv4_frame(src, "10.0.1.10", 6, tcp(sport, 80, ACK, payload), ident=i & 0xFFFF))
    return out


def flows_trace(flows: int, packets: int, seed: int = 1, *, udp_share: float = 0.25,
                dst: str = "10.0.1.10", dport: int = 80) -> list[bytes]:
    """``flows`` connections of ``packets`` frames each, from 10.0.0.0/8 (10.0.0.0/16 for
    the first 64,000) to ``dst``,
    interleaved at random (each flow's frames in order): TCP (SYN, then ACKs with
    payload, FIN-ACK last) and a ``udp_share`` of UDP. The NAT sees a new flow's first
    frame, then frames of a flow it knows: the state library's workload."""
    rng = random.Random(seed)
    specs = []
    for k in range(flows):
        src = f"10.{k // 64000}.{k // 250 % 256}.{2 + k % 250}"  # 10.0.0.0/16 first
        specs.append((src, 1024 + (k * 7919) % 60000, rng.random() < udp_share))
    left = [packets] * flows
    order = [k for k in range(flows) for _ in range(packets)]
    rng.shuffle(order)
    out: list[bytes] = []
    for n, k in enumerate(order):
        src, sport, is_udp = specs[k]
        i = packets - left[k]
        left[k] -= 1
        ident = n & 0xFFFF
        if is_udp:
            out.append(ipv4_frame(src, dst, 17, udp(sport, 53, b"q%d" % i), ident=ident))
            continue
        flags = SYN if i == 0 else FIN_ACK if i == packets - 1 else PSH_ACK
        payload = b"" if flags == SYN else b"data%d" % i
        out.append(ipv4_frame(src, dst, 6, tcp(sport, dport, flags, payload, seq=1 + i),
                              ident=ident))
    return out
