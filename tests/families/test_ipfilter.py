"""IPFilter / IPClassifier: config grammar, Click semantics, and the real Click traces."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from _pcap import read_pcap

from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.ipfilter.config import parse
from p4sfc_compiler.families.ipfilter.evaluate import evaluate
from p4sfc_compiler.families.ipfilter.parser import separate_text
from p4sfc_compiler.families.values import ConfigEnv

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "click"  # copied from shared/


# ---------------------------------------------------------------------------------------
# frames


def csum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_frame(proto: int, l4: bytes, *, src="10.0.0.1", dst="192.168.1.2", ttl=64, tos=0,
             frag=0, mf=False, options=b"", eth_src=b"\x02\0\0\0\0\x01",
             eth_dst=b"\x02\0\0\0\0\x02") -> bytes:
    """An Ethernet + IPv4 frame with a correct header checksum."""
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(l4)
    flags_frag = (0x2000 if mf else 0) | frag
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, total, 1, flags_frag, ttl, proto, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    hdr += options
    hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
    return eth_dst + eth_src + b"\x08\x00" + hdr + l4


def tcp(sport=1234, dport=80, flags=0x10, win=1000) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, win, 0, 0)


def udp(sport=1234, dport=53) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8, 0)


def icmp(type_=8, code=0) -> bytes:
    return struct.pack("!BBHI", type_, code, 0, 0)


def run(cls: str, args: list[str], frame: bytes, env=None) -> int | None:
    return evaluate(cls, parse(cls, args, None, env), frame, 14)


# ---------------------------------------------------------------------------------------
# grammar


def test_tokenizer_follows_click():
    assert separate_text("ip[12:4]==0x0a000071&&!syn") == [
        "ip", "[", "12:4", "]", "==", "0x0a000071", "&&", "!", "syn"]
    assert separate_text("icmp ? icmp type echo : ip ttl<5") == [
        "icmp", "?", "icmp", "type", "echo", ":", "ip", "ttl", "<", "5"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["allow tcp port"], "value missing"),
        (["allow echo"], "echo"),  # a port and an ICMP type: ambiguous
        (["allow ip dscp 64"], "out of range"),
        (["allow tcp opt > syn"], "operator or mask not supported"),
        (["allow tcp and"], "missing expression"),
        (["allow (tcp"], "missing ')'"),
        (["allow icmp ? icmp type echo"], "missing ':'"),
        (["maybe tcp"], "unknown slot ID 'maybe'"),
        (["allow tcp )"], "garbage after expression at ')'"),
        (["allow ip[2:4] == 1"], "does not fit in a single word"),
        (["allow ip ttl & 0 == 1"], "zero mask"),
        (["allow host 10.0.0.0/8"], "address missing"),
        (["allow tcp udp port 80"], "specified twice"),
        (["allow icmp port 80"], "bad protocol"),
        (["allow src port > foo"], "dangling operator near 'foo'"),
    ],
)
def test_bad_configs_name_the_problem(args, message):
    with pytest.raises(ElementConfigError) as e:
        parse("IPFilter", args)
    assert message in str(e.value)


def test_ipclassifier_numbers_outputs_and_accepts_dash():
    cfg = parse("IPClassifier", ["tcp", "udp", "-"])
    assert [r.port for r in cfg.rules] == [0, 1, 2]
    assert run("IPClassifier", ["tcp", "udp", "-"], ip_frame(17, udp())) == 1
    assert run("IPClassifier", ["tcp", "udp", "-"], ip_frame(1, icmp())) == 2


def test_actions_allow_deny_ports_and_no_match():
    args = ["deny icmp", "2 udp", "allow tcp dst port 22"]
    assert run("IPFilter", args, ip_frame(1, icmp())) is None
    assert run("IPFilter", args, ip_frame(17, udp())) == 2
    assert run("IPFilter", args, ip_frame(6, tcp(dport=22))) == 0
    assert run("IPFilter", args, ip_frame(6, tcp(dport=23))) is None  # no rule: dropped


def test_port_ne_keeps_protocol_but_negated_port_test_does_not():
    frag = ip_frame(6, tcp(dport=80), frag=100)  # non-first fragment that looks like :80
    u = ip_frame(17, udp(dport=80))
    for frame, ne, neg in [
        (ip_frame(6, tcp(sport=1, dport=8080)), 0, 0),
        (ip_frame(6, tcp(sport=1, dport=80)), None, None),
        (u, None, 0),
        (frag, None, 0),
    ]:
        assert run("IPFilter", ["allow tcp port != 80"], frame) == ne
        assert run("IPFilter", ["allow !(tcp port 80)"], frame) == neg


def test_qualifier_elision_carries_src_dst_and_protocol():
    args = ["allow src port 80 or 81"]
    assert run("IPFilter", args, ip_frame(6, tcp(sport=81, dport=1))) == 0
    assert run("IPFilter", args, ip_frame(6, tcp(sport=1, dport=81))) is None
    # a bare value after host inherits 'src'
    args = ["allow src host 10.0.0.9 or 10.0.0.1"]
    assert run("IPFilter", args, ip_frame(6, tcp(), src="10.0.0.1")) == 0
    assert run("IPFilter", args, ip_frame(6, tcp(), dst="10.0.0.1", src="1.2.3.4")) is None
    # 'tcp and www': the port name takes the protocol of the test before it
    assert run("IPFilter", ["allow tcp and www"], ip_frame(17, udp(dport=80))) is None
    assert run("IPFilter", ["allow udp or www"], ip_frame(6, tcp(dport=80))) is None


def test_relations_masks_and_names():
    f = ip_frame(6, tcp(sport=5000, dport=443, flags=0x12), ttl=3, tos=0xB9)
    yes = ["tcp dst port > 1023 or dst port https", "ip ttl < 4", "ip ttl <= 3",
           "ip ttl >= 3", "ip dscp == 46", "ip tos & 3 == 1", "ip ect", "not ip ce",
           "syn && ack", "tcp opt syn and tcp opt ack", "src port & 0xff00 == 0x1300",
           "ip[8] == 3", "transp[0:2] == 5000", "tcp[13] & 0x12 == 0x12", "ip unfrag",
           "ip len > 39", "ip vers 4", "ip hl 5", "ip id < 2", "true", "src net 10/8"]
    no = ["ip ttl > 3", "ip ttl != 3", "ip frag", "fin", "udp", "icmp type echo",
          "src port <= 1023", "false", "tcp win 0"]
    for expr in yes:
        assert run("IPFilter", [f"allow {expr}"], f) == 0, expr
    for expr in no:
        assert run("IPFilter", [f"allow {expr}"], f) is None, expr


def test_port_relation_applies_to_either_side_then_negates():
    # 'port <= 1023' is Click's !(sport > 1023 or dport > 1023): both ports low
    assert run("IPFilter", ["allow port <= 1023"], ip_frame(6, tcp(1, 2))) == 0
    assert run("IPFilter", ["allow port <= 1023"], ip_frame(6, tcp(5000, 2))) is None


def test_icmp_type_ne_requires_icmp_first_fragment():
    assert run("IPFilter", ["allow icmp type != 5"], ip_frame(1, icmp(8))) == 0
    assert run("IPFilter", ["allow icmp type != 5"], ip_frame(6, tcp())) is None
    assert run("IPFilter", ["allow icmp type != 5"], ip_frame(1, icmp(8), frag=3)) is None


def test_ternary_and_precedence():
    args = ["4 icmp ? icmp type echo : ip ttl < 5"]
    assert run("IPFilter", args, ip_frame(1, icmp(8), ttl=64)) == 4
    assert run("IPFilter", args, ip_frame(1, icmp(0), ttl=1)) is None
    assert run("IPFilter", args, ip_frame(6, tcp(), ttl=1)) == 4
    # 'a or b and c' is 'a or (b and c)'
    args = ["allow dst port 80 or 443 and udp"]
    assert run("IPFilter", args, ip_frame(6, tcp(dport=80))) == 0
    assert run("IPFilter", args, ip_frame(6, tcp(dport=443))) is None


def test_ether_host_reads_the_mac_header():
    f = ip_frame(6, tcp(), eth_src=bytes.fromhex("0200c0a801fb"))
    assert run("IPFilter", ["allow src ether host 02:00:c0:a8:01:fb"], f) == 0
    assert run("IPFilter", ["allow dst ether host 02:00:c0:a8:01:fb"], f) is None
    assert run("IPFilter", ["allow ether host 02:00:c0:a8:01:fb"], f) == 0


def test_address_info_names():
    env = ConfigEnv({"INTERNAL": ("10.0.0.0/8",), "WEB": ("10.1.2.95",)})
    args = ["allow src net INTERNAL && dst WEB"]
    assert run("IPFilter", args, ip_frame(6, tcp(), src="10.9.9.9", dst="10.1.2.95"), env) == 0
    assert run("IPFilter", args, ip_frame(6, tcp(), src="10.9.9.9", dst="10.1.2.96"), env) is None


def test_short_transport_header_fails_tests_on_missing_bytes():
    full = ip_frame(6, tcp(dport=80, flags=0x02))
    cut = full[: 14 + 20 + 4]  # only the ports are left
    cut = cut[:16] + struct.pack("!H", 24) + cut[18:]
    assert run("IPFilter", ["allow tcp port 80"], cut) == 0
    assert run("IPFilter", ["allow syn"], cut) is None
    assert run("IPFilter", ["allow !syn"], cut) == 0
    # 'tcp port != 80' on a packet without ports: Click's negation keeps the failure
    none = full[: 14 + 20]
    assert run("IPFilter", ["allow tcp port != 80"], none) is None
    assert run("IPFilter", ["allow !(tcp port 80)"], none) == 0


# ---------------------------------------------------------------------------------------
# the real Click traces


def check_ip_header(frame: bytes, offset: int = 14) -> bytes | None:
    """Click's CheckIPHeader (default keywords): the truncated frame, or None if bad."""
    ip = frame[offset:]
    if len(ip) < 20 or ip[0] >> 4 != 4:
        return None
    hl = (ip[0] & 0x0F) * 4
    if hl < 20 or hl > len(ip) or csum16(ip[:hl]) != 0:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    if total < hl or total > len(ip):
        return None
    return frame[: offset + total]


def split_config(text: str) -> list[str]:
    """Click argument splitting (no quoted commas in these cases)."""
    return [a.strip() for a in text.split(",")]


def golden_cases() -> list[str]:
    if not GOLDEN.is_dir():
        return []
    names = []
    for case in sorted(GOLDEN.iterdir()):
        if case.name.startswith(("ipfilter_", "ipclassifier_")) or case.name in (
            "nf_firewall", "nf_flowmon", "markipheader"):
            names.append(case.name)
    return names


def address_infos(config: str) -> ConfigEnv:
    """AddressInfo(NAME VALUE, ...) declarations of a golden config."""
    env: dict[str, tuple[str, ...]] = {}
    for line in config.splitlines():
        if line.startswith("AddressInfo("):
            for arg in split_config(line[len("AddressInfo(") : line.rindex(")")]):
                name, *vals = arg.split()
                env[name] = tuple(vals)
    return ConfigEnv(env)


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="shared/click-golden is not beside the repo")
@pytest.mark.parametrize("case", golden_cases())
def test_evaluate_matches_click_golden_trace(case):
    folder = GOLDEN / case
    meta = json.loads((folder / "case.json").read_text())
    config = (folder / "config.click").read_text()
    found = re.search(r"(\w+) :: (IPFilter|IPClassifier)\(([^;]*)\);", config, re.S)
    assert found is not None
    cls, text = found.group(2), found.group(3)
    if cls == "IPFilter" or "->" in text:  # multi-line or chained: take case.json's
        (element,) = [v for v in meta["element_args"].values() if v["class"] == cls]
        text = element["config"]
    else:
        text = text.rsplit(")", 1)[0] if text.count(")") > text.count("(") else text
    cfg = parse(cls, split_config(text), None, address_infos(config))
    # outN.pcap records the element's output named in case.json ("e[3] -> Unstrip(14)")
    outputs = {int(re.search(r"\[(\d+)\]", o["from"]).group(1)): read_pcap(folder / f)
               for f, o in meta["outputs"].items()}
    got: dict[int, list[bytes]] = {port: [] for port in outputs}
    mark_whole_frame = "MarkIPHeader(14)" in config
    for frame in read_pcap(folder / "in.pcap"):
        if mark_whole_frame:  # MarkIPHeader(14) on the frame: data offset 0, IP at 14
            port = evaluate(cls, cfg, frame, 0, ip_offset=14)
            packet = frame
        elif "MarkIPHeader" in config:  # Strip(14) -> MarkIPHeader: nothing checked
            packet = frame
            port = evaluate(cls, cfg, packet, 14)
        else:
            packet = check_ip_header(frame)
            if packet is None:
                continue
            port = evaluate(cls, cfg, packet, 14)
        if port is not None and port in got:
            got[port].append(packet)
    for port, expected in outputs.items():
        mine = got[port]
        first_diff = next((i for i, (a, b) in enumerate(zip(mine, expected, strict=False))
                           if a != b), None)
        assert len(mine) == len(expected) and first_diff is None, (
            f"{case} out{port}.pcap: {len(mine)} packets vs Click's {len(expected)}, "
            f"first difference at packet {first_diff}")
