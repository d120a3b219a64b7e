"""Click's classifier programs as the real ``click`` builds and runs them (tests marked
``tools``; skipped without ``click``): the ported optimiser prints the same ``program``
handler text for random IPFilter and Classifier configurations, and ``evaluate`` sends
frames cut short anywhere in their transport header (or with no transport header at
all) to the output click sends them to."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from support.click import click_binary

from p4sfc_compiler.engine.pcap import read_pcap, write_pcap
from p4sfc_compiler.families import registry
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.classifier.evaluate import evaluate as classifier_evaluate
from p4sfc_compiler.families.classifier.evaluate import program as classifier_program
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.evaluate import evaluate as filter_evaluate
from p4sfc_compiler.families.ipfilter.evaluate import program as filter_program

pytestmark = [
    pytest.mark.tools,
    pytest.mark.skipif(click_binary() is None, reason="the Click driver `click` is absent"),
]

OUTPUTS = 3
PRIMITIVES = [
    "tcp", "udp", "icmp", "src host 10.0.0.{a}", "dst net 10.0.0.0/8", "src port > {p}",
    "dst port {p}", "port {p}", "src port < {p}", "dst port >= {p}", "dst port != {p}",
    "tcp opt syn", "tcp opt ack", "tcp opt psh", "tcp opt rst", "syn", "ack", "fin",
    "icmp type echo", "icmp type echo-reply", "icmp type > {b}", "ip proto 47", "ip frag",
    "ip unfrag", "ip ttl > {b}", "ip len < {p}", "ip tos {b}", "true", "false",
    "udp src port {p}", "tcp dst port > {p}", "src or dst port {p}", "src and dst port {p}",
    "tcp[13] & 2 != 0", "tcp[12] > {b}", "udp[4:2] > {b}", "icmp[1] == {s}",
]


def _prim(r: random.Random) -> str:
    return r.choice(PRIMITIVES).format(
        a=r.randrange(256), b=r.randrange(256), s=r.randrange(4),
        p=r.choice([0, 1, 53, 80, 443, 1023, 1024, 40000, 65535, r.randrange(65536)]))


def _expr(r: random.Random, depth: int = 0) -> str:
    x = r.random()
    if depth > 2 or x < 0.35:
        return ("!" if r.random() < 0.15 else "") + _prim(r)
    if x < 0.6:
        return " && ".join(_expr(r, depth + 1) for _ in range(r.randint(2, 4)))
    if x < 0.8:
        return "(" + " || ".join(_expr(r, depth + 1) for _ in range(r.randint(2, 3))) + ")"
    if x < 0.9:
        return "!(" + _expr(r, depth + 1) + ")"
    return f"({_expr(r, depth + 1)} ? {_expr(r, depth + 1)} : {_expr(r, depth + 1)})"


def _filter_args(r: random.Random) -> list[str]:
    return [r.choice(["allow", "deny", "0", "1", "2"]) + " " + _expr(r)
            for _ in range(r.randint(1, 5))]


def _classifier_args(r: random.Random) -> list[str]:
    pats = []
    for _ in range(r.randint(1, 5)):
        clauses = []
        for _ in range(r.randint(1, 3)):
            nbytes = r.randint(1, 4)
            clause = f"{r.randrange(40)}/" + "".join(r.choice("0123456789abcdef?")
                                                    for _ in range(2 * nbytes))
            if r.random() < 0.3:
                clause += "%" + "".join(r.choice("0123456789abcdef") for _ in range(2 * nbytes))
            clauses.append(("!" if r.random() < 0.2 else "") + clause)
        pats.append(" ".join(clauses) if r.random() > 0.1 else "-")
    return pats


def _run(tmp: Path, element: str, frames: list[bytes], handler: str | None,
         marks: str = "MarkMACHeader -> MarkIPHeader(14) -> ") -> \
        tuple[list[int | None], str] | None:
    """Which output click sends each frame to (None: dropped) and the handler's text;
    None when click refuses the configuration or aborts (its optimiser can)."""
    write_pcap(tmp / "in.pcap", [(f, (0, i)) for i, f in enumerate(frames)])
    outs = "\n".join(f"e[{k}] -> ToDump(out{k}.pcap);" for k in range(OUTPUTS))
    config = f"FromDump(in.pcap, STOP true, TIMING false) -> {marks}e :: {element};\n{outs}\n"
    (tmp / "config.click").write_text(config)
    cmd = [str(click_binary()), "-f", "config.click"] + (["-h", handler] if handler else [])
    done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        return None
    where: list[int | None] = [None] * len(frames)
    index = {f: i for i, f in enumerate(frames)}
    for k in range(OUTPUTS):
        for f, _ in read_pcap(tmp / f"out{k}.pcap"):
            where[index[bytes(f)]] = k
    return where, done.stdout


def _ip(proto: int, ident: int, l4: bytes, frag: int = 0, ihl: int = 5,
        length_cut: int = 0) -> bytes:
    """An Ethernet + IPv4 frame (checksum left 0: nothing here checks it)."""
    opts = bytes(4 * (ihl - 5))
    total = 4 * ihl + len(l4) - length_cut
    ip = bytes([0x40 | ihl, 0]) + total.to_bytes(2, "big") + ident.to_bytes(2, "big") + \
        frag.to_bytes(2, "big") + bytes([64, proto, 0, 0, 10, 0, 0, 5, 10, 0, 1, 10]) + opts
    return bytes(6) + bytes([0, 1, 2, 3, 4, 5]) + b"\x08\x00" + ip + l4


def _cut_frames(r: random.Random) -> list[bytes]:
    """TCP, UDP and ICMP frames with every transport length from 0 to past the header,
    first fragments and later ones; IP ids keep the frames apart."""
    frames = []
    ident = 0
    for proto, size in ((6, 20), (17, 8), (1, 8)):
        for cut in range(size + 3):
            for frag in (0, 0, 0x2000, 0x0008):
                ident += 1
                l4 = bytes(r.randrange(256) for _ in range(size + 2))
                if r.random() < 0.5:  # ports and flags that the patterns test
                    l4 = r.choice([40000, 80, 53, 1023, 1024]).to_bytes(2, "big") + \
                        r.choice([80, 443, 53, 1024]).to_bytes(2, "big") + l4[4:]
                frames.append(_ip(proto, ident, l4[:cut], frag, r.choice([5, 5, 6])))
    return frames


def test_filter_programs_and_cut_transport_decisions_equal_clicks(tmp_path: Path) -> None:
    r = random.Random(12)
    frames = _cut_frames(r)
    compared = 0
    for _ in range(40):
        args = _filter_args(r)
        try:
            cfg = registry.parse_config("IPFilter", tuple(args), None, None)
        except ElementConfigError:
            continue
        assert isinstance(cfg, FilterConfig)
        got = _run(tmp_path, f"IPFilter({', '.join(args)})", frames, "e.program")
        if got is None:
            continue
        where, text = got
        assert filter_program(cfg).text == text, args
        for i, f in enumerate(frames):
            assert filter_evaluate("IPFilter", cfg, f, 14, 14) == where[i], (args, f.hex())
        compared += 1
    assert compared >= 25


def test_classifier_programs_and_short_frame_decisions_equal_clicks(tmp_path: Path) -> None:
    r = random.Random(13)
    frames = [bytes(r.randrange(256) for _ in range(n)) + bytes([i]) for i, n in
              enumerate(r.randrange(50) for _ in range(200))]
    compared = 0
    for _ in range(40):
        args = _classifier_args(r)[:OUTPUTS]
        while len(args) < OUTPUTS:
            args.append("-")
        try:
            cfg = registry.parse_config("Classifier", tuple(args), None, None)
        except ElementConfigError:
            continue
        assert isinstance(cfg, ClassifierConfig)
        got = _run(tmp_path, f"Classifier({', '.join(args)})", frames, "e.program", "")
        if got is None:
            continue
        where, text = got
        assert classifier_program(cfg).text == text, args
        for i, f in enumerate(frames):
            assert classifier_evaluate("Classifier", cfg, f, 0) == where[i], (args, f.hex())
        compared += 1
    assert compared >= 25
