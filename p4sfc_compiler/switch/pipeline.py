"""The pipeline model: the Python twin of the P4 program rendered from ``p4/templates/``
(``p4sfc.p4.j2`` and ``elements/*.p4.j2``), run over a :class:`~.device.Device`.

``Pipeline(device).process(in_port, frame)`` gives every frame that leaves the switch for
one frame in, as BMv2 ``simple_switch`` would send them: per pass the parser, checksum
verification, ``MyIngress`` (chain classification, the stages, exit or dispatch), an
ingress-to-egress clone for Alert (the frame as this pass received it, enqueued before
the original), ``mark_to_drop``, then egress, checksum update and deparser; a pass that
recirculates is parsed again from its deparsed bytes with only the preserved metadata
kept (``fields.METADATA``'s ``preserved`` fields), ahead of any later frame (BMv2 puts
recirculated packets at the front of its input buffer).

The stages only dispatch: each element kind's block is modelled in its family's
``switch.py`` (:data:`~p4sfc_compiler.families.kind_models.KIND_MODELS`), bound once per
stage to the stage's tables and registers. A template change is a model change in the
same commit; the differential tests against BMv2 (``tests/switch``) check the two agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from p4sfc_compiler.dataplane import wire
from p4sfc_compiler.dataplane.fields import TRANSPORT_KEY_LAYOUT
from p4sfc_compiler.dataplane.packet import (
    ETH_TYPE,
    IP_DST,
    IP_FRAG,
    IP_IHL,
    IP_LEN,
    IP_PROTO,
    NF_ID,
    PRESERVED_META,
    SFC,
    SFC_CHAIN,
    SFC_COUNT,
    SFC_ENTRY,
    SFC_TYPE,
    TCP_CSUM,
    UDP_CSUM,
    Lookup,
    PacketState,
    key_reader,
)
from p4sfc_compiler.dataplane.parser_model import l4_reach, transport_fields
from p4sfc_compiler.dataplane.program import (
    DST_FROM_IP,
    EXEC_COMMON,
    EXEC_COMMON_PARAM,
    EXEC_COMMON_PARAMS,
    INGRESS,
    INGRESS_ACTIONS,
    KIND_SPECS,
    TIMESTAMP_BITS,
    Program,
    push_chain_action,
    push_chain_params,
)
from p4sfc_compiler.dataplane.reserved import (
    BMV2_DROP_PORT,
    DROP_PORT,
    INPUT_ELEM_ID,
    MASK_BITS,
)
from p4sfc_compiler.families.kind_model import KindRun, StageResources, StageTable
from p4sfc_compiler.families.kind_models import KIND_MODELS
from p4sfc_compiler.switch.device import Device
from p4sfc_compiler.switch.frames import STACK_OUT_OF_BOUNDS, deparse, parse, update_checksums

# Passes one frame may take before the model gives up on it. BMv2 has no such limit; an
# entry set whose elements loop would recirculate there forever (each pass makes
# progress), here the frame is dropped instead of hanging the switch.
MAX_PASSES = 4096

_MASK = (1 << MASK_BITS) - 1
_M16 = 0xFFFF
_M32 = 0xFFFFFFFF
_TS_MASK = (1 << TIMESTAMP_BITS) - 1
_UDP_LEN = wire.L4_HEADER_LEN[wire.PROTO_UDP]
_TCP_LEN = wire.L4_HEADER_LEN[wire.PROTO_TCP]
_FLAGS_AT = wire.L4_PROBES[-1] - 1  # the byte the last probe reads (the TCP flags)
_NF_COUNT_MASK = (1 << wire.SFC.field("nfCount").bitwidth) - 1
# exec_<kind>'s packed common parameter: where it is, each part's shift and mask
_ELEMENT_AT = [n for n, _ in EXEC_COMMON_PARAMS].index(EXEC_COMMON_PARAM)
_ELEM, _EXIT, _DROP, _DST = (
    EXEC_COMMON.shift_mask(n) for n in ("elem_id", "exit_ports", "drop_ports", DST_FROM_IP))
# NF complete clears the port masks in meta.element, keeping the id (the pass ran it)
_KEEP_ON_NF_DONE = ~((_EXIT[1] << _EXIT[0]) | (_DROP[1] << _DROP[0]))

Stage = tuple[Lookup, Callable[[PacketState], tuple[int, ...]], dict[str, KindRun]]


def _table(device: Device, name: str) -> StageTable:
    spec = device.program.tables[name]
    return StageTable(device.tables[name].lookup, key_reader(tuple(k.field for k in spec.keys)))


def _param_at(params: tuple[tuple[str, int], ...], name: str) -> int:
    return [n for n, _ in params].index(name)


class Pipeline:
    """The program's behaviour over one device's state."""

    def __init__(self, device: Device, clock: Callable[[], int] = time.monotonic_ns) -> None:
        self.device = device
        program: Program = device.program
        params = program.params
        self.max_chain = params.max_chain
        self._clock = clock
        self._t0 = clock()
        self._classify_chain = _table(device, f"{INGRESS}.classify_chain")
        self._nf_dispatch = _table(device, f"{INGRESS}.nf_dispatch")
        self._chain_exit = _table(device, f"{INGRESS}.chain_exit")
        # each push_chain_<n> action's name, to its n (its NF ids follow the chain id)
        self._push = {f"{INGRESS}.{push_chain_action(n)}": n
                      for n in range(1, params.max_chain + 1)}
        self._push_chain_at = _param_at(push_chain_params(1), "chain_id")
        self._push_nf_at = tuple(_param_at(push_chain_params(params.max_chain), f"nf{i}")
                                 for i in range(params.max_chain))
        self._run_local = f"{INGRESS}.run_local"
        self._to_port = f"{INGRESS}.to_port"
        self._to_port_at = _param_at(INGRESS_ACTIONS["to_port"], "port")
        self._exit_chain = f"{INGRESS}.exit_chain"
        self._exit_port_at = _param_at(INGRESS_ACTIONS["exit_chain"], "port")
        self._forward_chain = f"{INGRESS}.forward_chain"
        self._forward_port_at = _param_at(INGRESS_ACTIONS["forward_chain"], "port")
        self._stages = [self._stage(s) for s in range(params.stages)]
        # pipeline passes run so far (each recirculation is one more): p4sfc run's
        # passes per packet
        self.passes = 0

    def _stage(self, s: int) -> Stage:
        device = self.device
        prefix = device.program.stage_prefix(s)
        control = _table(device, f"{prefix}.element_control")
        dispatch: dict[str, KindRun] = {}
        for kind in device.program.params.kinds:
            spec = KIND_SPECS[kind]
            res = StageResources(
                prefix=prefix,
                kind=kind,
                tables={t.name: _table(device, f"{prefix}.{t.name}") for t in spec.tables},
                registers={r: device.registers[f"{prefix}.{r}"].cells
                           for r, _ in spec.registers},
                counters={c: device.counters[f"{prefix}.{c}"].cells
                          for c, _ in spec.counters},
            )
            dispatch[f"{prefix}.exec_{kind}"] = KIND_MODELS[kind](res)
        return control.lookup, control.key, dispatch

    # ---- one frame ----

    def process(self, in_port: int, frame: bytes) -> list[tuple[int, bytes]]:
        """Every (egress port, frame) leaving the switch for ``frame`` arriving on
        ``in_port``, in the order the switch sends them."""
        out: list[tuple[int, bytes]] = []
        preserved: tuple[int, ...] | None = None
        for _ in range(MAX_PASSES):
            self.passes += 1
            st = PacketState(in_port, len(frame))
            if preserved is not None:
                for name, value in zip(PRESERVED_META, preserved, strict=True):
                    setattr(st, name, value)
            st.timestamp = ((self._clock() - self._t0) // 1000) & _TS_MASK
            parse(frame, st, self.max_chain)
            self._ingress(st)
            if st.clone_session is not None:
                # An I2E copy is the pass's packet as received, parsed again with fresh
                # metadata: no element ran on it, so it deparses to the same bytes.
                for port, _instance in self.device.clone_sessions.get(st.clone_session, ()):
                    out.append((port, frame))
            if st.egress_spec == BMV2_DROP_PORT:
                return out
            update_checksums(st)
            data = deparse(st)
            if st.recirc == 1:
                preserved = tuple(getattr(st, name) for name in PRESERVED_META)
                frame = data
                continue
            if st.trim == 1 and st.ipv4 is not None:
                # MyEgress: truncate(len) to the headers and the IP packet's total length.
                data = data[:self._trimmed_length(st)]
            out.append((st.egress_spec, data))
            return out
        return out

    @staticmethod
    def _trimmed_length(st: PacketState) -> int:
        ip = st.ipv4
        assert ip is not None
        length = wire.ETH_LEN + ip[IP_LEN]
        if st.sfc is not None:
            length += wire.SFC_LEN + wire.SFC_NF_LEN * st.sfc[SFC_COUNT]
        if st.ipv4_outer is not None:
            length += wire.IPV4_OUTER.fixed_bytes
        return length & 0xFFFFFFFF

    def _ingress(self, st: PacketState) -> None:
        transport_keys(st)
        # halted: no stage runs (any more) in this pass; set with every drop and wherever
        # the NF stack runs out
        if st.parser_error == STACK_OUT_OF_BOUNDS:
            st.dropped = st.halted = 1
        elif st.sfc is None:
            table = self._classify_chain
            hit = table.lookup(table.key(st))
            count = None if hit is None else self._push.get(hit.action)
            if hit is not None and count is not None:
                self._push_chain(st, count, hit.params)
            else:
                st.dropped = st.halted = 1
        elif st.sfc_nfs:
            st.nf_id = st.sfc_nfs[0][NF_ID]
        else:
            st.halted = 1
        for stage in self._stages:
            if st.halted == 1:
                break
            self._run_stage(st, stage)
        if st.l4_delta != 0:
            patch_l4_checksum(st)
        if st.dropped == 1:
            st.egress_spec = BMV2_DROP_PORT
        elif st.forwarded == 1:
            # Forward set the egress port; the packet leaves without its SFC header.
            self._untag(st)
        elif not st.sfc_nfs:
            table = self._chain_exit
            hit = table.lookup(table.key(st))
            if hit is None:
                st.egress_spec = BMV2_DROP_PORT
            elif hit.action == self._exit_chain:
                st.egress_spec = hit.params[self._exit_port_at]
                self._untag(st)
            else:
                st.egress_spec = hit.params[self._forward_port_at]
        else:
            table = self._nf_dispatch
            hit = table.lookup(table.key(st))
            if hit is None:
                st.egress_spec = BMV2_DROP_PORT
            elif hit.action == self._run_local:
                st.recirc = 1
                st.egress_spec = st.ingress_port
                # Another pass only if this one ran an element: bad entries cannot loop.
                if (st.element >> _ELEM[0]) & _ELEM[1] == INPUT_ELEM_ID:
                    st.egress_spec = BMV2_DROP_PORT
                    st.recirc = 0
            else:
                st.egress_spec = hit.params[self._to_port_at]
                if st.sfc is not None:
                    st.sfc[SFC_ENTRY] = st.server_entry

    def _push_chain(self, st: PacketState, count: int, params: tuple[int, ...]) -> None:
        eth = st.ethernet
        sfc = [0] * len(SFC.names)
        sfc[SFC_CHAIN] = params[self._push_chain_at]
        sfc[SFC_COUNT] = count
        sfc[SFC_ENTRY] = 0
        sfc[SFC_TYPE] = eth[ETH_TYPE] if eth is not None else 0
        st.sfc = sfc
        if eth is not None:
            eth[ETH_TYPE] = wire.ETHERTYPE_SFC
        st.chain_id = params[self._push_chain_at]
        st.nf_id = params[self._push_nf_at[0]]
        # The chain's NF ids; bos marks the last.
        st.sfc_nfs = [[params[self._push_nf_at[i]], 0, int(i == count - 1)]
                      for i in range(count)]

    @staticmethod
    def _untag(st: PacketState) -> None:
        if st.sfc is not None:
            if st.ethernet is not None:
                st.ethernet[ETH_TYPE] = st.sfc[SFC_TYPE]
            st.sfc = None
        st.sfc_nfs = []

    @staticmethod
    def _run_stage(st: PacketState, stage: Stage) -> None:
        lookup, key, dispatch = stage
        hit = lookup(key(st))
        if hit is None:
            return
        p = hit.params
        element = p[_ELEMENT_AT]
        elem_id = (element >> _ELEM[0]) & _ELEM[1]
        # exec_common: the element's id and default port in the control key (a kind's
        # block may set its own port)
        st.prev_elem, st.out_port = elem_id, 0
        if (element >> _DST[0]) & _DST[1]:
            # exec_common: the annotation a removed CheckIPHeader would have set (an
            # invalid header's fields read 0)
            st.dst_anno = st.ipv4[IP_DST] if st.ipv4 is not None else 0
        st.element = element
        st.elem_id = elem_id
        dispatch[hit.action](st, p)
        out = st.out_port
        port_bit = (1 << out) & _MASK
        exit_ports = (st.element >> _EXIT[0]) & _EXIT[1]
        drop_ports = (st.element >> _DROP[0]) & _DROP[1]
        # Moving on to the NF's next element needs nothing: the key already says where.
        if st.forwarded == 1 or st.to_server == 1:
            # The packet leaves this switch's processing of the chain now.
            st.halted = 1
        elif out == DROP_PORT or drop_ports & port_bit:
            st.dropped = st.halted = 1
        elif exit_ports & port_bit:
            # NF complete: the next NF starts at its input with fresh annotations.
            nfs = st.sfc_nfs
            nfs.pop(0)
            if st.sfc is not None:
                st.sfc[SFC_COUNT] = (st.sfc[SFC_COUNT] - 1) & _NF_COUNT_MASK
            st.nf_id = nfs[0][NF_ID] if nfs else 0
            st.prev_elem = st.out_port = 0
            st.dst_anno = st.paint = 0
            st.element &= _KEEP_ON_NF_DONE
            st.halted = int(not nfs)


def patch_l4_checksum(st: PacketState) -> None:
    """The end of ``MyIngress``'s stages: the TCP/UDP checksum patched once by the
    one's-complement change of every word the pass's elements rewrote (``l4_delta``,
    RFC 1624, a 32-bit sum folded twice); a zero UDP checksum ("none") stays zero, and a
    patched one that comes to zero is sent as 0xffff."""
    tcp, udp = st.tcp, st.udp
    if tcp is not None:
        tcp[TCP_CSUM] = ~_fold(((~tcp[TCP_CSUM] & _M16) + st.l4_delta) & _M32) & _M16
    elif udp is not None and udp[UDP_CSUM] != 0:
        udp[UDP_CSUM] = (~_fold(((~udp[UDP_CSUM] & _M16) + st.l4_delta) & _M32) & _M16) or _M16


def _fold(x: int) -> int:
    x = (x & _M16) + (x >> 16)
    return (x & _M16) + (x >> 16)


def transport_keys(st: PacketState) -> None:
    """The start of ``MyIngress``: ``meta.l4_reach``, ``l4_ok`` cut to the IP total length,
    and a first fragment's transport key fields from the bytes it has (parser_model.py)."""
    ip = st.ipv4
    if ip is not None:
        # The transport bytes Click's filters see: inside the frame and the total length.
        hl = ip[IP_IHL] << 2
        have = st.l4_have  # after the IP header in the frame (the parser's)
        if ip[IP_LEN] < hl:
            have = 0
        elif ip[IP_LEN] - hl < have:
            have = ip[IP_LEN] - hl
        st.l4_have = have
        st.l4_reach = l4_reach(have)
        if st.l4_ok == 1 and have < (_TCP_LEN if st.tcp is not None else _UDP_LEN):
            st.l4_ok = 0  # a transport header running past the total length
        proto = ip[IP_PROTO]
        if ip[IP_FRAG] == 0 and proto in TRANSPORT_KEY_LAYOUT:
            # the key fields get the bytes of them there are, the rest 0
            l4 = st.l4_word.to_bytes(4, "big")[:min(have, 4)].ljust(_FLAGS_AT, b"\0")
            if have > _FLAGS_AT:
                l4 += bytes([st.l4_flags])
            for key, value in transport_fields(proto, l4).items():
                setattr(st, key.removeprefix("meta."), value)
