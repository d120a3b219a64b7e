"""The embedded switch's P4Runtime server through finsy's P4Client, answering as BMv2's PI
server does: pipeline config actions, Write's per-update errors in order, Read's wildcards
and canonical byte strings, clone sessions, registers, arbitration, device ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from finsy.proto import p4r
from google.protobuf import text_format
from support.p4rt import CFG, Controller, Entries, p4info_of

from p4sfc_compiler.dataplane.match import Exact, Lpm, Ternary
from p4sfc_compiler.dataplane.program import ProgramParams, build_program, pack_key_fields
from p4sfc_compiler.p4info.index import P4InfoIndex
from p4sfc_compiler.p4info.write import render_p4info
from p4sfc_compiler.switch.embedded import EmbeddedSwitch
from p4sfc_compiler.switch.p4rt_codec import canonical
from p4sfc_compiler.switch.p4rt_ids import p4info_index

PARAMS = ProgramParams(stages=1, max_chain=2, table_size=4, register_size=8,
                       kinds=("classify", "ip_lookup", "counter"))
P4INFO = p4info_of(PARAMS)
E = Entries(P4INFO)
INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
EXIT = "MyIngress.chain_exit"
CLAIM = "MyIngress.classify_chain"
LPM = "MyIngress.stage0.ip_lookup"
DISPATCH = "MyIngress.nf_dispatch"


@pytest.fixture
def switch() -> Iterator[EmbeddedSwitch]:
    with EmbeddedSwitch(device_id=3) as sw:
        yield sw


@pytest.fixture
def ctl(switch: EmbeddedSwitch) -> Iterator[Controller]:
    """The primary controller of a switch running PARAMS' program."""
    with Controller(switch.address, device_id=3, election_id=10) as c:
        assert c.arbitrate().arbitration.status.code == 0
        c.request(c.set_pipeline(P4INFO))
        yield c


def exit_entry(chain: int, port: int | None = 1) -> p4r.TableEntry:
    return E.entry(EXIT, {"chain_id": chain},
                   None if port is None else "MyIngress.exit_chain", {"port": port or 0})


def route(elem: int, dst: int, plen: int, action: str = "route", read_back: bool = False
          ) -> p4r.TableEntry:
    """A route of element ``elem`` (chain 1, NF 1) in stage 0's ip_lookup, its key packed
    (``read_back``: with the shortest byte strings, as a read gives them)."""
    logical = (("chain_id", Exact(1)), ("nf_id", Exact(1)), ("elem_id", Exact(elem)),
               ("dst_anno", Lpm(dst, plen)))
    ((name, key),) = pack_key_fields(LPM, logical)
    assert isinstance(key, Lpm)
    if read_back:
        return E.entry(LPM, {name: ("lpm", canonical(key.value), key.prefix_len)},
                       f"MyIngress.stage0.{action}", {"port": canonical(2)})
    return E.entry(LPM, {name: ("lpm", key.value, key.prefix_len)},
                   f"MyIngress.stage0.{action}", {"port": 2})


def claim(port: int, chain: int, priority: int = 10) -> p4r.TableEntry:
    ((name, key),) = pack_key_fields(CLAIM, (("ingress_port", Ternary(port, 0x1FF)),))
    assert isinstance(key, Ternary)
    return E.entry(CLAIM, {name: (key.value, key.mask)}, "MyIngress.push_chain_1",
                   {"chain_id": chain, "nf0": 1}, priority)


def test_capabilities_and_pipeline_config_actions(switch: EmbeddedSwitch) -> None:
    with Controller(switch.address, device_id=3, election_id=None) as c:
        assert c.request(p4r.CapabilitiesRequest()).p4runtime_api_version == "1.3.0"
        get = p4r.GetForwardingPipelineConfigRequest(device_id=3)
        err = c.error_of(get)
        assert err.code.name == "FAILED_PRECONDITION" and err.is_pipeline_missing
        # without controllers, requests without an election id are taken (PI's rule)
        c.request(c.set_pipeline(P4INFO, CFG.VERIFY))
        assert c.error_of(get).is_pipeline_missing  # VERIFY changes nothing
        c.request(c.set_pipeline(P4INFO, CFG.VERIFY_AND_SAVE, b"{json}", cookie=7))
        assert c.error_of(get).is_pipeline_missing
        c.request(c.set_pipeline(P4INFO, CFG.COMMIT))
        got = c.request(get).config
        assert got.p4info == P4INFO and got.p4_device_config == b"{json}"
        assert got.cookie.cookie == 7
        for rtype, has_info, has_cfg in ((get.COOKIE_ONLY, False, False),
                                         (get.P4INFO_AND_COOKIE, True, False),
                                         (get.DEVICE_CONFIG_AND_COOKIE, False, True)):
            got = c.request(p4r.GetForwardingPipelineConfigRequest(device_id=3,
                                                                   response_type=rtype)).config
            assert (got.HasField("p4info"), bool(got.p4_device_config)) == (has_info, has_cfg)
            assert got.cookie.cookie == 7

        c.request(c.write_request([E.update(INSERT, exit_entry(5))]))
        c.request(c.set_pipeline(P4INFO, CFG.RECONCILE_AND_COMMIT))  # keeps the entries
        assert len(c.read(p4r.Entity(table_entry=p4r.TableEntry()))) == 1
        c.request(c.set_pipeline(P4INFO, CFG.VERIFY_AND_COMMIT))  # empties every table
        assert c.read(p4r.Entity(table_entry=p4r.TableEntry())) == []

        err = c.error_of(c.set_pipeline(P4INFO, CFG.UNSPECIFIED))
        assert (err.code.name, err.message) == ("INVALID_ARGUMENT",
                                                "Invalid SetForwardingPipeline action")
        other = p4info_of(PARAMS)
        other.tables[0].preamble.id += 1
        err = c.error_of(c.set_pipeline(other))
        assert err.code.name == "INVALID_ARGUMENT" and "is not the p4sfc program" in err.message
        assert c.request(get).config.p4info == P4INFO  # a refused config changes nothing
        err = c.error_of(c.set_pipeline(p4r.ForwardingPipelineConfig().p4info))
        assert err.code.name == "INVALID_ARGUMENT" and "not a p4sfc program" in err.message


def error_batch() -> list[tuple[int, p4r.TableEntry, tuple[str, str] | None]]:
    """A Write batch with every kind of update PI refuses, between two that succeed, and
    the (code, message) PI gives each (None: applied). test_p4rt_vs_bmv2 sends it to BMv2."""
    lpm = route(1, 0x0A000000, 8)
    bad_table = exit_entry(1)
    bad_table.table_id = 12345
    too_wide = exit_entry(2)
    too_wide.action.action.params[0].value = b"\x02\x00"  # 512 does not fit bit<9>
    wide_ok = exit_entry(3)
    wide_ok.match[0].exact.value = b"\x00\x00\x00\x03"  # longer strings are fine if they fit
    outside = claim(1, 1)
    outside.match[0].ternary.value = b"\x01\x03"  # 0x103 has bits outside the mask 0x001
    outside.match[0].ternary.mask = b"\x00\x01"
    no_prio = claim(2, 1, priority=0)
    prio_on_exact = exit_entry(4)
    prio_on_exact.priority = 3
    dont_care = claim(3, 1)
    dont_care.match[0].ternary.mask = b"\x00"
    dont_care.match[0].ternary.value = b"\x00"
    lpm_zero = E.entry(LPM, {"ip_lookup_key": ("lpm", 0, 0)}, "MyIngress.stage0.route",
                       {"port": 2})
    lpm_bits = route(3, 0x0A000001, 8)  # the packed prefix is 32 + 8 bits long
    lpm_bits.match[0].lpm.value = lpm_bits.match[0].lpm.value[:-1] + b"\x01"
    missing_exact = E.entry(DISPATCH, {"nf_id": 1, "to_server": 0}, "MyIngress.run_local")
    wrong_kind = exit_entry(6)
    wrong_kind.match[0].ClearField("exact")
    wrong_kind.match[0].ternary.value = b"\x06"
    wrong_kind.match[0].ternary.mask = b"\xff"
    unknown_action = exit_entry(7)
    unknown_action.action.action.action_id = 999
    foreign_action = E.entry(EXIT, {"chain_id": 8}, "MyIngress.to_port", {"port": 1})
    default_only = E.entry(EXIT, {"chain_id": 9}, "NoAction")
    few_params = route(4, 1 << 24, 8, "route_gw")
    no_action = exit_entry(10, port=None)
    default_entry = p4r.TableEntry(table_id=E.ids.table_ids[EXIT], is_default_action=True)
    default_entry.action.action.action_id = E.ids.action_ids["NoAction"]
    updates = [
        (INSERT, lpm, None),
        (INSERT, bad_table, ("INVALID_ARGUMENT", "Invalid P4 id")),
        (INSERT, too_wide, ("INVALID_ARGUMENT", "Bytestring provided does not fit within 9 bits")),
        (INSERT, wide_ok, None),
        (INSERT, outside, ("INVALID_ARGUMENT",
                           "Invalid ternary value, make sure value & mask == value")),
        (INSERT, no_prio, ("INVALID_ARGUMENT", "Zero priority for ternary match")),
        (INSERT, prio_on_exact, ("INVALID_ARGUMENT", "Non-zero priority for non-ternary match")),
        (INSERT, dont_care, ("INVALID_ARGUMENT",
                             "Invalid representation of 'don't care' ternary match, omit match "
                             "field instead of using 0 mask")),
        (INSERT, lpm_zero, ("INVALID_ARGUMENT",
                            "Invalid reprsentation of 'don't care' LPM match, omit match field "
                            "instead of using a prefix length of 0")),
        (INSERT, lpm_bits, ("INVALID_ARGUMENT",
                            "Invalid LPM value, incorrect number of trailing zeros")),
        (INSERT, missing_exact, ("INVALID_ARGUMENT", "Missing non-ternary field in match key")),
        (INSERT, wrong_kind, ("INVALID_ARGUMENT", "Invalid match type")),
        (INSERT, unknown_action, ("INVALID_ARGUMENT", "Invalid P4 id")),
        (INSERT, foreign_action, ("INVALID_ARGUMENT", "Invalid action for table")),
        (INSERT, default_only, ("PERMISSION_DENIED",
                                "Cannot use DEFAULT_ONLY action in table entry")),
        (INSERT, few_params, ("INVALID_ARGUMENT", "Unexpected number of action parameters")),
        (INSERT, no_action, ("INVALID_ARGUMENT", "'action' field must be set")),
        (MODIFY, default_entry, ("PERMISSION_DENIED",
                                 f"Cannot set / reset default action for table "
                                 f"{E.ids.table_ids[EXIT]} which has a const default action")),
        (INSERT, lpm, ("ALREADY_EXISTS",
                       "Match entry exists, use MODIFY if you wish to change action")),
        (MODIFY, exit_entry(11), ("NOT_FOUND", "Cannot find match entry")),
        (DELETE, exit_entry(12), ("NOT_FOUND", "Cannot find match entry")),
        (MODIFY, exit_entry(3, port=7), None),
    ]
    return updates


def test_write_errors_come_per_update_in_order_and_the_rest_applies(ctl: Controller) -> None:
    updates = error_batch()
    errors = ctl.write([E.update(kind, te) for kind, te, _ in updates])
    assert errors == {i: want for i, (_, _, want) in enumerate(updates) if want is not None}

    got = ctl.read(p4r.Entity(table_entry=p4r.TableEntry()))
    assert sorted(e.table_entry.SerializeToString() for e in got) == sorted(
        x.SerializeToString() for x in (
            route(1, 0x0A000000, 8, read_back=True),
            E.entry(EXIT, {"chain_id": b"\x03"}, "MyIngress.exit_chain", {"port": b"\x07"})))


def test_a_full_table_is_resource_exhausted_and_atomic_modes_are_unimplemented(
        ctl: Controller) -> None:
    errors = ctl.write([E.update(INSERT, exit_entry(c)) for c in range(1, 7)])
    assert errors == {4: ("RESOURCE_EXHAUSTED", "Table MyIngress.chain_exit is full (4 entries)"),
                      5: ("RESOURCE_EXHAUSTED", "Table MyIngress.chain_exit is full (4 entries)")}
    assert ctl.write([E.update(DELETE, exit_entry(1)), E.update(INSERT, exit_entry(6))]) == {}
    req = ctl.write_request([E.update(INSERT, exit_entry(7))])
    req.atomicity = p4r.WriteRequest.DATAPLANE_ATOMIC
    err = ctl.error_of(req)
    assert (err.code.name, err.message) == (
        "UNIMPLEMENTED", "Support for atomic write modes has not been implemented yet")


def test_reads_with_wildcards_canonical_bytes(ctl: Controller) -> None:
    entries = [exit_entry(1, 0), exit_entry(2, 300), claim(1, 1, 5), claim(1, 1, 6)]
    assert ctl.write([E.update(INSERT, te) for te in entries]) == {}
    everything = ctl.read(p4r.Entity(table_entry=p4r.TableEntry()))
    assert len(everything) == 4
    one_table = ctl.read(p4r.Entity(table_entry=p4r.TableEntry(
        table_id=E.ids.table_ids[CLAIM])))
    assert sorted(e.table_entry.priority for e in one_table) == [5, 6]
    (one,) = ctl.read(p4r.Entity(table_entry=claim(1, 1, 6)))
    assert one.table_entry.priority == 6
    # the packed route key: the ingress port in its top bits, read back in shortest form
    ((_, port),) = pack_key_fields(CLAIM, (("ingress_port", Ternary(1, 0x1FF)),))
    assert isinstance(port, Ternary) and port.value == 1 << 104
    assert one.table_entry.match[0].ternary.value == canonical(port.value)
    assert one.table_entry.match[0].ternary.mask == canonical(port.mask)
    (zero,) = ctl.read(p4r.Entity(table_entry=exit_entry(1)))
    assert zero.table_entry.match[0].exact.value == b"\x01"
    assert zero.table_entry.action.action.params[0].value == b"\x00"  # 0 is one zero byte
    assert ctl.read(p4r.Entity(table_entry=exit_entry(9))) == []
    assert [canonical(v) for v in (0, 1, 255, 256)] == [b"\0", b"\1", b"\xff", b"\1\0"]


def test_clone_sessions_and_registers(ctl: Controller, switch: EmbeddedSwitch) -> None:
    def session(sid: int, *replicas: tuple[int, int]) -> p4r.Entity:
        cs = p4r.CloneSessionEntry(session_id=sid)
        for port, instance in replicas:
            cs.replicas.add(egress_port=port, instance=instance)
        return p4r.Entity(packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
            clone_session_entry=cs))

    def pre(kind: int, entity: p4r.Entity) -> p4r.Update:
        return p4r.Update(type=kind, entity=entity)

    assert ctl.write([pre(INSERT, session(515, (3, 1))), pre(INSERT, session(516, (4, 1))),
                      pre(INSERT, session(515, (3, 1))), pre(MODIFY, session(516, (5, 1))),
                      pre(DELETE, session(600)), pre(INSERT, session(0))]) == {
        2: ("ALREADY_EXISTS", "Clone session 515 already exists"),
        4: ("NOT_FOUND", "Clone session 600 does not exist"),
        5: ("INVALID_ARGUMENT", "0 is not a valid session id")}
    got = ctl.read(session(0))
    assert [e.packet_replication_engine_entry for e in got] == [
        session(515, (3, 1)).packet_replication_engine_entry,
        session(516, (5, 1)).packet_replication_engine_entry]
    assert len(ctl.read(session(516))) == 1
    assert switch.state.require().device.clone_sessions == {515: ((3, 1),), 516: ((5, 1),)}

    # registers: BMv2 cannot read them over P4Runtime; the embedded switch can
    name = "MyIngress.stage0.counter_first"
    rid = next(r.id for r in E.ids.registers.values() if r.name == name)
    switch.state.require().device.registers[name].cells[2] = 300
    (cell,) = ctl.read(p4r.Entity(register_entry=p4r.RegisterEntry(
        register_id=rid, index=p4r.Index(index=2))))
    assert cell.register_entry.data.bitstring == b"\x01\x2c"
    whole = ctl.read(p4r.Entity(register_entry=p4r.RegisterEntry(register_id=rid)))
    assert [e.register_entry.index.index for e in whole] == list(range(8))
    err = ctl.read_error(p4r.Entity(register_entry=p4r.RegisterEntry(
        register_id=rid, index=p4r.Index(index=8))))
    assert err.code.name == "OUT_OF_RANGE"
    errors = ctl.write([p4r.Update(type=MODIFY, entity=p4r.Entity(
        register_entry=p4r.RegisterEntry(register_id=rid, index=p4r.Index(index=0))))])
    assert errors == {0: ("UNIMPLEMENTED", "Register writes are not supported yet")}


def test_arbitration_primary_backup_takeover(switch: EmbeddedSwitch) -> None:
    with Controller(switch.address, 3, 5) as a, Controller(switch.address, 3, 9) as b:
        first = a.arbitrate().arbitration
        assert (first.status.code, first.status.message) == (0, "Is primary")
        a.request(a.set_pipeline(P4INFO))
        assert a.write([E.update(INSERT, exit_entry(1))]) == {}

        took = b.arbitrate().arbitration  # a higher election id takes over
        assert (took.status.code, took.election_id.low) == (0, 9)
        told = a.receive().arbitration  # and the old primary is told
        assert (told.status.message, told.election_id.low) == ("Is backup", 9)
        assert told.status.code == 6  # ALREADY_EXISTS
        err = a.error_of(a.write_request([E.update(INSERT, exit_entry(2))]))
        assert (err.code.name, err.message) == ("PERMISSION_DENIED", "Not primary")
        err = a.error_of(a.set_pipeline(P4INFO))
        assert err.code.name == "PERMISSION_DENIED"
        assert len(a.read(p4r.Entity(table_entry=p4r.TableEntry()))) == 1  # backups read
        assert b.write([E.update(INSERT, exit_entry(2))]) == {}

        with Controller(switch.address, 3, 9) as c:  # an election id taken: the stream ends
            c.send(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
                device_id=3, election_id=p4r.Uint128(low=9))))
            with pytest.raises(Exception, match="Election id already exists"):
                c.receive()
        with Controller(switch.address, 3, 2) as d:  # a lower one is a backup, told alone
            assert d.arbitrate().arbitration.status.message == "Is backup"
    # no controller left: a write with an election id is refused, one without taken
    with Controller(switch.address, 3, 1) as e:
        err = e.error_of(e.write_request([E.update(INSERT, exit_entry(3))]))
        assert err.code.name == "PERMISSION_DENIED"
        e.election_id = None
        assert e.write([E.update(INSERT, exit_entry(3))]) == {}


def test_the_old_primary_leaving_promotes_the_next(switch: EmbeddedSwitch) -> None:
    with Controller(switch.address, 3, 5) as a:
        a.arbitrate()
        with Controller(switch.address, 3, 9) as b:
            b.arbitrate()
            assert a.receive().arbitration.status.message == "Is backup"
        back = a.receive().arbitration
        assert (back.status.message, back.election_id.low) == ("Is primary", 5)


def test_another_device_id(ctl: Controller, switch: EmbeddedSwitch) -> None:
    with Controller(switch.address, device_id=4, election_id=1) as other:
        assert other.arbitrate().arbitration.status.code == 0  # PI arbitrates any device id
        err = other.error_of(p4r.GetForwardingPipelineConfigRequest(device_id=4))
        assert err.code.name == "FAILED_PRECONDITION" and err.is_pipeline_missing
        err = other.error_of(other.write_request([E.update(INSERT, exit_entry(1))]))
        assert err.code.name == "FAILED_PRECONDITION"
        err = other.error_of(other.set_pipeline(P4INFO))
        assert (err.code.name, err.message) == ("NOT_FOUND",
                                                "Device 4 not found (this switch is device 3)")
        err = other.read_error(p4r.Entity(table_entry=p4r.TableEntry()))
        assert err.code.name == "FAILED_PRECONDITION"


def test_counter_reads_and_resets(ctl: Controller, switch: EmbeddedSwitch) -> None:
    name = "MyIngress.stage0.counter_packets"
    info = next(c for c in E.ids.counters.values() if c.name == name)
    cells = switch.state.require().device.counters[name].cells
    cells.packets[3] = 7
    cells.bytes[3] = 700
    (one,) = ctl.read(p4r.Entity(counter_entry=p4r.CounterEntry(
        counter_id=info.id, index=p4r.Index(index=3))))
    assert (one.counter_entry.data.packet_count, one.counter_entry.data.byte_count) == (7, 700)
    whole = ctl.read(p4r.Entity(counter_entry=p4r.CounterEntry(counter_id=info.id)))
    assert [e.counter_entry.index.index for e in whole] == list(range(info.size))
    assert sum(e.counter_entry.data.packet_count for e in whole) == 7
    every = ctl.read(p4r.Entity(counter_entry=p4r.CounterEntry()))
    assert len(every) == sum(c.size for c in E.ids.counters.values())
    reset = p4r.CounterEntry(counter_id=info.id, index=p4r.Index(index=3),
                             data=p4r.CounterData(packet_count=0, byte_count=0))
    assert ctl.write([p4r.Update(type=MODIFY, entity=p4r.Entity(counter_entry=reset))]) == {}
    assert (cells.packets[3], cells.bytes[3]) == (0, 0)
    err = ctl.read_error(p4r.Entity(counter_entry=p4r.CounterEntry(counter_id=12345)))
    assert (err.code.name, err.message) == ("INVALID_ARGUMENT", "Invalid P4 id")


def test_large_reads_come_in_several_replies(ctl: Controller,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from p4sfc_compiler.switch import p4rt_server

    monkeypatch.setattr(p4rt_server, "READ_CHUNK", 3)
    entries = [exit_entry(c) for c in range(1, 5)] + [claim(p, 1) for p in range(1, 4)]
    assert ctl.write([E.update(INSERT, te) for te in entries]) == {}
    got = ctl.read(p4r.Entity(table_entry=p4r.TableEntry()))
    assert sorted(e.table_entry.SerializeToString() for e in got) == sorted(
        ctl.read(p4r.Entity(table_entry=te))[0].table_entry.SerializeToString()
        for te in entries)


@pytest.mark.parametrize("params", [ProgramParams(), PARAMS])
def test_the_index_of_a_p4info_message_is_its_text_read_back(params: ProgramParams) -> None:
    info = p4info_of(params)
    assert p4info_index(info) == P4InfoIndex.from_text(text_format.MessageToString(info))
    assert p4info_index(info) == P4InfoIndex.from_text(render_p4info(build_program(params)))
