"""The switch half of a rewriter: the ``rewriter`` block's miss behaviour per input."""

from __future__ import annotations

from p4sfc_compiler.dataplane.reserved import DROP_PORT
from p4sfc_compiler.dataplane.wire import PROTO_TCP, SFC
from p4sfc_compiler.families.base import ElementConfigError, LowerContext, Lowering, NotOffloadable
from p4sfc_compiler.families.rewriter.config import (
    MapperConfig,
    PatternsConfig,
    RewriterFamilyConfig,
)

# The switch's rewriter block matches this protocol (0 = TCP and UDP). UDPRewriter
# rewrites TCP as well, as its documentation says.
_PROTO = {"IPRewriter": 0, "TCPRewriter": PROTO_TCP, "UDPRewriter": 0}

NO_PASS_PORT = DROP_PORT  # pass_port value meaning "no pass output"
MAX_SERVER_ENTRY = (1 << SFC.field("entry").bitwidth) - 1  # carried in hdr.sfc.entry


def lower(cls: str, config: RewriterFamilyConfig, ctx: LowerContext) -> Lowering:
    if isinstance(config, PatternsConfig | MapperConfig):
        return Lowering("nop")  # information only; the server's Click config keeps it
    if cls == "IPAddrRewriter":
        raise NotOffloadable(
            "IPAddrRewriter maps single addresses for every IP protocol; the switch "
            "rewriter table matches exact TCP/UDP 5-tuples and rewrites ports, so it "
            "cannot hold address-only mappings"
        )
    if ctx.n_inputs > len(config.inputs):
        raise ElementConfigError(
            f"{cls}: need {ctx.n_inputs} input specs, one per input port "
            f"(got {len(config.inputs)})"
        )
    if not config.dst_anno:
        raise NotOffloadable(
            f"{cls} DST_ANNO false: the switch's rewrite action always sets the destination "
            "annotation to the rewritten destination, as Click does by default"
        )
    input_params: dict[int, dict[str, int]] = {}
    for i, spec in enumerate(config.inputs):
        pat = spec.pattern
        if pat is not None and pat.sport is not None and pat.sport.mode == "?":
            raise NotOffloadable(
                f"input spec {i}: random source-port choice ('?') is not supported by the "
                "split rewriter"
            )
        # Every miss goes to the server, whatever the input spec: the server holds the
        # authoritative mapping table, and a reply on a "drop" or "pass" input may belong
        # to a mapping the switch has not been given (yet).
        server_entry = 1 + i
        if server_entry > MAX_SERVER_ENTRY:
            raise NotOffloadable(f"input {i}: more rewriter inputs than server entries")
        # Packets the rewriter cannot map (not TCP/UDP, later fragments) never reach its
        # table: a "pass" input sends them on, any other drops them, as in Click.
        pass_port = NO_PASS_PORT
        if spec.kind == "pass":
            if spec.foutput >= NO_PASS_PORT:
                raise NotOffloadable(f"input spec {i}: pass port {spec.foutput} too large")
            pass_port = spec.foutput
        input_params[i] = {"server_entry": server_entry, "pass_port": pass_port}
    return Lowering("rewriter", params={"proto": _PROTO[cls]}, input_params=input_params)
