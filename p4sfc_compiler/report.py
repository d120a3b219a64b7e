"""Terminal renderings (rich) of the IR, the plan and a compile result.

User text (names, classes, configuration strings, file names, reasons that quote them)
goes into :class:`rich.text.Text` pieces, never into markup strings, so rich interprets
none of it: ``Print([/x])`` prints as written, and a ``:name:`` is no emoji. Control
characters in it (an escape sequence in a config string or a file name) are printed as
escapes (:func:`~p4sfc_compiler.errors.printable`), so no input drives the terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import networkx as nx
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from p4sfc_compiler.analysis.partition import Placement
from p4sfc_compiler.errors import printable
from p4sfc_compiler.frontend.ir import PSEUDO_CLASSES, out_edges_by_port

if TYPE_CHECKING:
    from p4sfc_compiler.analysis.plan import Plan
    from p4sfc_compiler.backend.compile import CompileResult
    from p4sfc_compiler.deploy.demo import DemoResult
    from p4sfc_compiler.deploy.deployment import RunTotals
    from p4sfc_compiler.deploy.equivalence import Verdict
    from p4sfc_compiler.deploy.servers import Count, ElementKey
    from p4sfc_compiler.deploy.statesync import StateSummary
    from p4sfc_compiler.runtime.apply import SwitchResult
    from p4sfc_compiler.runtime.destroy import DestroyResult
    from p4sfc_compiler.runtime.status import SwitchStatus

_CLASS_STYLE = {"fully": "green", "partially": "yellow", "non": "red"}


def _t(text: object, style: str = "") -> Text:
    """User text as a Text piece: no markup, control characters escaped."""
    return Text(printable(str(text), keep_lines=True), style)


def ir_tree(g: nx.MultiDiGraph) -> Tree:
    """Elements with their config and where each output port goes."""
    title = g.graph.get("name") or g.graph.get("file") or "configuration"
    root = Tree(Text.assemble(
        _t(title, "bold"), f"  ({_count(g)} elements, {g.number_of_edges()} connections)"
    ))
    for n, d in g.nodes(data=True):
        label = Text.assemble(_t(n, "cyan"), " :: ", _t(d["cls"], "bold"))
        if d["config"]:
            cfg = " ".join(d["config"].split())
            label.append_text(_t(f"({cfg if len(cfg) <= 70 else cfg[:67] + '...'})"))
        if d.get("pos"):
            label.append("  ")
            label.append_text(_t(d["pos"], "dim"))
        node = root.add(label)
        for port, targets in sorted(out_edges_by_port(g, n).items()):
            for dst, in_port in targets:
                node.add(_t(f"[{port}] -> [{in_port}] {dst}"))
    return root


def _count(g: nx.MultiDiGraph) -> int:
    return sum(1 for _, d in g.nodes(data=True) if d["cls"] not in PSEUDO_CLASSES)


def plan_report(plan: Plan) -> Iterator[object]:
    """One table per chain, then a tree of the split NFs."""
    for chain in plan.chains:
        t = Table(
            title=_t(f"chain {chain.name} (id {chain.chain_id})", "table.title"),
            title_justify="left",
            show_lines=False,
        )
        for col in ("NF", "id", "type", "class", "placement", "where", "stages"):
            t.add_column(col, overflow="fold")
        for nf in chain.nfs:
            style = _CLASS_STYLE[nf.offloadability.value]
            where = nf.switch if nf.placement.value == "switch" else nf.location
            if nf.placement.value == "split":
                where = f"{nf.switch} + {nf.location}"
            stages = ""
            slots = nf.switch_part.slots if nf.on_switch else {}
            if slots:
                lo, hi = min(slots.values()), max(slots.values())
                stages = f"p{lo.pass_}s{lo.stage}..p{hi.pass_}s{hi.stage}"
            t.add_row(
                _t(nf.name),
                _t(nf.nf_id),
                _t(nf.type),
                _t(nf.offloadability.value, style),
                _t(nf.placement.value),
                _t(where),
                _t(stages),
            )
        yield t
        for nf in chain.nfs:
            yield Text.assemble("  ", _t(nf.name, "bold"), ": ", _t(nf.reason))
            removed = nf.switch_part.switch_nf.removed if nf.on_switch else frozenset()
            if removed:
                yield Text.assemble(
                    "  ", _t(nf.name, "bold"), ": no stage for ", _t(", ".join(sorted(removed))),
                    ": every packet reaching it passed an equal CheckIPHeader earlier in the "
                    "run, and nothing since changed the IP header")
        passes = ", ".join(f"{sw}: {n}" for sw, n in sorted(chain.passes.items())) or "none"
        yield _t(f"  passes per packet: {passes}")
        splits = [nf for nf in chain.nfs if nf.placement is Placement.SPLIT]
        if splits:
            tree = Tree("split NFs")
            for nf in splits:
                node = tree.add(
                    Text.assemble(_t(nf.name, "bold"), _t(f" (partial element {nf.split.partial})"))
                )
                node.add(_t(f"switch: {', '.join(sorted(nf.split.switch_only)) or '-'}"))
                node.add(_t(f"switch on a hit, server on a miss: {', '.join(sorted(nf.split.server))}"))
            yield tree


def compile_report(result: CompileResult) -> Iterator[object]:
    """What was written, per switch and server."""
    yield from plan_report(result.plan)
    t = Table(title=Text("outputs", "table.title"), title_justify="left")
    t.add_column("target")
    t.add_column("what")
    t.add_column("files", overflow="fold")
    for sw, count in sorted(result.entries_per_switch.items()):
        t.add_row(_t(f"switch {sw}"), f"{count} entries", _t(", ".join(result.switch_files[sw])))
    for server, files in sorted(result.server_files.items()):
        t.add_row(_t(f"server {server}"), f"{len(files)} Click config(s)", _t(", ".join(files)))
    t.add_row("program", f"{result.plan.stages} stages", _t(", ".join(result.program_files)))
    yield t
    yield _t(f"  wrote {result.out_dir}")


def apply_report(results: list[SwitchResult]) -> Table:
    """One row per switch: what ``p4sfc apply`` changed, how fast, what failed."""
    t = Table(title="p4sfc apply")
    for col in ("switch", "address", "pipeline", "inserted", "modified", "deleted",
                "unchanged", "writes", "time", "chains"):
        t.add_column(col, justify="right" if col in ("inserted", "modified", "deleted",
                                                        "unchanged", "writes", "time") else "left")
    for r in results:
        # the rate of the entry writes alone (building, sending, the switch's answer)
        rate = (f" ({r.updates / r.write_seconds:,.0f} updates/s)"
                if r.updates and r.write_seconds else "")
        chains = _t(", ".join(r.chains) or "-")
        if r.failures:
            chains.append(_t("  failed: " + ", ".join(f.chain for f in r.failures), "red"))
        t.add_row(_t(r.switch), _t(r.address), "loaded" if r.pipeline_set else "kept",
                  str(r.inserted), str(r.modified), str(r.deleted), str(r.unchanged),
                  str(r.writes), f"{r.seconds:.2f} s{rate}", chains)
    return t


def destroy_report(results: list[DestroyResult]) -> Table:
    """One row per switch: what ``p4sfc destroy`` removed."""
    t = Table(title="p4sfc destroy")
    for col in ("switch", "address", "chain", "found", "deleted", "sessions", "writes",
                "time", "note"):
        t.add_column(col, justify="right" if col in ("found", "deleted", "writes", "time")
                     else "left")
    for r in results:
        sessions = str(r.sessions_deleted)
        if r.sessions_kept:
            sessions += f" (kept shared {', '.join(map(str, r.sessions_kept))})"
        note = _t("not there: nothing written" if not r.found and not r.writes else
                  "classification stayed: nothing else deleted" if r.stopped else
                  f"{len(r.failures)} delete(s) failed" if r.failures else "removed")
        t.add_row(_t(r.switch), _t(r.address), _t(r.chain), str(r.found), str(r.deleted),
                  sessions, str(r.writes), f"{r.seconds:.2f} s", note)
    return t




def status_report(statuses: list[SwitchStatus]) -> Iterator[object]:
    """Per switch: chains present, entries per table, element counters when readable."""
    for s in statuses:
        head = Text.assemble(("switch ", "bold"), _t(s.switch, "bold"), " ", _t(s.address))
        if not s.program:
            yield Text.assemble(head, ": no P4 program loaded")
            continue
        chains = ", ".join(f"{c} ({s.total(c)} of {s.expected.get(c, 0)} entries)"
                           for c in s.chains) or "none"
        yield Text.assemble(head, ": chains ", _t(chains),
                            f"; foreign entries: {s.foreign}")
        t = Table(title=None, show_header=True)
        owners = [*s.chains, *(["foreign"] if s.foreign else [])]
        t.add_column("table")
        for o in owners:
            t.add_column(printable(o), justify="right")
        tables = sorted({tb for o in owners for tb in s.entries[o]})
        for tb in tables:
            t.add_row(_t(tb), *(str(s.entries[o][tb] or "") for o in owners))
        if tables:
            yield t
        if s.counters:
            c = Table(title=None)
            for col in ("chain", "NF", "element", "packets", "bytes"):
                c.add_column(col, justify="right" if col in ("packets", "bytes") else "left")
            for e in s.counters:
                c.add_row(_t(e.chain), _t(e.nf), _t(e.element),
                          "-" if e.packets is None else str(e.packets),
                          "-" if e.bytes is None else str(e.bytes))
            yield c


def run_counts_table(on_switch: dict[ElementKey, Count], on_server: dict[ElementKey, Count],
                     software: dict[ElementKey, Count] | None = None) -> Table:
    """Per NF and counting element: packets and bytes on the switch and on the server
    (and in the software chain, when given)."""
    table = Table(title="counting elements")
    for col in ("chain", "NF", "element", "switch packets", "switch bytes",
                "server packets", "server bytes"):
        table.add_column(col, justify="right" if "packets" in col or "bytes" in col else "left")
    if software is not None:
        table.add_column("software packets", justify="right")
        table.add_column("software bytes", justify="right")
    for key in sorted(set(on_switch) | set(on_server) | set(software or {})):
        sw, srv = on_switch.get(key), on_server.get(key)
        row: list[Text | str] = [_t(key[0]), _t(key[1]), _t(key[2]),
               str(sw.packets) if sw else "-", str(sw.bytes) if sw else "-",
               str(srv.packets) if srv else "-", str(srv.bytes) if srv else "-"]
        if software is not None:
            soft = software.get(key)
            row += [str(soft.packets) if soft else "-", str(soft.bytes) if soft else "-"]
        table.add_row(*row)
    return table


def run_totals_lines(totals: RunTotals) -> list[Text]:
    n = max(totals.packets, 1)
    lines = [
        Text(f"{totals.packets} frames in; passes per packet {totals.passes / n:.2f} "
             f"(pipeline passes on the switches, recirculations included); "
             f"server visits per packet {totals.server_visits / n:.2f}"),
        Text(f"never left the switch: {totals.never_left_switch} of {totals.packets} "
             f"({100 * totals.never_left_switch / n:.1f}%)"),
    ]
    for (sw, port), frames in sorted(totals.outputs.items()):
        lines.append(_t(f"out {sw}:{port}: {len(frames)} frames"))
    return lines


def state_lines(mode: str, summary: list[StateSummary]) -> list[Text]:
    """The state library's work in a run: per mirrored element, mappings and where."""
    if mode == "off":
        return [Text("state sync off: every packet of a split NF's stateful element goes "
                     "to the server")]
    if not summary:
        return [Text(f"state sync ({mode}): no split NF keeps state the switch can hold")]
    out = []
    for s in summary:
        extra = "".join(f", {n} {what}" for n, what in (
            (s.parked, "kept on the server"), (s.full, "refused for lack of switch space"),
            (s.refused, "refused by the switch"), (s.reconnects, "reconnects")) if n)
        out.append(_t(f"state sync ({s.method}): {s.element}: {s.entries} mapping entries, "
                      f"{s.on_switch} in the switch ({s.writes} writes){extra}"))
    return out


def verdict_lines(v: Verdict) -> list[Text]:
    if v.equal:
        head = Text("equivalent: ", style="bold green")
        head.append(f"{v.frames} frames ({v.claimed} claimed by the chain), {v.outputs} "
                    f"out, {v.dropped} dropped, same frames, drops and counter values as "
                    "the software chain")
        out = [head]
        if v.macs_rewritten:
            out.append(Text(f"({v.macs_rewritten} frames that visited a server carry the "
                            "server's Ethernet addresses, by design: README, \"What differs "
                            "from Click\")"))
        return out
    first = v.first
    assert first is not None
    return [Text("NOT equivalent: ", style="bold red")
            + _t(f"{len(v.differences)} differences; first: {first.one_line()}")]


def demo_report(d: DemoResult) -> Iterator[object]:
    table = Table(title=f"chain {printable(d.chain)}: where each NF runs")
    for col in ("NF", "type", "runs on", "why"):
        table.add_column(col)
    for p in d.placements:
        style = {"switch": "green", "split": "yellow", "server": "red"}.get(p.placement, "")
        table.add_row(_t(p.nf), _t(p.type), _t(p.placement, style), _t(p.reason))
    yield table
    per_nf = Table(title="packets per NF")
    for col in ("NF", "packets", "on the switch", "on the server"):
        per_nf.add_column(col, justify="left" if col == "NF" else "right")
    for c in d.nf_counts:
        per_nf.add_row(_t(c.nf), str(c.packets), str(c.on_switch), str(c.on_server))
    yield per_nf
    yield run_counts_table(*[{k: c[i] for k, c in d.verdict.counts.items()} for i in range(3)])
    runs = d.verdict.runs
    n = max(len(runs), 1)
    never = sum(r.server_visits == 0 for r in runs)
    yield Text(f"{len(runs)} frames; passes per packet {sum(r.passes for r in runs) / n:.2f} "
               f"(compiled: {', '.join(f'{k} {v}' for k, v in d.static_passes.items())} "
               "for a packet that runs the whole chain); server visits per packet "
               f"{sum(r.server_visits for r in runs) / n:.2f}")
    yield Text(f"never visited a server: {never} of {len(runs)} ({100 * never / n:.1f}%)")
    for c in d.nf_counts:
        if c.split and c.packets:
            kept = c.packets - c.on_server
            yield _t(f"{c.nf} (split): {kept} of {c.packets} packets "
                     f"({100 * kept / c.packets:.1f}%) handled in the switch, "
                     f"{c.on_server} by the server")
    yield from state_lines(d.state_mode, d.state)
    yield Text(f"compile {d.compile_seconds:.2f} s, start switch + apply over P4Runtime "
               f"{d.deploy_seconds:.2f} s, run both {d.run_seconds:.2f} s")
    yield from verdict_lines(d.verdict)
