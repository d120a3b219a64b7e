"""The switch model of the ``classify`` kind (IPFilter, IPClassifier, Classifier): one
ternary table per stage; ``set_port`` picks the output, ``drop_packet`` (a deny rule) and
a miss drop. Twin of ``p4/templates/elements/classify.p4.j2``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import PacketState
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.kind_model import KindRun, StageResources


def classify_model(res: StageResources) -> KindRun:
    table = res.tables["classify"]
    lookup, key = table.lookup, table.key
    set_port = res.action("set_port")
    port_at = res.action_param("set_port", "port")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        hit = lookup(key(st))
        if hit is not None and hit.action == set_port:
            st.out_port = hit.params[port_at]
        else:
            st.out_port = DROP_PORT
    return run
