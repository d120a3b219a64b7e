"""JSON for large outputs: indented at the top, one compact line per deeper value.

``json.dumps(indent=...)`` falls back to the pure-Python encoder, which takes seconds
for the tens of thousands of entries of 1,000 chains; values below ``levels`` are
written by the C encoder, one per line, which also keeps diffs readable.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(obj: Any, levels: int = 2, indent: int = 2, _depth: int = 0) -> str:
    pad = " " * (indent * (_depth + 1))
    end = " " * (indent * _depth)
    if _depth >= levels or not isinstance(obj, dict | list) or not obj:
        return json.dumps(obj)
    if isinstance(obj, dict):
        items = [
            f"{pad}{json.dumps(str(k))}: {dumps(v, levels, indent, _depth + 1)}"
            for k, v in obj.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    items = [pad + dumps(v, levels, indent, _depth + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + end + "]"
