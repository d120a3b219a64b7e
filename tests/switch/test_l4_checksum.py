"""The transport checksum patched once per pass (``meta.l4_delta``) equals the checksum
patched after each rewrite in turn, which is what Click's rewriters do: every word, both
forms of zero and UDP's "no checksum" included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.packet import TCP_CSUM, UDP_CSUM, PacketState
from p4sfc_compiler.switch.pipeline import patch_l4_checksum

M16, M32 = 0xFFFF, 0xFFFFFFFF


def _fold(x: int) -> int:
    x = (x & M16) + (x >> 16)
    return (x & M16) + (x >> 16)


def one_rewrite_at_a_time(csum: int, deltas: list[int], udp: bool) -> int:
    """RFC 1624 after each rewrite, as the rewriter block did in every stage."""
    for d in deltas:
        if udp and csum == 0:
            continue  # no checksum: stays none
        csum = ~_fold(((~csum & M16) + d) & M32) & M16
        if udp and csum == 0:
            csum = M16
    return csum


def delta(words: list[tuple[int, int]]) -> int:
    """A rewrite's change: (~old + new) summed over the words it rewrites."""
    return sum((~old & M16) + new for old, new in words)


WORD = st.one_of(st.sampled_from([0, 1, 0x7FFF, 0xFFFE, M16]), st.integers(0, M16))
# a rewriter changes at most 12 words: two addresses and two ports
REWRITE = st.lists(st.tuples(WORD, WORD), min_size=1, max_size=12).map(delta)
CSUM = st.one_of(st.sampled_from([0, 1, 0xFFFE, M16]), st.integers(0, M16))


def patched(csum: int, deltas: list[int], udp: bool) -> int:
    state = PacketState(1, 64)
    header = [0] * len((wire.UDP if udp else wire.TCP).fields)
    header[UDP_CSUM if udp else TCP_CSUM] = csum
    if udp:
        state.udp = header
    else:
        state.tcp = header
    state.l4_delta = sum(deltas) & M32
    # ingress patches only when the pass changed something (a zero change is no change)
    if state.l4_delta != 0:
        patch_l4_checksum(state)
    return header[UDP_CSUM if udp else TCP_CSUM]


@given(CSUM, st.lists(REWRITE, min_size=1, max_size=16), st.booleans())
def test_one_patch_per_pass_equals_one_per_rewrite(csum: int, deltas: list[int],
                                                   udp: bool) -> None:
    assert patched(csum, deltas, udp) == one_rewrite_at_a_time(csum, deltas, udp)


def test_the_zero_forms_and_no_checksum() -> None:
    # a rewrite whose words sum to nothing, after one that reaches 0xffff
    assert patched(0xFFFF, [0, 0], udp=False) == one_rewrite_at_a_time(0xFFFF, [0, 0], False)
    # a UDP checksum patched to 0 is sent as 0xffff, and stays so through a null change
    assert patched(0x0001, [1, 0], udp=True) == one_rewrite_at_a_time(0x0001, [1, 0], True) == M16
    assert patched(0, [0x1234], udp=True) == 0
