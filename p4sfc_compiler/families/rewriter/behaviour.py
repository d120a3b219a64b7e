"""The rewriters in software, after Click's elements/ip/iprewriterbase.cc, iprwpattern.cc,
iprwmapping.cc and elements/tcpudp/.

A packet is looked up in the mapping table first, whatever input it came in on; only a
miss uses the input's spec (``pass``, ``drop``, ``keep``, ``pattern``). A new mapping
stores a forward entry (the packet's flow) and a reply entry (the rewritten flow,
reversed); a hit rewrites addresses and ports to the other entry's flow and updates the
checksums incrementally with the mapping's deltas, exactly as Click (so a bad checksum
stays bad). Pattern port/address allocation follows Click: the packet's own port first
when the range has no ``#``/``?`` and it is free, else from the pattern's counter
(``#``, one counter per pattern) or a random start (``?``), the first value whose reply
flow is free.

Mappings never expire on their own here (a run is one pass over a trace); the tables
print each mapping's timeout as the time left, which is what a fast run of Click prints.

A rewriter whose switch half is a ``rewriter`` table (the server side of a split NF) is
given a :class:`~p4sfc_compiler.families.mirror.StateMirror` (the state library): each
new TCP/UDP mapping is created there in both directions, exactly as the switch's
``rewrite`` action must apply it (the flow's key, the rewritten flow and the output),
a mapping another one displaces is removed, and a packet the server itself maps counts
as a use. The library may expire a mapping (idle past its timeout on the server and on
the switch alike); the mapping then leaves the table as in Click.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from p4sfc_compiler.families.behaviour import Behaviour, BuildContext, Packet
from p4sfc_compiler.families.checksum import get16, get32, put16, put32, update
from p4sfc_compiler.families.clickrandom import GlibcRandom, click_random_range, engine_random
from p4sfc_compiler.families.mirror import StateMirror, Values
from p4sfc_compiler.families.rewriter.config import (
    InputSpec,
    MapperConfig,
    Pattern,
    PatternsConfig,
    RewriterConfig,
    RewriterFamilyConfig,
)
from p4sfc_compiler.families.values import format_ip

TCP, UDP, DCCP = 6, 17, 33
DROP = -1  # Click's rw_drop: checked_output_push drops it
ADDMAP = -2  # rw_addmap

Flow = tuple[int, int, int, int]  # saddr, sport, daddr, dport

# TCP connection state bits (Click's TCPFlow::_tflags)
FORWARD_DONE, REPLY_DONE, FORWARD_DATA, REPLY_DATA = 1, 2, 4, 8
TH_FIN, TH_SYN, TH_RST = 0x01, 0x02, 0x04

DEFAULT_TIMEOUTS = {
    "TCP_TIMEOUT": 86400.0, "TCP_DONE_TIMEOUT": 240.0, "TCP_NODATA_TIMEOUT": 300.0,
    "UDP_TIMEOUT": 300.0, "TIMEOUT": 300.0,
}
ADDR_TIMEOUT = 7200.0  # IPAddrRewriter's TIMEOUT


def reverse(f: Flow) -> Flow:
    return (f[2], f[3], f[0], f[1])


def _fmt(f: Flow) -> str:
    return f"({format_ip(f[0])}, {f[1]}, {format_ip(f[2])}, {f[3]})"


def _delta(old: Flow, new: Flow, ports: bool) -> int:
    """Click's checksum delta of a mapping: the addresses' 16-bit halves (and ports)."""
    d = 0
    for a, b in ((old[0], new[0]), (old[2], new[2])):
        d = update(d, a >> 16, b >> 16)
        d = update(d, a & 0xFFFF, b & 0xFFFF)
    if ports:
        d = update(d, old[1], new[1])
        d = update(d, old[3], new[3])
    return d


def _apply_delta(csum: int, direction: int, delta: int) -> int:
    if not delta:
        return csum
    return update(csum, 0, delta if direction else ~delta & 0xFFFF)


class PatternState:
    """One pattern and its allocation counter (shared by every input using it)."""

    __slots__ = ("pattern", "napt", "base", "top", "sequential", "same_first", "next",
                 "rng")

    def __init__(self, pattern: Pattern, napt: bool, rng: GlibcRandom) -> None:
        self.pattern = pattern
        self.napt = napt
        self.base = 0
        self.top = 0
        self.sequential = False
        self.same_first = True
        self.next = 0
        self.rng = rng  # the engine's click_random(), for '?' ranges and taken ports
        sa, sp = pattern.saddr, pattern.sport
        if sa is not None and sa.high > sa.low:
            low, high = sa.low, sa.high
            if sa.prefix and high - low > 1:
                low, high = low + 1, high - 1  # not the network or broadcast address
            self.base, self.top = low, high - low
            self.sequential, self.same_first = sa.sequential, not sa.sequential
        if sp is not None and sp.high > sp.low:
            self.top = sp.high - sp.low
            self.sequential = sp.mode == "#"
            self.same_first = sp.mode == ""
        if napt:
            # Click's base is the pattern's source port when the flow is NAPT-shaped.
            self.base = sp.low if sp is not None else 0

    def rewrite(self, flow: Flow, taken: Callable[[Flow], bool]) -> Flow | None:
        p = self.pattern
        sa, sp, da, dp = flow
        if p.saddr is not None and p.saddr.low:
            sa = self.base if not self.napt and self.top else p.saddr.low
        if p.sport is not None and p.sport.low:
            sp = p.sport.low
        if p.daddr:
            da = p.daddr
        if p.dport:
            dp = p.dport
        new = (sa, sp, da, dp)
        if not self.top:
            return new
        top, base = self.top, self.base
        val = (flow[1] if self.napt else flow[0]) - base
        if self.same_first and 0 <= val <= top and not taken(self._lookup(new, base + val)):
            return self._found(new, base + val, val)
        if self.sequential:
            val = 0 if self.next > top else self.next
        else:
            val = click_random_range(self.rng, 0, top)
        for _ in range(top + 1):
            if not taken(self._lookup(new, base + val)):
                return self._found(new, base + val, val)
            val = 0 if val == top else val + 1
        return None

    def _lookup(self, new: Flow, value: int) -> Flow:
        # the reply flow the mapping would own
        if self.napt:
            return (new[2], new[3], new[0], value)
        return (new[2], new[3], value, new[1])

    def _found(self, new: Flow, value: int, val: int) -> Flow:
        self.next = val + 1
        if self.napt:
            return (new[0], value, new[2], new[3])
        return (value, new[1], new[2], new[3])


class RewriteMapping:
    """A mapping: the forward flow, the rewritten flow, their outputs and deltas."""

    __slots__ = ("flow", "rewritten", "foutput", "routput", "input", "proto", "ip_delta",
                 "l4_delta", "tflags")

    def __init__(self, flow: Flow, rewritten: Flow, outputs: tuple[int, int], port: int,
                 proto: int) -> None:
        self.flow = flow
        self.rewritten = rewritten
        self.foutput, self.routput = outputs
        self.input = port
        self.proto = proto
        self.ip_delta = _delta(flow, rewritten, False)
        self.l4_delta = _delta(flow, rewritten, True)
        self.tflags = 0

    def target(self, direction: int) -> Flow:
        """The flow a packet in ``direction`` is rewritten to."""
        return self.rewritten if direction == 0 else reverse(self.flow)

    def key(self, direction: int) -> Flow:
        return self.flow if direction == 0 else reverse(self.rewritten)


class Rewriter(Behaviour):
    """IPRewriter, TCPRewriter, UDPRewriter: flows keyed by addresses and ports."""

    __slots__ = ("cls", "specs", "patterns", "mappers", "maps", "dst_anno", "timeouts",
                 "failures", "flows", "mirror")

    def __init__(self, ctx: BuildContext, cls: str, config: RewriterConfig) -> None:
        super().__init__(ctx)
        self.cls = cls
        self.specs = config.inputs
        self.dst_anno = config.dst_anno
        self.timeouts = {**DEFAULT_TIMEOUTS, **dict(config.timeouts)}
        napt = cls != "IPAddrRewriter"
        self.patterns = [_pattern_state(ctx, spec, napt) if spec.kind == "pattern" else None
                         for spec in self.specs]
        self.mappers = [_mapper(ctx, spec, napt) if spec.kind == "mapper" else None
                        for spec in self.specs]
        # IPRewriter keeps TCP and UDP apart; the others have one table.
        self.maps: dict[int, dict[Flow, tuple[RewriteMapping, int]]] = {}
        self.failures = 0
        self.flows: list[RewriteMapping] = []
        self.mirror: StateMirror | None = None

    def attach_mirror(self, mirror: StateMirror) -> None:
        """Mirror every mapping from now on into the switch half (the state library)."""
        self.mirror = mirror
        mirror.on_expire(self._expired)
        for m in self.flows:
            self._mirror_create(m)

    def _mirror_keys(self, m: RewriteMapping) -> list[tuple[Values, Values]]:
        """The switch entries of a mapping: (key, values) per direction. Only TCP and UDP
        mappings: the switch parses no other transport header."""
        if m.proto not in (TCP, UDP):
            return []
        return [(m.key(d) + (m.proto,), m.target(d) + (m.foutput if d == 0 else m.routput,))
                for d in (0, 1)]

    def _mirror_create(self, m: RewriteMapping) -> None:
        assert self.mirror is not None
        timeout = float(self._timeout(m))
        for keys, vals in self._mirror_keys(m):
            self.mirror.create(keys, vals, timeout, m)

    def _expired(self, keys: Values) -> None:
        """The library expired one direction of a mapping: the whole mapping goes."""
        table = self.table(keys[4])
        hit = table.get((keys[0], keys[1], keys[2], keys[3]))
        if hit is None:
            return
        m = hit[0]
        self._forget(m, table)
        if self.mirror is not None:
            for other, _ in self._mirror_keys(m):
                if other != keys:
                    self.mirror.remove(other)

    def _forget(self, m: RewriteMapping, table: dict[Flow, tuple[RewriteMapping, int]]
                ) -> None:
        for d in (0, 1):
            if table.get(m.key(d), (None,))[0] is m:
                del table[m.key(d)]
        self.flows.remove(m)

    def table(self, proto: int) -> dict[Flow, tuple[RewriteMapping, int]]:
        key = proto if self.cls == "IPRewriter" else 0
        return self.maps.setdefault(key, {})

    def accepts(self, proto: int) -> bool:
        if self.cls == "TCPRewriter":
            return proto == TCP
        if self.cls == "UDPRewriter":
            return proto in (TCP, UDP, DCCP)
        return proto in (TCP, UDP)

    def push(self, port: int, p: Packet) -> None:
        buf, ip = p.buf, p.ip
        proto = buf[ip + 9]
        th = ip + ((buf[ip] & 0xF) << 2)
        if not self.accepts(proto) or get16(buf, ip + 6) & 0x1FFF or len(buf) - th < 8:
            spec = self.specs[port]
            if spec.kind == "pass":
                self.emit(spec.foutput, p)
            return
        flow = (get32(buf, ip + 12), get16(buf, th), get32(buf, ip + 16), get16(buf, th + 2))
        table = self.table(proto)
        hit = table.get(flow)
        if hit is None:
            result, m = self._miss(port, flow, proto, table)
            if m is None:
                return self.emit(result, p)
            hit = (m, 0)
        elif self.mirror is not None:
            self.mirror.get(flow + (proto,))
        m, direction = hit
        self._apply(p, m, direction, th)
        self.emit(m.foutput if direction == 0 else m.routput, p)

    def _miss(self, port: int, flow: Flow, proto: int,
              table: dict[Flow, tuple[RewriteMapping, int]]) -> tuple[int, RewriteMapping | None]:
        spec = self.specs[port]
        outputs = (spec.foutput, spec.routput)
        rewritten: Flow | None
        if spec.kind == "pass":
            return spec.foutput, None
        if spec.kind == "keep":
            rewritten = flow
        elif spec.kind == "pattern":
            state = self.patterns[port]
            assert state is not None
            rewritten = state.rewrite(flow, lambda f: f in table)
        elif spec.kind == "mapper":
            mapper = self.mappers[port]
            assert mapper is not None
            rewritten, outputs = mapper.rewrite(flow, lambda f: f in table)
        else:
            return DROP, None
        if rewritten is None:
            self.failures += 1
            return DROP, None
        if max(outputs) >= len(self.out):
            return ADDMAP, None
        m = RewriteMapping(flow, rewritten, outputs, port, proto)
        self._store(m, table)
        return ADDMAP, m

    def _store(self, m: RewriteMapping, table: dict[Flow, tuple[RewriteMapping, int]]) -> None:
        old = table.get(m.key(1))
        if old is not None and old[0] is not m:
            # The new reply entry takes the place of another mapping's: that one goes.
            self._forget(old[0], table)
            if self.mirror is not None:
                mine = {k for k, _ in self._mirror_keys(m)}
                for keys, _ in self._mirror_keys(old[0]):
                    if keys not in mine:
                        self.mirror.remove(keys)
        table[m.key(0)] = (m, 0)
        table[m.key(1)] = (m, 1)
        self.flows.append(m)
        if self.mirror is not None:
            self._mirror_create(m)

    def _apply(self, p: Packet, m: RewriteMapping, direction: int, th: int) -> None:
        buf, ip = p.buf, p.ip
        sa, sp, da, dp = m.target(direction)
        put32(buf, ip + 12, sa)
        put32(buf, ip + 16, da)
        if self.dst_anno:
            p.dst_anno = da
        put16(buf, ip + 10, _apply_delta(get16(buf, ip + 10), direction, m.ip_delta))
        if get16(buf, ip + 6) & 0x1FFF:
            return
        tlen = len(buf) - th
        proto = buf[ip + 9]
        if proto == TCP and tlen >= 18:
            put16(buf, th, sp)
            put16(buf, th + 2, dp)
            put16(buf, th + 16, _apply_delta(get16(buf, th + 16), direction, m.l4_delta))
            if self.cls != "UDPRewriter":
                self._track(m, direction, buf, ip, th)
        elif proto == UDP:
            put16(buf, th, sp)
            put16(buf, th + 2, dp)
            if get16(buf, th + 6):  # 0 = no checksum
                put16(buf, th + 6, _apply_delta(get16(buf, th + 6), direction, m.l4_delta))

    @staticmethod
    def _track(m: RewriteMapping, direction: int, buf: bytearray, ip: int, th: int) -> None:
        """Click's TCP state, which picks the mapping's timeout."""
        flags = buf[th + 13]
        payload = (((buf[ip] & 0xF) + (buf[th + 12] >> 4)) << 2) < get16(buf, ip + 2)
        if flags & TH_RST:
            m.tflags |= FORWARD_DONE | REPLY_DONE
        elif flags & TH_FIN:
            m.tflags |= FORWARD_DONE << direction
        elif flags & TH_SYN or payload:
            m.tflags &= ~(FORWARD_DONE << direction)
        if payload:
            m.tflags |= FORWARD_DATA << direction

    def _timeout(self, m: RewriteMapping) -> int:
        t = self.timeouts
        if m.proto != TCP or self.cls == "UDPRewriter":
            return int(t["UDP_TIMEOUT"] if self.cls == "IPRewriter" else t["TIMEOUT"])
        if m.tflags & 3 == 3:
            return int(t["TCP_DONE_TIMEOUT"])
        if m.tflags & 12 == 12:
            return int(t["TCP_TIMEOUT"])
        return int(t["TCP_NODATA_TIMEOUT"])

    def _line(self, m: RewriteMapping, direction: int) -> str:
        return f"{_fmt(m.key(direction))} => {_fmt(m.target(direction))}" \
            f"{self._ports(m, direction)}"

    def _ports(self, m: RewriteMapping, direction: int) -> str:
        f = ("*" if direction == 0 else "") + str(m.foutput)
        r = ("*" if direction == 1 else "") + str(m.routput)
        return f" [{f} {r}] i{m.input} exp{self._timeout(m)}"

    def _dump(self, proto: int) -> str:
        table = self.table(proto)
        return "\n".join(self._line(m, d) for m, d in table.values())

    def handlers(self) -> Mapping[str, Callable[[], str]]:
        h: dict[str, Callable[[], str]] = {
            "table_size": lambda: str(len(self.flows)),
            "mapping_failures": lambda: str(self.failures),
        }
        if self.cls == "IPRewriter":
            h["tcp_table"] = lambda: self._dump(TCP)
            h["udp_table"] = lambda: self._dump(UDP)
        else:
            h["table"] = lambda: self._dump(0)
        h["mappings"] = h.get("table", h.get("tcp_table", lambda: ""))
        return h


class AddrRewriter(Rewriter):
    """IPAddrRewriter: source addresses only, every protocol; the forward table key is
    the source address, the reply key the destination."""

    __slots__ = ()

    def __init__(self, ctx: BuildContext, config: RewriterConfig) -> None:
        super().__init__(ctx, "IPAddrRewriter", config)
        self.timeouts["TIMEOUT"] = dict(config.timeouts).get("TIMEOUT", ADDR_TIMEOUT)

    def push(self, port: int, p: Packet) -> None:
        buf, ip = p.buf, p.ip
        table = self.table(0)
        key = (get32(buf, ip + 12), 0, 0, 0)
        hit = table.get(key) or table.get((0, 0, get32(buf, ip + 16), 0))
        if hit is None:
            result, m = self._miss(port, key, 0, table)
            if m is None:
                return self.emit(result, p)
            hit = (m, 0)
        m, direction = hit
        sa, _, da, _ = m.target(direction)
        if direction == 0:
            put32(buf, ip + 12, sa)
        else:
            put32(buf, ip + 16, da)
            if self.dst_anno:
                p.dst_anno = da
        put16(buf, ip + 10, _apply_delta(get16(buf, ip + 10), direction, m.ip_delta))
        th = ip + ((buf[ip] & 0xF) << 2)
        tlen = len(buf) - th
        proto = buf[ip + 9]
        if not get16(buf, ip + 6) & 0x1FFF:
            if proto == TCP and tlen >= 18:
                put16(buf, th + 16, _apply_delta(get16(buf, th + 16), direction, m.l4_delta))
            elif proto == UDP and tlen >= 8 and get16(buf, th + 6):
                put16(buf, th + 6, _apply_delta(get16(buf, th + 6), direction, m.l4_delta))
        self.emit(m.foutput if direction == 0 else m.routput, p)

    def _line(self, m: RewriteMapping, direction: int) -> str:
        frm = m.key(direction)[0]
        to = m.key(1 - direction)[2]
        return f"{format_ip(frm)} => {format_ip(to)}{self._ports(m, direction)}"

    def _timeout(self, m: RewriteMapping) -> int:
        return int(self.timeouts["TIMEOUT"])


class MapperState:
    """RoundRobinIPMapper: its patterns tried in turn from the one after the last used
    (Click's ``_last_pattern``); the first that allocates gives the outputs too."""

    __slots__ = ("choices", "last")

    def __init__(self, choices: list[tuple[InputSpec, PatternState]]) -> None:
        self.choices = choices
        self.last = 0

    def rewrite(self, flow: Flow, taken: Callable[[Flow], bool]
                ) -> tuple[Flow | None, tuple[int, int]]:
        for _ in range(len(self.choices)):
            spec, state = self.choices[self.last]
            self.last = (self.last + 1) % len(self.choices)
            new = state.rewrite(flow, taken)
            if new is not None:
                return new, (spec.foutput, spec.routput)
        return None, (0, 0)


def _mapper(ctx: BuildContext, spec: InputSpec, napt: bool) -> MapperState:
    name = spec.mapper or ""
    key = f"rewriter-mapper:{name}"
    state = ctx.shared.get(key)
    if isinstance(state, MapperState):
        return state  # one mapper object, as in Click, whoever uses it
    _, config = ctx.configs.get(name, ("", None))
    if not isinstance(config, MapperConfig):
        raise ctx.unsupported(f"the mapper input '{name}' (no RoundRobinIPMapper has "
                              "that name)")
    state = MapperState([(s, _pattern_state(ctx, s, napt)) for s in config.patterns])
    ctx.shared[key] = state
    return state


def _pattern_state(ctx: BuildContext, spec: InputSpec, napt: bool) -> PatternState:
    if spec.pattern is not None:
        return PatternState(spec.pattern, napt, engine_random(ctx))
    assert spec.pattern_name is not None
    for name, (_cls, config) in ctx.configs.items():
        if isinstance(config, PatternsConfig) and config.get(spec.pattern_name) is not None:
            # Named patterns are one object in Click: every user shares its counter.
            key = f"rewriter-pattern:{name}:{spec.pattern_name}"
            state = ctx.shared.get(key)
            if not isinstance(state, PatternState):
                pattern = config.get(spec.pattern_name)
                assert pattern is not None
                state = PatternState(pattern, napt, engine_random(ctx))
                ctx.shared[key] = state
            return state
    raise ctx.unsupported(f"pattern '{spec.pattern_name}' (no IPRewriterPatterns names it)")


class PatternsHolder(Behaviour):
    """IPRewriterPatterns and RoundRobinIPMapper have no ports; rewriters read their
    patterns when built."""

    __slots__ = ()

    def push(self, port: int, p: Packet) -> None:
        raise TypeError(f"{self.name} has no packet ports")


def build(cls: str, config: RewriterFamilyConfig, ctx: BuildContext) -> Behaviour:
    if isinstance(config, PatternsConfig | MapperConfig):
        return PatternsHolder(ctx)
    if cls == "IPAddrRewriter":
        return AddrRewriter(ctx, config)
    return Rewriter(ctx, cls, config)
