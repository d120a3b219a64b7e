import pytest

from p4sfc_compiler.families.base import ElementConfigError, LowerContext, NotOffloadable
from p4sfc_compiler.families.ipheader.config import (
    CheckIPHeaderConfig,
    DecIPTTLConfig,
    MarkIPHeaderConfig,
    SetIPChecksumConfig,
    SetIPDSCPConfig,
)
from p4sfc_compiler.families.ipheader.family import IPHEADER
from p4sfc_compiler.families.registry import data_offset
from p4sfc_compiler.families.values import ConfigEnv, split_args


def ip(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


def parse(cls: str, config: str, env: ConfigEnv | None = None):
    return IPHEADER.parse(cls, split_args(config), None, env)


AT_IP = LowerContext(data_offset=14, ip_header=True)


# --- CheckIPHeader ----------------------------------------------------------------------

def test_checkipheader_default_and_golden_keywords() -> None:
    assert parse("CheckIPHeader", "") == CheckIPHeaderConfig()
    assert parse("CheckIPHeader", "DETAILS true").details is True  # golden checkipheader
    cfg = parse("CheckIPHeader", "CHECKSUM false, DETAILS true")  # golden ..._nochecksum
    assert cfg.checksum is False
    assert parse("CheckIPHeader", "14").offset == 14  # golden checkipheader_offset
    assert parse("CheckIPHeader", "0, CHECKSUM true") == CheckIPHeaderConfig()
    assert parse("CheckIPHeader", "OFFSET 0x0e, VERBOSE true").offset == 14


def test_checkipheader_source_checks() -> None:
    cfg = parse("CheckIPHeader", "INTERFACES 10.0.0.1/24 192.168.1.1/24, DETAILS true")
    assert cfg.interfaces == ((ip("10.0.0.1"), 24), (ip("192.168.1.1"), 24))
    cfg = parse("CheckIPHeader", "INTERFACES 18.26.4.92/255.255.255.0 1.0.0.1/255.0.0.0")
    assert cfg.interfaces == ((ip("18.26.4.92"), 24), (ip("1.0.0.1"), 8))
    cfg = parse("CheckIPHeader", "BADSRC 18.26.4.255 1.255.255.255, GOODDST 18.26.4.24")
    assert cfg.badsrc == (ip("18.26.4.255"), ip("1.255.255.255"))
    assert cfg.gooddst == (ip("18.26.4.24"),)
    assert not cfg.old_badsrc


def test_checkipheader_old_syntax() -> None:
    cfg = parse("CheckIPHeader", "18.26.4.255 2.255.255.255, 14")
    assert cfg.old_badsrc and cfg.badsrc == (ip("18.26.4.255"), ip("2.255.255.255"))
    assert cfg.offset == 14
    assert parse("CheckIPHeader", "18.26.4.255").badsrc == (ip("18.26.4.255"),)


@pytest.mark.parametrize(
    "config, message",
    [
        ("OFFSET_ENCAP_IP", "BADSRC2: bad IP address"),  # Click's conf/simple-dsdv.click
        ("1.1.1.1, x", "OFFSET: bad integer"),
        ("1, 2, 3", "too many arguments"),
        ("14, OFFSET 14", "OFFSET given twice"),
        ("CHECKSUM maybe", "CHECKSUM: bad boolean"),
        ("INTERFACES 10.0.0.1/33", "bad IP prefix"),
        ("BADSRC 1.2.3", "BADSRC: bad IP address"),
        ("1.1.1.1, BADSRC 2.2.2.2", "BADSRC given twice"),
        ("-1", "BADSRC2"),
    ],
)
def test_checkipheader_bad(config: str, message: str) -> None:
    with pytest.raises(ElementConfigError, match=message):
        parse("CheckIPHeader", config)


def test_checkipheader_lowering() -> None:
    low = IPHEADER.lower("CheckIPHeader", parse("CheckIPHeader", "DETAILS true"), AT_IP)
    assert low.kind == "check_ip_header" and low.params == {}
    # OFFSET 14 on an unstripped frame reads the same header.
    low = IPHEADER.lower("CheckIPHeader", parse("CheckIPHeader", "14"), LowerContext())
    assert low.kind == "check_ip_header"


@pytest.mark.parametrize(
    "config, ctx, reason",
    [
        ("INTERFACES 10.0.0.1/24 192.168.1.1/24", AT_IP, r"source-address checks \(INTERFACES\)"),
        ("BADSRC 1.1.1.1, GOODDST 2.2.2.2", AT_IP, r"\(BADSRC, GOODDST\)"),
        ("18.26.4.255", AT_IP, "BADSRC"),
        ("CHECKSUM false", AT_IP, "CHECKSUM false"),
        ("", LowerContext(data_offset=0), "frame offset 0"),
        ("14", AT_IP, "frame offset 28"),
    ],
)
def test_checkipheader_not_offloadable(config: str, ctx: LowerContext, reason: str) -> None:
    with pytest.raises(NotOffloadable, match=reason):
        IPHEADER.lower("CheckIPHeader", parse("CheckIPHeader", config), ctx)


# --- MarkIPHeader -----------------------------------------------------------------------

def test_markipheader() -> None:
    assert parse("MarkIPHeader", "") == MarkIPHeaderConfig(0)
    cfg = parse("MarkIPHeader", "14")  # golden markipheader
    assert cfg == MarkIPHeaderConfig(14)
    assert IPHEADER.lower("MarkIPHeader", cfg, LowerContext()).is_nop
    assert data_offset("MarkIPHeader", cfg, 0) == 0  # only an annotation
    with pytest.raises(NotOffloadable, match="frame offset 28"):
        IPHEADER.lower("MarkIPHeader", cfg, AT_IP)
    with pytest.raises(ElementConfigError, match="too many arguments"):
        parse("MarkIPHeader", "1, 2")
    with pytest.raises(ElementConfigError, match="OFFSET"):
        parse("MarkIPHeader", "-2")


# --- DecIPTTL, SetIPDSCP, SetIPChecksum ------------------------------------------------

def test_decipttl() -> None:
    cfg = parse("DecIPTTL", "")
    assert cfg == DecIPTTLConfig()
    low = IPHEADER.lower("DecIPTTL", cfg, AT_IP)
    assert low.kind == "dec_ip_ttl" and low.params == {}
    assert parse("DecIPTTL", "MULTICAST false") == DecIPTTLConfig(True, False)
    with pytest.raises(NotOffloadable, match="MULTICAST false"):
        IPHEADER.lower("DecIPTTL", parse("DecIPTTL", "MULTICAST false"), AT_IP)
    with pytest.raises(NotOffloadable, match="ACTIVE false"):
        IPHEADER.lower("DecIPTTL", parse("DecIPTTL", "ACTIVE false"), AT_IP)
    with pytest.raises(ElementConfigError, match="too many arguments"):
        parse("DecIPTTL", "1")


def test_setipdscp() -> None:
    cfg = parse("SetIPDSCP", "46")  # golden setipdscp
    assert cfg == SetIPDSCPConfig(46)
    low = IPHEADER.lower("SetIPDSCP", cfg, AT_IP)
    assert (low.kind, low.params) == ("set_ip_dscp", {"dscp": 46})
    assert parse("SetIPDSCP", "DSCP 0x3f").dscp == 63
    with pytest.raises(ElementConfigError, match="too many arguments"):
        parse("SetIPDSCP", "0, 14")  # old syntax in conf-other/diffserv.ipb
    with pytest.raises(ElementConfigError, match="DSCP"):
        parse("SetIPDSCP", "64")
    with pytest.raises(ElementConfigError, match="missing mandatory DSCP"):
        parse("SetIPDSCP", "")


def test_setipchecksum() -> None:
    cfg = parse("SetIPChecksum", "")
    assert cfg == SetIPChecksumConfig()
    with pytest.raises(NotOffloadable, match="unchanged header"):
        IPHEADER.lower("SetIPChecksum", cfg, AT_IP)
    with pytest.raises(ElementConfigError, match="too many arguments"):
        parse("SetIPChecksum", "1")
