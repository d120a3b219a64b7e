import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.dataplane.match import Lpm
from p4sfc_compiler.families.base import (
    ElementConfigError,
    LowerContext,
    NotOffloadable,
    TableEntry,
)
from p4sfc_compiler.families.iplookup.config import LookupConfig, Route
from p4sfc_compiler.families.iplookup.family import IPLOOKUP
from p4sfc_compiler.families.values import ConfigEnv, format_ip, split_args


def ip(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


# golden lookup_linear
LINEAR = """
    10.0.0.0/8 0,
    10.77.155.0/24 10.0.0.254 1,
    10.1.2.114/32 2,
    172.16.0.0/12 192.168.1.1 1,
    140.82.0.0/16 198.51.100.1 2,
    192.168.1.0/24 0,
    0.0.0.0/0 198.51.100.254 3"""


def parse(cls: str, config: str, env: ConfigEnv | None = None) -> LookupConfig:
    return IPLOOKUP.parse(cls, split_args(config), None, env)


@pytest.mark.parametrize("cls", IPLOOKUP.classes)
def test_every_class_parses_the_golden_table(cls: str) -> None:
    cfg = parse(cls, LINEAR)
    assert len(cfg.routes) == 7
    assert cfg.routes[1] == Route(ip("10.77.155.0"), 24, ip("10.0.0.254"), 1)
    assert cfg.routes[6] == Route(0, 0, ip("198.51.100.254"), 3)


def test_elementdoc_example_short_prefixes() -> None:  # LinearIPLookup's documentation
    cfg = parse("LinearIPLookup", "18.26.4.24/32 0, 18.26.4.255/32 0, 18.26.4.0/32 0, "
                                  "18.26.4/24 1, 0/0 18.26.4.1 1")
    assert cfg.routes[3] == Route(ip("18.26.4.0"), 24, 0, 1)
    assert cfg.routes[4] == Route(0, 0, ip("18.26.4.1"), 1)


def test_route_forms() -> None:
    cfg = parse("RadixIPLookup", "10.0.0.9/8 - 0, 1.2.3.4 1, net gw 2, 10.0.0.0/255.255.0.0 0x3",
                ConfigEnv({"net": ("18.26.4.0/24",), "gw": ("18.26.4.1",)}))
    assert cfg.routes == (
        Route(ip("10.0.0.0"), 8, 0, 0),  # host bits cleared, '-' = no gateway
        Route(ip("1.2.3.4"), 32, 0, 1),  # bare address = /32
        Route(ip("18.26.4.0"), 24, ip("18.26.4.1"), 2),
        Route(ip("10.0.0.0"), 16, 0, 3),
    )


def test_duplicate_prefix_keeps_the_first_route() -> None:
    # Click's add_route refuses an existing prefix (and only warns).
    cfg = parse("StaticIPLookup", "18.26.4.0/32 0, 18.26.4.0 255.255.255.0 1")
    assert cfg.routes == (Route(ip("18.26.4.0"), 32, 0, 0),)
    assert cfg.ignored == (Route(ip("18.26.4.0"), 32, ip("255.255.255.0"), 1),)


@pytest.mark.parametrize(
    "config, message",
    [
        ("18.26.4.97 18.26.4.97", "argument 1: bad route"),  # old syntax (conf-other/vpn.ipb)
        ("10.0.0.0/8", "argument 1: bad route"),
        ("10.0.0.0/8 1 2 3", "bad route"),
        ("0/0 -1", "out of range"),
        ("10.0.0.0/8 0, 10.0.0.0/33 1", "argument 2: bad IP prefix"),
        ("10.0.0.0/8 gw 0", "bad IP address 'gw'"),
        ("10.0.0.0/8 0,", None),  # an empty last argument is dropped: fine
    ],
)
def test_bad_routes(config: str, message: str | None) -> None:
    if message is None:
        assert len(parse("RadixIPLookup", config).routes) == 1
        return
    with pytest.raises(ElementConfigError, match=message):
        parse("RadixIPLookup", config)


def test_lower_entries() -> None:
    low = IPLOOKUP.lower("LinearIPLookup", parse("LinearIPLookup", LINEAR),
                         LowerContext(n_outputs=4))
    assert low.kind == "ip_lookup" and low.params == {} and low.input_params == {}
    assert low.entries[0] == TableEntry({"meta.dst_anno": Lpm(ip("10.0.0.0"), 8)}, "route",
                                        {"port": 0})
    assert low.entries[1] == TableEntry({"meta.dst_anno": Lpm(ip("10.77.155.0"), 24)},
                                        "route_gw", {"port": 1, "gw": ip("10.0.0.254")})
    assert [e.action for e in low.entries] == ["route", "route_gw", "route", "route_gw",
                                               "route_gw", "route", "route_gw"]


def test_lower_checks_output_ports() -> None:
    cfg = parse("RadixIPLookup", "10.0.0.0/8 0, 0/0 3")
    with pytest.raises(ElementConfigError, match="bad OUTPUT"):
        IPLOOKUP.lower("RadixIPLookup", cfg, LowerContext(n_outputs=2))
    big = LookupConfig((Route(0, 0, 0, 300),))
    with pytest.raises(NotOffloadable, match="output port 300"):
        IPLOOKUP.lower("RadixIPLookup", big, LowerContext(n_outputs=301))


def _lpm(entries, addr: int) -> tuple[int, int] | None:
    best = None
    for e in entries:
        m = e.match["meta.dst_anno"]
        mask = (0xFFFFFFFF << (32 - m.prefix_len)) & 0xFFFFFFFF
        if addr & mask == m.value and (best is None or m.prefix_len > best[0]):
            best = (m.prefix_len, e)
    if best is None:
        return None
    e = best[1]
    return e.params["port"], e.params.get("gw", 0)


def _linear_lookup(routes, addr: int) -> tuple[int, int] | None:
    # Reference: Click's rule, longest matching prefix.
    best = None
    for r in routes:
        mask = (0xFFFFFFFF << (32 - r.prefix_len)) & 0xFFFFFFFF
        if addr & mask == r.addr and (best is None or r.prefix_len > best.prefix_len):
            best = r
    return None if best is None else (best.port, best.gw)


routes_st = st.lists(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32), st.integers(0, 3),
              st.sampled_from([0, ip("10.0.0.1")])),
    min_size=1, max_size=12,
)


@given(routes_st, st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_entries_route_like_the_config(routes, addrs) -> None:
    text = ", ".join(f"{format_ip(a)}/{p} {format_ip(g) if g else '-'} {port}"
                     for a, p, port, g in routes)
    cfg = parse("RadixIPLookup", text)
    low = IPLOOKUP.lower("RadixIPLookup", cfg, LowerContext(n_outputs=4))
    # One entry per distinct prefix; the table answers like the parsed routes.
    assert len({(e.match["meta.dst_anno"].value, e.match["meta.dst_anno"].prefix_len)
                for e in low.entries}) == len(low.entries)
    probes = addrs + [r.addr for r in cfg.routes]
    for a in probes:
        assert _lpm(low.entries, a) == _linear_lookup(cfg.routes, a)
