"""Idle timeout of the state tables (P4 ``support_timeout``; the ``rewriter`` tables):
entries take a TTL, reads give ``time_since_last_hit``, a packet that hits an entry makes
it fresh, and what a table without support refuses. The embedded switch alone, then the
same requests against BMv2 (tools), which must answer alike."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from finsy.proto import p4r
from support.bmv2 import Netns, Switch, compile_p4, unavailable
from support.p4rt import Controller, Entries, p4info_of

from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.dataplane.match import Entry, Exact
from p4sfc_compiler.dataplane.program import ProgramParams, build_program
from p4sfc_compiler.switch.embedded import EmbeddedSwitch
from p4sfc_compiler.switch.tables import Table

PARAMS = ProgramParams(stages=1, max_chain=2, table_size=8, register_size=8,
                       kinds=("rewriter", "discard"))
P4INFO = p4info_of(PARAMS)
E = Entries(P4INFO)
INSERT, MODIFY = p4r.Update.INSERT, p4r.Update.MODIFY
RW = "MyIngress.stage0.rewriter"
EXIT = "MyIngress.chain_exit"
TTL = 3_000_000_000  # BMv2 keeps TTLs in 32 bits of ns: longer ones read back as nonsense
SHORT = 200_000_000


def rw_entry(n: int) -> p4r.TableEntry:
    match = {"chain_id": 1, "nf_id": 1, "elem_id": 1, "ip_src": n, "sport": 1,
             "ip_dst": 2, "dport": 3, "ip_proto": 6}
    return E.entry(RW, match, "MyIngress.stage0.rewrite",
                   {"saddr": 9, "sport": 9, "daddr": 9, "dport": 9, "port": 0})


def with_ttl(te: p4r.TableEntry, ttl: int = TTL) -> p4r.TableEntry:
    te.idle_timeout_ns = ttl
    return te


def last_hit(table: str | None = None) -> p4r.Entity:
    te = p4r.TableEntry(table_id=E.ids.table_ids[table] if table else 0)
    te.time_since_last_hit.elapsed_ns = 0
    return p4r.Entity(table_entry=te)


def conversation(c: Controller) -> list[object]:
    """The requests both switches get, and what each answer says."""
    log: list[object] = []
    exit_te = E.entry(EXIT, {"chain_id": 1}, "MyIngress.exit_chain", {"port": 1})
    log.append(c.write([E.update(INSERT, with_ttl(exit_te))]))
    log.append(c.write([E.update(INSERT, with_ttl(rw_entry(1))),
                        E.update(INSERT, rw_entry(2)),
                        E.update(INSERT, with_ttl(rw_entry(3), SHORT))]))
    for entity in (last_hit(EXIT), last_hit()):
        err = c.read_error(entity)
        log.append((err.code.name, err.message))
    time.sleep(0.3)
    got = {int.from_bytes(e.table_entry.match[3].exact.value, "big"): e.table_entry
           for e in c.read(last_hit(RW))}
    aged, plain = got[1], got[2]
    log.append((aged.idle_timeout_ns, 0.25e9 < aged.time_since_last_hit.elapsed_ns < 3e9))
    log.append((plain.idle_timeout_ns, plain.time_since_last_hit.elapsed_ns))
    short = got[3]  # idled out: the switch stops counting at the TTL
    log.append((short.idle_timeout_ns, short.time_since_last_hit.elapsed_ns))
    plain_read = c.read(p4r.Entity(table_entry=p4r.TableEntry(table_id=E.ids.table_ids[RW])))
    log.append(sorted((e.table_entry.idle_timeout_ns,
                       e.table_entry.HasField("time_since_last_hit")) for e in plain_read))
    return log


@pytest.fixture
def embedded() -> Iterator[Controller]:
    with EmbeddedSwitch(device_id=3) as sw, Controller(sw.address, 3, 10) as c:
        assert c.arbitrate().arbitration.status.message == "Is primary"
        c.request(c.set_pipeline(P4INFO, device_config=b""))
        yield c


def test_idle_timeout_requests_on_the_embedded_switch(embedded: Controller) -> None:
    log = conversation(embedded)
    assert log[0] == {0: ("INVALID_ARGUMENT", "idle_timeout_ns must be set to 0 for tables "
                                              "which do not support idle timeout")}
    assert log[1] == {}
    assert log[2] == log[3] == (
        "INVALID_ARGUMENT", "Do not set time_since_last_hit for a ReadRequest if the table "
        "does not support idle timeout; yes, that includes wildcard reads")
    assert log[4] == (TTL, True) and log[5] == (0, 0) and log[6] == (SHORT, SHORT)
    assert log[7] == [(0, False), (SHORT, False), (TTL, False)]


def test_a_hit_makes_an_entry_fresh() -> None:
    """The model's lookup (the pipeline's path) refreshes an aged entry's last hit."""
    spec = build_program(PARAMS).tables[RW]
    table = Table(spec)
    values = (1, 1, 1, 5, 1, 2, 3, 6)
    names = [k.name for k in spec.keys]
    entry = Entry(RW, tuple((n, Exact(v)) for n, v in zip(names, values, strict=True)),
                  "MyIngress.stage0.rewrite", (("saddr", 9), ("sport", 9), ("daddr", 9),
                                               ("dport", 9), ("port", 0)))
    table.insert(entry, TTL)
    time.sleep(0.05)
    ttl, before = table.idle(entry)
    assert ttl == TTL and before >= 0.04e9
    assert table.lookup(values) is not None
    assert table.idle(entry)[1] < before
    assert table.lookup((1, 1, 1, 6, 1, 2, 3, 6)) is None


REASON = unavailable()


@pytest.mark.tools
@pytest.mark.slow
@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_bmv2_answers_the_same(tmp_path_factory: pytest.TempPathFactory,
                               embedded: Controller) -> None:
    work = tmp_path_factory.mktemp("bmv2-idle")
    device_json = compile_p4(render_p4(PARAMS), work).read_bytes()
    ns = Netns()
    bmv2 = None
    try:
        ns.veth("s1p1", "s1h1")
        bmv2 = Switch(ns, "s1", [1], 3, work, 9290)
        bmv2.client.close()
        bmv2.client = None
        with Controller(f"unix:{bmv2.socket_path}", 3, 10) as c:
            assert c.arbitrate().arbitration.status.message == "Is primary"
            c.request(c.set_pipeline(P4INFO, device_config=device_json))
            assert conversation(c) == conversation(embedded)
    finally:
        if bmv2 is not None:
            bmv2.stop()
        ns.close()
