"""A small mixed trace. Packet i carries IP id 100 + i, so outputs can be traced back."""

from __future__ import annotations

INSIDE = "02:00:00:00:00:01"
OUTSIDE = "02:00:00:00:00:02"


def trace() -> list:
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import ARP, Ether

    def ip(i: int, src: str, dst: str, ttl: int = 64):
        return Ether(src=INSIDE, dst=OUTSIDE) / IP(src=src, dst=dst, id=100 + i, ttl=ttl)

    return [
        ip(0, "10.0.0.5", "10.0.1.10") / TCP(sport=40000, dport=80, flags="S"),
        ip(1, "10.0.0.5", "10.0.1.10") / TCP(sport=40001, dport=80, flags="PA") / b"attack now",
        ip(2, "10.0.0.6", "10.0.1.53") / UDP(sport=5353, dport=53) / b"\x12\x34\x01\x00",
        ip(3, "10.0.0.5", "10.0.2.7") / ICMP(type=8),
        ip(4, "10.0.0.5", "198.51.100.7") / ICMP(type=8),
        ip(5, "198.51.100.7", "10.0.0.5") / TCP(sport=1234, dport=40000, flags="A"),
        ip(6, "10.0.0.7", "198.51.100.9") / UDP(sport=1000, dport=4000) / (b"\x90" * 8),
        ip(7, "10.0.0.8", "10.0.1.10") / TCP(sport=40002, dport=80, flags="PA") / b"GET /etc/passwd HTTP/1.0",
        ip(8, "10.0.0.8", "10.0.1.10") / TCP(sport=40003, dport=80, flags="PA") / b"GET /index.html",
        ip(9, "10.0.0.9", "192.168.10.1") / TCP(sport=40004, dport=80, flags="S"),
        ip(10, "198.51.100.20", "192.168.10.1") / TCP(sport=40005, dport=80, flags="S"),
        ip(11, "10.0.0.5", "10.20.1.1") / TCP(sport=40010, dport=22, flags="S"),
        ip(12, "10.0.0.5", "10.20.1.2") / UDP(sport=40011, dport=53) / b"q",
        ip(13, "10.0.0.5", "10.0.1.10", ttl=1) / TCP(sport=40012, dport=80, flags="S"),
        Ether(src=INSIDE, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.0.0.5", pdst="10.0.0.1"),
        ip(15, "198.51.100.9", "192.168.0.1") / UDP(sport=53, dport=50000) / b"r",
        ip(16, "10.0.1.10", "192.168.0.1") / TCP(sport=80, dport=50000, flags="SA"),
    ]


def ids(packets: list) -> list[int]:
    from scapy.layers.inet import IP

    return [p[IP].id - 100 for p in packets]
