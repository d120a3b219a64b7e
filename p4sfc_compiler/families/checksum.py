"""The Internet checksum as Click computes it, full and incremental (RFC 1624).

One's complement sums do not depend on byte order, so the words are read big-endian
here while Click reads them in host order: the results are the same bytes.
"""

from __future__ import annotations


def in_cksum(data: bytes | bytearray | memoryview) -> int:
    """Click's ``click_in_cksum``: the complemented one's complement sum of ``data``."""
    n = len(data)
    # The words of ``data`` as one big number: each word weighs 2**16k = 1 modulo
    # 0xFFFF, so the folded sum is the number modulo 0xFFFF (0xFFFF, not 0, unless
    # every word is 0).
    total = int.from_bytes(data[: n & ~1], "big")
    s = (total % 0xFFFF or 0xFFFF) if total else 0
    if n & 1:
        s += data[n - 1] << 8
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def update(csum: int, old_word: int, new_word: int) -> int:
    """``click_update_in_cksum``: ``csum`` after one 16-bit word changed."""
    s = (~csum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    s = (s & 0xFFFF) + (s >> 16)
    return ~(s + (s >> 16)) & 0xFFFF


def get16(buf: bytearray, i: int) -> int:
    return (buf[i] << 8) | buf[i + 1]


def put16(buf: bytearray, i: int, v: int) -> None:
    buf[i] = (v >> 8) & 0xFF
    buf[i + 1] = v & 0xFF


def get32(buf: bytearray, i: int) -> int:
    return int.from_bytes(buf[i:i + 4], "big")


def put32(buf: bytearray, i: int, v: int) -> None:
    buf[i:i + 4] = v.to_bytes(4, "big")
