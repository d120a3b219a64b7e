"""Click's optimised classifier programs (families/wordwise.py): the programs equal the
real click's (texts recorded from click 2.1's ``program`` handler), the answers on
packets cut short are the program's, not the tree's, and on packets long enough for
every test the two agree (the optimiser changes nothing there)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.families.classifier.config import parse as parse_classifier
from p4sfc_compiler.families.classifier.evaluate import evaluate as classifier_evaluate
from p4sfc_compiler.families.classifier.evaluate import program as classifier_program
from p4sfc_compiler.families.ipfilter.behaviour import LEAD, compile_filter, reach
from p4sfc_compiler.families.ipfilter.config import parse as parse_filter
from p4sfc_compiler.families.ipfilter.evaluate import ClickPacket, evaluate
from p4sfc_compiler.families.ipfilter.evaluate import program as filter_program
from p4sfc_compiler.families.wordtests import eval_node

FIREWALL = [
    "deny src net 10.0.0.0/8 && dst net 10.0.0.0/8 && icmp",
    "allow dst host 10.0.1.10 && tcp && (dst port 80 || dst port 443)",
    "allow src net 10.0.0.0/8 && tcp && syn && !ack",
    "allow dst net 10.0.0.0/8 && tcp && src port > 1023 && ack",
    "allow dst host 10.0.1.53 && udp && dst port 53",
    "allow src host 10.0.1.53 && udp && src port 53",
    "allow icmp && (icmp type echo || icmp type echo-reply)",
    "deny all",
]

# click 2.1: IPFilter(FIREWALL...) -h e.program
FIREWALL_PROGRAM = """\
 0 268/0a000000%ff000000  yes->step 1  no->step 3
 1 264/00010000%00ff0000  yes->step 2  no->step 3
 2 272/0a000000%ff000000  yes->[X]  no->step 22
 3 264/00060000%00ff0000  yes->step 4  no->step 13
 4 260/00000000%00001fff  yes->step 5  no->step 13
 5 272/0a00010a%ffffffff  yes->step 6  no->step 8
 6 512/00000050%0000ffff  yes->[0]  no->step 7
 7 512/000001bb%0000ffff  yes->[0]  no->step 8
 8 268/0a000000%ff000000  yes->step 9  no->step 10
 9 524/00020000%00120000  yes->[0]  no->step 10
10 272/0a000000%ff000000  yes->step 11  no->[X]
11 512/00000000%fc000000  yes->step 13  no->step 12  short->yes
12 524/00100000%00100000  yes->[0]  no->step 13
13 272/0a000135%ffffffff  yes->step 14  no->step 17
14 264/00110000%00ff0000  yes->step 15  no->step 21
15 260/00000000%00001fff  yes->step 16  no->[X]
16 512/00000035%0000ffff  yes->[0]  no->step 19
17 264/00110000%00ff0000  yes->step 18  no->step 21
18 260/00000000%00001fff  yes->step 19  no->[X]
19 268/0a000135%ffffffff  yes->step 20  no->[X]
20 512/00350000%ffff0000  yes->[0]  no->[X]
21 264/00010000%00ff0000  yes->step 22  no->[X]
22 260/00000000%00001fff  yes->step 23  no->[X]
23 512/00000000%f7000000  yes->[0]  no->[X]
safe length 526
alignment offset 0
"""

# click 2.1: IPFilter(2 tcp opt ack && !(tcp opt psh), 0 src port > 1023 && ack, 1 -)
ACK_NOT_PSH = ["2 tcp opt ack && !(tcp opt psh)", "0 src port > 1023 && ack", "1 -"]
ACK_NOT_PSH_PROGRAM = """\
 0 264/00060000%00ff0000  yes->step 1  no->step 3
 1 260/00000000%00001fff  yes->step 2  no->[1]
 2 524/00100000%00180000  yes->[2]  no->step 5
 3 264/00110000%00ff0000  yes->step 4  no->[1]
 4 260/00000000%00001fff  yes->step 5  no->[1]
 5 512/00000000%fc000000  yes->[1]  no->step 6  short->yes
 6 264/00060000%00ff0000  yes->step 7  no->[1]
 7 524/00100000%00100000  yes->[0]  no->[1]
safe length 526
alignment offset 0
"""

# click 2.1: Classifier(12/0800 23/06 47/10%10, 12/0806 20/0001, 12/0800 !23/06, -)
CLASSIFIER = ["12/0800 23/06 47/10%10", "12/0806 20/0001", "12/0800 !23/06", "-"]
CLASSIFIER_PROGRAM = """\
 0  12/08000000%ffff0000  yes->step 1  no->step 3
 1  20/00000006%000000ff  yes->step 2  no->[2]
 2  44/00000010%00000010  yes->[0]  no->[3]
 3  12/08060000%ffff0000  yes->step 4  no->[3]
 4  20/00010000%ffff0000  yes->[1]  no->[3]
safe length 48
alignment offset 0
"""

# an IPv4 TCP frame (IHL 5) that ends with its IP header: no transport byte at all
NO_TRANSPORT = bytes.fromhex("00000000000000010203040508004500001400010000400600000a0000050a00010a")


def test_programs_equal_clicks() -> None:
    assert filter_program(parse_filter("IPFilter", FIREWALL)).text == FIREWALL_PROGRAM
    assert filter_program(parse_filter("IPFilter", ACK_NOT_PSH)).text == ACK_NOT_PSH_PROGRAM
    cfg = parse_classifier("Classifier", CLASSIFIER)
    assert classifier_program(cfg).text == CLASSIFIER_PROGRAM


def _tree_answer(cfg, frame: bytes) -> int | None:
    pkt = ClickPacket(frame, 14)
    return next((r.port for r in cfg.rules if eval_node(r.node, pkt.test)), None)


def test_a_test_past_the_end_takes_the_optimised_programs_branch() -> None:
    """Issue 12's case (click 2.1 sends the frame to output 2): the tree gives the
    catch-all (``tcp opt ack`` fails on a packet without flags), but Click's
    combine_compatible_states merged rule 2's two flag tests into one insn (after
    flipping the negated one), and that insn's short branch is yes."""
    cfg = parse_filter("IPFilter", ["2 !(src port 1023) && tcp opt ack && !(tcp opt psh)",
                                    "0 !tcp opt fin && tcp opt syn", "1 -"])
    assert _tree_answer(cfg, NO_TRANSPORT) == 1
    assert evaluate("IPFilter", cfg, NO_TRANSPORT, 14) == 2
    program = compile_filter(cfg)
    pad = bytes(reach(cfg))
    assert program(bytes(LEAD) + NO_TRANSPORT + pad, LEAD + 14, len(pad)) == 2
    # and a pattern the tree matches on it is dropped (click 2.1: no output counted)
    cfg = parse_filter("IPFilter", ["2 tcp && tcp opt syn || !(tcp opt rst)"])
    assert _tree_answer(cfg, NO_TRANSPORT) == 2
    assert evaluate("IPFilter", cfg, NO_TRANSPORT, 14) is None


def test_transport_cut_after_the_flags_reads_them() -> None:
    """The firewall on a TCP first fragment cut to 16 transport bytes: every byte its
    program tests (ports, flags at 13) is there, so 'src port > 1023 && ack' allows it."""
    tcp = (40000).to_bytes(2, "big") + (8080).to_bytes(2, "big") + bytes(8) + b"\x50\x10"
    frame = NO_TRANSPORT[:16] + (20 + 16).to_bytes(2, "big") + NO_TRANSPORT[18:20] + \
        b"\x20\x00" + NO_TRANSPORT[22:] + tcp + b"\x00\x01"
    cfg = parse_filter("IPFilter", FIREWALL)
    assert evaluate("IPFilter", cfg, frame, 14) == 0
    # cut before the flags (13 bytes) the ack test is short: no rule allows it
    assert evaluate("IPFilter", cfg, frame[:34 + 13], 14) is None


def test_classifier_past_the_end() -> None:
    cfg = parse_classifier("Classifier", CLASSIFIER)
    ip_tcp = bytes(12) + b"\x08\x00" + bytes(9) + b"\x06"
    # 47/10%10 reads byte 47: a frame ending before it is short there -> no (output 3)
    assert classifier_evaluate("Classifier", cfg, ip_tcp + bytes(23), 0) == 3
    assert classifier_evaluate("Classifier", cfg, ip_tcp + bytes(23) + b"\x10", 0) == 0


_WORDS = st.sampled_from([
    "tcp", "udp", "icmp", "src port > 1023", "dst port 80", "tcp opt ack", "tcp opt syn",
    "!(tcp opt psh)", "icmp type echo", "src net 10.0.0.0/8", "ip ttl > 3", "ip frag",
    "!(dst port 53)", "tcp opt syn || !(tcp opt rst)", "true", "false", "udp port 53"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["allow", "deny", "1", "2"]),
                          st.lists(_WORDS, min_size=1, max_size=3)), min_size=1, max_size=4),
       st.binary(min_size=28, max_size=28), st.sampled_from([1, 6, 17]))
def test_long_enough_packets_get_the_trees_answer(rules, body: bytes, proto: int) -> None:
    """The optimiser only changes answers on packets too short for some test."""
    cfg = parse_filter("IPFilter", [f"{a} {' && '.join(ws)}" for a, ws in rules])
    frame = bytes(12) + b"\x08\x00" + b"\x45\x00\x00\x30" + body[:4] + b"\x40" + \
        bytes([proto]) + body[4:14] + body[14:]
    assert ClickPacket(frame, 14).plen >= filter_program(cfg).safe_length
    assert evaluate("IPFilter", cfg, frame, 14) == _tree_answer(cfg, frame)
