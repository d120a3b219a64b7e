"""Idle timeout over P4Runtime, through the runtime client, against the embedded switch:
TTLs written and read back, the time since the last hit (a packet through the pipeline
is a hit), PI's refusals, and IdleTimeoutNotifications on the primary's stream at the
ageing monitor's cadence. ``run_scenario`` is also run against BMv2
(``test_idle_vs_bmv2.py``), which must observe the same."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from finsy import P4ClientError
from finsy.proto import p4r
from support.idle import MS, PARAMS, REWRITER, chain_entries, frame, mapping

from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.dataplane.program import build_program
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.p4info.write import render_p4info
from p4sfc_compiler.runtime.client import Connection, EntryAge, IdleTimeout, SwitchError
from p4sfc_compiler.runtime.outdir import EntryKey, entry_by_ids
from p4sfc_compiler.switch.embedded import EmbeddedSwitch

P4INFO = render_p4info(build_program(PARAMS))
INDEX = P4InfoIndex.from_text(P4INFO)
INSERT, MODIFY = p4r.Update.INSERT, p4r.Update.MODIFY
EXIT = "MyIngress.chain_exit"
LONG_MS = 4_000  # remaining TTLs under 2**32 ns: BMv2 reads them right
WRAP_MS = 60_000  # over: BMv2's PI wraps them (and the embedded switch does the same)


@dataclass
class Observed:
    """What one switch answered to :func:`run_scenario`."""

    refused: list[tuple[int, str, str]] = field(default_factory=list)
    read_refused: str = ""
    default_refused: tuple[str, str] = ("", "")
    first_read: dict[EntryKey, EntryAge] = field(default_factory=dict)
    after_hit: dict[EntryKey, EntryAge] = field(default_factory=dict)
    notes: list[tuple[float, IdleTimeout]] = field(default_factory=list)  # (s after insert, note)


def key(entry_sport: int) -> EntryKey:
    return entry_by_ids(mapping(entry_sport), INDEX)[0]


async def run_scenario(conn: Connection, send: Callable[[bytes], None], ttl_ms: int,
                       idle_s: float, notes: int, wait_s: float) -> Observed:
    """On a switch whose pipeline is set: write the chain and three mappings (flow 1 with
    ``ttl_ms``, flow 2 with a longer TTL, flow 3 with none, flow 4 with a TTL whose
    remaining ns overflow PI's 32 bits) and refused updates; after
    ``idle_s`` read the rewriter table with the time since the last hit; send a frame of
    flow 2 and read again; then collect ``notes`` notifications (at most ``wait_s``)."""
    conn.use_index(INDEX)
    seen = Observed()
    ups = [conn.table_update(INSERT, *entry_by_ids(e, INDEX)) for e in chain_entries()]
    ups += [conn.table_update(INSERT, *entry_by_ids(mapping(1), INDEX), idle_timeout_ns=ttl_ms * MS),
            conn.table_update(INSERT, *entry_by_ids(mapping(2), INDEX), idle_timeout_ns=LONG_MS * MS),
            conn.table_update(INSERT, *entry_by_ids(mapping(3), INDEX)),
            conn.table_update(INSERT, *entry_by_ids(mapping(4), INDEX), idle_timeout_ns=WRAP_MS * MS)]
    assert await conn.write(ups) == []
    start = time.monotonic()
    bad_exit = entry_by_ids(chain_entries()[2], INDEX)
    refused = [
        conn.table_update(MODIFY, *bad_exit, idle_timeout_ns=5 * MS),  # no idle timeout
        conn.table_update(MODIFY, *entry_by_ids(mapping(3), INDEX), idle_timeout_ns=-1),
        conn.table_update(INSERT, *entry_by_ids(mapping(1), INDEX), idle_timeout_ns=ttl_ms * MS),
    ]
    seen.refused = [(e.index, e.code, e.message) for e in await conn.write(refused)]
    try:
        await conn.read_table(INDEX.table(EXIT).id, since_last_hit=True)
    except SwitchError as exc:
        seen.read_refused = str(exc)
    table_id = INDEX.table(REWRITER).id
    default = p4r.TableEntry(table_id=table_id, is_default_action=True)
    default.time_since_last_hit.SetInParent()
    try:
        async for _ in conn.client.request_iter(p4r.ReadRequest(
                device_id=conn.device_id, entities=[p4r.Entity(table_entry=default)])):
            pass
    except P4ClientError as exc:
        seen.default_refused = (exc.code.name, exc.message)
    await asyncio.sleep(idle_s - (time.monotonic() - start))
    seen.first_read = await conn.read_table(table_id, since_last_hit=True)
    send(frame(2))
    await asyncio.sleep(0.05)
    seen.after_hit = await conn.read_table(table_id, since_last_hit=True)
    end = time.monotonic() + wait_s
    while len(seen.notes) < notes and time.monotonic() < end:
        note = await conn.next_idle_timeout(end - time.monotonic())
        if note is not None:
            seen.notes.append((time.monotonic() - start, note))
    return seen


def check_common(seen: Observed, ttl_ms: int, idle_s: float) -> None:
    """What any switch must have answered (PI's messages; BMv2's and the model's)."""
    assert seen.refused == [
        (0, "INVALID_ARGUMENT", "idle_timeout_ns must be set to 0 for tables which do not "
                                "support idle timeout"),
        (1, "INVALID_ARGUMENT", "idle_timeout_ns must be a positive value"),
        (2, "ALREADY_EXISTS", "Match entry exists, use MODIFY if you wish to change action"),
    ]
    assert "INVALID_ARGUMENT Do not set time_since_last_hit for a ReadRequest if the table " \
           "does not support idle timeout" in seen.read_refused
    assert seen.default_refused == (
        "INVALID_ARGUMENT", "Default table entries do not support entry ageing, do not set "
        "'time_since_last_hit' in your ReadRequest")
    first = seen.first_read
    assert {k: a.idle_timeout_ns for k, a in first.items()} == {
        key(1): ttl_ms * MS, key(2): LONG_MS * MS, key(3): 0, key(4): WRAP_MS * MS}
    assert first[key(3)].elapsed_ns == 0  # no TTL: PI answers 0
    for k in (key(1), key(2)):
        elapsed = first[k].elapsed_ns
        assert elapsed is not None and (idle_s - 0.03) * 1e9 <= elapsed <= (idle_s + 0.5) * 1e9
    wrapped = first[key(4)].elapsed_ns
    since_ms = round(idle_s * 1000)
    assert wrapped is not None
    assert abs(wrapped - (WRAP_MS * MS - ((WRAP_MS - since_ms) * MS) % 2**32)) <= 500 * MS
    after = seen.after_hit[key(2)].elapsed_ns
    assert after is not None and after < 0.2e9  # the frame hit flow 2's mapping
    assert seen.after_hit[key(1)].elapsed_ns >= first[key(1)].elapsed_ns  # type: ignore[operator]
    assert first[key(1)].value == entry_by_ids(mapping(1), INDEX)[1]


@pytest.fixture
def fast_switch():
    with EmbeddedSwitch(device_id=0, ageing_interval=0.05) as sw:
        yield sw


def test_ttl_reads_hits_and_notifications_on_the_embedded_switch(
        fast_switch: EmbeddedSwitch) -> None:
    ttl_ms, sweep = 400, 0.05

    async def go() -> Observed:
        async with Connection("s1", fast_switch.address, 0, election_id=5) as conn:
            await conn.set_pipeline(P4INFO, b"")
            return await run_scenario(conn, lambda f: fast_switch.send(1, f), ttl_ms,
                                      idle_s=0.2, notes=2, wait_s=3.0)
    seen = asyncio.run(go())
    check_common(seen, ttl_ms, 0.2)
    out = fast_switch.collect(2)
    assert len(out) == 1 and out[0][26:30] == bytes([192, 168, 0, 1])  # rewritten
    assert len(seen.notes) == 2
    (t1, n1), (t2, n2) = seen.notes
    assert n1.entries == n2.entries == ((key(1), ttl_ms * MS),)
    assert ttl_ms / 1000 <= t1 <= ttl_ms / 1000 + sweep + 0.3
    # notified again two sweeps later while it stays idle (BMv2's cadence)
    assert 2 * sweep - 0.02 <= t2 - t1 <= 2 * sweep + 0.3
    assert n2.timestamp_ns > n1.timestamp_ns > 0


def test_a_hit_or_a_modify_keeps_an_entry_from_ageing(fast_switch: EmbeddedSwitch) -> None:
    async def go() -> tuple[IdleTimeout | None, IdleTimeout | None, dict[EntryKey, EntryAge]]:
        async with Connection("s1", fast_switch.address, 0, election_id=5) as conn:
            await conn.set_pipeline(P4INFO, b"")
            conn.use_index(INDEX)
            ups = [conn.table_update(INSERT, *entry_by_ids(e, INDEX)) for e in chain_entries()]
            ups.append(conn.table_update(INSERT, *entry_by_ids(mapping(1), INDEX),
                                         idle_timeout_ns=300 * MS))
            assert await conn.write(ups) == []
            for _ in range(6):  # hit it every 100 ms: no notification
                await asyncio.sleep(0.1)
                fast_switch.send(1, frame(1))
            quiet = await conn.next_idle_timeout(0.1)
            # a MODIFY with a longer TTL restarts the idle time too
            assert await conn.write([conn.table_update(
                MODIFY, *entry_by_ids(mapping(1), INDEX), idle_timeout_ns=600 * MS)]) == []
            early = await conn.next_idle_timeout(0.45)
            ages = await conn.read_table(INDEX.table(REWRITER).id)
            return quiet, early, ages
    quiet, early, ages = asyncio.run(go())
    assert quiet is None and early is None
    assert ages[key(1)] == EntryAge(entry_by_ids(mapping(1), INDEX)[1], 600 * MS, None)


def test_notifications_go_to_the_primary_only(fast_switch: EmbeddedSwitch) -> None:
    async def go() -> tuple[IdleTimeout | None, IdleTimeout | None]:
        async with Connection("s1", fast_switch.address, 0, election_id=5) as low, \
                Connection("s1", fast_switch.address, 0, election_id=9) as high:
            await high.set_pipeline(P4INFO, b"")
            high.use_index(INDEX)
            assert await high.write([high.table_update(
                INSERT, *entry_by_ids(mapping(1), INDEX), idle_timeout_ns=50 * MS)]) == []
            return await high.next_idle_timeout(1.0), await low.next_idle_timeout(0.3)
    to_primary, to_backup = asyncio.run(go())
    assert to_primary is not None and to_primary.entries == ((key(1), 50 * MS),)
    assert to_backup is None


def test_the_rendered_program_declares_support_timeout_on_the_rewriter_only() -> None:
    text = render_p4(PARAMS)
    tables = re.findall(r"table (\w+) \{.*?size = \d+;\n(\s*support_timeout = true;\n)?",
                        text, re.S)
    assert {name for name, flag in tables if flag} == {"rewriter"}
    assert text.count("support_timeout") == PARAMS.stages
    assert INDEX.table(REWRITER).idle_timeout
    assert not INDEX.table(EXIT).idle_timeout
