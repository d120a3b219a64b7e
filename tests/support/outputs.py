"""Checks of a compile's output as a switch and a server would take it, from the files
alone: every runtime-JSON entry read back through the written P4Info must pass the entry
checks and have a key of its own, and every server config must parse into the NF
instances the plan puts on that server."""

from __future__ import annotations

import json

from p4sfc_compiler.backend.compile import CompileResult
from p4sfc_compiler.backend.entry_formats import entry_from_runtime_json
from p4sfc_compiler.dataplane.match import Entry
from p4sfc_compiler.frontend.parser import parse_text
from p4sfc_compiler.p4info.checks import check_capacity, check_entry, check_unique
from p4sfc_compiler.p4info.index import P4InfoIndex


def entries_of(result: CompileResult, index: P4InfoIndex, switch: str) -> list[Entry]:
    rows = json.loads(result.files[f"switches/{switch}-runtime.json"])["table_entries"]
    return [entry_from_runtime_json(row, index) for row in rows]


def check_output(result: CompileResult) -> None:
    index = P4InfoIndex.from_text(result.files["p4/p4sfc.p4info.txtpb"])
    for switch in result.switch_files:
        entries = entries_of(result, index, switch)
        for e in entries:
            check_entry(e, index)
        check_unique(entries, switch)
        check_capacity(entries, index, switch)
    for server, (path,) in result.server_files.items():
        g = parse_text(result.files[path], path)
        instances = {n.split("/")[0] for n in g if "/" in n}
        expected = [
            (c.chain_id, nf.name)
            for c in result.plan.chains
            for nf in c.nfs
            if nf.location == server and nf.on_server
        ]
        # one elementclass instance per server-side NF (a split NF's is its miss part)
        assert len(instances) == len(expected), (server, sorted(instances), expected)
        for cid, _ in expected:
            assert any(i.startswith(f"c_{cid}_") for i in instances), (server, cid)


def chain_and_nf(match: dict) -> tuple[int, int | None]:
    """The chain id and NF id an entry is keyed by: the leading ``chain_id`` / ``nf_id``
    fields (of a packed key field too), or the high parts of element_control's packed
    ``ctl`` field."""
    from p4sfc_compiler.dataplane.fields import unpack_control_key, unpack_key_fields

    if "ctl" in match:
        chain_id, nf_id, _, _ = unpack_control_key(match["ctl"].value)
        return chain_id, nf_id
    match = unpack_key_fields(match.items())
    nf = match.get("nf_id")
    return match["chain_id"].value, None if nf is None else nf.value
