"""The ``p4sfc`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from p4sfc_compiler.dataplane.program import MAX_CHAIN_NFS, MAX_STAGES
from p4sfc_compiler.dataplane.reserved import CONTROLLER_ELECTION_ID
from p4sfc_compiler.errors import ClickSyntaxError, P4SFCError, printable
from p4sfc_compiler.state.modes import NON_BLOCKING, SYNC_MODES

if TYPE_CHECKING:
    from p4sfc_compiler.frontend.chaindata import ChainSpec
    from p4sfc_compiler.frontend.topology import Topology

# Each command imports the pipeline stages it runs inside its function, so that
# `p4sfc --help` and `p4sfc parse` start without loading the analysis and the backend.

# Nothing printed is read as markup or emoji codes: user text goes out as written (the
# renderings in report.py are rich Text for the same reason).
_err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


def _say(label: str, style: str, text: str) -> None:
    """One line on stderr: a coloured label, then ``text`` as it is."""
    _err.print(Text.assemble((label, style), " ", text))


def _reports_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn project errors into one line each on stderr and exit status 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(*args, **kwargs)
            except P4SFCError as exc:
                _print_warnings(caught)
                errors = getattr(exc, "errors", None) or [exc]
                for e in errors:
                    _say("error:", "red", e.one_line())
                sys.exit(1)
            except OSError as exc:
                _say("error:", "red", printable(str(exc)))
                sys.exit(1)
        _print_warnings(caught)
        return result

    return wrapper


def _exit_on_failures(results: Sequence[Any]) -> None:
    """One error line per failed update of an apply or destroy, then exit status 1."""
    failures = [f for r in results for f in r.failures]
    for f in failures:
        _say("error:", "red", f.one_line())
    if failures:
        sys.exit(1)


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen: set[str] = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            _say("warning:", "yellow", printable(text))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="p4sfc")
def main() -> None:
    """p4sfc: offload service function chains of Click NFs to P4 switches.

    \b
    Typical flow:
      p4sfc demo                                   the paper's chain, split and checked
      p4sfc parse examples/nfs/firewall.click      look at one NF's element graph
      p4sfc plan examples/paper-chain.json         offloadability and placement
      p4sfc compile examples/paper-chain.json -o out/
                                                   P4 program, entries, Click configs
      p4sfc run out/ --in 1=in.pcap -o run/        the deployment in this process
      p4sfc switch --grpc 127.0.0.1:9559           an embedded P4Runtime switch
      p4sfc apply out/ --pipeline --switch s1=127.0.0.1:9559
                                                   entries onto a switch (or BMv2)
      p4sfc status out/ / p4sfc destroy out/ --chain NAME
    """


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["tree", "json", "dot", "click"]),
    default="tree",
    show_default=True,
    help="tree: a readable summary; json: the IR as data; dot: Graphviz; click: flat Click text.",
)
@click.option(
    "--body/--config",
    default=None,
    help="Parse FILE as an NF body (input -> ... -> output) or as a whole configuration. "
    "Default: a body when the text uses input/output.",
)
@_reports_errors
def parse(file: Path, fmt: str, body: bool | None) -> None:
    """Parse a Click configuration into the IR and print it."""
    from p4sfc_compiler.frontend.inputs import read_text
    from p4sfc_compiler.frontend.parser import parse_text
    from p4sfc_compiler.frontend.printer import to_click, to_dot, to_json
    from p4sfc_compiler.report import ir_tree

    text = read_text(file, error=ClickSyntaxError)
    if body is None:
        body = _looks_like_body(text)
    g = parse_text(text, str(file), compound_body=body)
    if fmt == "json":
        _out.print_json(json.dumps(to_json(g)))
    elif fmt == "dot":
        click.echo(to_dot(g), nl=False)
    elif fmt == "click":
        click.echo(to_click(g), nl=False)
    else:
        _out.print(ir_tree(g))


def _looks_like_body(text: str) -> bool:
    import re

    # ASCII classes, as Click's lexer has: a Unicode letter is no identifier character
    return re.search(r"(^|[^\w/@])(input|output)\s*(\[|->|;|$)", text, re.M | re.A) is not None


def _load(chain: Path, topology: Path | None) -> tuple[list[ChainSpec], Topology]:
    from p4sfc_compiler.frontend.chainspec import (
        default_topology,
        load_chains,
        load_topology,
        validate,
    )

    chains = load_chains(chain)
    topo = load_topology(topology) if topology else default_topology(chains)
    validate(chains, topo)
    return chains, topo


_topology_opt = click.option(
    "--topology",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="topology.json (switches, servers, links). Default: one switch 's1' with each "
    "NF location as a server on its own port.",
)
_stages_opt = click.option(
    "--stages",
    type=click.IntRange(1, MAX_STAGES),
    default=8,
    show_default=True,
    help="Stages per pass of the dynamic P4 program.",
)


@main.command()
@click.argument("chain", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_topology_opt
@_stages_opt
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@_reports_errors
def plan(chain: Path, topology: Path | None, stages: int, as_json: bool) -> None:
    """Classify and place the NFs of CHAIN (chain.json): what runs on the switch."""
    from p4sfc_compiler.analysis.plan import build_plan
    from p4sfc_compiler.report import plan_report

    chains, topo = _load(chain, topology)
    p = build_plan(chains, topo, stages=stages)
    if as_json:
        _out.print_json(json.dumps(p.to_json()))
    else:
        for renderable in plan_report(p):
            _out.print(renderable)


@main.command()
@click.argument("chain", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_topology_opt
@_stages_opt
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--state",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="plan.json of an earlier run: chains already deployed keep their ids.",
)
@click.option(
    "--server-io",
    type=click.Choice(["device", "pcap"]),
    default="device",
    show_default=True,
    help="I/O of the server Click configs: FromDevice/ToDevice or FromDump/ToDump.",
)
@click.option(
    "--table-size",
    type=click.IntRange(16, 1 << 20),
    default=1024,
    show_default=True,
    help="Entries each table of the P4 program holds.",
)
@click.option(
    "--max-chain",
    type=click.IntRange(1, MAX_CHAIN_NFS),
    default=None,
    help="NF ids the SFC header carries (default: 8, or the longest chain).",
)
@_reports_errors
def compile(  # noqa: A001 - the command is named after what it does
    chain: Path,
    topology: Path | None,
    stages: int,
    output: Path,
    state: Path | None,
    server_io: str,
    table_size: int,
    max_chain: int | None,
) -> None:
    """Compile CHAIN into the P4 program, switch entries and server Click configs."""
    from p4sfc_compiler.backend.compile import compile_chains
    from p4sfc_compiler.report import compile_report

    chains, topo = _load(chain, topology)
    result = compile_chains(
        chains,
        topo,
        stages=stages,
        out_dir=output,
        state=state,
        server_io=server_io,
        table_size=table_size,
        max_chain=max_chain,
    )
    for renderable in compile_report(result):
        _out.print(renderable)


def _switch_opt(verb: str, default: str) -> Callable[[Any], Any]:
    return click.option(
        "--switch", "switches", multiple=True, metavar="NAME|HOST:PORT|NAME=ADDRESS",
        help=f"{verb} only this switch (repeatable): its name, its topology address, or "
             f"NAME=ADDRESS to reach it elsewhere (e.g. s1=unix:/tmp/s1.sock). "
             f"Default: {default}, at its topology address.")


_device_id_opt = click.option(
    "--device-id", type=click.IntRange(0), default=None,
    help="P4Runtime device id (default: the topology's; needs one --switch).")
_election_opt = click.option(
    "--election-id", type=click.IntRange(1), default=CONTROLLER_ELECTION_ID, show_default=True,
    help="P4Runtime election id (the highest is primary).")
_batch_opt = click.option("--batch", type=click.IntRange(1, 10000), default=256,
                          show_default=True, help="Updates per Write request.")
_timeout_opt = click.option(
    "--timeout", type=click.FloatRange(0.1), default=3.0, show_default=True,
    help="Seconds to wait for a switch to answer when connecting.")


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@_switch_opt("Apply", "every switch with entries")
@_device_id_opt
@click.option("--pipeline", is_flag=True,
              help="Load OUT's program first (BMv2: OUT/p4/p4sfc.json, compiled with "
                   "p4c-bm2-ss when missing; the embedded switch needs only the P4Info); "
                   "this empties every table. Without it the switch must already run "
                   "OUT's P4Info.")
@_election_opt
@_batch_opt
@_timeout_opt
@click.option("--drain", type=click.FloatRange(0), default=0.2, show_default=True,
              help="Seconds a running chain's old version stays after its traffic moved "
                   "to the new one (packets in flight finish there).")
@_reports_errors
def apply(out: Path, switches: tuple[str, ...], device_id: int | None, pipeline: bool,
          election_id: int, batch: int, timeout: float, drain: float) -> None:
    """Put the entries of OUT (a p4sfc compile folder) onto its switches over P4Runtime.

    Reads each switch's entries back and writes only the difference. A chain goes in
    all or nothing: when an update of it fails, what was written for it is removed and
    the failing entry is reported (exit status 1). A chain already running is updated
    make-before-break: its new version goes in beside the old, its classification flips
    to it, and the old version is removed after --drain seconds.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from p4sfc_compiler.report import apply_report
    from p4sfc_compiler.runtime.apply import apply_switches, select_targets
    from p4sfc_compiler.runtime.outdir import load_out_dir
    from p4sfc_compiler.runtime.pipeline import device_config

    out_dir = load_out_dir(out)
    targets = select_targets(out_dir, switches, device_id)
    if not targets:
        raise P4SFCError(f"{out}: no switch has entries")
    config = device_config(out_dir) if pipeline else None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=_err, transient=True) as bar:
        tasks = {t.plan.name: bar.add_task(t.plan.name, total=None) for t in targets}

        def step(sw: str, done: int, total: int) -> None:
            bar.update(tasks[sw], completed=done, total=total)

        results = asyncio.run(apply_switches(
            out_dir, targets, device_config=config, election_id=election_id, batch=batch,
            progress=step, timeout=timeout, drain=drain))
    _out.print(apply_report(results))
    _exit_on_failures(results)


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--chain", required=True, help="The chain to remove (a chain of OUT).")
@_switch_opt("Clean", "every switch OUT has entries of the chain on")
@_device_id_opt
@_election_opt
@_batch_opt
@_timeout_opt
@_reports_errors
def destroy(out: Path, chain: str, switches: tuple[str, ...], device_id: int | None,
            election_id: int, batch: int, timeout: float) -> None:
    """Remove one chain's entries from the switches of OUT (a p4sfc compile folder).

    The chain's classification entry goes first, so no packet enters a half-removed
    chain, then its other entries in the reverse of apply's order, then the clone
    sessions no other chain uses. Other chains' entries stay. A chain that is not there
    writes nothing; a failing delete is reported entry by entry (exit status 1).
    """
    from p4sfc_compiler.report import destroy_report
    from p4sfc_compiler.runtime.destroy import destroy_chain, destroy_targets
    from p4sfc_compiler.runtime.outdir import load_out_dir

    out_dir = load_out_dir(out)
    targets = destroy_targets(out_dir, chain, switches, device_id)
    if not targets:
        raise P4SFCError(f"{out}: chain '{chain}' has no entries on any switch")
    started = time.monotonic()
    results = asyncio.run(destroy_chain(out_dir, targets, chain, election_id=election_id,
                                        batch=batch, timeout=timeout))
    took = time.monotonic() - started
    _out.print(destroy_report(results))
    if not any(r.found or r.writes for r in results):
        _out.print(Text.assemble("chain '", (printable(chain), "bold"),
                                 "' is on none of these switches: nothing written"))
    else:
        deleted = sum(r.deleted for r in results)
        _out.print(Text.assemble("chain '", (printable(chain), "bold"),
                                 f"': {deleted} entries deleted in {took:.2f} s"))
    _exit_on_failures(results)


@main.command()
@click.argument("out", type=click.Path(path_type=Path), default=Path("out"))
@_switch_opt("Read", "every switch with entries")
@_device_id_opt
@_timeout_opt
@_reports_errors
def status(out: Path, switches: tuple[str, ...], device_id: int | None,
           timeout: float) -> None:
    """What the switches of OUT (default: out/) hold: chains, entries, counters.

    Reads only (no arbitration). Per switch: the chains of OUT present, entries per
    table ("foreign": owned by no chain of OUT), and each counting element's packets and
    bytes when the switch gives register reads over P4Runtime (BMv2 does not).
    """
    from p4sfc_compiler.report import status_report
    from p4sfc_compiler.runtime.apply import select_targets
    from p4sfc_compiler.runtime.client import SwitchError
    from p4sfc_compiler.runtime.outdir import load_out_dir
    from p4sfc_compiler.runtime.status import status_switch

    out_dir = load_out_dir(out)
    targets = select_targets(out_dir, switches, device_id)
    if not targets:
        raise P4SFCError(f"{out}: no switch has entries")
    failed = False
    for target in targets:
        try:
            st = asyncio.run(status_switch(out_dir, target, timeout=timeout))
        except SwitchError as exc:
            _say("error:", "red", exc.one_line())
            failed = True
            continue
        for renderable in status_report([st]):
            _out.print(renderable)
    if failed:
        sys.exit(1)


@main.command()
@click.option("--grpc", "grpc_address", default="127.0.0.1:9559", show_default=True,
              metavar="HOST:PORT",
              help="Where the P4Runtime server listens (loopback by default; port 0: any "
                   "free port; unix:PATH: a unix socket).")
@click.option("--device-id", type=click.IntRange(0, 2**64 - 1), default=0, show_default=True,
              help="The P4Runtime device id this switch answers as.")
@click.option("--pcap-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Ports as pcap files: portN-in.pcap is played into port N each time it "
                   "is written or touched; what leaves port N goes to portN-out.pcap.")
@click.option("--iface", "ifaces", multiple=True, metavar="PORT@INTERFACE",
              help="Bind a port to a Linux interface (repeatable), e.g. 1@veth0 "
                   "(AF_PACKET: needs CAP_NET_RAW).")
@click.option("--cpu-port", type=click.IntRange(0, 511), default=None,
              help="The port whose frames go to the primary controller as PacketIn, and "
                   "where PacketOut frames enter.")
@_reports_errors
def switch(grpc_address: str, device_id: int, pcap_dir: Path | None, ifaces: tuple[str, ...],
           cpu_port: int | None) -> None:
    """Run the embedded switch: a P4Runtime server that executes p4sfc programs.

    Load a program and entries with `p4sfc apply OUT --pipeline --switch NAME=HOST:PORT`.
    Runs until SIGINT or SIGTERM. Frames pass through the ports given (pcap files,
    interfaces); without any, the switch only holds state.
    """
    import gc
    import signal
    import threading

    from p4sfc_compiler.switch.embedded import EmbeddedSwitch
    from p4sfc_compiler.switch.ports import parse_interface

    # Table entries are many long-lived objects without cycles: with the default
    # thresholds the collector rescans them all every few thousand allocations, which
    # took a third of a batched Write's time (measured with bench/bench_runtime.py).
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)

    interfaces: dict[int, str] = {}
    for spec in ifaces:
        port, name = parse_interface(spec)
        if port in interfaces:
            raise P4SFCError(f"--iface {spec}: port {port} is already bound to "
                             f"{interfaces[port]}")
        interfaces[port] = name
    stop = threading.Event()
    sw = EmbeddedSwitch(grpc_address, device_id=device_id, cpu_port=cpu_port,
                        pcap_dir=pcap_dir, interfaces=interfaces,
                        report=lambda text: _say("p4sfc switch:", "cyan", printable(text)))
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with sw:
            ports = [f"port {p}@{n}" for p, n in sorted(interfaces.items())]
            if pcap_dir is not None:
                ports.append(f"pcap files in {pcap_dir}")
            _err.print(Text.assemble(
                ("p4sfc switch", "bold"), f": device {device_id}, P4Runtime on ",
                (sw.address, "bold"),
                f"; {', '.join(ports) if ports else 'no packet ports'}"
                + (f"; CPU port {cpu_port}" if cpu_port is not None else "")
                + "; Ctrl-C stops"))
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _err.print("p4sfc switch: stopped")


if __name__ == "__main__":
    main()


@main.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option("--software", is_flag=True,
              help="TARGET is a chain file: run the whole chain in the NF engine (the "
              "software baseline).")
@click.option("--in", "inputs", multiple=True, required=True, metavar="[PORT=]FILE",
              help="Input trace (pcap, Ethernet frames). A deployment takes PORT=FILE "
              "(PORT: N on a one-switch topology, or SWITCH:N), repeatable.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="--software: the output trace; else a folder that gets "
                   "SWITCH-portN.pcap per egress port.")
@click.option("--chain", "chain_name", default=None,
              help="--software: the chain to run when TARGET holds several.")
@click.option("--nf-runner", type=click.Choice(["engine", "click"]), default="engine",
              show_default=True, help="What runs the servers' Click configurations.")
@click.option("--state-sync", type=click.Choice(SYNC_MODES), default=NON_BLOCKING,
              show_default=True,
              help="The state library: a split NF's server element (the NAT's rewriter) "
                   "mirrors each mapping into the switch, so the rest of the flow stays "
                   "there; blocking waits for each switch write, nonblocking batches "
                   "them; off sends every packet of the element to the server.")
@_reports_errors
def run(target: Path, software: bool, inputs: tuple[str, ...], output: Path,
        chain_name: str | None, nf_runner: str, state_sync: str) -> None:
    """Run a compiled deployment (TARGET = the -o folder of p4sfc compile) in this process:
    an embedded switch per topology switch, loaded over P4Runtime, and each server's
    generated Click configuration in the NF engine. Writes a pcap per egress port and
    prints packets and bytes per counting element on the switch and on the server,
    passes per packet and how many packets never left the switch.

    With --software, TARGET is a chain file and its NFs run in a row in the engine."""
    if software:
        if len(inputs) != 1:
            raise click.UsageError("--software takes one --in FILE")
        _run_software(target, Path(inputs[0]), output, chain_name)
        return
    _run_deployment(target, inputs, output, nf_runner, state_sync)


def _parse_input(spec: str, switches: dict[str, tuple[int, ...]]) -> tuple[str, int, Path]:
    port_s, sep, file = spec.partition("=")
    if not sep:
        raise P4SFCError(f"--in {spec}: expected PORT=FILE (PORT: N or SWITCH:N)")
    sw, colon, num = port_s.rpartition(":")
    if not colon:
        if len(switches) != 1:
            raise P4SFCError(f"--in {spec}: name the switch (SWITCH:N), the topology has "
                             f"{len(switches)}: {', '.join(sorted(switches))}")
        (sw,) = switches
    if sw not in switches:
        raise P4SFCError(f"--in {spec}: no switch {sw!r} (switches: {', '.join(sorted(switches))})")
    if not num.isascii() or not num.isdigit() or int(num) not in switches[sw]:
        raise P4SFCError(f"--in {spec}: switch {sw} has no port {num!r} "
                         f"(ports: {', '.join(map(str, switches[sw]))})")
    path = Path(file)
    if not path.is_file():
        raise P4SFCError(f"--in {spec}: no such file {file}")
    return sw, int(num), path


def _run_deployment(out: Path, inputs: tuple[str, ...], output: Path, nf_runner: str,
                    state_sync: str) -> None:
    from p4sfc_compiler.deploy.deployment import Deployment
    from p4sfc_compiler.deploy.wiring import load_wiring
    from p4sfc_compiler.engine.pcap import read_pcap, write_pcap
    from p4sfc_compiler.report import run_counts_table, run_totals_lines, state_lines

    wiring = load_wiring(out)
    feeds = [_parse_input(spec, wiring.switches) for spec in inputs]
    frames = []
    for sw, port, path in feeds:
        frames += [(ts, k, sw, port, f) for k, (f, ts) in enumerate(read_pcap(path))]
    frames.sort(key=lambda x: (x[0], x[1]))  # the files' frames in timestamp order
    output.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with Deployment(out, nf_runner=nf_runner, state=state_sync) as d:
        for _, _, sw, port, f in frames:
            d.inject(sw, port, f)
        on_switch, on_server = d.switch_counts(), d.server_counts()
        alerts = d.alerts()
        totals = d.totals
        summary = []
        if d.state is not None:
            d.state.flush()
            summary = d.state.summary()
    took = time.perf_counter() - started
    for (sw, port), out_frames in sorted(totals.outputs.items()):
        write_pcap(output / f"{sw}-port{port}.pcap", [(f, (0, 0)) for f in out_frames])
    _out.print(run_counts_table(on_switch, on_server))
    for line in run_totals_lines(totals):
        _out.print(line)
    _out.print(Text(f"Alert copies at the servers' alert sinks: {alerts}"))
    for line in state_lines(state_sync, summary):
        _out.print(line)
    _out.print(Text(printable(f"{len(frames)} frames in {took:.2f} s -> {output}/")))


def _run_software(chain: Path, in_pcap: Path, output: Path, chain_name: str | None) -> None:
    """Run CHAIN's NFs on a trace in the NF engine and write what leaves the chain."""
    from p4sfc_compiler.engine.chain import ChainEngine
    from p4sfc_compiler.engine.pcap import read_pcap, write_pcap
    from p4sfc_compiler.errors import SpecError
    from p4sfc_compiler.frontend.chainspec import load_chains

    if not in_pcap.is_file():
        raise P4SFCError(f"--in {in_pcap}: no such file")
    chains = load_chains(chain)
    if chain_name is None and len(chains) > 1:
        names = ", ".join(c.name for c in chains)
        raise SpecError(f"{chain}: holds {len(chains)} chains ({names}): pick one with --chain")
    picked = [c for c in chains if chain_name is None or c.name == chain_name]
    if not picked:
        raise SpecError(f"{chain}: no chain named {chain_name!r}")
    engine = ChainEngine(picked[0])
    frames = read_pcap(in_pcap)
    t0 = time.perf_counter()
    out = engine.run(frames)
    elapsed = time.perf_counter() - t0
    write_pcap(output, out)
    for c in engine.counts():
        others = "".join(f", output {p}: {n}" for p, n in sorted(c.other_outputs.items()))
        _out.print(Text(printable(f"{c.name} ({c.type}): in {c.packets_in}, "
                                  f"out {c.packets_out}{others}, dropped {c.dropped}")))
    rate = f", {len(frames) / elapsed:,.0f} packets/s" if elapsed > 0 and frames else ""
    _out.print(Text(printable(f"{len(frames)} frames in, {len(out)} out -> {output}{rate}")))


@main.command()
@click.option("--frames", type=click.IntRange(1, 100000), default=300, show_default=True,
              help="Frames in the generated trace.")
@click.option("--seed", type=int, default=1, show_default=True, help="The trace's seed.")
@click.option("--state-sync", type=click.Choice(SYNC_MODES), default=NON_BLOCKING,
              show_default=True, help="The state library's mode (see p4sfc run).")
@_reports_errors
def demo(frames: int, seed: int, state_sync: str) -> None:
    """Compile the paper's chain (IPS -> Monitor -> Firewall -> NAT), deploy it on an
    embedded switch over P4Runtime, run a generated trace through it and through the
    same chain in software, and compare. Exit status 0 only when they agree."""
    from p4sfc_compiler.deploy.demo import run_demo
    from p4sfc_compiler.report import demo_report

    result = run_demo(frames, seed, state_sync)
    for renderable in demo_report(result):
        _out.print(renderable)
    if not result.verdict.equal:
        sys.exit(1)
