"""The pipeline's parser, checksums and deparser (switch/frames.py), and the packet state
and kind models against the data-plane contract."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.frames import csum16, random_frame
from support.sfc import tag

from p4sfc_compiler.dataplane import fields as F
from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.packet import (
    IP_CSUM,
    IP_TTL,
    META_NAMES,
    PacketState,
    key_getter,
)
from p4sfc_compiler.dataplane.parser_model import switch_fields
from p4sfc_compiler.dataplane.program import ALL_KINDS, build_program
from p4sfc_compiler.families.kind_models import KIND_MODELS
from p4sfc_compiler.switch.frames import (
    PACKET_TOO_SHORT,
    STACK_OUT_OF_BOUNDS,
    deparse,
    parse,
    update_checksums,
)
from p4sfc_compiler.switch.pipeline import transport_keys


def _parsed(frame: bytes, max_chain: int = 8) -> PacketState:
    st = PacketState(1, len(frame))
    parse(frame, st, max_chain)
    return st


def test_every_metadata_field_is_a_packet_attribute() -> None:
    assert set(META_NAMES) <= set(PacketState.__slots__)
    st = PacketState(3, 60)
    assert all(getattr(st, n) == 0 for n in META_NAMES)


def test_every_kind_has_a_model() -> None:
    assert set(KIND_MODELS) == set(ALL_KINDS)


def test_every_key_of_the_program_is_readable() -> None:
    st = _parsed(bytes(random_frame(random.Random(1))))
    for table in build_program().tables.values():
        for key in table.keys:
            assert isinstance(key_getter(key.field)(st), int), key.field


def test_control_key_is_the_contract_packing() -> None:
    st = PacketState(1, 60)
    st.chain_id, st.nf_id, st.prev_elem, st.out_port = 513, 7, 3, 2
    assert key_getter(F.CONTROL_KEY)(st) == F.pack_control_key(513, 7, 3, 2)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), cut=st.integers(0, 80), trailer=st.binary(max_size=8),
       nfs=st.lists(st.integers(1, 255), max_size=10))
def test_parse_then_deparse_gives_the_frame_back(seed: int, cut: int, trailer: bytes,
                                                 nfs: list[int]) -> None:
    """Whatever the frame (tagged or not, cut anywhere, with a trailer), a pass that
    changes nothing sends the same bytes; the key fields agree with the parser model."""
    frame = random_frame(random.Random(seed)) + trailer
    if nfs:
        frame = tag(frame, 1, nfs)
    frame = frame[:max(len(frame) - cut, 0)]
    st = _parsed(frame)
    update_checksums(st)
    assert deparse(st) == frame
    if len(nfs) <= 8:  # cut frames too: a cut transport header keeps its bytes
        view = switch_fields(frame)
        transport_keys(st)  # the start of MyIngress completes the key
        for key in F.CLASSIFY_KEY:
            assert key_getter(key)(st) == view.get(key, 0), key


def test_parser_errors_as_bmv2() -> None:
    frame = random_frame(random.Random(7))
    assert _parsed(frame[:10]).parser_error == PACKET_TOO_SHORT
    st = _parsed(tag(frame, 1, list(range(1, 11))), max_chain=8)
    assert st.parser_error == STACK_OUT_OF_BOUNDS and len(st.sfc_nfs) == 8
    # a cut IPv4 header is not extracted; the bytes stay payload
    st = _parsed(frame[:14 + 12])
    assert st.ipv4 is None and st.parser_error == PACKET_TOO_SHORT
    assert st.payload == frame[14:14 + 12]


def test_checksum_verify_and_update() -> None:
    from support.traces import trace

    frame = bytes(trace()[0])
    assert _parsed(frame).checksum_error == 0
    bad = frame[:24] + b"\x12\x34" + frame[26:]
    st = _parsed(bad)
    assert st.checksum_error == 1
    # an element changed the header: the deparser writes a good checksum
    assert st.ipv4 is not None
    st.ipv4[IP_TTL] -= 1
    st.ip_dirty = 1
    update_checksums(st)
    out = deparse(st)
    ihl = (out[14] & 0x0F) * 4
    assert csum16(out[14:14 + ihl]) == 0 and st.ipv4[IP_CSUM] != 0x1234


@pytest.mark.parametrize("ihl", [4, 0])
def test_short_header_length_is_left_unparsed(ihl: int) -> None:
    frame = bytearray(random_frame(random.Random(3)))
    frame[14] = 0x40 | ihl
    st = _parsed(bytes(frame))
    assert st.ipv4 is None and st.ip_ok == 0 and st.ether_type == wire.ETHERTYPE_IPV4
