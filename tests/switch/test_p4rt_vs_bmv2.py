"""The embedded switch's P4Runtime answers against BMv2's for the same requests (tools):
the same program (p4c's JSON for BMv2, the P4Info alone for the embedded switch), the same
Write batch of refused and accepted updates, the same reads. Where they differ on
purpose, the test says so: a full table is RESOURCE_EXHAUSTED naming the table on the
embedded switch, UNKNOWN "Error when adding match entry to target" on BMv2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from finsy.proto import p4r
from support.bmv2 import Netns, Switch, compile_p4, unavailable
from support.p4rt import Controller
from test_p4rt_server import INSERT, P4INFO, PARAMS, E, claim, error_batch, exit_entry

from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.switch.embedded import EmbeddedSwitch

REASON = unavailable()

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]


@pytest.fixture(scope="module")
def controllers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Controller]]:
    """A primary controller of BMv2 and of the embedded switch, both running PARAMS'
    program; tables emptied by the test that needs them empty."""
    work = tmp_path_factory.mktemp("bmv2")
    device_json = compile_p4(render_p4(PARAMS), work).read_bytes()
    ns = Netns()
    bmv2 = None
    try:
        ns.veth("s1p1", "s1h1")
        bmv2 = Switch(ns, "s1", [1], 3, work, 9190)
        bmv2.client.close()
        bmv2.client = None
        with EmbeddedSwitch(device_id=3) as emb:
            ctls = {"bmv2": Controller(f"unix:{bmv2.socket_path}", 3, 10),
                    "embedded": Controller(emb.address, 3, 10)}
            try:
                for name, c in ctls.items():
                    assert c.arbitrate().arbitration.status.message == "Is primary", name
                    c.config = device_json if name == "bmv2" else b""  # type: ignore[attr-defined]
                yield ctls
            finally:
                for c in ctls.values():
                    c.close()
    finally:
        if bmv2 is not None:
            bmv2.stop()
        ns.close()


def _reset(c: Controller) -> None:
    c.request(c.set_pipeline(P4INFO, device_config=c.config))  # type: ignore[attr-defined]


def test_the_same_batch_gets_the_same_errors_in_the_same_order(
        controllers: dict[str, Controller]) -> None:
    batch = error_batch()
    got = {}
    for name, c in controllers.items():
        _reset(c)
        got[name] = c.write([E.update(kind, te) for kind, te, _ in batch])
    assert got["bmv2"] == got["embedded"]
    # and both are what the embedded switch's own test expects of PI
    assert got["bmv2"] == {i: want for i, (_, _, want) in enumerate(batch) if want is not None}

    def held(c: Controller) -> list[bytes]:
        return sorted(e.SerializeToString() for e in c.read(
            p4r.Entity(table_entry=p4r.TableEntry())))
    assert held(controllers["bmv2"]) == held(controllers["embedded"])  # canonical bytes too


def test_reads_and_clone_sessions_agree(controllers: dict[str, Controller]) -> None:
    def session(sid: int, port: int) -> p4r.Entity:
        cs = p4r.CloneSessionEntry(session_id=sid)
        cs.replicas.add(egress_port=port, instance=1)
        return p4r.Entity(packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
            clone_session_entry=cs))

    answers = {}
    for name, c in controllers.items():
        _reset(c)
        entries = [exit_entry(1, 0), exit_entry(2, 300), claim(1, 1, 5), claim(2, 1, 6)]
        assert c.write([E.update(INSERT, te) for te in entries]) == {}, name
        assert c.write([p4r.Update(type=INSERT, entity=session(515, 3))]) == {}, name
        answers[name] = (
            sorted(e.SerializeToString() for e in c.read(
                p4r.Entity(table_entry=p4r.TableEntry(table_id=E.ids.table_ids[
                    "MyIngress.classify_chain"])))),
            [e.SerializeToString() for e in c.read(p4r.Entity(table_entry=exit_entry(2)))],
            [e.SerializeToString() for e in c.read(session(0, 0))],
        )
    assert answers["bmv2"] == answers["embedded"]


def test_a_full_table_differs_on_purpose(controllers: dict[str, Controller]) -> None:
    got = {}
    for name, c in controllers.items():
        _reset(c)
        got[name] = c.write([E.update(INSERT, exit_entry(n)) for n in range(1, 6)])
    assert got["bmv2"] == {4: ("UNKNOWN", "Error when adding match entry to target")}
    assert got["embedded"] == {
        4: ("RESOURCE_EXHAUSTED", "Table MyIngress.chain_exit is full (4 entries)")}


def test_arbitration_agrees(controllers: dict[str, Controller]) -> None:
    """A higher election id takes over and the primary is told; a backup's write is
    refused; the newcomer leaving gives the primary back. Same messages on both."""
    seen = {}
    for name, c in controllers.items():
        address = c.address  # the same switch, a second controller
        log = []
        with Controller(address, 3, 20) as newer:
            a = newer.arbitrate().arbitration
            log.append(("newer", a.status.code, a.status.message, a.election_id.low))
            t = c.receive().arbitration
            log.append(("older", t.status.code, t.status.message, t.election_id.low))
            err = c.error_of(c.write_request([E.update(INSERT, exit_entry(9))]))
            log.append(("older write", err.code.name, err.message))
            with Controller(address, 3, 20) as same:
                same.send(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
                    device_id=3, election_id=p4r.Uint128(low=20))))
                with pytest.raises(Exception) as exc:
                    same.receive()
                log.append(("same id", "Election id already exists" in str(exc.value)))
        back = c.receive().arbitration
        log.append(("older again", back.status.code, back.status.message, back.election_id.low))
        seen[name] = log
    assert seen["bmv2"] == seen["embedded"]
    assert seen["embedded"][1] == ("older", 6, "Is backup", 20)


def test_another_device_id_agrees(controllers: dict[str, Controller]) -> None:
    """Get and Write for a device id the switch is not (a SetForwardingPipelineConfig
    for one stops BMv2 1.15.5, so it is not sent)."""
    seen = {}
    for name, c in controllers.items():
        with Controller(c.address, 4, 1) as other:
            log = [other.arbitrate().arbitration.status.message]
            for req in (p4r.GetForwardingPipelineConfigRequest(device_id=4),
                        other.write_request([E.update(INSERT, exit_entry(1))])):
                err = other.error_of(req)
                log.append((err.code.name, err.message))
        seen[name] = log
    assert seen["bmv2"] == seen["embedded"]
