"""Reading ``--state``: the plan.json of an earlier compile, for the chain ids it gave.

Only ``chains[].name`` and ``chains[].chain_id`` are read (plan.json holds much more, which
this reader leaves alone); each is checked where it is read, so that a bad or hand-edited
state file is an error naming the file and the JSON path, never ids the P4 program cannot
carry or two chains with one id.
"""

from __future__ import annotations

from pathlib import Path

from p4sfc_compiler.dataplane.program import MAX_CHAIN_ID
from p4sfc_compiler.frontend.specjson import NAME, JsonReader, json_path, read_json

# Chain id 0 is never given (ids count from 1); the SFC header carries the id.
MIN_CHAIN_ID = 1


def load_state(path: Path) -> dict[str, int]:
    """``{chain name: chain id}`` of a plan.json written by ``p4sfc compile``."""
    path = Path(path)
    r = JsonReader(str(path))
    data = read_json(path)
    if not isinstance(data, dict):
        raise r.fail("", "not a plan.json of p4sfc (expected an object with 'chains')")
    if "chains" not in data:
        raise r.fail("chains", "required key is missing (not a plan.json of p4sfc?)")
    ids: dict[str, int] = {}
    where_name: dict[str, str] = {}
    where_id: dict[int, tuple[str, str]] = {}
    for i, raw in enumerate(r.as_list(data["chains"], "chains")):
        cpath = json_path("chains", i)
        if not isinstance(raw, dict):
            r.as_obj(raw, cpath, ("name", "chain_id"))  # raises: not an object
        for key in ("name", "chain_id"):
            if key not in raw:
                raise r.fail(json_path(cpath, key), "required key is missing")
        name = r.as_str(raw["name"], json_path(cpath, "name"), NAME)
        chain_id = r.as_int(raw["chain_id"], json_path(cpath, "chain_id"), MIN_CHAIN_ID, MAX_CHAIN_ID)
        if name in where_name:
            raise r.fail(json_path(cpath, "name"), f"duplicate chain name {name!r} (also {where_name[name]})")
        if chain_id in where_id:
            other, other_path = where_id[chain_id]
            raise r.fail(
                json_path(cpath, "chain_id"),
                f"chain id {chain_id} is already used by chain {other!r} ({other_path})",
            )
        where_name[name] = cpath
        where_id[chain_id] = (name, cpath)
        ids[name] = chain_id
    return ids
