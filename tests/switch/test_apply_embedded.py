"""``p4sfc apply / destroy / status`` against embedded switches, as a fresh ``pip install``
runs them (no p4c, no BMv2): both examples go in with ``--pipeline``, a second apply
writes nothing, status reads chains and counters, destroy removes one chain only.
Fault injection: whichever update of a deploy fails, nothing of that chain remains on any
switch and the other chain's entries are untouched. The one-line errors a user meets:
wrong device id, another primary controller, a full table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.p4rt import Controller
from support.sfc import tag, untag
from support.traces import trace

from p4sfc_compiler.backend.compile import compile_chains
from p4sfc_compiler.cli import main
from p4sfc_compiler.dataplane.reserved import CONTROLLER_ELECTION_ID
from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate
from p4sfc_compiler.runtime import pipeline as pipeline_mod
from p4sfc_compiler.runtime.apply import Names, apply_switches, select_targets
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.runtime.outdir import EntryKey, EntryValue, OutDir, load_out_dir
from p4sfc_compiler.runtime.pipeline import NO_JSON
from p4sfc_compiler.runtime.status import status_switch
from p4sfc_compiler.switch.embedded import EmbeddedSwitch

EX = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = {  # chain, topology, the chain destroyed, ingress switch, its server's port
    "paper": ("paper-chain.json", "paper-topology.json", "paper", "s1", 3),
    "two-server": ("two-server-chain.json", "two-server-topology.json", "web", "s1", 2),
}


def _compile(tmp: Path, example: str) -> Path:
    chain, topology, *_ = EXAMPLES[example]
    chains = load_chains(EX / chain)
    topo = load_topology(EX / topology)
    validate(chains, topo)
    out = tmp / "out"
    compile_chains(chains, topo, out_dir=out)
    return out


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {ex: _compile(tmp_path_factory.mktemp(ex), ex) for ex in EXAMPLES}


@pytest.fixture(autouse=True)
def no_p4c(monkeypatch: pytest.MonkeyPatch) -> None:
    """As after a fresh pip install: p4c is not on PATH (and OUT has no p4c JSON)."""
    monkeypatch.setattr(pipeline_mod.shutil, "which", lambda _name: None)


@contextmanager
def switches(out: Path) -> Iterator[dict[str, EmbeddedSwitch]]:
    """One embedded switch per switch of OUT, with its topology device id."""
    plan = load_out_dir(out)
    with ExitStack() as stack:
        yield {name: stack.enter_context(EmbeddedSwitch(device_id=sw.device_id))
               for name, sw in plan.switches.items()}


def _args(sws: dict[str, EmbeddedSwitch]) -> list[str]:
    return [a for name, sw in sws.items() for a in ("--switch", f"{name}={sw.address}")]


def _cli(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def held(sw: EmbeddedSwitch) -> dict[EntryKey, EntryValue]:
    """The switch's entries, read back over P4Runtime as the client sees them."""
    async def go() -> dict[EntryKey, EntryValue]:
        async with Connection("probe", sw.address, sw.device_id, primary=False) as conn:
            return await conn.read_entries()
    return asyncio.run(go())


def wanted(out: OutDir, name: str, chains: set[str] | None = None) -> dict:
    return {e.key: e.value for e in out.switches[name].entries
            if chains is None or e.chain in chains}


@dataclass
class Steady:
    """Frames sent round and round into a switch by a thread, each output compared with
    what the frame gave before the traffic started."""

    reference: list[list[tuple[int, bytes]]]
    wrong: list[tuple[int, list]] = field(default_factory=list)
    sent: int = 0


@contextmanager
def steady_traffic(sw: EmbeddedSwitch, frames: list[bytes], pause: float) -> Iterator[Steady]:
    import threading

    def through(frame: bytes) -> list[tuple[int, bytes]]:
        sw.send(1, frame)
        return [(p, f) for p in (1, 2, 3) for f in sw.collect(p)]

    state = Steady([through(f) for f in frames])
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            for i, f in enumerate(frames):
                got = through(f)
                state.sent += 1
                if got != state.reference[i]:
                    state.wrong.append((i, got))
                time.sleep(pause)  # leave the GIL to the controller now and then

    t = threading.Thread(target=traffic)
    t.start()
    try:
        yield state
    finally:
        stop.set()
        t.join()


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_apply_reapply_status_destroy(example: str, outs: dict[str, Path]) -> None:
    out = outs[example]
    plan = load_out_dir(out)
    victim = EXAMPLES[example][2]
    with switches(out) as sws:
        r = _cli("apply", out, "--pipeline", *_args(sws))
        assert r.exit_code == 0, r.output
        for name, sw in sws.items():
            assert held(sw) == wanted(plan, name), name

        targets = select_targets(plan, tuple(f"{n}={s.address}" for n, s in sws.items()), None)
        for again in asyncio.run(apply_switches(plan, targets)):
            assert (again.inserted, again.modified, again.deleted, again.writes) == (0, 0, 0, 0)
            assert not again.failures
        r = _cli("apply", out, *_args(sws))
        assert r.exit_code == 0 and "kept" in r.output, r.output

        r = _cli("status", out, *_args(sws))
        assert r.exit_code == 0, r.output
        for chain in plan.chain_ids:
            assert chain in r.output
        statuses = [asyncio.run(status_switch(plan, t)) for t in targets]
        assert all(st.total(c) == st.expected[c] for st in statuses for c in st.expected)
        counted = [c for st in statuses for c in st.counters]
        assert all(c.packets == 0 and c.bytes == 0 for c in counted)
        # traffic: what status reads over P4Runtime is what the switches counted. The
        # frames sent to the server come back as if it had run its first NF.
        ingress, server_port = sws[EXAMPLES[example][3]], EXAMPLES[example][4]
        for f in trace():
            ingress.send(1, bytes(f))
        for f in ingress.collect(server_port):
            t = untag(f)
            assert t is not None
            ingress.send(server_port, tag(t.inner, t.chain_id, t.nf_ids[1:]))
        statuses = [asyncio.run(status_switch(plan, t)) for t in targets]
        by_slot = {(c.chain, c.nf, c.element): c.packets for st in statuses for c in st.counters}
        for t in targets:
            device = sws[t.plan.name].state.require().device
            for slot in t.plan.registers:
                packets = [n for n in slot.registers if n.endswith(".counter_packets")]
                if packets:
                    cells = device.counters[packets[0]].cells.packets
                    assert by_slot[(slot.chain, slot.nf, slot.element)] == cells[slot.index]
        if example == "paper":  # mon1 follows the server's ips1
            assert sum(by_slot.values()) > 0

        r = _cli("destroy", out, "--chain", victim, *_args(sws))
        assert r.exit_code == 0, r.output
        others = set(plan.chain_ids) - {victim}
        for name, sw in sws.items():
            assert held(sw) == wanted(plan, name, others), name
        r = _cli("destroy", out, "--chain", victim, *_args(sws))
        assert r.exit_code == 0 and "nothing written" in r.output, r.output


def test_a_failure_at_any_update_leaves_nothing_of_the_chain(outs: dict[str, Path]) -> None:
    """Two chains over two switches; web goes in again after a destroy, and its k-th
    update on one switch fails, for every k on either switch."""
    out = outs["two-server"]
    plan = load_out_dir(out)
    names = Names(plan)
    with switches(out) as sws:
        assert _cli("apply", out, "--pipeline", *_args(sws)).exit_code == 0
        assert _cli("destroy", out, "--chain", "web", *_args(sws)).exit_code == 0
        without = {name: held(sw) for name, sw in sws.items()}
        targets = select_targets(plan, tuple(f"{n}={s.address}" for n, s in sws.items()), None)
        tried = 0
        for name, sw in sws.items():
            n_updates = len(wanted(plan, name, {"web"}))
            assert n_updates > 0
            for k in range(1, n_updates + 1):
                sw.fail_update(k)
                results = asyncio.run(apply_switches(plan, targets, batch=5))
                failures = [f for r in results for f in r.failures]
                assert [(f.switch, f.chain) for f in failures] == [(name, "web")], (name, k)
                assert failures[0].reason == "INTERNAL injected failure"
                assert failures[0].rollback in ("rolled back", "nothing of it was written")
                for other, osw in sws.items():
                    got = held(osw)
                    assert got == without[other], (name, k, other)
                    assert not any(names.owner(key, v) == "web" for key, v in got.items())
                tried += 1
        assert tried == len(wanted(plan, "s1", {"web"})) + len(wanted(plan, "s2", {"web"}))
        r = _cli("apply", out, *_args(sws))  # no fault: converges
        assert r.exit_code == 0, r.output
        for name, sw in sws.items():
            assert held(sw) == wanted(plan, name), name


def test_one_line_errors(outs: dict[str, Path]) -> None:
    out = outs["paper"]
    with switches(out) as sws:
        sw = sws["s1"]
        where = f"s1={sw.address}"
        r = _cli("apply", out, "--switch", where, "--device-id", 7)
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
        assert "device 7 has no P4 program (run with --pipeline, or give the right " \
               "--device-id)" in r.output
        r = _cli("apply", out, "--pipeline", "--switch", where, "--device-id", 7)
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
        assert "NOT_FOUND Device 7 not found (this switch is device 0)" in r.output

        with Controller(sw.address, device_id=0, election_id=50) as other:
            assert other.arbitrate().arbitration.status.code == 0
            r = _cli("apply", out, "--pipeline", "--switch", where)
            assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
            assert "not primary: another controller holds election id 50 (ours: " \
                   f"{CONTROLLER_ELECTION_ID}; use --election-id)" in r.output
            # a higher election id takes over; the other controller is told
            r = _cli("apply", out, "--pipeline", "--switch", where, "--election-id", 90)
            assert r.exit_code == 0, r.output
            told = other.receive().arbitration
            assert (told.status.message, told.election_id.low) == ("Is backup", 90)

        plan = load_out_dir(out)
        assert held(sw) == wanted(plan, "s1")
        # a table holding fewer entries than the chain needs: the error names both
        table = "MyIngress.stage0.element_control"
        n = sum(1 for e in plan.switches["s1"].entries if e.table == table)
        assert _cli("destroy", out, "--chain", "paper", "--switch", where).exit_code == 0
        sw.state.require().device.tables[table].size = n - 1
        r = _cli("apply", out, "--switch", where)
        assert r.exit_code == 1, r.output
        (line,) = [x for x in r.output.splitlines() if x.startswith("error:")]
        assert f"chain 'paper' not applied (rolled back): insert into {table}" in line, line
        assert f"RESOURCE_EXHAUSTED Table {table} is full ({n - 1} entries)" in line, line
        assert held(sw) == {}


class Killed(Exception):
    """The client dies here (as if killed between two Writes)."""


def test_a_client_killed_mid_apply_is_repaired_by_applying_again(
        outs: dict[str, Path]) -> None:
    out = outs["two-server"]
    plan = load_out_dir(out)
    with switches(out) as sws:
        targets = select_targets(plan, tuple(f"{n}={s.address}" for n, s in sws.items()), None)
        total = sum(len(t.plan.entries) for t in targets)
        partial = 0
        for kill_after in range(1, total // 5 + 2):
            writes = [0]

            def die(_sw: str, done: int, _total: int, kill_after: int = kill_after,
                    writes: list[int] = writes) -> None:
                if done:  # after each Write of entries
                    writes[0] += 1
                    if writes[0] == kill_after:
                        raise Killed

            try:
                asyncio.run(apply_switches(plan, targets, device_config=NO_JSON, batch=5,
                                           progress=die))
            except Killed:
                if {n: held(sw) for n, sw in sws.items()} != {n: wanted(plan, n) for n in sws}:
                    partial += 1
            again = asyncio.run(apply_switches(plan, targets, batch=5))
            assert not any(r.failures for r in again)
            for name, sw in sws.items():
                assert held(sw) == wanted(plan, name), (kill_after, name)
            quiet = asyncio.run(apply_switches(plan, targets))
            assert sum(r.writes for r in quiet) == 0
        assert partial >= total // 5 - 2  # killed part-way nearly every time


@pytest.mark.slow
def test_an_apply_process_killed_outright_is_repaired_by_applying_again(
        outs: dict[str, Path]) -> None:
    """``p4sfc apply`` as its own process, SIGKILLed while it writes (one update per
    Write): the switch holds part of OUT; the next apply completes it and the one after
    writes nothing."""
    import signal
    import subprocess
    import sys

    out = outs["paper"]
    plan = load_out_dir(out)
    with switches(out) as sws:
        assert _cli("apply", out, "--pipeline", *_args(sws)).exit_code == 0
        assert _cli("destroy", out, "--chain", "paper", *_args(sws)).exit_code == 0
        assert held(sws["s1"]) == {}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from p4sfc_compiler.cli import main; main()", "apply",
             str(out), "--batch", "1", *_args(sws)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not held(sws["s1"]) and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
        have = held(sws["s1"])
        assert have and have != wanted(plan, "s1"), "killed part-way"
        # the dead client's stream ends with its connection; the next primary takes over
        for _ in range(50):
            r = _cli("apply", out, *_args(sws))
            if r.exit_code == 0:
                break
            time.sleep(0.1)
        assert r.exit_code == 0, r.output
        assert held(sws["s1"]) == wanted(plan, "s1")
        targets = select_targets(plan, tuple(f"{n}={s.address}" for n, s in sws.items()), None)
        assert sum(r.writes for r in asyncio.run(apply_switches(plan, targets))) == 0


@pytest.mark.slow
def test_chain_a_traffic_is_untouched_while_b_comes_and_goes(outs: dict[str, Path]) -> None:
    """site-to-site's frames into s1 while web is applied and destroyed 100 times: every
    frame leaves s1 exactly as it does with web absent and nothing changing."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether

    out = outs["two-server"]
    plan = load_out_dir(out)
    frames = [bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                    / IP(src=f"10.0.{i % 7}.{1 + i % 200}", dst=f"10.20.{i % 3}.9", id=i)
                    / (TCP(sport=20000 + i, dport=22, flags="S") if i % 2 else
                       UDP(sport=20000 + i, dport=53) / b"q"))
              for i in range(40)]
    with switches(out) as sws:
        s1 = sws["s1"]
        assert _cli("apply", out, "--pipeline", *_args(sws)).exit_code == 0
        assert _cli("destroy", out, "--chain", "web", *_args(sws)).exit_code == 0
        targets = select_targets(plan, tuple(f"{n}={s.address}" for n, s in sws.items()), None)
        names = Names(plan)
        with steady_traffic(s1, frames, 0.0005) as steady:
            assert any(steady.reference), "site-to-site takes these frames"
            for _ in range(100):
                (a, b) = asyncio.run(apply_switches(plan, targets))
                assert not a.failures and not b.failures
                assert _cli("destroy", out, "--chain", "web", *_args(sws)).exit_code == 0
        assert not any(names.owner(k, v) == "web" for k, v in held(s1).items())
        assert steady.sent > len(frames) and steady.wrong == [], (steady.sent, steady.wrong[:2])


FIREWALL = """// a firewall
input -> Strip(14) -> {extra}chk :: CheckIPHeader
      -> f :: IPFilter(allow tcp dst port 80, allow udp, deny all)
      -> Unstrip(14) -> output;
chk[1] -> Discard;
"""


def _firewall_out(tmp: Path, extra: str) -> Path:
    """A one-NF chain on s1 (in port 1, out port 2): a firewall, with ``extra`` elements
    in front that change no packet but renumber every element (so every entry changes)."""
    import json

    (tmp / "fw.click").write_text(FIREWALL.format(extra=extra))
    chain = {"name": "fw", "NFs": [{"name": "f1", "type": "fw", "click": "fw.click",
                                     "location": "srv1"}], "Links": [],
             "Route": {"ingress": {"switch": "s1", "port": 1},
                       "egress": {"switch": "s1", "port": 2}, "match": {}}}
    (tmp / "chain.json").write_text(json.dumps(chain))
    chains = load_chains(tmp / "chain.json")
    topo = load_topology(EX / "paper-topology.json")
    validate(chains, topo)
    out = tmp / "out"
    result = compile_chains(chains, topo, out_dir=out, stages=2)
    assert json.loads(result.files["plan.json"])["chains"][0]["nfs"][0]["placement"] == "switch"
    return out


@pytest.mark.slow
def test_a_running_chain_is_updated_make_before_break(tmp_path: Path) -> None:
    """Traffic through a running chain while it is re-applied 20 times, alternating two
    configurations that treat the traffic alike, one update per Write (so a chain
    changed in place would be seen half-written): every frame leaves as before, each
    apply moves the chain to the other chain id version, and no old version stays."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether

    from p4sfc_compiler.dataplane.reserved import CHAIN_VERSION_BIT

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    outs = [_firewall_out(tmp_path / "a", ""),
            _firewall_out(tmp_path / "b", "Paint(3) -> ")]
    frames = [bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                    / IP(src=f"10.0.{i % 5}.{1 + i}", dst="10.9.9.9", id=i)
                    / (TCP(sport=30000 + i, dport=80 if i % 3 else 22, flags="S") if i % 2
                       else UDP(sport=30000 + i, dport=53) / b"q"))
              for i in range(30)]
    plans = [load_out_dir(o) for o in outs]
    with switches(outs[0]) as sws:
        s1 = sws["s1"]
        assert _cli("apply", outs[0], "--pipeline", *_args(sws)).exit_code == 0
        versions = []
        with steady_traffic(s1, frames, 0.0002) as steady:
            assert any(steady.reference) and not all(steady.reference)  # some pass, some not
            for k in range(20):
                plan = plans[(k + 1) % 2]
                targets = select_targets(plan, (f"s1={s1.address}",), None)
                (r,) = asyncio.run(apply_switches(plan, targets, batch=1, drain=0.01))
                assert not r.failures and r.inserted and r.deleted and r.modified
                ids = {Names(plan).ids.chain_id(k_, v) for k_, v in held(s1).items()}
                assert len(ids) == 1  # the old version is gone
                versions.append(ids.pop() & CHAIN_VERSION_BIT)
        assert versions == [CHAIN_VERSION_BIT if k % 2 == 0 else 0 for k in range(20)]
        assert steady.sent > 2 * len(frames) and steady.wrong == [], steady.wrong[:2]
        # applying the same configuration again writes nothing: no flip
        targets = select_targets(plans[0], (f"s1={s1.address}",), None)
        (r,) = asyncio.run(apply_switches(plans[0], targets))
        assert r.updates == 0
