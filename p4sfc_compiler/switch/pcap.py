"""Classic libpcap files (Ethernet link type), read and written without a dependency: the
embedded switch's file ports."""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import BinaryIO

LINKTYPE_ETHERNET = 1
_MAGIC_US = 0xA1B2C3D4
_MAGIC_NS = 0xA1B23C4D
SNAPLEN = 65535


class PcapError(ValueError):
    """A file that is not a classic pcap file."""


def read_pcap(path: Path) -> list[tuple[float, bytes]]:
    """Every record of a pcap file: (timestamp in seconds, frame as captured)."""
    data = path.read_bytes()
    if len(data) < 24:
        raise PcapError(f"{path}: not a pcap file (shorter than its header)")
    for endian in ("<", ">"):
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (_MAGIC_US, _MAGIC_NS):
            break
    else:
        raise PcapError(f"{path}: not a pcap file (magic {data[:4].hex()})")
    scale = 1e-9 if magic == _MAGIC_NS else 1e-6
    out = []
    i = 24
    while i + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[i:i + 16])
        if i + 16 + incl > len(data):
            raise PcapError(f"{path}: record at byte {i} is cut short")
        out.append((sec + frac * scale, data[i + 16:i + 16 + incl]))
        i += 16 + incl
    return out


class PcapWriter:
    """A pcap file written record by record (flushed, so readers see every frame)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO = path.open("wb")
        self._file.write(struct.pack("<IHHiIII", _MAGIC_US, 2, 4, 0, 0, SNAPLEN,
                                     LINKTYPE_ETHERNET))
        self._file.flush()

    def write(self, frame: bytes, timestamp: float | None = None) -> None:
        ts = time.time() if timestamp is None else timestamp
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6)) % 1_000_000
        self._file.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
        self._file.flush()

    def close(self) -> None:
        self._file.close()
