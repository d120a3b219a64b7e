"""``p4sfc destroy`` and ``p4sfc status`` without a switch: which entries are a chain's,
the order they go in, shared clone sessions, failures entry by entry, and the one-line
errors a user meets before anything is written. A fake connection stands in for the
switches and records every write."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from p4sfc_compiler.cli import main
from p4sfc_compiler.dataplane.program import counted_cells
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.runtime import destroy as destroy_mod
from p4sfc_compiler.runtime import status as status_mod
from p4sfc_compiler.runtime.apply import DELETE, Names, select_targets
from p4sfc_compiler.runtime.client import UpdateError
from p4sfc_compiler.runtime.destroy import (
    deletion_order,
    destroy_chain,
    destroy_targets,
    own_sessions,
)
from p4sfc_compiler.runtime.outdir import CLASSIFY_CHAIN_TABLE, CloneSession, load_out_dir
from p4sfc_compiler.runtime.status import FOREIGN, tally

EX = Path(__file__).resolve().parents[2] / "examples"


class FakeSwitches:
    """Switches by address holding entries; every write is logged as (switch, kind, key)."""

    def __init__(self, out, fail: set | None = None) -> None:
        self.out = out
        self.held = {sw.address: {e.key: e.value for e in sw.entries}
                     for sw in out.switches.values()}
        self.sessions: dict[str, dict[int, tuple]] = {a: {} for a in self.held}
        self.log: list[tuple[str, int, Any]] = []
        self.fail = fail or set()

    def connection(self) -> Any:
        fake = self

        class Conn:
            def __init__(self, name, address, device_id, election_id=1, timeout=3.0,
                         primary=True) -> None:
                self.name, self.address = name, address

            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc):
                return None

            async def get_cookie(self):
                return None  # set by another tool: the P4Info itself is compared

            async def get_p4info(self):
                return fake.out.p4info_text

            def use_index(self, index):
                pass

            async def read_entries(self):
                return dict(fake.held[self.address])

            async def read_clone_sessions(self):
                return dict(fake.sessions[self.address])

            async def read_counter(self, counter_id, indexes=None):
                return dict.fromkeys(indexes or (), 0)

            def table_update(self, kind, key, value):
                return ("entry", kind, key)

            def session_update(self, kind, sid, replicas):
                return ("session", kind, sid)

            async def write(self, updates):
                errors = []
                for i, (what, kind, key) in enumerate(updates):
                    fake.log.append((self.name, kind, key))
                    if key in fake.fail:
                        errors.append(UpdateError(i, "INTERNAL", "refused by the fake"))
                    elif what == "entry":
                        fake.held[self.address].pop(key, None)
                    else:
                        fake.sessions[self.address].pop(key, None)
                return errors

        return Conn


def _destroy(out, fake, chain, monkeypatch):
    monkeypatch.setattr(destroy_mod, "Connection", fake.connection())
    targets = destroy_targets(out, chain, (), None)
    return asyncio.run(destroy_chain(out, targets, chain))


def test_unknown_chain_and_targets(two_server: Path) -> None:
    out = load_out_dir(two_server)
    with pytest.raises(P4SFCError, match=r"unknown chain 'nope': .* has chains site-to-site, web"):
        destroy_targets(out, "nope", (), None)
    assert [t.plan.name for t in destroy_targets(out, "web", (), None)] == ["s1", "s2"]
    assert [t.plan.name for t in destroy_targets(out, "web", ("s2",), None)] == ["s2"]
    with pytest.raises(P4SFCError, match="exactly one switch"):
        destroy_targets(out, "web", (), 4)


def test_the_order_is_classification_then_apply_order_reversed(two_server: Path) -> None:
    out = load_out_dir(two_server)
    names = Names(out)
    sw = out.switches["s1"]
    have = {e.key: e.value for e in sw.entries}
    claims, rest = deletion_order(sw, "web", have, names)
    web = sw.chain_entries("web")
    assert [e.table for e in web][-1] == CLASSIFY_CHAIN_TABLE  # apply puts it in last
    assert claims == [e.key for e in web if e.table == CLASSIFY_CHAIN_TABLE]
    assert rest == [e.key for e in reversed(web) if e.table != CLASSIFY_CHAIN_TABLE]
    # an entry missing on the switch is skipped; a stale one of the chain goes too
    first = next(e for e in web if _plain_chain_field(names, e.key[0]) is not None)
    del have[first.key]
    fid = _plain_chain_field(names, first.key[0])
    stale = (first.key[0], tuple((f, k, v + 1000 if f != fid else v,
                                  x) for f, k, v, x in first.key[1]), first.key[2])
    have[stale] = first.value
    claims, rest = deletion_order(sw, "web", have, names)
    assert first.key not in rest and rest[0] == stale
    assert not any(k in rest for k, v in have.items() if names.owner(k, v) != "web")


def test_destroy_removes_only_the_chain_classification_first_everywhere(
        two_server: Path, monkeypatch) -> None:
    out = load_out_dir(two_server)
    names = Names(out)
    fake = FakeSwitches(out)
    other = {a: {k: v for k, v in held.items() if names.owner(k, v) != "web"}
             for a, held in fake.held.items()}
    results = _destroy(out, fake, "web", monkeypatch)
    assert all(r.failures == [] and r.found == r.deleted for r in results)
    assert fake.held == other
    kinds = {kind for _, kind, _ in fake.log}
    assert kinds == {DELETE}
    claim_positions = [i for i, (_, _, k) in enumerate(fake.log) if k[0] == names.claim_table]
    assert claim_positions == list(range(len(claim_positions)))  # before anything else
    assert len(claim_positions) == 1  # web enters at s1 only

    fake.log.clear()
    again = _destroy(out, fake, "web", monkeypatch)
    assert fake.log == [] and all(r.found == r.writes == 0 for r in again)


def test_a_session_only_the_chain_uses_goes_a_shared_one_stays(two_server: Path,
                                                              monkeypatch) -> None:
    out = load_out_dir(two_server)
    s1 = out.switches["s1"]
    s1.clone_sessions = [CloneSession(600, ((1, 1),), ("web",)),
                         CloneSession(601, ((2, 1),), ("site-to-site", "web")),
                         CloneSession(602, ((3, 1),), ("site-to-site",))]
    assert own_sessions(s1, "web") == ([600], [601])
    # a sharing chain that is no longer on the switch keeps nothing
    assert own_sessions(s1, "web", {"web"}) == ([600, 601], [])
    assert own_sessions(s1, "site-to-site", {"site-to-site"}) == ([601, 602], [])
    fake = FakeSwitches(out)
    fake.sessions[s1.address] = {600: ((1, 1),), 601: ((2, 1),), 602: ((3, 1),)}
    results = _destroy(out, fake, "web", monkeypatch)
    r1 = next(r for r in results if r.switch == "s1")
    assert (r1.sessions_deleted, r1.sessions_kept) == (1, [601])
    assert set(fake.sessions[s1.address]) == {601, 602}


def test_a_failing_delete_is_reported_entry_by_entry(two_server: Path, monkeypatch) -> None:
    out = load_out_dir(two_server)
    s2 = out.switches["s2"]
    bad = [e for e in s2.chain_entries("web")][:2]
    fake = FakeSwitches(out, fail={e.key for e in bad})
    monkeypatch.setattr(destroy_mod, "Connection", fake.connection())
    r = CliRunner().invoke(main, ["destroy", str(two_server), "--chain", "web"])
    assert r.exit_code == 1, r.output
    lines = [x for x in r.output.splitlines() if x.startswith("error:")]
    assert len(lines) == 2, r.output
    for line, e in zip(lines, reversed(bad), strict=True):  # in the order they were tried
        assert line.startswith("error: switch s2: chain 'web': delete of " + e.table), line
        assert "INTERNAL refused by the fake" in line
    # everything else of web went
    names = Names(out)
    left = {k for k, v in fake.held[s2.address].items() if names.owner(k, v) == "web"}
    assert left == {e.key for e in bad}


def test_a_classification_that_stays_stops_the_rest(two_server: Path, monkeypatch) -> None:
    out = load_out_dir(two_server)
    claim = next(e for e in out.switches["s1"].entries
                 if e.chain == "web" and e.table == CLASSIFY_CHAIN_TABLE)
    fake = FakeSwitches(out, fail={claim.key})
    results = _destroy(out, fake, "web", monkeypatch)
    assert [len(r.failures) for r in results] == [1, 0]
    assert all(r.stopped for r in results)
    assert [k for _, _, k in fake.log] == [claim.key]  # nothing else tried


def test_cli_errors_are_one_line(two_server: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["destroy", str(two_server), "--chain", "nope"])
    assert r.exit_code == 1
    assert r.output.strip() == (f"error: unknown chain 'nope': {two_server} has chains "
                                "site-to-site, web")
    r = CliRunner().invoke(main, ["destroy", str(two_server)])
    assert r.exit_code == 2 and "--chain" in r.output
    r = CliRunner().invoke(main, ["status", str(tmp_path)])
    assert r.exit_code == 1 and "not a p4sfc compile output folder" in r.output
    r = CliRunner().invoke(main, ["status", str(two_server), "--switch",
                                  f"s1=unix:{tmp_path}/none.sock", "--timeout", "0.5"])
    assert r.exit_code == 1 and "no P4Runtime server answers within 0.5 s" in r.output


def test_status_counts_chains_tables_and_foreign(two_server: Path, monkeypatch) -> None:
    out = load_out_dir(two_server)
    names = Names(out)
    s2 = out.switches["s2"]
    have = {e.key: e.value for e in s2.entries if e.chain == "site-to-site"}
    web = next(e for e in s2.entries
               if e.chain == "web" and _plain_chain_field(names, e.key[0]) is not None)
    fid = _plain_chain_field(names, web.key[0])
    stray = (web.key[0], tuple((f, k, 77 if f == fid else v, x) for f, k, v, x in web.key[1]),
             web.key[2])
    have[stray] = web.value
    counts = tally(have, names)
    assert set(counts) == {"site-to-site", FOREIGN}
    assert sum(counts[FOREIGN].values()) == 1
    assert sum(counts["site-to-site"].values()) == len(have) - 1

    fake = FakeSwitches(out)
    fake.held[s2.address] = have
    monkeypatch.setattr(status_mod, "Connection", fake.connection())
    (target,) = select_targets(out, ("s2",), None)
    st = asyncio.run(status_mod.status_switch(out, target))
    assert st.chains == ["site-to-site"] and st.foreign == 1
    assert {c.nf for c in st.counters} == {"mon"}
    assert all((c.packets, c.bytes) == (0, 0) for c in st.counters)  # nothing counted yet
    r = CliRunner().invoke(main, ["status", str(two_server), "--switch", "s2"])
    assert r.exit_code == 0, r.output
    assert "site-to-site (47 of 47 entries); foreign entries: 1" in r.output


def test_status_shows_counters_a_switch_gives_and_a_switch_without_program(
        two_server: Path, monkeypatch) -> None:
    out = load_out_dir(two_server)
    fake = FakeSwitches(out)
    conn_class = fake.connection()
    reads: list[int] = []

    class Counting(conn_class):  # type: ignore[misc, valid-type]
        async def read_counter(self, counter_id, indexes=None):
            # packet cells count 1000 + index; length cells: one packet of 300 bytes (three digits) per slot
            reads.append(counter_id)
            assert indexes is not None  # the slots' cells, not the whole array
            name = next(n for n, (i, _) in out.index.counters.items() if i == counter_id)
            if name.endswith("counter_packets"):
                return {i: 1000 + i for i in range(8)}
            return {c: 1 for i in range(8) for c in counted_cells(i, 300)}

    monkeypatch.setattr(status_mod, "Connection", Counting)
    (target,) = select_targets(out, ("s2",), None)
    st = asyncio.run(status_mod.status_switch(out, target))
    assert reads and len(reads) == len(set(reads))  # each counter array read once
    total = next(c for c in st.counters if c.element == "total")
    slot = next(r.index for r in target.plan.registers if r.element == "total")
    assert (total.packets, total.bytes) == (1000 + slot, 300)
    r = CliRunner().invoke(main, ["status", str(two_server), "--switch", "s2"])
    assert r.exit_code == 0, r.output
    assert "c_web" in r.output and str(1000 + slot) in r.output

    class Empty(conn_class):  # type: ignore[misc, valid-type]
        async def get_p4info(self):
            return None

    monkeypatch.setattr(status_mod, "Connection", Empty)
    r = CliRunner().invoke(main, ["status", str(two_server), "--switch", "s1"])
    assert r.exit_code == 0 and "no P4 program loaded" in r.output, r.output


def test_an_unreachable_switch_stops_destroy_before_any_write(two_server: Path,
                                                             monkeypatch) -> None:
    from p4sfc_compiler.runtime.client import SwitchError

    out = load_out_dir(two_server)
    fake = FakeSwitches(out)
    conn_class = fake.connection()

    class HalfDown(conn_class):  # type: ignore[misc, valid-type]
        async def __aenter__(self):
            if self.name == "s2":
                raise SwitchError("switch s2 (x): no P4Runtime server answers within 3 s")
            return self

    monkeypatch.setattr(destroy_mod, "Connection", HalfDown)
    r = CliRunner().invoke(main, ["destroy", str(two_server), "--chain", "web"])
    assert r.exit_code == 1 and fake.log == []
    assert r.output.strip() == "error: switch s2 (x): no P4Runtime server answers within 3 s"


def _plain_chain_field(names: Names, table_id: int) -> int | None:
    """The id of a table's chain_id key field, when it is a field of its own."""
    fid, packing = names.ids.chain_field.get(table_id, (None, None))
    return fid if packing is None else None
