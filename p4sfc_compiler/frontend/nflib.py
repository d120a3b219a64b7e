"""The NF library: Click NF bodies shipped in ``examples/nfs/<type>.click``.

An NF body follows Click's compound-element convention: ``input`` receives an Ethernet
frame, ``output[0]`` emits the frame that continues the chain, ``Discard`` drops. Each
file starts with a ``//`` comment saying what the NF does and its offloadability class
as the paper gives it (fully / partially / non-offloadable).
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx

from p4sfc_compiler.errors import ClickSyntaxError, SourcePos, SpecError
from p4sfc_compiler.frontend import inputs
from p4sfc_compiler.frontend.chaindata import NFSpec
from p4sfc_compiler.frontend.configstring import split_args
from p4sfc_compiler.frontend.ir import INPUT_CLASS, OUTPUT_CLASS, PSEUDO_CLASSES, connections
from p4sfc_compiler.frontend.parser import parse_text
from p4sfc_compiler.frontend.specjson import excerpt, json_path, located
from p4sfc_compiler.resources import data_path

OFFLOADABILITY = ("fully", "partially", "non")
_CLAIM = re.compile(r"\b(fully|partially|non)[- ]offloadable\b")


def nf_dir() -> Path:
    """The folder of the shipped NF bodies."""
    return data_path("examples", "nfs")


def nf_types() -> list[str]:
    """Names of the library's NF types, sorted."""
    return sorted(p.stem for p in nf_dir().glob("*.click"))


def nf_source(nf_type: str, where: str = "") -> Path:
    """The ``.click`` file of a library NF type; ``where`` locates the asking NF in
    messages (``chain.json: NFs[2].type``)."""
    path = nf_dir() / f"{nf_type}.click"
    if "/" in nf_type or "\\" in nf_type or not inputs.is_file(path):
        at = f"{where}: " if where else ""
        raise SpecError(f"{at}unknown NF type {excerpt(nf_type)} (known: {', '.join(nf_types())})")
    return path


def nf_summary(nf_type: str) -> str:
    """The leading ``//`` comment of a library NF, as one paragraph."""
    lines = []
    for line in nf_source(nf_type).read_text(encoding="utf-8").splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines)


def declared_offloadability(nf_type: str) -> str:
    """The class the NF's header comment claims: ``fully``, ``partially`` or ``non``.

    The analysis derives the class from the elements; tests compare the two, so a library
    NF that stops matching its description is caught.
    """
    found = _CLAIM.search(nf_summary(nf_type))
    if found is None:
        raise SpecError(f"{nf_source(nf_type)}: the header comment names no offloadability class")
    return found.group(1)


def nf_file(spec: NFSpec, base_dir: Path | None = None) -> Path:
    """The ``.click`` file an NF instance uses: its own ``click`` file or the library's."""
    if spec.click is None:
        return nf_source(spec.type, str(SourcePos.json(spec.file or spec.name, json_path(spec.where, "type"))))
    if base_dir is None:
        base_dir = Path(spec.file).parent if spec.file else Path()
    return spec.click if spec.click.is_absolute() else base_dir / spec.click


def load_nf(spec: NFSpec, base_dir: Path | None = None) -> nx.MultiDiGraph:
    """Parse an NF instance's body and apply its ``config`` overrides.

    ``base_dir`` is the folder ``spec.click`` is relative to (default: the chain file's
    folder). The graph's ``name`` is the NF instance name.
    """
    path = nf_file(spec, base_dir)
    try:
        data = inputs.read_bytes(path, error=SpecError)
    except SpecError as exc:
        # the file is the one an NF names: say which NF
        raise SpecError(f"{spec.file}: {spec.where}: {exc.message}") from None
    text = inputs.decode_text(data, str(path), error=ClickSyntaxError)
    graph = parse_text(text, str(path), compound_body=True)
    graph.graph["name"] = spec.name
    _check_convention(graph, spec, path)
    _apply_overrides(graph, spec, path)
    return graph


def _elements(graph: nx.MultiDiGraph) -> list[str]:
    return [n for n, d in graph.nodes(data=True) if d["cls"] not in PSEUDO_CLASSES]


def _named_first(name: str) -> tuple[bool, str]:
    # Anonymous elements (Class@N) are rarely what a user means; list them last.
    return ("@" in name, name)


def _apply_overrides(graph: nx.MultiDiGraph, spec: NFSpec, path: Path) -> None:
    elements = _elements(graph)
    for element, config in spec.config.items():
        if element not in elements:
            raise SpecError(located(
                spec.file, json_path(json_path(spec.where, "config"), element),
                f"{path.name} has no element {excerpt(element)} "
                f"(elements: {', '.join(sorted(elements, key=_named_first))})",
            ))
        graph.nodes[element]["config"] = config.strip()
        graph.nodes[element]["args"] = tuple(split_args(config))
        # a problem in this configuration is the chain file's, not the .click file's
        graph.nodes[element]["config_pos"] = SourcePos.json(
            spec.file or spec.name, json_path(json_path(spec.where, "config"), element)
        )


def _check_convention(graph: nx.MultiDiGraph, spec: NFSpec, path: Path) -> None:
    """The body must take frames on ``input[0]`` and emit them only on ``output[0]``."""
    where = f"{spec.file}: {spec.where}" if spec.file else spec.name
    # The parser adds the pseudo-nodes to every compound body, used or not.
    inputs = [n for n, d in graph.nodes(data=True) if d["cls"] == INPUT_CLASS]
    if not any(graph.out_degree(n) for n in inputs):
        raise SpecError(f"{where}: {path.name} never uses `input`; an NF body is `input -> ... -> output`")
    for src, out_port, dst, in_port in connections(graph):
        if graph.nodes[src]["cls"] == INPUT_CLASS and out_port != 0:
            raise SpecError(f"{where}: {path.name} uses input[{out_port}]; an NF has one input")
        if graph.nodes[dst]["cls"] == OUTPUT_CLASS and in_port != 0:
            raise SpecError(
                f"{where}: {path.name} uses output[{in_port}]; an NF continues the chain on "
                "output[0] only (send dropped packets to Discard)"
            )
