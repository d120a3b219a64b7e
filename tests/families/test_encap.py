import pytest

from p4sfc_compiler.families.base import ElementConfigError, LowerContext, NotOffloadable
from p4sfc_compiler.families.encap.config import EtherEncapConfig, IPEncapConfig
from p4sfc_compiler.families.encap.family import ENCAP
from p4sfc_compiler.families.values import ConfigEnv, split_args


def ip(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


def parse(cls: str, config: str, env: ConfigEnv | None = None):
    return ENCAP.parse(cls, split_args(config), None, env)


AT_IP = LowerContext(data_offset=14)


# --- EtherEncap -------------------------------------------------------------------------

def test_etherencap_golden() -> None:  # golden etherencap
    cfg = parse("EtherEncap", "0x0800, 00:1b:21:3a:4f:01, 00:1b:21:3a:4f:02")
    assert cfg == EtherEncapConfig(0x0800, 0x001B213A4F01, 0x001B213A4F02)
    low = ENCAP.lower("EtherEncap", cfg, AT_IP)
    assert low.kind == "ether_encap"
    assert low.params == {"ether_type": 0x0800, "src": 0x001B213A4F01, "dst": 0x001B213A4F02}


def test_etherencap_names_and_keywords() -> None:  # Click's conf/mazu-nat.click
    env = ConfigEnv({"extern": ("209.6.198.213", "00:0d:87:9d:1c:e9"),
                     "extern_next_hop": ("00:0d:87:9d:1c:ea",)})
    cfg = parse("EtherEncap", "0x0800, extern:eth, extern_next_hop:eth", env)
    assert (cfg.src, cfg.dst) == (0x000D879D1CE9, 0x000D879D1CEA)
    cfg = parse("EtherEncap", "DST 2:2:2:2:2:2, SRC 1:1:1:1:1:1, ETHERTYPE 0x86dd")
    assert cfg == EtherEncapConfig(0x86DD, 0x010101010101, 0x020202020202)


@pytest.mark.parametrize(
    "config, message",
    [
        ("", "missing mandatory ETHERTYPE"),
        ("0x0800, 1:1:1:1:1:1", "missing mandatory DST"),
        ("0x10000, 1:1:1:1:1:1, 2:2:2:2:2:2", "ETHERTYPE"),
        ("0x0800, 1:1:1:1:1, 2:2:2:2:2:2", "SRC: bad Ethernet address"),
        ("0x0800, 1:1:1:1:1:1, intern", "DST: bad Ethernet address 'intern'"),
        ("0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, 3", "too many arguments"),
        ("0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, VLAN 3", "VLAN: unknown argument"),
    ],
)
def test_etherencap_bad(config: str, message: str) -> None:
    with pytest.raises(ElementConfigError, match=message):
        parse("EtherEncap", config)


def test_etherencap_offsets() -> None:
    cfg = parse("EtherEncap", "0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2")
    assert ENCAP.data_offset("EtherEncap", cfg, 14) == 0
    for offset in (0, 34):
        with pytest.raises(NotOffloadable, match=f"data offset {offset}"):
            ENCAP.lower("EtherEncap", cfg, LowerContext(data_offset=offset))


# --- IPEncap ----------------------------------------------------------------------------

def test_ipencap_golden_dscp() -> None:  # golden ipencap, e1
    cfg = parse("IPEncap", "4, 192.0.2.1, 192.0.2.2, TTL 32, DSCP 10")
    assert cfg == IPEncapConfig(4, ip("192.0.2.1"), ip("192.0.2.2"), False, ttl=32, tos=40)
    low = ENCAP.lower("IPEncap", cfg, AT_IP)
    assert low.kind == "ip_encap"
    assert low.params == {"proto": 4, "src": ip("192.0.2.1"), "dst": ip("192.0.2.2"), "ttl": 32,
                          "tos": 40, "df": 0, "dst_anno": 0, "index": 0}
    assert low.state == {"ipencap_id": 1}


def test_ipencap_golden_dst_anno() -> None:  # golden ipencap, e2
    cfg = parse("IPEncap", "47, 10.9.9.9, DST_ANNO, TOS 0xb8, DF true")
    assert cfg == IPEncapConfig(47, ip("10.9.9.9"), 0, True, ttl=250, tos=0xB8, df=True)
    params = ENCAP.lower("IPEncap", cfg, AT_IP).params
    assert (params["dst_anno"], params["df"], params["tos"], params["ttl"]) == (1, 1, 0xB8, 250)


def test_ipencap_names_and_ecn() -> None:
    assert parse("IPEncap", "ipip, 18.26.4.24, 140.247.60.147").proto == 4
    assert parse("IPEncap", "tcp, 1.1.1.1, 2.2.2.2, ECT true").tos == 1
    assert parse("IPEncap", "tcp, 1.1.1.1, 2.2.2.2, ECT 2, DSCP 1").tos == 6
    assert parse("IPEncap", "tcp, 1.1.1.1, 2.2.2.2, CE true").tos == 3
    env = ConfigEnv({"me": ("18.26.4.24",)})
    assert parse("IPEncap", "PROTO 50, SRC me, DST me", env).dst == ip("18.26.4.24")


@pytest.mark.parametrize(
    "config, message",
    [
        ("4, 1.1.1.1", "missing mandatory DST"),
        ("tcpudp, 1.1.1.1, 2.2.2.2", "PROTO: bad IP protocol"),
        ("4, 1.1.1.1, 2.2.2.2, TTL 256", "TTL"),
        ("4, 1.1.1.1, 2.2.2.2, DSCP 64", "DSCP"),
        ("4, 1.1.1.1, 2.2.2.2, TOS 1, DSCP 1", "TOS cannot be combined"),
        ("4, 1.1.1.1, 2.2.2.2, ECT true, CE true", "mutually exclusive"),
        ("4, 1.1.1.1, 2.2.2.2, DF maybe", "DF: bad boolean"),
        ("4, 1.1.1.1, nowhere", "DST: bad IP address"),
        ("4, 1.1.1.1, 2.2.2.2, ID 7", "ID: unknown argument"),
    ],
)
def test_ipencap_bad(config: str, message: str) -> None:
    with pytest.raises(ElementConfigError, match=message):
        parse("IPEncap", config)


def test_ipencap_offsets() -> None:
    cfg = parse("IPEncap", "4, 1.1.1.1, 2.2.2.2")
    # The outer header is inserted right after Ethernet: the data pointer stays there.
    assert ENCAP.data_offset("IPEncap", cfg, 14) == 14
    with pytest.raises(NotOffloadable, match="data offset 0"):
        ENCAP.lower("IPEncap", cfg, LowerContext(data_offset=0))
