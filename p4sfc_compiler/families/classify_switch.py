"""The switch model of the ``classify`` kind (IPFilter, IPClassifier, Classifier): a
ternary table per stage, the narrow ``classify_ip`` (table 0 of the kind) or the wide
``classify`` as ``exec_classify``'s table parameter says; ``set_port`` picks the output,
``drop_packet`` (a deny rule) and a miss drop. Twin of
``p4/templates/elements/classify.p4.j2``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import PacketState
from p4sfc_compiler.dataplane.program import KIND_SPECS, TABLE_PARAM
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.kind_model import KindRun, StageResources

_NARROW, _WIDE = (t.name for t in KIND_SPECS["classify"].tables)


def classify_model(res: StageResources) -> KindRun:
    narrow, wide = res.tables[_NARROW], res.tables[_WIDE]
    sel_at = res.param(TABLE_PARAM)
    set_port = res.action("set_port")
    port_at = res.action_param("set_port", "port")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        table = narrow if params[sel_at] == 0 else wide
        hit = table.lookup(table.key(st))
        if hit is not None and hit.action == set_port:
            st.out_port = hit.params[port_at]
        else:
            st.out_port = DROP_PORT
    return run
