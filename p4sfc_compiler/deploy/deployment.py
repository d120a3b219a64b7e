"""A compiled deployment running in this process.

:class:`Deployment` starts one :class:`EmbeddedSwitch` per topology switch (P4Runtime on
a free loopback port), loads OUT's program and entries onto them with the project's own
client (``runtime.apply``: the path a real deployment takes), and builds each server's
configuration. :meth:`Deployment.inject` then carries one frame to completion: what a
switch sends to a server port goes through that server and back into the same port,
what it sends to a linked port enters the other switch, and what leaves any other port
is the deployment's output on that port. Counters are read back over P4Runtime
(``runtime.status``) for the switch part and from the server's elements for the rest.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from p4sfc_compiler.dataplane.wire import ETH_LEN, ETHERTYPE_SFC, SFC, SFC_LEN, SFC_NF
from p4sfc_compiler.deploy.click_server import ClickServer
from p4sfc_compiler.deploy.servers import (
    Count,
    ElementKey,
    EngineServer,
    Server,
    SinkServer,
)
from p4sfc_compiler.deploy.statesync import StateSync
from p4sfc_compiler.deploy.wiring import PortId, Wiring, load_wiring
from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.runtime.apply import Target, apply_switches
from p4sfc_compiler.runtime.outdir import OutDir, SwitchPlan, load_out_dir
from p4sfc_compiler.runtime.pipeline import NO_JSON
from p4sfc_compiler.runtime.status import status_switch
from p4sfc_compiler.state.modes import NON_BLOCKING, OFF, SYNC_MODES
from p4sfc_compiler.switch.embedded import EmbeddedSwitch

# A frame running in circles (a link loop, a server that answers itself) is cut here.
MAX_HOPS = 64


@dataclass(frozen=True)
class PacketRun:
    """What one input frame did: pipeline passes on all switches (recirculations
    included), server visits, and the frames it left as (switch, port, bytes)."""

    passes: int
    server_visits: int
    outputs: tuple[tuple[str, int, bytes], ...]


@dataclass
class RunTotals:
    packets: int = 0
    passes: int = 0
    server_visits: int = 0
    never_left_switch: int = 0  # packets that no server saw
    outputs: dict[PortId, list[bytes]] = field(default_factory=dict)
    # frames sent to servers by (chain id, first NF id, entry) of their SFC header
    server_entries: Counter[tuple[int, int, int]] = field(default_factory=Counter)

    def add(self, run: PacketRun) -> None:
        self.packets += 1
        self.passes += run.passes
        self.server_visits += run.server_visits
        self.never_left_switch += run.server_visits == 0
        for sw, port, frame in run.outputs:
            self.outputs.setdefault((sw, port), []).append(frame)


class Deployment:
    """OUT (a ``p4sfc compile`` folder) deployed on embedded switches and engine servers.
    A context manager: everything it started stops on exit."""

    def __init__(self, out: Path, *, nf_runner: str = "engine", timeout: float = 5.0,
                 state: str = NON_BLOCKING) -> None:
        if nf_runner not in ("engine", "click"):
            raise P4SFCError(f"--nf-runner {nf_runner}: engine or click")
        if state not in SYNC_MODES:
            raise P4SFCError(f"--state-sync {state}: one of {', '.join(SYNC_MODES)}")
        self.nf_runner = nf_runner
        self.state_mode = state
        self.state: StateSync | None = None
        self.out_path = out
        self.out: OutDir = load_out_dir(out)
        self.wiring: Wiring = load_wiring(out)
        self.timeout = timeout
        self.switches: dict[str, EmbeddedSwitch] = {}
        self.servers: dict[PortId, Server] = {}
        self.totals = RunTotals()

    # -- life ---------------------------------------------------------------------

    def __enter__(self) -> Deployment:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        for name in sorted(self.wiring.switches):
            sw = EmbeddedSwitch(device_id=self.wiring.device_ids[name])
            self.switches[name] = sw.start()
        self._apply(list(self.switches))
        for k, (port, site) in enumerate(sorted(self.wiring.servers.items())):
            if site.config is None:
                self.servers[port] = SinkServer(site)
            elif self.nf_runner == "click":
                self.servers[port] = ClickServer(site, k)
            else:
                self.servers[port] = EngineServer(site)
        if self.state_mode != OFF:
            self._start_state()

    def _apply(self, names: list[str]) -> None:
        targets = [Target(self._plan(n), self.switches[n].address, self.switches[n].device_id)
                   for n in names]
        results = asyncio.run(apply_switches(self.out, targets, device_config=NO_JSON,
                                             timeout=self.timeout))
        failed = [r for r in results if r.failures]
        if failed:
            raise P4SFCError(f"{self.out_path}: apply failed on switch {failed[0].switch}: "
                             f"{failed[0].failures[0].one_line()}")

    def restart_switch(self, name: str, *, keep_state: bool = False) -> None:
        """Stop switch ``name`` and serve again on its address. With ``keep_state`` the
        device keeps its program and entries (only the connections dropped); otherwise
        it comes back empty, as a restarted switch does, and OUT is applied again (the
        operator's part). The state library reconnects and re-installs on its own."""
        old = self.switches[name]
        old.stop(grace=0)
        if keep_state:
            old.requested = old.address
            old.start()
            return
        sw = EmbeddedSwitch(old.address, device_id=old.device_id)
        self.switches[name] = sw.start()
        self._apply([name])

    def _start_state(self) -> None:
        addresses = {n: (sw.address, sw.device_id) for n, sw in self.switches.items()}
        self.state = StateSync(self.out_path, self.out.index, addresses,
                               method=self.state_mode)
        for server in self.servers.values():
            if isinstance(server, EngineServer):
                self.state.attach(server.site, dict(server.engine.elements))
            elif isinstance(server, ClickServer):
                self.state.attach_click(server.site, server)

    def stop(self) -> None:
        if self.state is not None:
            self.state.close()
            self.state = None
        for server in self.servers.values():
            server.close()
        self.servers.clear()
        for sw in self.switches.values():
            sw.stop(grace=0)
        self.switches.clear()

    def _plan(self, name: str) -> SwitchPlan:
        # a topology switch without entries still forwards nothing: it gets an empty plan
        return self.out.switches.get(name) or SwitchPlan(name, "", self.wiring.device_ids[name])

    # -- frames -------------------------------------------------------------------

    def _passes(self) -> int:
        total = 0
        for sw in self.switches.values():
            loaded = sw.state.loaded
            total += getattr(loaded.pipeline, "passes", 0) if loaded is not None else 0
        return total

    def inject(self, switch: str, port: int, frame: bytes) -> PacketRun:
        """One frame into ``switch``'s ``port``, carried until nothing of it moves."""
        if switch not in self.switches:
            raise P4SFCError(f"no switch {switch} (switches: {', '.join(self.switches)})")
        if port not in self.wiring.switches[switch]:
            raise P4SFCError(f"switch {switch} has no port {port}")
        before = self._passes()
        visits = 0
        outputs: list[tuple[str, int, bytes]] = []
        work = deque([(switch, port, frame, 0)])
        while work:
            sw_name, in_port, data, hops = work.popleft()
            sw = self.switches[sw_name]
            sw.send(in_port, data)
            for p in self.wiring.switches[sw_name]:
                for out in sw.collect(p):
                    here = (sw_name, p)
                    if hops >= MAX_HOPS:
                        continue
                    server = self.servers.get(here)
                    if server is not None:
                        visits += 1
                        self.totals.server_entries[_entry_of(out)] += 1
                        work.extend((sw_name, p, back, hops + 1) for back in server.push(out))
                    elif here in self.wiring.links:
                        peer_sw, peer_port = self.wiring.links[here]
                        work.append((peer_sw, peer_port, out, hops + 1))
                    else:
                        outputs.append((sw_name, p, out))
        run = PacketRun(self._passes() - before, visits, tuple(outputs))
        self.totals.add(run)
        if self.state is not None:
            self.state.tick()
        return run

    # -- counters -----------------------------------------------------------------

    def switch_counts(self) -> dict[ElementKey, Count]:
        """Each counting element's switch part, read over P4Runtime as p4sfc status does."""
        counts: dict[ElementKey, Count] = {}
        for name, sw in self.switches.items():
            if name not in self.out.switches:
                continue
            target = Target(self.out.switches[name], sw.address, sw.device_id)
            st = asyncio.run(status_switch(self.out, target, timeout=self.timeout))
            for c in st.counters:
                key = (c.chain, c.nf, c.element)
                have = counts.get(key, Count(0, 0))
                counts[key] = Count(have.packets + (c.packets or 0),
                                    have.bytes + (c.bytes or 0))
        return counts

    def alerts(self) -> int:
        """Alert copies that reached the servers' alert sinks."""
        return sum(server.alerts() for server in self.servers.values())

    def server_counts(self) -> dict[ElementKey, Count]:
        counts: dict[ElementKey, Count] = {}
        for server in self.servers.values():
            for key, c in server.counts().items():
                have = counts.get(key, Count(0, 0))
                counts[key] = Count(have.packets + c.packets, have.bytes + c.bytes)
        return counts


def _entry_of(frame: bytes) -> tuple[int, int, int]:
    """(chain id, first NF id, entry) of a frame the switch sends a server; zeros for a
    frame without an SFC header (an Alert copy of an untagged frame)."""
    if len(frame) < ETH_LEN + SFC_LEN or int.from_bytes(frame[12:14], "big") != ETHERTYPE_SFC:
        return (0, 0, 0)
    sfc = SFC.unpack(frame[ETH_LEN:])
    nf = SFC_NF.unpack(frame[ETH_LEN + SFC_LEN:])["nfId"] if sfc["nfCount"] else 0
    return (sfc["chainId"], nf, sfc["entry"])
