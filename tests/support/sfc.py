"""The SFC header on the wire (EtherType 0x88B5), as the P4 program and the server
configs write it: chain id 16, remaining-NF count 8, entry 8, inner EtherType 16, then one
(nf id 8, reserved 7, bottom-of-stack 1) pair per remaining NF."""

from __future__ import annotations

import struct
from dataclasses import dataclass

ETHERTYPE_SFC = 0x88B5


@dataclass(frozen=True)
class Tagged:
    chain_id: int
    entry: int
    nf_ids: tuple[int, ...]
    inner: bytes  # the frame as it would be without the SFC header


def tag(frame: bytes, chain_id: int, nf_ids: list[int] | tuple[int, ...], entry: int = 0) -> bytes:
    inner_type = frame[12:14]
    header = struct.pack("!HBB", chain_id, len(nf_ids), entry) + inner_type
    for i, nf in enumerate(nf_ids):
        header += bytes([nf, 1 if i == len(nf_ids) - 1 else 0])
    return frame[:12] + struct.pack("!H", ETHERTYPE_SFC) + header + frame[14:]


def untag(frame: bytes) -> Tagged | None:
    """The SFC header of a frame, or None for an untagged one."""
    if struct.unpack("!H", frame[12:14])[0] != ETHERTYPE_SFC:
        return None
    chain_id, count, entry = struct.unpack("!HBB", frame[14:18])
    inner_type = frame[18:20]
    ids = tuple(frame[20 + 2 * i] for i in range(count))
    rest = frame[20 + 2 * count:]
    return Tagged(chain_id, entry, ids, frame[:12] + inner_type + rest)
