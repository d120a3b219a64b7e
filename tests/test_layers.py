"""The import graph of the package: no cycle, and imports go one way, down the pipeline.

Every import counts, including one inside a function (hiding a cycle there is still a
cycle). Layers, lowest first; a module may import its own package and lower layers only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "p4sfc_compiler"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("p4sfc_compiler", "p4sfc_compiler.errors", "p4sfc_compiler.resources"),
    ("p4sfc_compiler.dataplane",),
    ("p4sfc_compiler.p4info", "p4sfc_compiler.frontend"),
    ("p4sfc_compiler.families",),
    ("p4sfc_compiler.analysis", "p4sfc_compiler.engine"),
    ("p4sfc_compiler.backend",),
    ("p4sfc_compiler.runtime", "p4sfc_compiler.switch"),
    ("p4sfc_compiler.state",),
    ("p4sfc_compiler.deploy",),
    ("p4sfc_compiler.report",),
    ("p4sfc_compiler.cli",),
)


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            # "from pkg import module" imports the module
            out.update(f"{mod}.{a.name}" for a in node.names)
    return {m for m in out if m.split(".")[0] == "p4sfc_compiler"}


def _graph() -> nx.DiGraph:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(files)
    for name, path in files.items():
        for target in _imports(path, name):
            if target in files and target != name:
                g.add_edge(name, target)
    return g


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    assert best >= 0, f"{module} is in no layer: add its package to LAYERS"
    return best


def _package(module: str) -> str:
    return module if _layer(module) == 0 else ".".join(module.split(".")[:2])


def test_no_import_cycle() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert cycles == []


def test_imports_go_down_the_pipeline() -> None:
    g = _graph()
    upward = [
        f"{a} -> {b}"
        for a, b in g.edges
        if _package(a) != _package(b) and _layer(b) >= _layer(a)
    ]
    assert upward == []


def test_the_contract_and_the_errors_are_leaves() -> None:
    g = _graph()
    for module in g:
        if _layer(module) <= 1:
            assert all(_layer(t) <= _layer(module) for t in g.successors(module)), module
