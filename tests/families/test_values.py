import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import (
    ArgReader,
    ConfigEnv,
    format_ip,
    keyword_args,
    parse_bool,
    parse_ether,
    parse_int,
    parse_ip,
    parse_ip_proto,
    parse_port,
    parse_prefix,
    parse_time,
    parse_uint,
    split_args,
    split_words,
    unquote,
)
from p4sfc_compiler.frontend.ir import add_element, new_graph

ENV = ConfigEnv({
    "mauer": ("10.0.0.1", "00-50-BA-85-84-A9"),
    "boojum": ("10.0.0.1/24",),
    "net": ("18.26.4.0/24",),
    "eth0-ex": ("209.6.198.213", "00:0d:87:9d:1c:e9"),
})


def ip(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


# --- quoting and splitting -------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, text",
    [
        ("abc", "abc"),
        ("'a b'", "a b"),
        ("'a\\nb'", "a\\nb"),  # no escapes in single quotes
        ('"a\\tb"', "a\tb"),
        ('"\\101\\x42\\\\"', "AB\\"),
        ('a"b c"d', "ab cd"),
        ("\\<41 42>", "AB"),
        ('"x\\<4142>y"', "xABy"),
        ('"\\q"', "q"),
        ('"a\\\nb"', "ab"),
        ("a\\b", "a\\b"),  # backslash outside quotes is literal
    ],
)
def test_unquote(raw: str, text: str) -> None:
    assert unquote(raw) == text


def test_unquote_rejects_bad_hex() -> None:
    with pytest.raises(ElementConfigError, match="hex"):
        unquote("\\<4g>")
    with pytest.raises(ElementConfigError, match="hex"):
        unquote("\\<414>")


def test_split_words_keeps_quotes_together() -> None:
    assert split_words("  a 'b c'  \"d e\"f \\<41 42> ") == ["a", "'b c'", '"d e"f', "\\<41 42>"]
    assert split_words("") == []


@pytest.mark.parametrize(
    "config, args",
    [
        ("a(b, c)", ["a(b", "c)"]),  # parentheses do not protect commas
        ("1, ", ["1"]),  # empty last argument dropped
        ("1,,2", ["1", "", "2"]),
        ("", []),
        ('"a,b", c', ['"a,b"', "c"]),
        ("x // comment, still comment\n, y", ["x", "y"]),
        ("x /* , */ y", ["x y"]),
        ("'it''s', z", ["'it''s'", "z"]),
    ],
)
def test_split_args(config: str, args: list[str]) -> None:
    assert split_args(config) == args


# --- keywords ---------------------------------------------------------------------------

def test_keyword_args_only_declared_keywords() -> None:
    pos, kw = keyword_args(["10", "LIMIT 3", "OTHER 4", "LIMIT", "LIMIT 5"], ["LIMIT"])
    assert pos == ["10", "OTHER 4", "LIMIT"]  # bare LIMIT has no value: positional
    assert kw == {"LIMIT": "5"}  # last one wins


def test_arg_reader_positional_and_keyword() -> None:
    r = ArgReader(["6", "1.0.0.1", "DST 2.2.2.2", "TTL 3"], "IPEncap")
    assert r.read("PROTO", parse_int, positional=True, mandatory=True) == 6
    assert r.read("SRC", positional=True, mandatory=True) == "1.0.0.1"
    assert r.read("DST", positional=True, mandatory=True) == "2.2.2.2"
    assert r.read("TTL", parse_int) == 3
    assert r.read("TOS", parse_int, default=7) == 7
    r.complete()


def test_arg_reader_mandatory_positional_takes_keyword_shaped_argument() -> None:
    # 'pattern 1.2.3.4 ...' looks like a keyword, but a missing mandatory positional
    # argument takes it, as Click's Args does.
    r = ArgReader(["foo bar"], "X")
    assert r.read("A", positional=True, mandatory=True) == "foo bar"
    r.complete()


def test_arg_reader_optional_positional_skips_keyword_shaped_argument() -> None:
    r = ArgReader(["foo bar"], "X")
    assert r.read("A", positional=True) is None
    with pytest.raises(ElementConfigError, match="foo: unknown argument"):
        r.complete()


def test_arg_reader_errors() -> None:
    r = ArgReader(["1", "2"], "X")
    r.read("A", positional=True)
    with pytest.raises(ElementConfigError, match="X: too many arguments"):
        r.complete()
    with pytest.raises(ElementConfigError, match="missing mandatory B"):
        ArgReader([], "X").read("B", positional=True, mandatory=True)
    with pytest.raises(ElementConfigError, match="X: N: bad integer 'z'"):
        ArgReader(["N z"], "X").read("N", parse_int)


def test_arg_reader_positional_after_consumed_keyword_is_not_positional() -> None:
    # Positional arguments come first: once the first unread argument is a keyword
    # that was read, no positional is taken.
    r = ArgReader(["K 1", "2"], "X")
    assert r.read("K") == "1"
    assert r.read("A", positional=True) is None
    assert r.rest() == ["2"]


def test_arg_reader_last_keyword_wins() -> None:
    r = ArgReader(["K 1", "K 2"], "X")
    assert r.read("K") == "2"
    r.complete()


# --- numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("s, v", [("0", 0), ("17", 17), ("0x1F", 31), ("017", 15), ("-3", -3),
                                  ("+4", 4), (" 5 ", 5)])
def test_parse_int(s: str, v: int) -> None:
    assert parse_int(s) == v


@pytest.mark.parametrize("s", ["", "08", "0x", "1.5", "ten", "1e3", "--1"])
def test_parse_int_rejects(s: str) -> None:
    with pytest.raises(ElementConfigError, match="bad integer"):
        parse_int(s)


@given(st.integers(min_value=0, max_value=2**40))
@settings(max_examples=100, deadline=None)
def test_parse_int_bases_agree(n: int) -> None:
    assert parse_int(str(n)) == parse_int(hex(n)) == parse_int("0" + oct(n)[2:]) == n


def test_parse_uint_range() -> None:
    assert parse_uint("255", 8) == 255
    with pytest.raises(ElementConfigError, match="out of range"):
        parse_uint("256", 8)
    with pytest.raises(ElementConfigError, match="out of range"):
        parse_uint("-1", 8)
    assert parse_port("65535") == 65535
    with pytest.raises(ElementConfigError):
        parse_port("65536")


def test_parse_bool() -> None:
    for s in ("true", "yes", "1", "t", "y"):
        assert parse_bool(s) is True
    for s in ("false", "no", "0", "f", "n"):
        assert parse_bool(s) is False
    with pytest.raises(ElementConfigError, match="bad boolean 'TRUE'"):
        parse_bool("TRUE")


@pytest.mark.parametrize("s, v", [("1", 1.0), ("1.5s", 1.5), ("10ms", 0.01), ("2min", 120.0),
                                  ("1h", 3600.0), ("250us", 0.00025), ("1 d", 86400.0)])
def test_parse_time(s: str, v: float) -> None:
    assert parse_time(s) == pytest.approx(v)


@pytest.mark.parametrize("s", ["", "s", "1 parsec", "-1s", "1..2"])
def test_parse_time_rejects(s: str) -> None:
    with pytest.raises(ElementConfigError, match="bad time"):
        parse_time(s)


def test_parse_ip_proto() -> None:
    assert parse_ip_proto("tcp") == 6
    assert parse_ip_proto("ipip") == 4
    assert parse_ip_proto("0x32") == 50
    with pytest.raises(ElementConfigError, match="bad IP protocol 'tcpudp'"):
        parse_ip_proto("tcpudp")  # a Click name, but not one protocol byte
    with pytest.raises(ElementConfigError):
        parse_ip_proto("256")


# --- addresses --------------------------------------------------------------------------

def test_parse_ip_literal_and_names() -> None:
    assert parse_ip("18.26.4.24") == ip("18.26.4.24")
    assert parse_ip("mauer", ENV) == ip("10.0.0.1")
    assert parse_ip("mauer:ip", ENV) == ip("10.0.0.1")
    assert parse_ip("boojum", ENV) == ip("10.0.0.1")  # address of an address/prefix word
    assert parse_ip("net:bcast", ENV) == ip("18.26.4.255")
    assert parse_ip("net:gw", ENV) == ip("18.26.4.1")
    assert parse_ip("eth0-ex", ENV) == ip("209.6.198.213")


@pytest.mark.parametrize("s", ["18.26.4", "1.2.3.256", "1.2.3.4.5", "mauer", "a.b.c.d", "",
                               "1.2.3.4/32"])
def test_parse_ip_rejects(s: str) -> None:
    with pytest.raises(ElementConfigError, match="bad IP address"):
        parse_ip(s)  # no env: names are unknown


def test_parse_ip_name_without_ip_value() -> None:
    env = ConfigEnv({"e": ("00:01:02:03:04:05",)})
    with pytest.raises(ElementConfigError, match="bad IP address 'e'"):
        parse_ip("e", env)


@pytest.mark.parametrize(
    "s, net, plen",
    [
        ("18.26.4.0/24", "18.26.4.0", 24),
        ("18.26.4.9/24", "18.26.4.0", 24),  # host bits cleared
        ("18.26.4/24", "18.26.4.0", 24),
        ("0/0", "0.0.0.0", 0),
        ("10.0.0.0/255.0.0.0", "10.0.0.0", 8),
        ("1.2.3.4", "1.2.3.4", 32),
        ("1.2.3.4/32", "1.2.3.4", 32),
    ],
)
def test_parse_prefix(s: str, net: str, plen: int) -> None:
    assert parse_prefix(s) == (ip(net), plen)


@pytest.mark.parametrize("s", ["1.2.3.4/33", "1.2.3.4/255.0.255.0", "1.2.3/", "18.26.4",
                               "x/8", "1.2.3.4/-1"])
def test_parse_prefix_rejects(s: str) -> None:
    with pytest.raises(ElementConfigError, match="bad IP prefix"):
        parse_prefix(s)


def test_parse_prefix_bare_address_can_be_refused() -> None:
    with pytest.raises(ElementConfigError):
        parse_prefix("1.2.3.4", allow_bare=False)


def test_parse_prefix_names() -> None:
    # Where a prefix is wanted, a name's prefix is used (IPPrefixArg).
    assert parse_prefix("boojum", ENV) == (ip("10.0.0.0"), 24)
    assert parse_prefix("boojum:ipnet", ENV) == (ip("10.0.0.0"), 24)
    assert parse_prefix("net", ENV) == (ip("18.26.4.0"), 24)
    assert parse_prefix("mauer:ipnet", ENV) == (ip("10.0.0.1"), 32)


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
@settings(max_examples=200, deadline=None)
def test_prefix_roundtrip(addr: int, plen: int) -> None:
    net, got = parse_prefix(f"{format_ip(addr)}/{plen}")
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    assert got == plen and net == addr & mask
    assert parse_ip(format_ip(addr)) == addr


def test_parse_ether() -> None:
    assert parse_ether("0:1:2:3:4:5") == 0x000102030405
    assert parse_ether("00-50-BA-85-84-A9") == 0x0050BA8584A9
    assert parse_ether("mauer", ENV) == 0x0050BA8584A9
    assert parse_ether("eth0-ex:eth", ENV) == 0x000D879D1CE9
    for bad in ("0:1:2:3:4", "0:1:2:3:4:5:6", "0:1-2:3:4:5", "000:1:2:3:4:5", "mauer:ip"):
        with pytest.raises(ElementConfigError, match="bad Ethernet address"):
            parse_ether(bad, ENV)


# --- ConfigEnv --------------------------------------------------------------------------

def _graph_with_address_infos() -> nx.MultiDiGraph:
    g = new_graph()
    add_element(g, "AddressInfo@1", "AddressInfo", "", ("a 1.1.1.1", "b 2.2.2.2 0:0:0:0:0:2"))
    add_element(g, "nf/AddressInfo@1", "AddressInfo", "", ("a 3.3.3.3",))
    add_element(g, "nf/rw", "IPRewriter", "", ("drop",))
    add_element(g, "other/x", "Counter", "", ())
    return g


def test_config_env_from_graph_scoping() -> None:
    g = _graph_with_address_infos()
    everywhere = ConfigEnv.from_graph(g)
    assert everywhere.addresses["b"] == ("2.2.2.2", "0:0:0:0:0:2")
    assert parse_ip("a", everywhere) == ip("3.3.3.3")  # inner definition overrides
    assert parse_ip("a", ConfigEnv.from_graph(g, "nf/rw")) == ip("3.3.3.3")
    assert parse_ip("a", ConfigEnv.from_graph(g, "other/x")) == ip("1.1.1.1")
    assert ConfigEnv.from_graph(new_graph()).addresses == {}


def test_config_env_is_immutable() -> None:
    source = {"a": ["1.1.1.1"]}
    env = ConfigEnv(source)
    source["a"].append("2.2.2.2")
    source["b"] = ["3.3.3.3"]
    assert dict(env.addresses) == {"a": ("1.1.1.1",)}
    with pytest.raises(TypeError):
        env.addresses["c"] = ("4.4.4.4",)  # type: ignore[index]
