"""Properties of element behaviours on random packets (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.engine.engine import run_config
from p4sfc_compiler.families.checksum import in_cksum


@st.composite
def ipv4_frames(draw: st.DrawFn) -> bytes:
    ihl = draw(st.integers(5, 8))
    payload = draw(st.binary(max_size=40))
    options = draw(st.binary(min_size=(ihl - 5) * 4, max_size=(ihl - 5) * 4))
    total = ihl * 4 + len(payload)
    head = bytearray(bytes([0x40 | ihl, draw(st.integers(0, 255))]) + total.to_bytes(2, "big")
                     + draw(st.binary(min_size=4, max_size=4))
                     + bytes([draw(st.integers(0, 255)), draw(st.sampled_from([1, 6, 17, 47]))])
                     + bytes(2) + draw(st.binary(min_size=8, max_size=8)) + options)
    head[10:12] = in_cksum(head).to_bytes(2, "big")
    return bytes(12) + b"\x08\x00" + bytes(head) + payload + bytes(draw(st.integers(0, 6)))


CHAIN = ("FromDump(x) -> Strip(14) -> CheckIPHeader -> d :: DecIPTTL -> SetIPDSCP({dscp})"
         " -> Unstrip(14) -> ToDump(ok); d[1] -> Unstrip(14) -> ToDump(expired);")


@settings(max_examples=200, deadline=None)
@given(ipv4_frames(), st.integers(0, 63))
def test_header_rewrites_keep_a_valid_checksum(frame: bytes, dscp: int) -> None:
    eng = run_config(CHAIN.format(dscp=dscp), [frame])
    out = eng.outputs()
    ttl = frame[22]
    (sent, _), = out["ok"] if ttl > 1 else out["expired"]
    hlen = (frame[14] & 0xF) * 4
    total = int.from_bytes(frame[16:18], "big")
    assert len(sent) == 14 + total  # cut to the IP length
    assert in_cksum(sent[14:14 + hlen]) == 0  # incremental updates keep it valid
    if ttl > 1:
        assert sent[22] == ttl - 1 and sent[15] >> 2 == dscp and sent[15] & 3 == frame[15] & 3
        assert sent[23:24] + sent[26:] == frame[23:24] + frame[26:14 + total]
    else:
        assert sent == frame[:14 + total]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=80), st.lists(st.integers(0, 40), min_size=1, max_size=4))
def test_unstrip_undoes_strip(frame: bytes, cuts: list[int]) -> None:
    text = "FromDump(x)" + "".join(f" -> Strip({n})" for n in cuts) + \
        "".join(f" -> Unstrip({n})" for n in reversed(cuts)) + " -> ToDump(o);"
    eng = run_config(text, [frame])
    (got, _), = eng.outputs()["o"]
    # Strip stops at the packet end; Unstrip moves back over the bytes it kept, and
    # before the frame start into fresh (zero) headroom
    pos = 0
    for n in cuts:
        pos = min(pos + n, len(frame))
    pos -= sum(cuts)
    want = bytes(-pos) + frame if pos < 0 else frame[pos:]
    assert got == want
    if sum(cuts) <= len(frame):
        assert got == frame
