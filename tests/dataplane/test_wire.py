"""The SFC header on the wire, pinned to literal bytes (what BMv2 and click exchange)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.sfc import tag, untag

from p4sfc_compiler.dataplane import wire


def test_sfc_header_bytes() -> None:
    # chain 0x0102, 2 NFs, entry 3, inner IPv4; NF 7 then NF 9 (bottom of stack)
    assert wire.sfc_header(0x0102, [7, 9], entry=3) == bytes.fromhex("0102 02 03 0800 0700 0901")
    assert wire.sfc_header(5, []) == bytes.fromhex("0005 00 00 0800")
    assert (wire.ETHERTYPE_SFC, wire.SFC_LEN, wire.SFC_NF_LEN, wire.ETH_LEN) == (0x88B5, 6, 2, 14)


def test_field_offsets() -> None:
    assert [wire.SFC.byte_offset(f) for f in ("chainId", "nfCount", "entry", "etherType")] == [
        0, 2, 3, 4]
    assert wire.IPV4.byte_offset("dstAddr") == 16
    assert wire.IPV4.fixed_bytes == 20 and wire.TCP.fixed_bytes == 20
    assert wire.L4_HEADER_LEN == {6: 20, 17: 8, 1: 8}


def test_cut_header_is_not_parsed() -> None:
    full = wire.sfc_header(1, [1, 2, 3])
    assert wire.parse_sfc(full[:-1]) is None
    assert wire.parse_sfc(full[:5]) is None


def test_pack_rejects_values_wider_than_the_field() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        wire.SFC_NF.pack(nfId=1, bos=2)


@given(
    chain=st.integers(0, 0xFFFF),
    ids=st.lists(st.integers(0, 255), max_size=20),
    entry=st.integers(0, 255),
    payload=st.binary(min_size=0, max_size=40),
    inner_type=st.integers(0, 0xFFFF).filter(lambda t: t != wire.ETHERTYPE_SFC),
)
def test_tag_untag_round_trip(chain, ids, entry, payload, inner_type) -> None:
    frame = bytes(12) + inner_type.to_bytes(2, "big") + payload
    tagged = tag(frame, chain, ids, entry)
    got = untag(tagged)
    assert got is not None
    assert (got.chain_id, got.entry, got.nf_ids, got.inner) == (chain, entry, tuple(ids), frame)
    assert untag(frame) is None
