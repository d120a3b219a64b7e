"""A blocking P4Runtime controller for tests, over finsy's low-level ``P4Client`` (each
controller runs its own event loop), and builders of table-entry updates by name."""

from __future__ import annotations

import asyncio
from typing import Any

from finsy import P4Client, P4ClientError
from finsy.proto import p4i, p4r
from google.protobuf import text_format

from p4sfc_compiler.dataplane.program import ProgramParams, build_program
from p4sfc_compiler.p4info.write import render_p4info
from p4sfc_compiler.switch.p4rt_ids import ProgramIds

CFG = p4r.SetForwardingPipelineConfigRequest


def p4info_of(params: ProgramParams) -> Any:
    """The P4Info message of the p4sfc program with ``params``."""
    return text_format.Parse(render_p4info(build_program(params)), p4i.P4Info())


def u128(n: int) -> Any:
    return p4r.Uint128(high=n >> 64, low=n & (2**64 - 1))


class Controller:
    """One P4Runtime client; ``election_id`` None: no arbitration, no election id sent."""

    def __init__(self, address: str, device_id: int = 0, election_id: int | None = 1) -> None:
        self.loop = asyncio.new_event_loop()
        self.address = address
        self.device_id = device_id
        self.election_id = election_id
        self.client = P4Client(address, wait_for_ready=False)
        self.run(self.client.open())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.client.close())
        self.loop.close()

    def __enter__(self) -> Controller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stream -------------------------------------------------------------------

    def arbitrate(self, election_id: int | None = None) -> Any:
        """Send a MasterArbitrationUpdate and return the answer."""
        if election_id is not None:
            self.election_id = election_id
        assert self.election_id is not None
        self.run(self.client.send(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
            device_id=self.device_id, election_id=u128(self.election_id)))))
        return self.receive()

    def receive(self, timeout: float = 3.0) -> Any:
        return self.run(asyncio.wait_for(self.client.receive(), timeout))

    def send(self, msg: Any) -> None:
        self.run(self.client.send(msg))

    # -- unary --------------------------------------------------------------------

    def request(self, msg: Any) -> Any:
        return self.run(self.client.request(msg))

    def error_of(self, msg: Any) -> P4ClientError:
        """The P4ClientError ``msg`` is answered with (fails the test when it succeeds)."""
        try:
            self.request(msg)
        except P4ClientError as exc:
            return exc
        raise AssertionError(f"{type(msg).__name__} succeeded")

    def set_pipeline(self, p4info: Any, action: int = CFG.VERIFY_AND_COMMIT,
                     device_config: bytes = b"", cookie: int | None = None) -> Any:
        config = p4r.ForwardingPipelineConfig(p4info=p4info, p4_device_config=device_config)
        if cookie is not None:
            config.cookie.cookie = cookie
        req = p4r.SetForwardingPipelineConfigRequest(device_id=self.device_id, action=action,
                                                     config=config)
        if self.election_id is not None:
            req.election_id.CopyFrom(u128(self.election_id))
        return req

    def write_request(self, updates: list[Any]) -> Any:
        req = p4r.WriteRequest(device_id=self.device_id, updates=updates,
                               atomicity=p4r.WriteRequest.CONTINUE_ON_ERROR)
        if self.election_id is not None:
            req.election_id.CopyFrom(u128(self.election_id))
        return req

    def write(self, updates: list[Any]) -> dict[int, tuple[str, str]]:
        """Write a batch; the failed updates by index: (code name, message)."""
        try:
            self.request(self.write_request(updates))
        except P4ClientError as exc:
            assert exc.details, f"no per-update details: {exc.code.name} {exc.message}"
            return {i: (e.canonical_code.name, e.message) for i, e in exc.details.items()}
        return {}

    def read_error(self, *entities: Any) -> P4ClientError:
        """The error a Read of ``entities`` is answered with."""
        try:
            self.read(*entities)
        except P4ClientError as exc:
            return exc
        raise AssertionError("the Read succeeded")

    def read(self, *entities: Any) -> list[Any]:
        async def go() -> list[Any]:
            out = []
            async for reply in self.client.request_iter(p4r.ReadRequest(
                    device_id=self.device_id, entities=list(entities))):
                out += list(reply.entities)
            return out
        return self.run(go())


class Entries:
    """Table-entry updates by name through a program's ids."""

    def __init__(self, p4info: Any) -> None:
        self.ids = ProgramIds.from_p4info(p4info)

    def entry(self, table: str, match: dict[str, Any], action: str | None = None,
              params: dict[str, int] | None = None, priority: int = 0) -> Any:
        """A TableEntry; match values: int (exact), (value, mask) ternary, or
        ("lpm", value, prefix length); values given as bytes are sent as they are."""
        tid = self.ids.table_ids[table]
        te = p4r.TableEntry(table_id=tid, priority=priority)
        widths = {f.name: (f.bitwidth + 7) // 8 for f in self.ids.tables[tid].fields.values()}
        for name, v in match.items():
            fm = te.match.add()
            fm.field_id = self.ids.field_ids[(tid, name)]
            w = widths[name]
            if isinstance(v, tuple) and v[0] == "lpm":
                fm.lpm.value = _b(v[1], w)
                fm.lpm.prefix_len = v[2]
            elif isinstance(v, tuple):
                fm.ternary.value = _b(v[0], w)
                fm.ternary.mask = _b(v[1], w)
            else:
                fm.exact.value = _b(v, w)
        if action is not None:
            aid = self.ids.action_ids[action]
            te.action.action.action_id = aid
            for pname, pv in (params or {}).items():
                p = te.action.action.params.add()
                p.param_id = self.ids.param_ids[(aid, pname)]
                pw = (self.ids.actions[aid].params[p.param_id].bitwidth + 7) // 8
                p.value = _b(pv, pw)
        return te

    @staticmethod
    def update(kind: int, te: Any) -> Any:
        return p4r.Update(type=kind, entity=p4r.Entity(table_entry=te))


def _b(v: int | bytes, width: int) -> bytes:
    return v if isinstance(v, bytes) else v.to_bytes(width, "big")
