"""Idle timeout on BMv2 against the embedded switch (tools): the same P4Runtime scenario
(``test_idle_p4rt.run_scenario``) through the runtime client on both, at BMv2's own sweep
cadence (1 s): the same refusals, TTLs read back, times since the last hit within a
tolerance, the same rewritten frame, and the same notifications at the same times
(the first once the TTL has passed, at the next sweep; again two sweeps later)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.bmv2 import Netns, Switch, Wire, compile_p4, unavailable
from support.idle import IN_PORT, MS, OUT_PORT, PARAMS
from test_idle_p4rt import P4INFO, Observed, check_common, key, run_scenario

from p4sfc_compiler.backend.render_p4 import render_p4
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.switch.ageing import SWEEP_INTERVAL_S
from p4sfc_compiler.switch.embedded import EmbeddedSwitch

REASON = unavailable()

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]

TTL_MS = 1500
IDLE_S = 0.5


@pytest.fixture(scope="module")
def bmv2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Switch, Wire, bytes]]:
    work: Path = tmp_path_factory.mktemp("idle")
    device_json = compile_p4(render_p4(PARAMS), work).read_bytes()
    ns = Netns()
    switch = None
    wire = None
    try:
        for port in (IN_PORT, OUT_PORT):
            ns.veth(f"s1p{port}", f"s1h{port}")
        switch = Switch(ns, "s1", [IN_PORT, OUT_PORT], 0, work, 9291)
        switch.client.close()  # the runtime client is the controller here
        switch.client = None
        wire = Wire({p: ns.packet_socket(f"s1h{p}") for p in (IN_PORT, OUT_PORT)})
        yield switch, wire, device_json
    finally:
        if wire is not None:
            wire.close()
        if switch is not None:
            switch.stop()
        ns.close()


def test_bmv2_and_the_embedded_switch_age_entries_alike(bmv2: tuple[Switch, Wire, bytes]
                                                        ) -> None:
    switch, wire, device_json = bmv2
    assert SWEEP_INTERVAL_S == 1.0

    async def one(address: str, config: bytes, send) -> Observed:  # type: ignore[no-untyped-def]
        async with Connection("s1", address, 0, election_id=5) as conn:
            await conn.set_pipeline(P4INFO, config)
            return await run_scenario(conn, send, TTL_MS, IDLE_S, notes=2, wait_s=7.0)

    with EmbeddedSwitch(device_id=0) as emb:
        async def both() -> list[Observed]:
            return list(await asyncio.gather(
                one(f"unix:{switch.socket_path}", device_json,
                    lambda f: wire.send(IN_PORT, f)),
                one(emb.address, b"", lambda f: emb.send(IN_PORT, f))))
        real, model = asyncio.run(both())
        model_out = emb.collect(OUT_PORT)
    real_out = wire.collect(quiet=0.3)[OUT_PORT]

    for seen in (real, model):
        check_common(seen, TTL_MS, IDLE_S)
    assert real.refused == model.refused
    assert real.read_refused.split(": ", 1)[1] == model.read_refused.split(": ", 1)[1]
    for k in (key(1), key(2), key(3)):
        a, b = real.first_read[k], model.first_read[k]
        assert (a.value, a.idle_timeout_ns) == (b.value, b.idle_timeout_ns)
        assert a.elapsed_ns is not None and b.elapsed_ns is not None
        assert abs(a.elapsed_ns - b.elapsed_ns) <= 150 * MS, k
    assert real_out == model_out and len(real_out) == 1  # the same rewritten frame

    for seen in (real, model):
        assert [n.entries for _, n in seen.notes] == [((key(1), TTL_MS * MS),)] * 2
        (t1, _), (t2, _) = seen.notes
        # the first sweep after the TTL (PI adds up to 100 ms of buffering)
        assert TTL_MS / 1000 <= t1 <= TTL_MS / 1000 + SWEEP_INTERVAL_S + 0.3
        assert 2 * SWEEP_INTERVAL_S - 0.3 <= t2 - t1 <= 2 * SWEEP_INTERVAL_S + 0.3
