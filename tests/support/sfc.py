"""The SFC header on a whole frame: tag an untagged frame, untag a tagged one. The layout
is the data-plane contract's (p4sfc_compiler.dataplane.wire); tests/dataplane/test_wire.py
pins it to literal bytes."""

from __future__ import annotations

from dataclasses import dataclass

from p4sfc_compiler.dataplane.wire import ETH_LEN, ETHERTYPE_SFC, parse_sfc, sfc_header

_TYPE_AT = ETH_LEN - 2


@dataclass(frozen=True)
class Tagged:
    chain_id: int
    entry: int
    nf_ids: tuple[int, ...]
    inner: bytes  # the frame as it would be without the SFC header


def tag(frame: bytes, chain_id: int, nf_ids: list[int] | tuple[int, ...], entry: int = 0) -> bytes:
    inner_type = int.from_bytes(frame[_TYPE_AT:ETH_LEN], "big")
    header = sfc_header(chain_id, nf_ids, entry=entry, inner_ether_type=inner_type)
    return frame[:_TYPE_AT] + ETHERTYPE_SFC.to_bytes(2, "big") + header + frame[ETH_LEN:]


def untag(frame: bytes) -> Tagged | None:
    """The SFC header of a frame, or None for an untagged one."""
    if int.from_bytes(frame[_TYPE_AT:ETH_LEN], "big") != ETHERTYPE_SFC:
        return None
    sfc = parse_sfc(frame[ETH_LEN:])
    if sfc is None:
        return None
    inner = frame[:_TYPE_AT] + sfc.inner_ether_type.to_bytes(2, "big")
    return Tagged(sfc.chain_id, sfc.entry, sfc.nf_ids, inner + frame[ETH_LEN + sfc.length:])
