"""Classifier: pattern syntax, Click semantics (golden traces), exact ternary lowering."""

from __future__ import annotations

import json
import random
import re
import struct
from pathlib import Path

import pytest
from _pcap import read_pcap
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.dataplane.parser_model import switch_fields
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    NotOffloadable,
    TableEntry,
)
from p4sfc_compiler.families.classifier.config import parse
from p4sfc_compiler.families.classifier.evaluate import evaluate
from p4sfc_compiler.families.classifier.lower import lower

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "click"  # copied from shared/


def ctx(offset: int = 0) -> LowerContext:
    return LowerContext(data_offset=offset, ip_header=False, n_inputs=1, n_outputs=8)


def run(args: list[str], frame: bytes, offset: int = 0) -> int | None:
    return evaluate("Classifier", parse("Classifier", args), frame,
                               offset)


ARP_REQ = bytes(6 * [0xFF]) + bytes.fromhex("020000000001") + bytes.fromhex("0806") + \
    bytes.fromhex("0001080006040001") + bytes(20)


# ---------------------------------------------------------------------------------------
# syntax and semantics


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("12/080", "odd number of hex digits in '12/080'"),
        ("12/0", "less than 2 hex digits"),
        ("12/0800%ff", "mask has too few hex digits in '12/0800%ff'"),
        ("12/08%ffff", "too many"),
        ("x12/0800", "expected a digit"),
        ("12:0800", "expected '/'"),
        ("12/08zz", "bad character 'z'"),
    ],
)
def test_bad_patterns_name_the_token(arg, message):
    with pytest.raises(ElementConfigError) as e:
        parse("Classifier", ["12/0800", arg])
    assert message in str(e.value)
    assert "pattern 1" in str(e.value)


def test_first_match_dash_and_drop():
    args = ["12/0806 20/0001", "12/0806 20/0002", "12/0800", "-"]
    assert run(args, ARP_REQ) == 0
    assert run(args, ARP_REQ[:21] + b"\x02" + ARP_REQ[22:]) == 1
    assert run(args, ARP_REQ[:12] + b"\x86\xdd" + ARP_REQ[14:]) == 3
    assert run(["12/0806 20/0003"], ARP_REQ) is None


def test_masks_and_dont_care_nibbles():
    assert run(["12/08??"], ARP_REQ) == 0
    assert run(["12/0?06"], ARP_REQ) == 0
    assert run(["12/0800%ff00"], ARP_REQ) == 0
    assert run(["12/0800%ffff"], ARP_REQ) is None
    assert run(["!12/0800"], ARP_REQ) == 0
    assert run(["12/08?? !12/0800"], ARP_REQ) == 0


def test_past_the_end_fails_and_its_negation_holds():
    assert run(["100/00"], ARP_REQ) is None
    assert run(["!100/00"], ARP_REQ) == 0
    # a clause reaching past the end fails even if its first bytes match
    assert run(["40/0000"], ARP_REQ[:41]) is None
    # an all-'?' clause (or zero mask) tests nothing: holds even past the end
    assert run(["100/??"], ARP_REQ) == 0
    assert run(["100/ff%00"], ARP_REQ) == 0
    assert run(["!100/??"], ARP_REQ) is None


def test_offsets_count_from_the_data_pointer():
    assert run(["0/0806"], ARP_REQ, 12) == 0
    assert run(["0/0806"], ARP_REQ, 0) is None


# ---------------------------------------------------------------------------------------
# the real Click traces


GOLDEN_CASES = sorted(p.name for p in GOLDEN.glob("classifier_*")) if GOLDEN.is_dir() else []


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="shared/click-golden is not beside the repo")
@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_evaluate_matches_click_golden_trace(case):
    folder = GOLDEN / case
    meta = json.loads((folder / "case.json").read_text())
    (element,) = [v for v in meta["element_args"].values() if v["class"] == "Classifier"]
    cfg = parse("Classifier", [a.strip() for a in element["config"].split(",")])
    offset = 14 if "Strip(14)" in (folder / "config.click").read_text() else 0
    outputs = {int(re.search(r"\[(\d+)\]", o["from"]).group(1)): read_pcap(folder / f)
               for f, o in meta["outputs"].items()}
    got: dict[int, list[bytes]] = {port: [] for port in outputs}
    for frame in read_pcap(folder / "in.pcap"):
        port = evaluate("Classifier", cfg, frame, offset)
        if port is not None:
            got.setdefault(port, []).append(frame)
    for port, expected in outputs.items():
        assert got[port] == expected, f"{case} out{port}.pcap differs"


# ---------------------------------------------------------------------------------------
# lowering


def first_match(entries: tuple[TableEntry, ...], fields: dict[str, int]) -> int | None:
    for e in sorted(entries, key=lambda e: e.order):
        if all((fields.get(k, 0) & m.mask) == m.value for k, m in e.match.items()):
            return e.params["port"] if e.action == "set_port" else None
    return None


def csum16(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def random_frame(rng: random.Random) -> bytes:
    macs = [bytes.fromhex(h) for h in ("ffffffffffff", "020000000001", "0200c0a801fb")]
    eth = rng.choice(macs) + rng.choice(macs)
    kind = rng.choice(["ip", "ip", "ip", "arp", "ipv6", "other"])
    if kind == "ip":
        ihl = rng.choice([5, 5, 6])
        proto = rng.choice([1, 6, 17, 47, rng.randrange(256)])
        payload = rng.randbytes(rng.randrange(8, 30))
        hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, rng.choice([0, 0xB8, 3]),
                          ihl * 4 + len(payload), rng.choice([0, 7]),
                          rng.choice([0, 0x4000, 0x2000, 185]), rng.choice([1, 64]), proto, 0,
                          bytes([rng.choice([10, 192]), 168, 1, rng.randrange(4)]),
                          bytes([10, 0, 0, rng.randrange(4)]))
        hdr += b"\x01" * 4 * (ihl - 5)
        hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
        frame = eth + b"\x08\x00" + hdr + payload
    elif kind == "arp":
        frame = eth + b"\x08\x06" + bytes.fromhex("00010800060400") + \
            bytes([rng.choice([1, 2])]) + rng.randbytes(20)
    elif kind == "ipv6":
        frame = eth + b"\x86\xdd" + bytes([0x60]) + rng.randbytes(45)
    else:
        frame = eth + rng.choice([b"\x81\x00", b"\x88\xcc", b"\x08\x01"]) + rng.randbytes(46)
    return frame.ljust(60, b"\0")


_RNG = random.Random(77)
CORPUS = [random_frame(_RNG) for _ in range(300)]
VIEWS = [switch_fields(f) for f in CORPUS]

OFFSETS = [0, 1, 6, 11, 12, 13, 14, 15, 16, 18, 20, 22, 23, 26, 29, 30, 33, 14, 23, 26, 36]
BYTE_VALUES = ["08", "00", "06", "45", "46", "11", "01", "0a", "c0", "a8", "ff", "02", "b8",
               "40", "86", "dd"]


@st.composite
def clauses(draw) -> str:
    off = draw(st.sampled_from(OFFSETS))
    n = draw(st.integers(1, 4))
    value = "".join(draw(st.sampled_from(BYTE_VALUES)) for _ in range(n))
    value = "".join("?" if draw(st.integers(0, 7)) == 0 else ch for ch in value)
    clause = f"{off}/{value}"
    if draw(st.booleans()):
        clause += "%" + "".join(draw(st.sampled_from(["ff", "f0", "0f", "fc", "00", "e0"]))
                                for _ in range(n))
    return ("!" if draw(st.integers(0, 3)) == 0 else "") + clause


@st.composite
def pattern_lists(draw) -> list[str]:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        cl = draw(st.lists(clauses(), min_size=0, max_size=3))
        if draw(st.integers(0, 4)):  # most real patterns test the EtherType
            cl.insert(0, draw(st.sampled_from(["12/0800", "12/0800", "12/0800", "12/0806",
                                               "12/08??", "!12/0800"])))
        out.append(" ".join(cl) if cl else "-")
    return out


@given(pattern_lists(), st.sampled_from([0, 14]))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_first_matching_rule_agrees_with_click(patterns, offset):
    cfg = parse("Classifier", patterns)
    try:
        low = lower("Classifier", cfg, ctx(offset))
    except NotOffloadable:
        assume(False)
        return
    assert low.kind == "classify"
    for frame, view in zip(CORPUS, VIEWS, strict=True):
        want = evaluate("Classifier", cfg, frame, offset)
        assert first_match(low.entries, view) == want, (frame.hex(), low.entries)


def test_ethernet_and_ip_fields_lower_to_key_fields():
    cfg = parse("Classifier", ["12/0800 23/06 26/0a000000%ff000000", "12/0806", "-"])
    low = lower("Classifier", cfg, ctx())
    first = low.entries[0]
    assert first.match["meta.ether_type"].value == 0x0800
    assert first.match["hdr.ipv4.protocol"].value == 6
    assert (first.match["hdr.ipv4.srcAddr"].value, first.match["hdr.ipv4.srcAddr"].mask) == (
        0x0A000000, 0xFF000000)
    assert first.match["meta.ip_ok"].value == 1
    assert [e.params.get("port") for e in low.entries] == [0, 1, 2]


def test_after_strip_offsets_move_to_the_ip_header():
    cfg = parse("Classifier", ["!12/0800", "12/0800 9/11"])  # at offset 14: 23
    low = lower("Classifier", cfg, ctx(0))
    assert any("meta.ether_type" in e.match for e in low.entries)
    with pytest.raises(NotOffloadable, match="12/0800"):
        lower("Classifier", parse("Classifier", ["9/11"]), ctx(14))


@pytest.mark.parametrize(
    ("patterns", "offset", "why"),
    [
        (["12/0806 20/0001"], 0, "frame byte 20"),  # the ARP opcode is not parsed
        (["12/0800 36/0050"], 0, "frame byte 36"),  # moves with IP options
        (["12/0800 24/ffff"], 0, "frame byte 24"),  # header checksum
        (["9/06 22/0050"], 14, "frame byte 36"),
        (["1500/00", "-"], 0, "frame byte 1500"),
    ],
)
def test_not_offloadable_names_the_clause(patterns, offset, why):
    cfg = parse("Classifier", patterns)
    with pytest.raises(NotOffloadable) as e:
        lower("Classifier", cfg, ctx(offset))
    assert why in e.value.reason


def test_unreachable_unparsed_bytes_are_fine():
    # the catch-all takes every packet first: byte 36 never matters
    cfg = parse("Classifier", ["-", "36/0050"])
    low = lower("Classifier", cfg, ctx())
    assert [(e.match, e.params) for e in low.entries] == [({}, {"port": 0})]
    # IPv4 frames are all taken before the pattern that reads their options area
    cfg = parse("Classifier", ["12/0800", "12/0800 36/0050", "-"])
    assert lower("Classifier", cfg, ctx()).entries is not None
    with pytest.raises(NotOffloadable):  # but non-IPv4 frames do reach it
        lower("Classifier", parse("Classifier", ["12/0800", "36/0050"]),
                         ctx())


def test_golden_classifier_nodash_rule_count():
    cfg = parse("Classifier", ["!12/0800", "12/0800 !23/06 !23/11"])
    assert len(lower("Classifier", cfg, ctx()).entries) <= 4
