import pytest

from p4sfc_compiler.families.base import ElementConfigError, LowerContext, NotOffloadable
from p4sfc_compiler.families.rewriter.config import (
    AddrRange,
    InputSpec,
    Pattern,
    PortRange,
    RewriterConfig,
)
from p4sfc_compiler.families.rewriter.family import REWRITER
from p4sfc_compiler.families.values import ConfigEnv, split_args


def ip(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


def parse(cls: str, config: str, env: ConfigEnv | None = None):
    return REWRITER.parse(cls, split_args(config), None, env)


# --- parsing (configs from the Click golden cases) ---------------------------------------

def test_nat_pattern_with_pass_and_timeouts() -> None:  # golden nf_nat
    cfg = parse("IPRewriter", "pattern 198.51.100.10 50000-54999# - - 0 1, pass 2, "
                              "UDP_TIMEOUT 30, TCP_TIMEOUT 3600")
    assert cfg.inputs == (
        InputSpec("pattern", 0, 1, Pattern(AddrRange(ip("198.51.100.10"), ip("198.51.100.10")),
                                           PortRange(50000, 54999, "#"), None, None)),
        InputSpec("pass", 2),
    )
    assert dict(cfg.timeouts) == {"UDP_TIMEOUT": 30.0, "TCP_TIMEOUT": 3600.0}
    assert cfg.dst_anno is True


def test_dnat_pattern() -> None:  # golden iprewriter_dnat
    cfg = parse("IPRewriter", "pattern - - 10.0.0.92 8080 0 1,\n    drop")
    assert cfg.inputs[0].pattern == Pattern(None, None, ip("10.0.0.92"), 8080)
    assert cfg.inputs[1] == InputSpec("drop")


def test_keep_pass_drop() -> None:  # golden iprewriter_keep_pass
    cfg = parse("IPRewriter", "keep 0 1, pass 2, drop")
    assert [s.kind for s in cfg.inputs] == ["keep", "pass", "drop"]
    assert (cfg.inputs[0].foutput, cfg.inputs[0].routput) == (0, 1)


def test_spec_spellings() -> None:
    cfg = parse("IPRewriter", "nochange, passthrough 1, discard, xpattern 1.0.0.1 20 - - 0 1, "
                              "mapper, pattern NAT 0 1")
    assert [s.kind for s in cfg.inputs] == ["pass", "pass", "drop", "pattern", "mapper",
                                             "pattern"]
    assert cfg.inputs[0].foutput == 0
    assert cfg.inputs[3].pattern.sport == PortRange(20, 20)
    assert cfg.inputs[4].mapper == "mapper"
    assert cfg.inputs[5].pattern_name == "NAT"


def test_pattern_port_modes_and_address_ranges() -> None:
    cfg = parse("IPRewriter", "pattern 1.0.0.1-1.0.0.9# 1024-65535? - - 0 1")
    pat = cfg.inputs[0].pattern
    assert pat.saddr == AddrRange(ip("1.0.0.1"), ip("1.0.0.9"), True)
    assert pat.sport == PortRange(1024, 65535, "?")


def test_address_info_names_in_patterns() -> None:  # Click's conf/thomer-nat.click
    env = ConfigEnv({"eth0-ex": ("209.6.198.213",)})
    cfg = parse("IPRewriterPatterns", "NAT eth0-ex 50000-65535 - -", env)
    assert cfg.get("NAT").saddr == AddrRange(ip("209.6.198.213"), ip("209.6.198.213"))


def test_keywords() -> None:
    cfg = parse("UDPRewriter", "pattern 198.51.100.53 40000-40999# - - 0 1, pass 2, "
                               "TIMEOUT 10s, STREAMING_TIMEOUT 1min, DST_ANNO false, "
                               "MAPPING_CAPACITY 100")
    assert cfg.dst_anno is False and cfg.capacity == "100"
    assert dict(cfg.timeouts) == {"STREAMING_TIMEOUT": 60.0, "TIMEOUT": 10.0}
    assert parse("TCPRewriter", "drop, MAPPING_CAPACITY rw2").capacity == "rw2"


@pytest.mark.parametrize(
    "cls, config, message",
    [
        ("IPRewriter", "", "too few arguments"),
        ("IPRewriter", "TCP_TIMEOUT 5", "too few arguments"),
        ("IPRewriter", "drop 1", "input spec 0: syntax error"),
        ("IPRewriter", "pass x", "bad integer"),
        ("IPRewriter", "keep 0", "expected 'keep FOUTPUT ROUTPUT'"),
        ("IPRewriter", "pattern 1.0.0.1 20 - 0 1", "input spec 0"),
        ("IPRewriter", "pattern 1.0.0.1 2000-1000 - - 0 1", "bad source port range"),
        ("IPRewriter", "pattern 1.0.0.1 70000 - - 0 1", "bad source port"),
        ("IPRewriter", "pattern 1.0.0.1 20 - 99999 0 1", "out of range"),
        ("IPRewriter", "pattern nowhere 20 - - 0 1", "bad source address"),
        ("IPRewriter", "drop, 17", "input spec 1: unknown specification"),
        ("IPRewriter", "drop, UDP_TIMOUT 30", "input spec 1"),  # misspelled keyword
        ("IPRewriter", "drop, TCP_TIMEOUT soon", "TCP_TIMEOUT: bad time"),
        ("IPRewriter", "drop, DST_ANNO maybe", "DST_ANNO: bad boolean"),
        ("IPRewriter", "drop, MAPPING_CAPACITY 1.5", "bad MAPPING_CAPACITY"),
        ("UDPRewriter", "drop, TCP_TIMEOUT 5", "input spec 1"),  # not a UDPRewriter keyword
        ("IPAddrRewriter", "pattern 1.0.0.1 1.0.0.2 0 1", "destination must be '-'"),
        ("IPAddrRewriter", "drop, DST_ANNO true", "input spec 1"),
        ("IPRewriterPatterns", "A 1.0.0.1 20 - -, A 1.0.0.2 20 - -", "defined twice"),
    ],
)
def test_bad_configs(cls: str, config: str, message: str) -> None:
    with pytest.raises(ElementConfigError, match=message):
        parse(cls, config)


def test_ipaddrrewriter_pattern() -> None:  # golden ipaddrrewriter_nat
    cfg = parse("IPAddrRewriter", "pattern 203.0.113.64-203.0.113.79# - 0 1,\n    drop")
    assert cfg.inputs[0].pattern.saddr == AddrRange(ip("203.0.113.64"), ip("203.0.113.79"), True)
    prefix = parse("IPAddrRewriter", "pattern 10.0.0.0/30 - 0 1").inputs[0].pattern.saddr
    assert prefix == AddrRange(ip("10.0.0.0"), ip("10.0.0.3"), prefix=True)


# --- lowering ---------------------------------------------------------------------------

def test_lower_miss_behaviour_per_input() -> None:
    cfg = parse("IPRewriter", "pattern 1.0.0.1 1024-65535# - - 0 1, pass 2, drop, keep 0 1")
    low = REWRITER.lower("IPRewriter", cfg, LowerContext(n_inputs=4, n_outputs=3))
    assert low.kind == "rewriter"
    assert low.params == {"proto": 0}
    # every miss goes to the server, whose mapping table is the authority (a "drop" or
    # "pass" input still translates replies of existing mappings); pass_port is where a
    # packet the table cannot hold (not TCP/UDP) goes
    assert low.input_params == {
        0: {"server_entry": 1, "pass_port": 255},
        1: {"server_entry": 2, "pass_port": 2},
        2: {"server_entry": 3, "pass_port": 255},
        3: {"server_entry": 4, "pass_port": 255},
    }
    assert low.entries == ()  # mappings are installed at run time


def test_lower_proto_per_class() -> None:
    cfg = parse("TCPRewriter", "pattern 203.0.113.9 30000-30999# - - 0 1, drop")
    assert REWRITER.lower("TCPRewriter", cfg, LowerContext(n_inputs=2)).params == {"proto": 6}
    cfg = parse("UDPRewriter", "pattern 198.51.100.53 40000-40999# - - 0 1, pass 2")
    assert REWRITER.lower("UDPRewriter", cfg, LowerContext(n_inputs=2)).params == {"proto": 0}


def test_lower_mapper_and_named_pattern_go_to_server() -> None:
    cfg = parse("IPRewriter", "rrmapper, pattern NAT 0 1")
    low = REWRITER.lower("IPRewriter", cfg, LowerContext(n_inputs=2))
    assert [p["server_entry"] for p in low.input_params.values()] == [1, 2]


def test_lower_random_ports_not_offloadable() -> None:
    cfg = parse("IPRewriter", "drop, pattern 1.0.0.1 1024-65535? - - 0 1")
    with pytest.raises(NotOffloadable, match=r"input spec 1: random source-port"):
        REWRITER.lower("IPRewriter", cfg, LowerContext(n_inputs=2))


def test_lower_ipaddrrewriter_not_offloadable() -> None:
    cfg = parse("IPAddrRewriter", "pattern 203.0.113.64-203.0.113.79# - 0 1, drop")
    with pytest.raises(NotOffloadable, match="address") as e:
        REWRITER.lower("IPAddrRewriter", cfg, LowerContext(n_inputs=2))
    assert "5-tuple" in e.value.reason


def test_lower_needs_one_spec_per_connected_input() -> None:
    cfg = parse("IPRewriter", "drop")
    with pytest.raises(ElementConfigError, match="one per input port"):
        REWRITER.lower("IPRewriter", cfg, LowerContext(n_inputs=2))


def test_lower_pass_port_that_does_not_fit() -> None:
    cfg = RewriterConfig((InputSpec("pass", foutput=300),))
    with pytest.raises(NotOffloadable, match="pass port 300"):
        REWRITER.lower("IPRewriter", cfg, LowerContext())


def test_patterns_element_is_nop() -> None:
    cfg = parse("IPRewriterPatterns", "to_world 1.0.0.1 50000-65535 - -, addr 1.0.0.2 -")
    assert cfg.get("addr") == Pattern(AddrRange(ip("1.0.0.2"), ip("1.0.0.2")), None, None, None)
    assert REWRITER.lower("IPRewriterPatterns", cfg, LowerContext()).is_nop


def test_lower_dst_anno_false_not_offloadable() -> None:
    cfg = parse("IPRewriter", "keep 0 1, DST_ANNO false")
    with pytest.raises(NotOffloadable, match="DST_ANNO false"):
        REWRITER.lower("IPRewriter", cfg, LowerContext())
