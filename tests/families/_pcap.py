"""Reading classic libpcap files (the Click golden traces) without a dependency."""

from __future__ import annotations

import struct
from pathlib import Path


def read_pcap(path: Path) -> list[bytes]:
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, i = [], 24
    while i < len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[i : i + 16])
        out.append(data[i + 16 : i + 16 + incl])
        i += 16 + incl
    return out
