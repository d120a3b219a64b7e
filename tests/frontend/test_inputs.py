"""The input layer (frontend/inputs.py), the field checks (specjson), the state reader
(statefile) and the Click-side input checks: every bad input is a P4SFCError naming the
file, with line:col or a JSON path."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from p4sfc_compiler.errors import ClickSyntaxError, P4SFCError, SourcePos, SpecError, printable
from p4sfc_compiler.frontend import inputs
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.frontend.inputs import (
    MAX_FILE_BYTES,
    MAX_JSON_DEPTH,
    HugeNumber,
    decode_json,
    read_json,
    read_text,
)
from p4sfc_compiler.frontend.parser import config_string_problem, parse_file, parse_text
from p4sfc_compiler.frontend.specjson import JsonReader, describe, json_path
from p4sfc_compiler.frontend.statefile import MAX_CHAIN_ID, load_state
from p4sfc_compiler.resources import data_path

EX = data_path("examples")


def raises(fn: Any, error: type[P4SFCError] = P4SFCError) -> P4SFCError:
    with pytest.raises(error) as info:
        fn()
    return info.value


# ---------------------------------------------------------------------------- files


def test_text_is_utf8_with_universal_newlines(tmp_path: Path) -> None:
    f = tmp_path / "a.click"
    f.write_bytes("é\r\nb\rc\n".encode())
    assert read_text(f) == "é\nb\nc\n"


@pytest.mark.parametrize(
    ("data", "line", "col"),
    [(b"\xff", 1, 1), (b"ab\n\xc3\xa9x\xfe", 2, 3), (b"\n\n  \xe9\xff", 3, 3)],
)
def test_bad_utf8_is_placed_at_its_byte(tmp_path: Path, data: bytes, line: int, col: int) -> None:
    f = tmp_path / "bad.json"
    f.write_bytes(data)
    err = raises(lambda: read_text(f, error=SpecError), SpecError)
    assert err.pos == SourcePos(str(f), line, col)
    assert "not UTF-8" in err.one_line() and str(f) in err.one_line()


def test_file_size_limit(tmp_path: Path) -> None:
    f = tmp_path / "huge.json"
    with f.open("wb") as out:  # sparse: no 16 MiB written
        out.truncate(MAX_FILE_BYTES + 1)
    err = raises(lambda: read_json(f))
    assert err.one_line() == f"{f}: larger than 16 MiB, the limit for an input file"
    ok = tmp_path / "ok.json"
    with ok.open("wb") as out:
        out.write(b"[")
        out.write(b" " * (MAX_FILE_BYTES - 2))
        out.write(b"]")
    assert read_json(ok) == []


def test_unreadable_and_unnameable_files(tmp_path: Path) -> None:
    assert "cannot read" in raises(lambda: read_text(tmp_path)).one_line()
    assert "cannot read" in raises(lambda: read_text(tmp_path / ("x" * 5000))).one_line()
    assert "cannot read" in raises(lambda: read_text("a\0b")).one_line()
    assert not inputs.is_file(tmp_path / ("x" * 5000)) and not inputs.is_file(Path("a\0b"))


# ---------------------------------------------------------------------------- JSON


def test_json_depth_limit() -> None:
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert decode_json(ok, "f.json") is not None
    for deep in (MAX_JSON_DEPTH + 1, 100_000):
        text = '{"a": "[[[[", "b":\n ' + "[" * deep + "]" * deep + "}"
        err = raises(lambda t=text: decode_json(t, "f.json"), SpecError)
        # the first bracket one level too deep (the object is level 1)
        assert err.pos == SourcePos("f.json", 2, 2 + MAX_JSON_DEPTH - 1)
        assert "nest more than 64 deep" in err.message


def test_long_numbers_are_kept_as_text_for_the_field_to_refuse() -> None:
    value = decode_json('{"a": ' + "9" * 5000 + ', "b": -' + "1" * 41 + ', "c": 12}', "f.json")
    assert isinstance(value["a"], HugeNumber) and isinstance(value["b"], HugeNumber)
    assert value["c"] == 12
    r = JsonReader("f.json")
    err = raises(lambda: r.as_int(value["a"], "a", 0, 511), SpecError)
    assert err.one_line() == "f.json: a: a number of 5000 digits is out of range 0..511"
    assert "5000 digits" in describe(value["a"])
    assert decode_json("1" * 40, "f.json") == int("1" * 40)


@pytest.mark.parametrize(
    ("text", "fragment", "pos"),
    [
        ('{"a": NaN}', "NaN is not a JSON value", (1, 7)),
        ('{"NaN": "x",\n "b": -Infinity}', "-Infinity is not a JSON value", (2, 7)),
        ('{"a": 1,', "invalid JSON", (1, 9)),
    ],
)
def test_not_json(text: str, fragment: str, pos: tuple[int, int]) -> None:
    err = raises(lambda: decode_json(text, "f.json"), SpecError)
    assert fragment in err.message and err.pos == SourcePos("f.json", *pos)


def test_duplicate_key() -> None:
    err = raises(lambda: decode_json('{"a": 1, "a": 2}', "f.json"), SpecError)
    assert err.one_line() == "f.json: duplicate key 'a' in an object"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "null"), (True, "boolean true"), (2.7, "number 2.7"), ("x", 'string "x"'),
     ([1], "list"), ({}, "object"), ("y" * 100, 'string "' + "y" * 36 + "...")],
)
def test_describe(value: Any, shown: str) -> None:
    assert describe(value) == shown


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("a\nb", "control character '\\n'"),
        ("a\x1b[2Jb", "control character '\\x1b'"),
        ("a\x00", "control character '\\x00'"),
        ("\ud800", "lone surrogate \\ud800"),
    ],
)
def test_strings_hold_no_control_characters(value: str, fragment: str) -> None:
    r = JsonReader("f.json")
    err = raises(lambda: r.as_str(value, "NFs[0].type"), SpecError)
    assert err.one_line().startswith("f.json: NFs[0].type: ") and fragment in err.one_line()


def test_multiline_strings_take_tab_and_newline() -> None:
    r = JsonReader("f.json")
    assert r.as_str("a,\n\tb\r", "x", multiline=True) == "a,\n\tb\r"
    with pytest.raises(SpecError):
        r.as_str("a\x07", "x", multiline=True)


def test_json_path_quotes_keys_that_are_not_names() -> None:
    assert json_path("NFs[0].config", "acl") == "NFs[0].config.acl"
    assert json_path("NFs[0].config", "Discard@5") == "NFs[0].config.Discard@5"
    assert json_path("NFs[0].config", "a.b") == "NFs[0].config['a.b']"
    assert json_path("NFs[0].config", "a\nb") == "NFs[0].config['a\\nb']"
    assert json_path("", "k" * 100).endswith("...']")


def test_one_line_escapes_control_characters() -> None:
    err = SpecError("bad key 'a\nb' in x\x1b[2J", SourcePos("f\n.json", 1, 2))
    assert err.one_line() == "f\\n.json:1:2: bad key 'a\\nb' in x\\x1b[2J"
    assert printable("é [/x] :ok:") == "é [/x] :ok:"
    assert printable("a\tb\nc\x1b", keep_lines=True) == "a\tb\nc\\x1b"


# ---------------------------------------------------------------------------- spec fields


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def _topology(**change: Any) -> dict[str, Any]:
    data = json.loads((EX / "paper-topology.json").read_text())
    data["switches"][0].update(change)
    return data


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1:５００５１", "127.0.0.1:5_0051", "１２７.0.0.1:50051", "127.0.0.1:+5005",
     "127.0.0.1:" + "1" * 5000, "[fe80::1%a b]:50051", "[fe80::1%\n]:50051", "[::１]:50051"],
)
def test_address_is_ascii(tmp_path: Path, address: str) -> None:
    path = _write(tmp_path, "topo.json", _topology(address=address))
    err = raises(lambda: load_topology(path), SpecError)
    assert err.one_line().startswith(f"{path}: switches[0].address: ")
    assert "bad address" in err.one_line() or "control character" in err.one_line()


def test_address_forms_still_taken(tmp_path: Path) -> None:
    for address in ("127.0.0.1:50051", "[fe80::1%eth0]:1", "[::1]:65535", "sw-1.lab:00080"):
        path = _write(tmp_path, "topo.json", _topology(address=address))
        assert load_topology(path).switches["s1"].address == address


def test_device_id_of_5000_digits(tmp_path: Path) -> None:
    text = (EX / "paper-topology.json").read_text().replace('"device_id": 0', '"device_id": ' + "7" * 5000)
    path = tmp_path / "topo.json"
    path.write_text(text)
    err = raises(lambda: load_topology(path), SpecError)
    assert err.one_line() == (
        f"{path}: switches[0].device_id: a number of 5000 digits is out of range 0..{2**64 - 1}"
    )


def test_interface_names(tmp_path: Path) -> None:
    data = json.loads((EX / "paper-topology.json").read_text())
    for bad in ("eth 0", "a/b", "x" * 16, "", "eth0) -> Discard"):
        data["servers"][0]["interface"] = bad
        path = _write(tmp_path, "topo.json", data)
        err = raises(lambda p=path: load_topology(p), SpecError)
        assert "servers[0].interface: bad interface name" in err.one_line()
    data["servers"][0]["interface"] = "srv1-eth0.100"
    assert load_topology(_write(tmp_path, "topo.json", data)).servers["srv1"].interface


@pytest.mark.parametrize(
    "config",
    ["deny all) -> evil :: Discard; x :: Idle(", '"unterminated', "allow all /* open",
     "allow all\n#line 9\n"],
)
def test_config_override_must_be_a_config_string(tmp_path: Path, config: str) -> None:
    data = json.loads((EX / "paper-chain.json").read_text())
    data["NFs"][2]["config"] = {"acl": config}
    path = _write(tmp_path, "chain.json", data)
    err = raises(lambda: load_chains(path), SpecError)
    assert err.one_line().startswith(
        f"{path}: NFs[2].config.acl: not a Click configuration string:"
    )


def test_config_string_problem() -> None:
    assert config_string_problem("allow tcp, deny all") is None
    assert config_string_problem("a (b) 'c)' \"d)\" \\<29>") is None
    assert config_string_problem("a) b") == "a ')' at character 2 closes it before its end"
    assert config_string_problem("'x") == "unterminated configuration string"


# ---------------------------------------------------------------------------- --state


def _state(tmp_path: Path, chains: Any, raw: str | None = None) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(raw if raw is not None else json.dumps({"stages": 8, "chains": chains}))
    return path


def test_state_reads_names_and_ids(tmp_path: Path) -> None:
    path = _state(tmp_path, [{"name": "a", "chain_id": 3, "nfs": []}, {"name": "b", "chain_id": 1}])
    assert load_state(path) == {"a": 3, "b": 1}
    assert load_state(_state(tmp_path, [])) == {}


@pytest.mark.parametrize(
    ("chains", "expected"),
    [
        ([{"name": "a", "chain_id": 2.7}], "chains[0].chain_id: expected an integer, got number 2.7"),
        ([{"name": "a", "chain_id": True}], "chains[0].chain_id: expected an integer, got boolean true"),
        ([{"name": "a", "chain_id": "7"}], 'chains[0].chain_id: expected an integer, got string "7"'),
        ([{"name": "a", "chain_id": 0}], f"chains[0].chain_id: 0 is out of range 1..{MAX_CHAIN_ID}"),
        ([{"name": "a", "chain_id": -3}], f"chains[0].chain_id: -3 is out of range 1..{MAX_CHAIN_ID}"),
        ([{"name": "a", "chain_id": MAX_CHAIN_ID + 1}], "chains[0].chain_id: 32768 is out of range"),
        ([{"name": "a", "chain_id": None}], "chains[0].chain_id: expected an integer, got null"),
        ([{"name": "a"}], "chains[0].chain_id: required key is missing"),
        ([{"chain_id": 1}], "chains[0].name: required key is missing"),
        ([{"name": 5, "chain_id": 1}], "chains[0].name: expected a string, got number 5"),
        ([{"name": "a b", "chain_id": 1}], "chains[0].name: bad name 'a b'"),
        ([7], "chains[0]: expected an object, got number 7"),
        ({"a": 1}, "chains: expected a list, got object"),
        (
            [{"name": "a", "chain_id": 1}, {"name": "b", "chain_id": 1}],
            "chains[1].chain_id: chain id 1 is already used by chain 'a' (chains[0])",
        ),
        (
            [{"name": "a", "chain_id": 1}, {"name": "a", "chain_id": 2}],
            "chains[1].name: duplicate chain name 'a' (also chains[0])",
        ),
    ],
)
def test_state_fields_are_checked(tmp_path: Path, chains: Any, expected: str) -> None:
    path = _state(tmp_path, chains)
    err = raises(lambda: load_state(path), SpecError)
    assert err.one_line().startswith(f"{path}: {expected}"), err.one_line()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[]", "not a plan.json of p4sfc"),
        ('{"stages": 8}', "chains: required key is missing"),
        ('{"chains": [{"name": "a", "chain_id": ' + "9" * 5000 + "}]}", "a number of 5000 digits"),
        ('{"chains": ' + "[" * 1000 + "]" * 1000 + "}", "nest more than 64 deep"),
        ("\ufeff{}", "invalid JSON"),
    ],
)
def test_state_file_problems_name_the_file(tmp_path: Path, raw: str, expected: str) -> None:
    path = _state(tmp_path, None, raw)
    err = raises(lambda: load_state(path), SpecError)
    assert str(path) in err.one_line() and expected in err.one_line()


# ---------------------------------------------------------------------------- Click text


@pytest.mark.parametrize(
    ("text", "fragment", "col"),
    [
        ("Idle -> [１]x :: Counter -> Discard;", "syntax error near '１'", 10),
        ("Idle -> [1_0]x :: Counter -> Discard;", "port number should be integer", 10),
        ("Idle -> [" + "9" * 5000 + "]x :: Counter -> Discard;", "out of range", 10),
        ("Idle -> Counter[0x1_0] -> Discard;", "port number should be integer", 17),
    ],
)
def test_click_port_numbers_are_ascii(text: str, fragment: str, col: int) -> None:
    err = raises(lambda: parse_text(text, "t.click"), ClickSyntaxError)
    assert fragment in err.message and err.pos == SourcePos("t.click", 1, col)


def test_click_line_directives_are_ascii() -> None:
    err = raises(lambda: parse_text('# ５ "f"\nIdle -> Discard;', "t.click"), ClickSyntaxError)
    assert err.message == "unknown preprocessor directive"
    err = raises(lambda: parse_text("#line " + "9" * 5000 + "\nIdle;", "t.click"), ClickSyntaxError)
    assert "too large" in err.message and err.pos == SourcePos("t.click", 1, 1)
    g = parse_text('#line 41 "f.click"\nIdle -> Discard;', "t.click")
    assert str(g.nodes["Idle@1"]["pos"]) == "f.click:41:1"


def test_click_variables_and_indexes_are_ascii() -> None:
    # as Click's variableenv: an index that is not a number is no index (the whole value);
    # one past the words is the empty string
    g = parse_text("define($a x y); Idle -> Print(${a[１]}${a[1]}${a[" + "9" * 5000 + "]}) -> Discard;", "t")
    assert g.nodes["Print@2"]["config"] == "x yy"
    with pytest.raises(ClickSyntaxError):
        parse_text("define($é 1); Idle -> Discard;", "t")


@pytest.mark.parametrize("deep", [65, 100_000])
def test_click_nesting_limit(deep: int) -> None:
    def col_of_65th(text: str, opener: str) -> int:
        at = -1
        for _ in range(65):
            at = text.index(opener, at + 1)
        return at + 1

    groups = "Idle -> " + "(" * deep + "Counter" + ")" * deep + " -> Discard;"
    err = raises(lambda: parse_text(groups, "t.click"), ClickSyntaxError)
    assert err.pos == SourcePos("t.click", 1, col_of_65th(groups, "("))
    assert "nest more than 64 deep" in err.message
    body = "elementclass A { " + "input -> { " * deep + "input -> output" + " } -> output" * deep + " }"
    err = raises(lambda: parse_text(body, "t.click"), ClickSyntaxError)
    assert err.pos == SourcePos("t.click", 1, col_of_65th(body, "{"))


def test_click_files_are_read_as_utf8(tmp_path: Path) -> None:
    f = tmp_path / "bad.click"
    f.write_bytes(b"Idle -> Print(\"\xe9\") -> Discard;\n")
    err = raises(lambda: parse_file(f), ClickSyntaxError)
    assert err.pos == SourcePos(str(f), 1, 16)
    lib = tmp_path / "lib.click"
    lib.write_bytes(b"\n\xff")
    main = tmp_path / "main.click"
    main.write_text("require(library lib.click);\nIdle -> Discard;\n")
    err = raises(lambda: parse_file(main), ClickSyntaxError)
    assert err.pos == SourcePos(str(lib), 2, 1)


@pytest.mark.parametrize(
    ("text", "col"),
    [
        ("Counter :: Counter;", 1),
        ("Foo :: Foo;", 1),
        ("x :: Foo; Foo :: Counter;", 11),
        ("Idle -> Foo -> Discard; Foo :: Counter;", 25),
        ("elementclass A { input -> Foo -> output }; Foo :: Counter;", 44),
        ("elementclass S Foo; Foo :: Counter;", 21),
        ("x :: foo; foo :: Counter;", 11),
        ("elementclass X { input -> output }; X :: Counter;", 37),
        ("elementclass Y { Counter :: Null; input -> output }; Idle -> Y -> Discard;", 18),
    ],
)
def test_class_used_as_element_name(text: str, col: int) -> None:
    """Click's rule (LexerT): once a name is a class in a configuration, declaring an
    element of that name is an error, wherever the class use was."""
    err = raises(lambda: parse_text(text, "t.click"), ClickSyntaxError)
    assert err.message.startswith("class '") and err.message.endswith("' used as element name")
    assert err.pos == SourcePos("t.click", 1, col)


@pytest.mark.parametrize(
    "text",
    [
        "Foo :: Counter; Idle -> Foo -> Discard;",  # an element first: the name stays one
        "x :: Foo; Idle -> x -> Foo -> Discard;",  # a class used bare again: anonymous
        "elementclass A { c :: Counter; input -> c -> output }; Idle -> A -> c :: Counter -> Discard;",
    ],
)
def test_names_used_one_way_are_fine(text: str) -> None:
    parse_text(text, "t.click")


@pytest.mark.parametrize("name", ["a\0b.click", "x" * 5000, "/".join(["x" * 200] * 30), "."])
def test_library_names_the_system_refuses(tmp_path: Path, name: str) -> None:
    main = tmp_path / "main.click"
    main.write_text(f"require(library {name});\nIdle -> Discard;\n")
    err = raises(lambda: parse_file(main), ClickSyntaxError)
    assert err.pos == SourcePos(str(main), 1, 8) and "not found next to" in err.message


def test_large_files_are_read_in_linear_time(tmp_path: Path) -> None:
    """Link ordering and switch paths were quadratic: a 40,000-NF chain (4 MB) took
    minutes. Now reading it and a 40,000-switch line topology takes about a second."""
    n = 40_000
    chain = {
        "name": "big",
        "NFs": [{"name": f"n{i}", "type": "monitor", "location": "srv1"} for i in range(n)],
        "Links": [[f"n{i}", f"n{i + 1}"] for i in range(n - 1)] + [[f"n{n - 1}", "n0"]],
        "Route": {"ingress": {"switch": "s0", "port": 3}, "egress": {"switch": "s0", "port": 1}},
    }
    topo = {
        "switches": [{"name": f"s{i}", "address": "127.0.0.1:1", "device_id": i, "ports": [1, 2, 3]}
                     for i in range(n)],
        "servers": [{"name": "srv1", "switch": f"s{n - 1}", "port": 3}],
        "links": [{"a": f"s{i}", "a_port": 2, "b": f"s{i + 1}", "b_port": 1} for i in range(n - 1)],
    }
    start = time.monotonic()
    err = raises(lambda: load_chains(_write(tmp_path, "chain.json", chain)), SpecError)
    assert f"Links[{n - 1}]: the links form a loop through 'n0'" in err.one_line()
    chain["Links"].pop()
    chain["NFs"] = chain["NFs"][:3]
    chain["Links"] = chain["Links"][:2]
    chains = load_chains(_write(tmp_path, "chain.json", chain))
    topology = load_topology(_write(tmp_path, "topo.json", topo))
    validate(chains, topology)
    assert topology.path("s0", f"s{n - 1}")[-1] == f"s{n - 1}"
    assert time.monotonic() - start < 30  # quadratic: several minutes
