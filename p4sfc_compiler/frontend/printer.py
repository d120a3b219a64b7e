"""Print an IR graph as Click text, JSON or Graphviz dot."""

from __future__ import annotations

import json
import re
from typing import Any

import networkx as nx

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.frontend import ir

_IDENT = re.compile(r"[A-Za-z0-9_@]+(?:/[A-Za-z0-9_@]+)*")
_KEYWORDS = frozenset({"elementclass", "require", "provide", "define"})


def _check_name(name: str, what: str) -> None:
    if not _IDENT.fullmatch(name) or name in _KEYWORDS:
        raise ValueError(f"{what} {name!r} cannot be written in Click syntax")


def _config_text(config: str) -> str:
    """The config as it goes between parentheses.

    A ``//`` comment on the last line would swallow the closing parenthesis, so such a
    config ends with a newline (trimmed again when parsed).
    """
    last_line = config.rsplit("\n", 1)[-1]
    return config + "\n" if "//" in last_line else config


def _decl(name: str, data: dict[str, Any]) -> str:
    cls = data["cls"]
    _check_name(name, "element name")
    _check_name(cls, "class name")
    config = data.get("config", "")
    return f"{name} :: {cls}({_config_text(config)});" if config else f"{name} :: {cls};"


def to_click(g: nx.MultiDiGraph) -> str:
    """Click text for the graph: declarations, then one line per connection.

    A graph with ``input``/``output`` pseudo-nodes prints as a compound body (the text
    an ``elementclass NAME { ... }`` wraps); parse it back with ``compound_body=True``.
    """
    lines: list[str] = []
    requires = g.graph.get("requires") or ()
    if requires:
        lines.append(f"require({', '.join(requires)});")
    for name, data in g.nodes(data=True):
        if data["cls"] in ir.PSEUDO_CLASSES:
            continue
        lines.append(_decl(name, data))
    for src, out_port, dst, in_port in ir.connections(g):
        left = f"{src} [{out_port}]" if out_port else src
        right = f"[{in_port}] {dst}" if in_port else dst
        lines.append(f"{left} -> {right};")
    return "\n".join(lines) + "\n"


def _pos_str(pos: SourcePos | None) -> str | None:
    return str(pos) if pos is not None else None


def to_json(g: nx.MultiDiGraph) -> dict[str, Any]:
    """A JSON-ready dict: graph attributes, elements in order, connections."""
    return {
        "name": g.graph.get("name", ""),
        "file": g.graph.get("file", ""),
        "requires": list(g.graph.get("requires") or ()),
        "elements": [
            {
                "name": name,
                "class": data["cls"],
                "config": data["config"],
                "args": list(data["args"]),
                "pos": _pos_str(data.get("pos")),
            }
            for name, data in g.nodes(data=True)
        ],
        "connections": [
            {"from": s, "from_port": sp, "to": d, "to_port": dp}
            for s, sp, d, dp in ir.connections(g)
        ],
    }


def to_json_text(g: nx.MultiDiGraph) -> str:
    return json.dumps(to_json(g), indent=2)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: nx.MultiDiGraph) -> str:
    """Graphviz text: one box per element (name and class), ports on edge ends."""
    out = [f"digraph {_dot_quote(g.graph.get('name') or 'click')} {{",
           "  node [shape=box, fontname=\"monospace\"];"]
    for name, data in g.nodes(data=True):
        shape = ", shape=ellipse" if data["cls"] in ir.PSEUDO_CLASSES else ""
        out.append(f"  {_dot_quote(name)} [label={_dot_quote(name + chr(10) + data['cls'])}"
                   f"{shape}];")
    for s, sp, d, dp in ir.connections(g):
        out.append(f"  {_dot_quote(s)} -> {_dot_quote(d)} "
                   f"[taillabel=\"{sp}\", headlabel=\"{dp}\"];")
    out.append("}")
    return "\n".join(out) + "\n"
