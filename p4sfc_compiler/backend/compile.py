"""``p4sfc compile``: plan, program, entries and server configs, written to one folder.

Everything is computed and checked in memory first (entries against the P4Info, table
capacities, chain lengths), so a failing compile writes nothing. Output is
deterministic: the same input gives byte-identical files.

The folder is written all at once (:mod:`.outdir`): the files an earlier compile wrote
there, as its ``plan.json`` names them, are replaced or removed; other files are kept,
and a new file never replaces one of them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from p4sfc_compiler.analysis.plan import Plan, build_plan
from p4sfc_compiler.backend import compact_json
from p4sfc_compiler.backend.clickgen import build_server_configs
from p4sfc_compiler.backend.entries import SwitchEntries, build_entries
from p4sfc_compiler.backend.entry_formats import runtime_json, write_request_txtpb
from p4sfc_compiler.backend.outdir import OutputError, show, write_folder
from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.dataplane.program import ProgramParams, build_program
from p4sfc_compiler.frontend.chainspec import ChainSpec, Topology
from p4sfc_compiler.frontend.specjson import NAME
from p4sfc_compiler.frontend.statefile import load_state
from p4sfc_compiler.p4info.checks import check_capacity, check_entry, check_unique
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.p4info.write import index_p4info, render_p4info

PROGRAM = "p4sfc"


@dataclass
class CompileResult:
    plan: Plan
    out_dir: Path
    entries_per_switch: dict[str, int] = field(default_factory=dict)
    switch_files: dict[str, list[str]] = field(default_factory=dict)
    server_files: dict[str, list[str]] = field(default_factory=dict)
    server_instances: dict[str, dict[str, tuple[str, str, str]]] = field(default_factory=dict)
    program_files: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text


def previous_chain_ids(state: Path | None) -> dict[str, int]:
    """Chain ids of an earlier plan.json, so deployed chains keep theirs (read and
    checked by the frontend's state reader)."""
    return {} if state is None else load_state(state)


@lru_cache(maxsize=8)
def program_texts(params: ProgramParams) -> tuple[str, str, P4InfoIndex]:
    """The program's P4 text, its P4Info text and index: pure functions of the program's
    parameters, so a process that compiles again (a daemon, the bench) renders them once."""
    program = build_program(params)
    return render_p4(params), render_p4info(program), index_p4info(program)


def compile_chains(
    chains: Sequence[ChainSpec],
    topology: Topology,
    *,
    stages: int = 8,
    out_dir: Path | None = None,
    state: Path | None = None,
    server_io: str = "device",
    max_chain: int | None = None,
    table_size: int = 1024,
) -> CompileResult:
    """Compile chains; write the files when ``out_dir`` is given."""
    plan = build_plan(chains, topology, stages=stages, previous_ids=previous_chain_ids(state))
    longest = max((len(c.nfs) for c in plan.chains), default=1)
    params = ProgramParams(
        stages=stages,
        max_chain=max_chain or max(8, longest),
        table_size=table_size,
        # a counter's register slot comes with its element-control entry, so registers as
        # large as the tables never run out first
        register_size=table_size,
    )
    p4_text, p4info_text, index = program_texts(params)
    per_switch = build_entries(plan, params)
    for sw, se in per_switch.items():
        for e in se.entries:
            check_entry(e, index)
        check_unique(se.entries, sw)
        check_capacity(se.entries, index, sw)

    result = CompileResult(plan, out_dir or Path("."))
    files = result.files
    files[f"p4/{PROGRAM}.p4"] = p4_text
    files[f"p4/{PROGRAM}.p4info.txtpb"] = p4info_text
    result.program_files = [f"p4/{PROGRAM}.p4", f"p4/{PROGRAM}.p4info.txtpb"]
    for sw, se in per_switch.items():
        if not se.entries:
            continue
        device = topology.switches[sw].device_id
        _file_name(sw, "switch")
        rj = runtime_json(
            se.entries,
            p4info=f"../p4/{PROGRAM}.p4info.txtpb",
            bmv2_json=f"../p4/{PROGRAM}.json",
            clone_sessions=se.clone_sessions,
        )
        files[f"switches/{sw}-runtime.json"] = compact_json.dumps(rj, levels=2) + "\n"
        files[f"switches/{sw}.txtpb"] = write_request_txtpb(
            se.entries, index, device_id=device, clone_sessions=se.clone_sessions
        )
        result.entries_per_switch[sw] = len(se.entries)
        result.switch_files[sw] = [f"switches/{sw}-runtime.json", f"switches/{sw}.txtpb"]
    for server, cfg in build_server_configs(plan, server_io).items():
        _file_name(server, "server")
        path = f"servers/{server}/{server}.click"
        files[path] = cfg.text
        result.server_files[server] = [path]
        result.server_instances[server] = cfg.instances
    files["plan.json"] = compact_json.dumps(_plan_json(plan, params, per_switch, result), levels=4) + "\n"
    if out_dir is not None:
        assert all(_is_output_path(rel) for rel in files), sorted(files)
        write_folder(out_dir, files, earlier_outputs(out_dir))
    return result


def _file_name(name: str, what: str) -> None:
    """A switch or server name becomes a file name: refuse one that would leave its folder.
    (The readers refuse such names with their JSON path; this guards topologies built in
    code.)"""
    if not NAME.match(name):
        raise OutputError(
            f"{what} name {name!r} cannot be a file name (letters, digits, '_', '.', '-', "
            "not starting with '.' or '-')"
        )


def _is_output_path(rel: str) -> bool:
    """``rel`` is a path a compile writes: plan.json, the program, a switch's entries or a
    server's config, with a valid switch or server name."""
    parts = rel.split("/")
    if parts in (["plan.json"], ["p4", f"{PROGRAM}.p4"], ["p4", f"{PROGRAM}.p4info.txtpb"]):
        return True
    if len(parts) == 2 and parts[0] == "switches":
        for suffix in ("-runtime.json", ".txtpb"):
            if parts[1].endswith(suffix) and NAME.match(parts[1][: -len(suffix)]):
                return True
    if len(parts) == 3 and parts[0] == "servers":
        return bool(NAME.match(parts[1])) and parts[2] == f"{parts[1]}.click"
    return False


def earlier_outputs(out_dir: Path) -> set[str]:
    """The files an earlier compile wrote into ``out_dir``, as its plan.json names them
    (only names of the shape a compile writes count). No plan.json: none."""
    plan_file = out_dir / "plan.json"
    if not out_dir.is_dir() or not os.path.lexists(plan_file):
        return set()
    try:
        text = plan_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise OutputError(f"{show(out_dir)}: cannot read its plan.json: {why}") from None
    try:
        data = json.loads(text)
        named = [data["program"]["p4"], data["program"]["p4info"]]
        for sw in data["switches"].values():
            named += sw["entries"]
        for files in data["servers"].values():
            named += files
    except (ValueError, KeyError, TypeError, AttributeError):
        raise OutputError(
            f"{show(out_dir)}: its plan.json is not one p4sfc wrote, so the files there may not "
            "be p4sfc's: choose another output folder (or remove that plan.json)"
        ) from None
    return {"plan.json"} | {rel for rel in named if isinstance(rel, str) and _is_output_path(rel)}


def _plan_json(
    plan: Plan, params: ProgramParams, per_switch: dict[str, SwitchEntries], result: CompileResult
) -> dict:
    data = plan.to_json()
    data["program"] = {
        "stages": params.stages,
        "max_chain": params.max_chain,
        "table_size": params.table_size,
        "p4": f"p4/{PROGRAM}.p4",
        "p4info": f"p4/{PROGRAM}.p4info.txtpb",
    }
    switches = {}
    for sw, se in per_switch.items():
        owned: dict[str, list[int]] = {}
        for i, e in enumerate(se.entries):
            owned.setdefault(e.chain or "", []).append(i)
        switches[sw] = {
            "address": plan.topology.switches[sw].address,
            "device_id": plan.topology.switches[sw].device_id,
            "entries": result.switch_files.get(sw, []),
            "entries_by_chain": owned,
            "registers": [
                {
                    "chain": r.chain,
                    "nf": r.nf,
                    "element": r.element,
                    "registers": list(r.registers),
                    "index": r.index,
                }
                for r in se.registers
            ],
            "clone_sessions": [
                {"session": cs.session_id, "port": cs.port, "chains": list(cs.chains)}
                for cs in se.clone_sessions
            ],
        }
    data["switches"] = switches
    data["servers"] = {s: files for s, files in sorted(result.server_files.items())}
    # what p4sfc run needs to wire a deployment and read its servers' counters
    data["server_instances"] = {
        s: {name: {"chain": c, "nf": nf, "part": part} for name, (c, nf, part) in sorted(inst.items())}
        for s, inst in sorted(result.server_instances.items())
    }
    data["topology"] = _topology_json(plan.topology)
    return data


def _topology_json(topology: Topology) -> dict:
    return {
        "switches": {
            name: {"device_id": sw.device_id, "ports": list(sw.ports), "cpu_port": sw.cpu_port}
            for name, sw in sorted(topology.switches.items())
        },
        "servers": {
            name: {"switch": srv.switch, "port": srv.port}
            for name, srv in sorted(topology.servers.items())
        },
        "links": [
            {"a": lk.a, "a_port": lk.a_port, "b": lk.b, "b_port": lk.b_port}
            for lk in topology.links
        ],
    }
