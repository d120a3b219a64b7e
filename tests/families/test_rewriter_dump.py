"""The rewriters' mapping handlers parsed back into switch entries: exactly the entries
the engine's rewriter mirrors for the same mappings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.deploy.traffic import ipv4_frame, tcp, udp
from p4sfc_compiler.engine.engine import Engine
from p4sfc_compiler.families.behaviour import Packet
from p4sfc_compiler.families.rewriter.behaviour import Rewriter
from p4sfc_compiler.families.rewriter.dump import mapping_handlers, parse_mappings
from p4sfc_compiler.state.table import P4SFCTable


class Recorder:
    def __init__(self) -> None:
        self.entries: dict[tuple[int, ...], tuple[int, ...]] = {}

    def create(self, keys, vals, timeout=None, group=None) -> None:  # type: ignore[no-untyped-def]
        self.entries[keys] = vals

    def get(self, keys):  # type: ignore[no-untyped-def]
        return self.entries.get(keys)

    def remove(self, keys) -> None:  # type: ignore[no-untyped-def]
        self.entries.pop(keys, None)

    def on_expire(self, callback) -> None:  # type: ignore[no-untyped-def]
        pass


CONFIGS = {
    "IPRewriter": "rw :: IPRewriter(pattern 192.168.0.1 50000-50100# - - 0 1, pattern - - "
                  "10.0.2.11 8080 1 0, drop)",
    "TCPRewriter": "rw :: TCPRewriter(pattern 192.168.0.1 50000-50100# - - 0 1, drop, drop)",
    "UDPRewriter": "rw :: UDPRewriter(pattern 192.168.0.1 50000-50100# - - 0 1, drop, drop)",
}


@settings(max_examples=25, deadline=None)
@given(cls=st.sampled_from(sorted(CONFIGS)),
       flows=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 20), st.booleans()),
                      min_size=1, max_size=12))
def test_handlers_parse_to_the_mirrored_entries(cls: str, flows) -> None:  # type: ignore[no-untyped-def]
    text = (f"{CONFIGS[cls]};\ninput -> [0]rw; input[1] -> [1]rw;\n"
            "rw[0] -> output; rw[1] -> [1]output;")
    engine = Engine.from_text(text, compound_body=True)
    rw = engine.elements["rw"]
    assert isinstance(rw, Rewriter)
    rec = Recorder()
    rw.attach_mirror(rec)
    for port, n, is_udp in flows:
        l4 = udp(1000 + n, 53) if is_udp else tcp(1000 + n, 80, 0x02)
        frame = ipv4_frame(f"10.0.0.{n}", "10.0.1.10", 17 if is_udp else 6, l4)
        p = Packet(frame)
        p.data = 14
        p.ip = 14
        rw.push(port if port < 2 else 0, p)
    if any(port == 0 and (not is_udp or cls != "TCPRewriter") for port, _, is_udp in flows):
        assert rec.entries  # a new flow on the pattern input was mapped
    parsed: dict[tuple[int, ...], tuple[int, ...]] = {}
    handlers = rw.handlers()
    for handler, protos in mapping_handlers(cls):
        for keys, vals in parse_mappings(handlers[handler](), protos):
            parsed[keys] = vals
    if cls == "UDPRewriter":  # one table for both protocols: each line stands for both
        assert {k: v for k, v in parsed.items() if k in rec.entries} == rec.entries
        assert {k[:4] for k in parsed} == {k[:4] for k in rec.entries}
    else:
        assert parsed == rec.entries


def test_an_expired_mapping_leaves_the_rewriter_as_in_click() -> None:
    """The library expires a mapping idle past its timeout (both directions as one
    group); the rewriter forgets it, and the flow's next packet maps afresh."""
    text = ("rw :: IPRewriter(pattern 192.168.0.1 50000-50100# - - 0 1, drop, "
            "UDP_TIMEOUT 30);\ninput -> [0]rw; input[1] -> [1]rw;\n"
            "rw[0] -> output; rw[1] -> [1]output;")
    engine = Engine.from_text(text, compound_body=True)
    rw = engine.elements["rw"]
    assert isinstance(rw, Rewriter)
    now = [0.0]
    table = P4SFCTable(("k",) * 5, ("v",) * 5, clock=lambda: now[0])
    rw.attach_mirror(table)

    def send(n: int) -> None:
        p = Packet(ipv4_frame(f"10.0.0.{n}", "10.0.1.10", 17, udp(1000 + n, 53)))
        p.data = p.ip = 14
        rw.push(0, p)

    send(1)
    send(2)
    assert rw.handlers()["table_size"]() == "2" and len(table) == 4
    now[0] = 20.0
    send(2)  # flow 2 is used again
    now[0] = 40.0
    gone = table.expire()
    assert len(gone) == 2 and {k[0] for k in gone} != {0}  # flow 1's two directions
    assert rw.handlers()["table_size"]() == "1" and len(table) == 2
    send(1)  # maps afresh: the next port of the pattern
    assert rw.handlers()["table_size"]() == "2"
    ports = sorted(v[1] for k, v in table.items().items() if k[1] in (1001, 1002))
    assert ports == [50001, 50002]
