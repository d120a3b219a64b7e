"""The embedded switch's pipeline under test, wired like a BMv2 ``Lab``: one device and
pipeline per topology switch, loaded with the compile output's runtime JSON; frames sent
to a switch port run through the pipeline, frames leaving on a linked port enter the
switch at the link's other end, the rest are collected per (switch, port)."""

from __future__ import annotations

import json
from collections import deque

from p4sfc_compiler.dataplane.match import Entry
from p4sfc_compiler.switch.device import Device, program_params_from_p4info
from p4sfc_compiler.switch.pipeline import Pipeline

Port = tuple[str, int]


class EmbeddedLab:
    def __init__(self, files: dict[str, str], topology) -> None:
        params = program_params_from_p4info(files["p4/p4sfc.p4info.txtpb"])
        self.devices: dict[str, Device] = {}
        self.pipelines: dict[str, Pipeline] = {}
        for name in topology.switches:
            device = Device.from_params(params)
            runtime = files.get(f"switches/{name}-runtime.json")
            if runtime:
                device.load_runtime_json(json.loads(runtime))
            self.devices[name] = device
            self.pipelines[name] = Pipeline(device)
        self.links: dict[Port, Port] = {}
        for lk in topology.links:
            self.links[(lk.a, lk.a_port)] = (lk.b, lk.b_port)
            self.links[(lk.b, lk.b_port)] = (lk.a, lk.a_port)
        self.outside = [(name, p) for name, sw in topology.switches.items() for p in sw.ports
                        if (name, p) not in self.links]
        self._got: dict[Port, list[bytes]] = {p: [] for p in self.outside}

    def insert(self, switch: str, entries: list[Entry]) -> None:
        for e in entries:
            self.devices[switch].table(e.table).insert(e)

    def send(self, where: Port, frame: bytes) -> None:
        pending = deque([(where, frame)])
        while pending:
            (sw, port), data = pending.popleft()
            for out_port, out in self.pipelines[sw].process(port, data):
                there = (sw, out_port)
                if there in self.links:
                    pending.append((self.links[there], out))
                elif there in self._got:
                    self._got[there].append(out)
                # a port the topology does not have: the frame is lost, as on BMv2

    def collect(self) -> dict[Port, list[bytes]]:
        got, self._got = self._got, {p: [] for p in self.outside}
        return got

    def counter(self, switch: str, name: str) -> list[int]:
        """A counter extern's packet counts, by index."""
        return list(self.devices[switch].counters[name].cells.packets)
