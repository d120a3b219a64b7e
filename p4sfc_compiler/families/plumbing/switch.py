"""The switch models of the plumbing kinds: ``paint`` (the paint annotation), ``discard``,
``alert`` (an ingress-to-egress clone to the element's session) and ``forward`` (leave
the chain by a port). Twins of their blocks in ``p4/templates/elements/``."""

from __future__ import annotations

from p4sfc_compiler.dataplane.packet import PacketState
from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.families.kind_model import KindRun, StageResources


def paint_model(res: StageResources) -> KindRun:
    color_at = res.param("color")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        st.paint = params[color_at]
        st.out_port = 0
    return run


def discard_model(res: StageResources) -> KindRun:
    def run(st: PacketState, params: tuple[int, ...]) -> None:
        st.out_port = DROP_PORT
    return run


def alert_model(res: StageResources) -> KindRun:
    session_at = res.param("session")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        # clone(I2E, session): the last call of a pass wins; the copy is made after ingress.
        st.clone_session = params[session_at]
        st.out_port = 0
    return run


def forward_model(res: StageResources) -> KindRun:
    port_at = res.param("port")

    def run(st: PacketState, params: tuple[int, ...]) -> None:
        st.egress_spec = params[port_at]
        st.forwarded = 1
    return run
