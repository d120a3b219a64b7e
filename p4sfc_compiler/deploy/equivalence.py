"""Equivalence of a deployment and its software chain on one trace.

Both run each frame to completion before the next, so the comparison is per input
frame: the frames it leaves on each egress port (bytes and order, hence order within
every flow) and whether it is dropped. Then each counting element's count: the switch
part (read over P4Runtime) plus the server part must equal the software count.

Known difference (a compiler matter, reported, not hidden): a frame that visited a
server leaves with the Ethernet addresses the generated server configuration writes
(``backend/clickgen.py``: ``EtherEncap`` with ``SERVER_MAC`` / ``SWITCH_MAC``; the
original header is stripped with the SFC header and no stock Click element can copy it
back), where the software chain keeps the frame's own. ``strict_macs=False`` compares
such frames from the EtherType on and counts them in ``Verdict.macs_rewritten``; every
other byte, every drop and every counter is still compared exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from p4sfc_compiler.deploy.deployment import Deployment, PacketRun
from p4sfc_compiler.deploy.servers import Count, ElementKey
from p4sfc_compiler.deploy.software import SoftwareChains

Output = tuple[str, int, bytes]


@dataclass(frozen=True)
class Difference:
    index: int  # input frame (0-based); -1 for a counter
    what: str
    deployed: str
    software: str

    def one_line(self) -> str:
        where = f"frame {self.index}" if self.index >= 0 else "counters"
        return f"{where}: {self.what}: deployment {self.deployed}, software {self.software}"


@dataclass
class Verdict:
    frames: int = 0
    claimed: int = 0
    outputs: int = 0
    dropped: int = 0
    macs_rewritten: int = 0  # frames equal but for the Ethernet addresses (see above)
    alerts: tuple[int, int] = (0, 0)  # alert copies: deployment's sinks, software's Alerts
    differences: list[Difference] = field(default_factory=list)
    runs: list[PacketRun] = field(default_factory=list)
    counts: dict[ElementKey, tuple[Count, Count, Count]] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return not self.differences

    @property
    def first(self) -> Difference | None:
        return self.differences[0] if self.differences else None


def _show(outs: Sequence[Output]) -> str:
    if not outs:
        return "dropped it"
    return "; ".join(f"{sw}:{port} {len(b)} bytes {b.hex()}" for sw, port, b in outs)


def _first_byte(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)))


ETH_ADDRS = 12  # destination + source address: the bytes strict_macs=False leaves out


def same_but_macs(deployed: Sequence[Output], software: Sequence[Output]) -> bool:
    return len(deployed) == len(software) and all(
        (s1, p1) == (s2, p2) and a[ETH_ADDRS:] == b[ETH_ADDRS:]
        for (s1, p1, a), (s2, p2, b) in zip(deployed, software, strict=True))


def compare_frame(index: int, deployed: Sequence[Output], software: Sequence[Output]
                  ) -> Difference | None:
    if list(deployed) == list(software):
        return None
    if len(deployed) == len(software):
        for (s1, p1, a), (s2, p2, b) in zip(deployed, software, strict=True):
            if (s1, p1) != (s2, p2):
                return Difference(index, "egress port", f"{s1}:{p1}", f"{s2}:{p2}")
            if a != b:
                return Difference(index, f"bytes differ from byte {_first_byte(a, b)}",
                                  a.hex(), b.hex())
    return Difference(index, "outputs", _show(deployed), _show(software))


def run_both(deployment: Deployment, software: SoftwareChains,
             trace: Sequence[tuple[str, int, bytes]], *, strict_macs: bool = True,
             limit: int = 20) -> Verdict:
    """Every (switch, port, frame) of ``trace`` into both; at most ``limit`` frame
    differences are kept (the first is the one to look at)."""
    v = Verdict()
    for i, (sw, port, frame) in enumerate(trace):
        run = deployment.inject(sw, port, frame)
        soft = software.push(sw, port, frame)
        v.runs.append(run)
        v.frames += 1
        v.outputs += len(run.outputs)
        v.dropped += not run.outputs
        diff = compare_frame(i, run.outputs, soft)
        if (diff is not None and not strict_macs and run.server_visits
                and same_but_macs(run.outputs, soft)):
            v.macs_rewritten += 1
            diff = None
        if diff is not None and len(v.differences) < limit:
            v.differences.append(diff)
    v.claimed = software.claimed
    on_switch, on_server, soft_counts = (deployment.switch_counts(),
                                         deployment.server_counts(), software.counts())
    # An Alert run on a server is the Counter of its server form there: its count is
    # alerts too, not a counting element's.
    server_alerts = sum(c.packets for k, c in on_server.items() if k in software.alert_elements)
    on_server = {k: c for k, c in on_server.items() if k not in software.alert_elements}
    v.alerts = (deployment.alerts() + server_alerts, software.alerts())
    if v.alerts[0] != v.alerts[1]:
        v.differences.append(Difference(-1, "alert copies", str(v.alerts[0]),
                                        str(v.alerts[1])))
    for key in sorted(set(on_switch) | set(on_server) | set(soft_counts)):
        sw_c = on_switch.get(key, Count(0, 0))
        srv = on_server.get(key, Count(0, 0))
        soft_c = soft_counts.get(key, Count(0, 0))
        v.counts[key] = (sw_c, srv, soft_c)
        if (sw_c.packets + srv.packets, sw_c.bytes + srv.bytes) != (soft_c.packets, soft_c.bytes):
            v.differences.append(Difference(
                -1, f"{'/'.join(key)} packets/bytes",
                f"{sw_c.packets}+{srv.packets} packets, {sw_c.bytes}+{srv.bytes} bytes "
                "(switch+server)", f"{soft_c.packets} packets, {soft_c.bytes} bytes"))
    return v
