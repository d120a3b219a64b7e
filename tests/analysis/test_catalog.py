"""The element catalog: schema checks, offloadability derivation, agreement with Click."""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.analysis.catalog import (
    P4_KINDS,
    VOCABULARY,
    Catalog,
    ElementSpec,
    Offloadability,
    UnknownElementWarning,
    derive_offloadability,
    load_catalog,
    parse_catalog,
)
from p4sfc_compiler.errors import CatalogError
from p4sfc_compiler.frontend.portcount import PortCount
from p4sfc_compiler.frontend.portcount import parse_port_count as parse_ports

FULL, PARTIAL, NON = Offloadability.FULL, Offloadability.PARTIAL, Offloadability.NON
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
INDEX_TSV = SHARED / "click-reference" / "elementdoc" / "INDEX.tsv"
GOLDEN = SHARED / "click-golden"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ is not beside the clone")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def row(name: str = "Foo", **fields: str) -> str:
    """One YAML row; fields given as raw YAML text override the defaults."""
    base = {"ports": '"1/1"', "reads": "[]", "writes": "[]", "doc": "a test row"}
    base.update(fields)
    body = "".join(f"  {k}: {v}\n" for k, v in base.items() if v is not None)
    return f"{name}:\n{body}"


def parse(text: str) -> Catalog:
    return parse_catalog(textwrap.dedent(text), "test.yaml")


# --- the shipped catalog ---------------------------------------------------------------------


def test_shipped_catalog_loads_and_is_large_enough(catalog: Catalog) -> None:
    assert len(catalog) >= 45
    assert catalog.source.endswith("catalog.yaml")
    assert load_catalog() is catalog  # the default catalog is read once


PAPER_TABLE_I = {
    "Classifier": FULL,
    "IPClassifier": FULL,
    "IPFilter": FULL,
    "IPEncap": FULL,
    "EtherEncap": FULL,
    "Discard": FULL,
    "Drop": FULL,
    "Alert": FULL,
    "Forward": FULL,
    "Counter": FULL,
    "AverageCounter": FULL,
    "IPRewriter": PARTIAL,
    "TCPRewriter": PARTIAL,
    "IPsecDES": NON,
    # Stock Click has no DPI element; these inspect or rewrite the payload.
    "FTPPortMapper": NON,
    "IPPrint": NON,
    "Print": NON,
}


@pytest.mark.parametrize(("cls", "expected"), sorted(PAPER_TABLE_I.items()))
def test_paper_table_i_is_reproduced(catalog: Catalog, cls: str, expected: Offloadability) -> None:
    level, reason = catalog.offloadability(cls)
    assert level is expected, reason
    if cls in ("IPsecDES", "FTPPortMapper", "IPPrint", "Print"):
        assert "payload" in reason


def test_action_elements_are_not_stock(catalog: Catalog) -> None:
    for cls in ("Drop", "Alert", "Forward"):
        assert catalog.get(cls).stock is False
    assert catalog.get("Discard").stock is True


def test_partial_rows_name_a_full_counterpart_of_the_same_kind(catalog: Catalog) -> None:
    partial = [s for s in catalog.specs() if s.offloadability is PARTIAL]
    assert {s.name for s in partial} >= {"IPRewriter", "TCPRewriter", "UDPRewriter"}
    for spec in partial:
        other = catalog.get(spec.counterpart)
        assert other is not None and other.offloadability is FULL
        assert other.p4 == spec.p4 == "rewriter"
        assert "state.table" not in other.writes
        assert spec.counterpart in spec.reason


def test_reasons_follow_the_rules(catalog: Catalog) -> None:
    assert catalog.offloadability("ToDump")[1].startswith("host I/O")
    assert catalog.offloadability("Tee") == (NON, "no switch implementation")
    assert catalog.offloadability("Strip") == (FULL, "needs no switch stage")


def test_class_names_are_verbatim(catalog: Catalog) -> None:
    # YAML 1.1 would read a plain `Null` key as None.
    assert "Null" in catalog and catalog.get("Null").name == "Null"
    assert None not in catalog


def test_unknown_class_warns_and_is_non(catalog: Catalog) -> None:
    with pytest.warns(UnknownElementWarning) as record:
        level, reason = catalog.offloadability("Foo")
    assert level is NON
    assert reason == "unknown element class 'Foo': treated as non-offloadable"
    assert str(record[0].message) == reason
    assert catalog.get("Foo") is None and "Foo" not in catalog


def test_known_class_does_not_warn(catalog: Catalog) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        catalog.offloadability("IPFilter")


def test_iteration_is_by_name_in_file_order(catalog: Catalog) -> None:
    names = list(catalog)
    assert names[0] == "Classifier"
    assert names == [s.name for s in catalog.specs()]
    assert catalog.position("Classifier").line < catalog.position("IPFilter").line


def test_catalog_covers_the_nf_library(catalog: Catalog) -> None:
    files = sorted((REPO / "examples" / "nfs").glob("*.click"))
    if not files:
        pytest.skip("no NF library yet")
    missing = {c: f.name for f in files for c in click_classes(f.read_text()) if c not in catalog}
    assert not missing


@needs_shared
def test_catalog_covers_the_golden_configs(catalog: Catalog) -> None:
    files = sorted(GOLDEN.glob("*/config.click"))
    assert files
    used = {c for f in files for c in click_classes(f.read_text())}
    assert {"FromDump", "ToDump", "IPFilter", "RandomSeed", "AddressInfo"} <= used
    assert sorted(used - set(catalog)) == []


# --- agreement with Click's element index ------------------------------------------------------

# Port-count macros of Click's element.hh.
_MACROS = {
    "PORTS_0_0": "0/0",
    "PORTS_0_1": "0/1",
    "PORTS_1_0": "1/0",
    "PORTS_1_1": "1/1",
    "PORTS_1_1X2": "1/1-2",
}


def index_ports() -> dict[str, str]:
    """Class -> port count from INDEX.tsv, the userlevel (`.u`) variant where one exists.

    Classes that inherit their port count (empty column) or share a header whose classes
    disagree are left out.
    """
    raw: dict[str, str] = {}
    for line in INDEX_TSV.read_text().splitlines()[1:]:
        cols = line.split("\t")
        values = {v.strip().strip('"') for v in cols[4].split(",") if v.strip()}
        if len(values) != 1:
            continue
        (value,) = values
        if value.startswith("PORTS_"):
            value = _MACROS[value]  # an unknown macro fails here, loudly
        raw[cols[0]] = value
    return {name: raw.get(f"{name}.u", value) for name, value in raw.items() if "." not in name}


@needs_shared
def test_ports_agree_with_click_index(catalog: Catalog) -> None:
    index = index_ports()
    checked, wrong = 0, []
    for spec in catalog.specs():
        if spec.name not in index:
            continue
        checked += 1
        if parse_ports(index[spec.name]) != spec.port_count:
            wrong.append((spec.name, spec.ports, index[spec.name]))
    assert wrong == []
    assert checked >= 70  # most rows are checked, not silently skipped


@needs_shared
def test_userlevel_variant_wins() -> None:
    index = index_ports()
    assert index["FromDevice"] == "0/1-2" and index["ToDevice"] == "1/0-2"


# --- port counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inputs", "outputs"),
    [
        ("1", (1, 1), (1, 1)),
        ("1/1-2", (1, 1), (1, 2)),
        ("1-/1-", (1, None), (1, None)),
        ("-/-", (0, None), (0, None)),
        ("-3/0", (0, 3), (0, 0)),
        ("0-1/1", (0, 1), (1, 1)),
        ("12/3-10", (12, 12), (3, 10)),
    ],
)
def test_parse_ports(text: str, inputs: tuple, outputs: tuple) -> None:
    pc = parse_ports(text)
    assert (pc.inputs, pc.outputs, pc.outputs_follow) == (inputs, outputs, None)


def test_ports_equal_outputs() -> None:
    same = parse_ports("-/=")
    assert same.allows(3, 3) and same.allows(0, 0) and not same.allows(3, 2)
    plus = parse_ports("1-2/=+")
    assert plus == PortCount((1, 2), (2, 3), outputs_follow=1)
    assert plus.allows(2, 3) and not plus.allows(2, 2) and not plus.allows(3, 4)


def test_ports_allows() -> None:
    pc = parse_ports("1/1-2")
    assert pc.allows(1, 1) and pc.allows(1, 2)
    assert not pc.allows(1, 3) and not pc.allows(0, 1) and not pc.allows(2, 1)
    assert parse_ports("1/-").allows(1, 0) and parse_ports("1/-").allows(1, 99)


@pytest.mark.parametrize(
    "text", ["", "/1", "1/", "a", "2-1", "1/3-2", "1/2/3", "=", "=/1", "1 /1", "1//1"]
)
def test_bad_ports(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ports(text)


# --- derivation ---------------------------------------------------------------------------------

words = st.frozensets(st.sampled_from(sorted(VOCABULARY)))
kinds = st.none() | st.sampled_from(sorted(P4_KINDS))


@settings(max_examples=200, deadline=None)
@given(reads=words, writes=words, p4=kinds)
def test_derivation_properties(reads: frozenset, writes: frozenset, p4: str | None) -> None:
    level, reason = derive_offloadability(reads, writes, p4, "Part")
    touched = reads | writes
    if "payload" in touched:
        assert level is NON and "payload" in reason
    elif "device" in touched:
        assert level is NON and "host I/O" in reason
    elif p4 is None:
        assert (level, reason) == (NON, "no switch implementation")
    else:
        assert level is (PARTIAL if "state.table" in writes else FULL)
    # Adding an access can only lower the level; adding a switch kind can only raise it.
    order = [NON, PARTIAL, FULL]
    lower, _ = derive_offloadability(reads | {"payload"}, writes, p4, "Part")
    assert lower is NON
    more, _ = derive_offloadability(reads, writes | {"state.table"}, p4, "Part")
    assert order.index(more) <= order.index(level)
    if p4 is not None:
        none, _ = derive_offloadability(reads, writes, None, "Part")
        assert order.index(none) <= order.index(level)


def test_state_table_only_in_reads_is_not_partial() -> None:
    assert derive_offloadability({"state.table"}, set(), "rewriter", None)[0] is FULL


def test_spec_build_derives() -> None:
    spec = ElementSpec.build("X", "1/1", reads={"ip"}, writes={"state.counter"}, p4="counter")
    assert spec.offloadability is FULL and spec.stock
    spec = ElementSpec.build("X", "1/1", writes={"state.table"}, p4="rewriter", counterpart="Y")
    assert spec.offloadability is PARTIAL and "Y" in spec.reason


def test_catalog_from_specs_rejects_duplicates() -> None:
    spec = ElementSpec.build("X", "1/1", p4="nop")
    with pytest.raises(CatalogError, match="X"):
        Catalog([spec, spec])


# --- schema errors ----------------------------------------------------------------------------


def error_of(text: str) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        parse(text)
    return info.value


def test_minimal_row_and_defaults() -> None:
    cat = parse(row("Foo", p4="nop"))
    spec = cat.get("Foo")
    assert spec == ElementSpec.build("Foo", "1/1", p4="nop", doc="a test row")
    assert spec.stock is True and spec.counterpart is None
    assert cat.position("Foo").line == 1


def test_explicit_null_p4_means_none() -> None:
    assert parse(row("Foo", p4="null")).get("Foo").p4 is None
    assert parse(row("Foo", p4="~", stock="false")).get("Foo").stock is False


def test_unknown_vocabulary_word() -> None:
    err = error_of(row("Ok", p4="nop") + row("Foo", reads="[ip, ip.flags]"))
    assert "Foo.reads" in err.message and "'ip.flags'" in err.message
    assert (err.pos.file, err.pos.line) == ("test.yaml", 9)
    assert str(err).startswith("test.yaml:9:")


def test_word_listed_twice() -> None:
    err = error_of(row("Foo", writes="[eth, eth]"))
    assert "Foo.writes" in err.message and "twice" in err.message


def test_reads_must_be_a_list() -> None:
    err = error_of(row("Foo", reads="ip"))
    assert "Foo.reads" in err.message and "list" in err.message


@pytest.mark.parametrize("ports", ['"1/x"', '"2-1"', '""', "true", "[1, 1]"])
def test_bad_ports_string(ports: str) -> None:
    err = error_of(row("Foo", ports=ports))
    assert "Foo.ports" in err.message
    assert err.pos.line == 2


def test_unquoted_numeric_ports_are_fine() -> None:
    assert parse(row("Foo", ports="1", p4="nop")).get("Foo").port_count.outputs == (1, 1)


def test_unknown_p4_kind() -> None:
    err = error_of(row("Foo", p4="lpm"))
    assert "Foo.p4" in err.message and "'lpm'" in err.message and "classify" in err.message


def test_counterpart_missing() -> None:
    err = error_of(row("Nat", writes="[ip.addrs, state.table]", p4="rewriter"))
    assert "Nat.counterpart" in err.message and "missing" in err.message
    assert err.pos.line == 1


def test_counterpart_extra_on_a_stateless_row() -> None:
    err = error_of(row("Foo", p4="nop", counterpart="Bar"))
    assert "Foo.counterpart" in err.message and "state.table" in err.message
    assert err.pos.line == 7  # the counterpart line: ports, reads, writes, doc, p4 come first


def test_counterpart_extra_on_a_non_offloadable_row() -> None:
    err = error_of(
        row("Alg", reads="[payload]", writes="[state.table]", p4="rewriter", counterpart="X")
    )
    assert "Alg.counterpart" in err.message and "payload" in err.message


def test_non_offloadable_table_writer_needs_no_counterpart() -> None:
    spec = parse(row("Arp", writes="[state.table]")).get("Arp")
    assert (spec.offloadability, spec.reason) == (NON, "no switch implementation")


def test_counterpart_must_exist_be_full_and_same_kind() -> None:
    nat = row("Nat", writes="[ip.addrs, state.table]", p4="rewriter", counterpart="NatPart")
    err = error_of(nat)
    assert "Nat.counterpart" in err.message and "no catalog row" in err.message
    err = error_of(nat + row("NatPart", writes="[state.table]", p4="rewriter", counterpart="Nat"))
    assert "fully offloadable" in err.message
    err = error_of(nat + row("NatPart", p4="classify"))
    assert "'classify'" in err.message
    cat = parse(nat + row("NatPart", writes="[ip.addrs]", p4="rewriter"))
    assert cat.get("Nat").offloadability is PARTIAL and cat.get("NatPart").offloadability is FULL


def test_duplicate_class() -> None:
    err = error_of(row("Foo", p4="nop") + row("Bar") + row("Foo", p4="classify"))
    assert "'Foo' given twice" in err.message and "line 1" in err.message
    assert err.pos.line == 12


def test_duplicate_field() -> None:
    err = error_of(row("Foo") + "  reads: [ip]\n")
    assert "Foo" in err.message and "'reads' given twice" in err.message
    assert err.pos.line == 6


def test_unknown_field() -> None:
    err = error_of(row("Foo", offload="fully"))
    assert "Foo" in err.message and "'offload'" in err.message


@pytest.mark.parametrize("missing", ["ports", "reads", "writes", "doc"])
def test_missing_field(missing: str) -> None:
    err = error_of(row("Foo", **{missing: None}))
    assert f"'{missing}' is missing" in err.message and err.message.startswith("Foo")


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"stock": '"yes"'}, "Foo.stock"),
        ({"stock": "1"}, "Foo.stock"),
        ({"doc": '""'}, "Foo.doc"),
        ({"doc": "[a, b]"}, "Foo.doc"),
        ({"p4": "[nop]"}, "Foo.p4"),
        ({"counterpart": '"not a name"'}, "Foo.counterpart"),
    ],
)
def test_bad_field_values(fields: dict, where: str) -> None:
    assert where in error_of(row("Foo", **fields)).message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("- a\n- b\n", "must map"),
        ("Foo: [1, 2]\n", "Foo: expected a mapping"),
        ("Foo:\n", "Foo: expected a mapping"),
        ('"Bad Name":\n  ports: "1"\n', "not a Click element class name"),
        ("Foo: {ports: '1'\n", "not valid YAML"),
        ("? [a]\n: {}\n", "plain name"),
    ],
)
def test_malformed_files(text: str, needle: str) -> None:
    assert needle in error_of(text).message


def test_load_catalog_from_path(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(row("Foo", p4="nop") + row("Bar", reads="[nope]"))
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert info.value.pos.file == str(path) and info.value.pos.line == 9
    path.write_text(row("Foo", p4="nop"))
    assert list(load_catalog(path)) == ["Foo"]
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "absent.yaml")


# --- helpers -------------------------------------------------------------------------------------


def click_classes(text: str) -> set[str]:
    """Element classes a Click configuration instantiates (declarations and anonymous uses).

    Good enough for the project's configs: removes comments and configuration strings,
    then takes the identifier after `::` or `->`, or at the start of a statement.
    """
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
    flat, depth = [], 0
    for ch in text:
        depth += ch == "("
        if depth == 0:
            flat.append(ch)
        depth -= ch == ")" and depth > 0
    body = "".join(flat)
    names = set(re.findall(r"([A-Za-z_@][\w@/]*)\s*::", body))
    elementclasses = set(re.findall(r"elementclass\s+(\w+)", body))
    found = re.findall(r"(?:^|;|::|->)\s*(?:\[\d+\]\s*)?([A-Z][\w@]*+)(?!\s*::)", body, re.M)
    return {c for c in found if c not in names and c not in elementclasses}


def test_click_classes_helper() -> None:
    text = """// Foo -> Bar
    AddressInfo(A 1.2.3.4);
    src :: FromDump(x.pcap, FOO Bar) -> Strip(14);
    Up :: Counter; src -> Up -> [0]q :: Queue -> Discard;
    /* Print */ q[1] -> Idle;
    """
    assert click_classes(text) == {
        "AddressInfo",
        "FromDump",
        "Strip",
        "Counter",
        "Queue",
        "Discard",
        "Idle",
    }
