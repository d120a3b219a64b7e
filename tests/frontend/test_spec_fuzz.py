"""Fuzzing the JSON inputs: valid chain, topology and state files, mutated (types, values,
Unicode, sizes, nesting, bytes), then planned and compiled in process. Each run either
succeeds or raises a P4SFCError whose one line names one of the input files; any other
exception is a bug (it would be a traceback on the command line)."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from support.outputs import check_output

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.frontend.nflib import nf_dir
from p4sfc_compiler.report import compile_report
from p4sfc_compiler.resources import data_path

EX = data_path("examples")
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _example(name: str) -> dict[str, Any]:
    chain = json.loads((EX / f"{name}-chain.json").read_text())
    topo = json.loads((EX / f"{name}-topology.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        c = Path(tmp) / "chain.json"
        c.write_text(json.dumps(chain))
        chains = load_chains(c)
        t = Path(tmp) / "topology.json"
        t.write_text(json.dumps(topo))
        plan_json = compile_chains(chains, load_topology(t)).files["plan.json"]
    return {"chain": chain, "topology": topo, "state": json.loads(plan_json)}


BASES = {name: _example(name) for name in ("paper", "two-server")}

# Values a mutation puts in: every JSON type, numbers at and past the fields' ranges,
# strings with markup, controls, surrogate escapes, non-ASCII digits and Click syntax.
_STRINGS = st.one_of(
    st.text(max_size=20),
    st.sampled_from([
        "", "srv1", "s1", "fw1", "firewall", "tcp", "10.0.0.0/8", "127.0.0.1:５００５１",
        "[/x]", "[bold]", ":ok:", "a\nb", "\x1b[2J", "\ud800", "１２７.0.0.1", "deny all) -> x",
        "allow dst port ８０", "nfs/../../x", "a" * 5000, "../firewall",
    ]),
)
_NUMBERS = st.one_of(
    st.integers(-3, 70000),
    st.sampled_from([0, 1, 255, 256, 511, 512, 65535, 65536, 2**64 - 1, 2**64, -(2**63)]),
    st.floats(allow_nan=False),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _STRINGS)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(_STRINGS, inner, max_size=3)),
    max_leaves=6,
)


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every list and object in ``value``, the root first."""
    out = [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        if isinstance(item, dict | list):
            out.extend(_containers(item, (*path, key)))
    return out


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated_json(draw: st.DrawFn, base: Any) -> Any:
    """``base`` after 1 to 3 mutations, each at a random list or object in it."""
    data = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = _containers(data)
        target = _at(data, draw(st.sampled_from(paths)))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        op = draw(st.sampled_from(["replace", "replace", "delete", "add", "nest", "grow"]))
        key = draw(st.sampled_from(keys)) if keys else None
        if op == "replace" and key is not None:
            target[key] = draw(_VALUES)
        elif op == "delete" and key is not None:
            del target[key]
        elif op == "add":
            if isinstance(target, dict):
                target[draw(_STRINGS)] = draw(_VALUES)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(_VALUES))
        elif op == "nest" and key is not None:
            for _ in range(draw(st.sampled_from([1, 2, 63, 64, 200]))):
                target[key] = [target[key]]
        elif op == "grow" and isinstance(target, list) and target:
            target.extend(target * draw(st.integers(1, 300)))
    return data


@st.composite
def mutated_text(draw: st.DrawFn, base: Any) -> bytes:
    """The JSON text of ``base`` after a byte-level mutation."""
    text = json.dumps(base, indent=draw(st.sampled_from([None, 2])), ensure_ascii=False)
    data = text.encode()
    at = draw(st.integers(0, len(data)))
    op = draw(st.sampled_from(["insert", "truncate", "digits", "brackets", "replace"]))
    if op == "insert":
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    elif op == "truncate":
        data = data[:at]
    elif op == "digits":
        digits = draw(st.sampled_from(["5000", "4301", "41"]))
        data = data.replace(b"1", b"1" * int(digits), 1)
    elif op == "brackets":
        depth = draw(st.sampled_from([64, 65, 1000, 100_000]))
        data = data[:at] + b"[" * depth + data[at:]
    else:
        old = draw(st.sampled_from([b'"', b":", b",", b"s1", b"srv1", b"0", b"[", b"}"]))
        new = draw(st.sampled_from([b"\xff", b"\xc3", b"NaN", b"-Infinity", b"\\ud800", b"\x00", b"'"]))
        data = data.replace(old, new, 1)
    return data


def _run(files: dict[str, bytes]) -> None:
    """Write the files, compile (with the state when there is one), render the report;
    a P4SFCError must name one of the files on one line."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {role: Path(tmp) / f"{role}.json" for role in files}
        for role, data in files.items():
            paths[role].write_bytes(data)
        try:
            chains = load_chains(paths["chain"])
            topology = load_topology(paths["topology"])
            validate(chains, topology)
            result = compile_chains(chains, topology, state=paths.get("state"))
            # what compiled applies: entries a switch takes, configs the plan's NFs run in
            check_output(result)
            # a console with markup and emoji on: the report's user text must be Text
            console = Console(file=io.StringIO(), width=100)
            for renderable in compile_report(result):
                console.print(renderable)
        except P4SFCError as err:
            line = err.one_line()
            assert "\n" not in line
            named = [str(p) for p in paths.values()] + [str(nf_dir())]
            assert any(name in line for name in named), line


def _files(base: dict[str, Any], role: str, mutated: bytes, with_state: bool) -> dict[str, bytes]:
    files = {r: json.dumps(base[r]).encode() for r in ("chain", "topology", "state")}
    files[role] = mutated
    if not with_state and role != "state":
        del files["state"]
    return files


def _given(make: Callable[[Any], st.SearchStrategy[Any]]) -> Any:
    @st.composite
    def case(draw: st.DrawFn) -> tuple[dict[str, Any], str, Any, bool]:
        base = BASES[draw(st.sampled_from(sorted(BASES)))]
        role = draw(st.sampled_from(["chain", "topology", "state"]))
        return base, role, draw(make(base[role])), draw(st.booleans())

    return given(case())


@SETTINGS
@_given(mutated_json)
def test_mutated_json_values_compile_or_fail_naming_a_file(
    case: tuple[dict[str, Any], str, Any, bool],
) -> None:
    base, role, data, with_state = case
    _run(_files(base, role, json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"), with_state))


@SETTINGS
@_given(mutated_text)
def test_mutated_json_bytes_compile_or_fail_naming_a_file(
    case: tuple[dict[str, Any], str, bytes, bool],
) -> None:
    base, role, data, with_state = case
    _run(_files(base, role, data, with_state))


def test_unmutated_examples_compile() -> None:
    for base in BASES.values():
        _run({r: json.dumps(base[r]).encode() for r in ("chain", "topology", "state")})
