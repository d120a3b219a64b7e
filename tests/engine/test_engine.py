"""The engine's own jobs: building (errors before any packet), wiring, sources and sinks
in memory, NF bodies, handlers. Element behaviour is held to Click by
test_golden_click.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from p4sfc_compiler.engine.engine import Engine, HandlerError, run_config
from p4sfc_compiler.engine.pcap import pcap_bytes, read_pcap
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.behaviour import UnsupportedElement

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "click"


def _ipv4_tcp(src: bytes, dst: bytes, dport: int, flags: int, pad: int = 0) -> bytes:
    """An Ethernet + IPv4 + TCP frame with a correct IP checksum."""
    from p4sfc_compiler.families.checksum import in_cksum

    tcp = (40000).to_bytes(2, "big") + dport.to_bytes(2, "big") + bytes(8) + \
        bytes([0x50, flags]) + bytes(6)
    ip = bytearray(bytes([0x45, 0]) + (20 + len(tcp)).to_bytes(2, "big") + bytes(4)
                   + bytes([64, 6, 0, 0]) + src + dst)
    ip[10:12] = in_cksum(ip).to_bytes(2, "big")
    return bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + bytes(ip) + tcp + bytes(pad)


SYN_WEB = _ipv4_tcp(bytes([10, 0, 0, 5]), bytes([10, 0, 1, 10]), 80, 0x02)
ARP = bytes(12) + b"\x08\x06" + bytes(28)


def test_an_element_the_engine_lacks_is_named_with_its_place_before_any_packet() -> None:
    text = "src :: FromDump(in.pcap);\nsrc -> Strip(14)\n  -> sum :: ToIPSummaryDump(x);\n"
    with pytest.raises(UnsupportedElement) as e:
        Engine.from_text(text, "sum.click")
    assert e.value.one_line() == \
        "sum.click:3:6: the NF engine has no element class ToIPSummaryDump (element 'sum')"


def test_a_setting_the_engine_cannot_run_is_refused_while_building() -> None:
    with pytest.raises(UnsupportedElement, match="c \\(Counter\\): .*COUNT_CALL"):
        Engine.from_text("FromDump(x) -> c :: Counter(COUNT_CALL 5 reset) -> Discard;", "x")


def test_configurations_are_parsed_by_the_families() -> None:
    with pytest.raises(ElementConfigError) as e:
        Engine.from_text("FromDump(x) -> Strip(fourteen) -> Discard;", "bad.click")
    assert str(e.value.pos) == "bad.click:1:16"


def test_frames_in_memory_and_the_data_pointer() -> None:
    text = """
        src :: FromDump(in.pcap);
        src -> t :: Tee(2);
        t[0] -> Strip(14) -> Strip(100) -> a :: Counter -> ToDump(empty.pcap);
        t[1] -> Strip(14) -> Unstrip(14) -> b :: Counter -> ToDump(same.pcap);
    """
    eng = run_config(text, [SYN_WEB, (ARP, (7, 9))])
    out = eng.outputs()
    # Strip past the end leaves an empty packet; Unstrip brings back the bytes it kept
    assert [f for f, _ in out["empty.pcap"]] == [b"", b""]
    assert [f for f, _ in out["same.pcap"]] == [SYN_WEB, ARP]
    assert out["same.pcap"][1][1] == (7, 9)  # the record keeps the input's timestamp
    assert eng.read_handler("a.byte_count") == "0"
    assert eng.read_handler("b.count") == "2"
    assert eng.read_handler("b.byte_count") == str(len(SYN_WEB) + len(ARP))


def test_unconnected_optional_outputs_drop() -> None:
    # CheckIPHeader without output 1 drops the ARP frame; with it, the frame goes there
    eng = run_config("FromDump(x) -> Strip(14) -> c :: CheckIPHeader -> ToDump(ok.pcap);",
                     [SYN_WEB, ARP])
    assert len(eng.outputs()["ok.pcap"]) == 1
    assert eng.read_handler("c.drops") == "1"
    eng = run_config("FromDump(x) -> Strip(14) -> c :: CheckIPHeader -> ToDump(ok.pcap);"
                     "c[1] -> ToDump(bad.pcap);", [SYN_WEB, ARP])
    assert [f for f, _ in eng.outputs()["bad.pcap"]] == [ARP[14:]]


def test_checkipheader_truncates_to_the_ip_length() -> None:
    eng = run_config("FromDump(x) -> Strip(14) -> CheckIPHeader -> Unstrip(14) -> ToDump(o);",
                     [_ipv4_tcp(bytes([1, 2, 3, 4]), bytes([5, 6, 7, 8]), 80, 2, pad=6)])
    assert [f for f, _ in eng.outputs()["o"]] == [SYN_WEB[:0] + _ipv4_tcp(
        bytes([1, 2, 3, 4]), bytes([5, 6, 7, 8]), 80, 2)]


def test_an_nf_body_runs_between_input_and_output() -> None:
    nf = REPO / "examples" / "nfs" / "firewall.click"
    eng = Engine.from_text(nf.read_text(), str(nf), compound_body=True)
    # the SYN to the web server passes; ARP and an ACK leaving the inside net do not
    eng.push_body([SYN_WEB, ARP, _ipv4_tcp(bytes([10, 0, 0, 5]), bytes([192, 168, 5, 5]),
                                           22, 0x10)])
    passed = eng.body_outputs()
    assert [p.bytes() for p in passed[0]] == [SYN_WEB]
    assert passed[0][0].dst_anno == int.from_bytes(bytes([10, 0, 1, 10]), "big")


def test_sources_read_their_file_and_sinks_write_theirs(tmp_path: Path) -> None:
    case = GOLDEN / "counter"
    eng = Engine.from_file(case / "config.click")
    eng.run()
    eng.write_outputs(tmp_path)
    for name in ("out0.pcap", "out1.pcap"):
        want = [f for f, _ in read_pcap(case / name)]
        assert [f for f, _ in read_pcap(tmp_path / name)] == want


def test_pcap_roundtrip(tmp_path: Path) -> None:
    records = [(SYN_WEB, (1700000000, 5)), (b"", (1, 999999))]
    (tmp_path / "t.pcap").write_bytes(pcap_bytes(records))
    assert read_pcap(tmp_path / "t.pcap") == records


def test_unknown_handlers_are_errors() -> None:
    eng = run_config("FromDump(x) -> c :: Counter -> Discard;", [ARP])
    assert eng.read_handler("c.count") == "1"
    with pytest.raises(HandlerError, match="c.rate"):
        eng.read_handler("c.rate")
    with pytest.raises(HandlerError):
        eng.read_handler("nobody.count")


@pytest.mark.parametrize("server_io", ["pcap", "device"])
def test_generated_server_configs_build_and_run(server_io: str) -> None:
    from p4sfc_compiler.backend.compile import compile_chains
    from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

    chains = load_chains(REPO / "examples" / "paper-chain.json")
    topology = load_topology(REPO / "examples" / "paper-topology.json")
    validate(chains, topology)
    result = compile_chains(chains, topology, server_io=server_io)
    for (path,) in result.server_files.values():
        eng = Engine.from_text(result.files[path], path)
        (source,) = eng.sources()
        (sink,) = eng.sinks().values()
        # an untagged frame: the entry classifier drops it
        eng.run({source: [SYN_WEB]})
        assert sink.records == []


def _udp(src: str, sport: int, dst: str, dport: int, ident: int) -> bytes:
    from p4sfc_compiler.families.checksum import in_cksum

    def ip4(a: str) -> bytes:
        return bytes(int(x) for x in a.split("."))

    udp = sport.to_bytes(2, "big") + dport.to_bytes(2, "big") + (8).to_bytes(2, "big") + bytes(2)
    ip = bytearray(bytes([0x45, 0]) + (28).to_bytes(2, "big") + ident.to_bytes(2, "big")
                   + bytes(2) + bytes([64, 17, 0, 0]) + ip4(src) + ip4(dst))
    ip[10:12] = in_cksum(ip).to_bytes(2, "big")
    return bytes(12) + b"\x08\x00" + bytes(ip) + udp


def test_round_robin_mapper_as_in_clicks_own_test() -> None:
    # click's test/IPRewriter/RoundRobinIPMapper-01.clicktest: new flows take the mapper's
    # patterns in turn, packets of a known flow follow their mapping
    text = """
        r :: RoundRobinIPMapper(- - - - 0 0, - - - - 1 0, - - - - 2 0);
        FromDump(x) -> Strip(14) -> MarkIPHeader -> rw :: IPRewriter(r);
        rw[0] -> ToDump(o0); rw[1] -> ToDump(o1); rw[2] -> ToDump(o2);
    """
    flows = [("1.0.0.2", 2), ("1.0.0.2", 3), ("1.0.0.2", 2), ("1.0.0.3", 2), ("1.0.0.4", 2),
             ("1.0.0.2", 3), ("1.0.0.2", 3)]
    eng = run_config(text, [_udp("1.0.0.1", 1, dst, dport, i) for i, (dst, dport) in
                            enumerate(flows)])
    port_of = {int.from_bytes(f[4:6], "big"): int(name[1:])
               for name, recs in eng.outputs().items() for f, _ in recs}
    assert [port_of[i] for i in range(len(flows))] == [0, 1, 0, 2, 0, 1, 1]
    assert eng.read_handler("rw.table_size") == "4"


def test_idle_drops_and_null_passes() -> None:
    eng = run_config("FromDump(x) -> t :: Tee(2); t[0] -> Null -> ToDump(o); t[1] -> Idle;"
                     "Idle -> ToDump(never);", [ARP, SYN_WEB])
    assert [f for f, _ in eng.outputs()["o"]] == [ARP, SYN_WEB]
    assert eng.outputs()["never"] == []
