"""Classic libpcap files: read (either byte order, micro- or nanosecond stamps), write
(little-endian, microseconds, Ethernet)."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from p4sfc_compiler.errors import P4SFCError

LINKTYPE_ETHERNET = 1
_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1),  # microseconds
    b"\xa1\xb2\xc3\xd4": (">", 1),
    b"\x4d\x3c\xb2\xa1": ("<", 1000),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1000),
}

Record = tuple[bytes, tuple[int, int]]  # frame, (seconds, microseconds)


class PcapError(P4SFCError):
    """A trace file that is not a classic pcap file."""


def read_pcap(path: Path) -> list[Record]:
    data = path.read_bytes()
    if len(data) < 24 or data[:4] not in _MAGICS:
        raise PcapError(f"{path}: not a pcap file")
    order, per_usec = _MAGICS[data[:4]]  # fraction units per microsecond
    rec = struct.Struct(order + "IIII")
    out: list[Record] = []
    i = 24
    while i + 16 <= len(data):
        sec, frac, incl, _orig = rec.unpack_from(data, i)
        i += 16
        if i + incl > len(data):
            raise PcapError(f"{path}: record {len(out)} is cut short")
        out.append((data[i:i + incl], (sec, frac // per_usec)))
        i += incl
    if i != len(data):
        raise PcapError(f"{path}: trailing bytes after record {len(out)}")
    return out


def pcap_bytes(records: Iterable[Record], snaplen: int = 65535,
               linktype: int = LINKTYPE_ETHERNET) -> bytes:
    parts = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for frame, (sec, usec) in records:
        parts.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        parts.append(frame)
    return b"".join(parts)


def write_pcap(path: Path, records: Iterable[Record], snaplen: int = 65535) -> None:
    path.write_bytes(pcap_bytes(records, snaplen))
