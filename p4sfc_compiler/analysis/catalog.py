"""The element catalog (``elements/catalog.yaml``) and the offloadability derived from it.

Each catalog row says what one Click element class reads and writes, in a closed
vocabulary (:data:`VOCABULARY`), and which P4 template block runs it on the switch
(:data:`P4_KINDS`). Offloadability (paper, section III-D.1) is *derived* from that row,
never written in the catalog, so a row cannot claim more than its accesses allow:

1. reads or writes ``payload``          -> non-offloadable (P4 parses headers only);
2. reads or writes ``device``           -> non-offloadable (host I/O);
3. no ``p4`` kind                       -> non-offloadable (no switch implementation);
4. writes ``state.table``               -> partially offloadable: the switch runs the
   stateless ``counterpart`` and hands a miss to the server, which creates the entry;
5. otherwise                            -> fully offloadable.

``counterpart`` is required exactly when a row reaches rule 4 (a row that is already
non-offloadable by rules 1-3 has nothing to split), and must name a fully offloadable
row of the same P4 kind.

The loader works on the YAML node tree, so every error carries the file, line and column
of the offending row or field, and a class or field given twice is an error (plain
``yaml.safe_load`` keeps the last one silently). Class names are taken verbatim from the
YAML text, so a class such as ``Null`` is not turned into ``None``.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from p4sfc_compiler.errors import CatalogError, SourcePos
from p4sfc_compiler.frontend.portcount import PortCount, parse_port_count
from p4sfc_compiler.resources import data_path

VOCABULARY: Mapping[str, str] = {
    "eth": "the Ethernet header (addresses and EtherType)",
    "ip": "the whole IPv4 header, options and fragment fields included",
    "ip.addrs": "the IPv4 source and destination addresses",
    "ip.proto": "the IPv4 protocol field",
    "ip.ttl": "the IPv4 time-to-live field",
    "ip.tos": "the IPv4 TOS byte (DSCP and ECN)",
    "ip.checksum": "the IPv4 header checksum",
    "ip.len": "the IPv4 total length field",
    "l4.ports": "the TCP/UDP source and destination ports",
    "l4.flags": "the TCP flags",
    "l4.checksum": "the TCP/UDP checksum",
    "icmp": "the ICMP header (type, code, checksum, identifier)",
    "payload": "bytes past the headers a switch parser extracts (Ethernet, IPv4, TCP/UDP/ICMP)",
    "length": "the packet's length in bytes",
    "data_offset": "Click's data pointer: where the packet data starts within the frame",
    "anno.ip_header": "the IP header annotation (network header offset)",
    "anno.dst_ip": "the destination IP address annotation",
    "anno.paint": "the paint annotation",
    "anno.timestamp": "the packet timestamp annotation",
    "state.counter": "data-plane writable state: counters and registers a P4 switch updates itself",
    "state.table": "mapping state created on the packet path: P4 cannot insert table entries itself",
    "state.queue": "buffered packets",
    "state.control": "configuration that only the control plane (handlers) changes at run time",
    "device": "host I/O: network devices, files, sockets, the terminal",
    "time": "the current time (rates, timeouts)",
}

# The element kinds of the dynamic P4 program (docs/architecture.md, "Element kinds").
P4_KINDS: Mapping[str, str] = {
    "classify": "ternary classification table (IPFilter, IPClassifier, Classifier)",
    "ip_lookup": "longest-prefix match on the destination IP annotation",
    "rewriter": "exact 5-tuple rewrite table; a miss goes to the server",
    "counter": "packet/byte/time registers",
    "ether_encap": "writes a new Ethernet header",
    "ip_encap": "pushes an outer IPv4 header",
    "dec_ip_ttl": "TTL decrement, expired packets to output 1",
    "set_ip_dscp": "writes the DSCP bits",
    "check_ip_header": "IPv4 header validation, bad headers to output 1",
    "paint": "sets the paint annotation",
    "discard": "drops the packet",
    "alert": "clones the packet to the server's mirror session",
    "forward": "sends the packet out of a switch port, leaving the chain",
    "nop": "nothing to do on the switch (no stage)",
}

FIELDS = ("ports", "reads", "writes", "p4", "counterpart", "stock", "doc")
_REQUIRED = ("ports", "reads", "writes", "doc")

# Click element class names: C++-identifier-like, '@' and '/' allowed as Click allows them.
_CLASS_NAME = re.compile(r"[A-Za-z_@][A-Za-z0-9_@/]*\Z")


class Offloadability(StrEnum):
    FULL = "fully"
    PARTIAL = "partially"
    NON = "non"


class UnknownElementWarning(UserWarning):
    """An element class the catalog does not describe; it is treated as non-offloadable."""


def derive_offloadability(
    reads: Iterable[str], writes: Iterable[str], p4: str | None, counterpart: str | None
) -> tuple[Offloadability, str]:
    """Apply the derivation rules (module docstring) to one row's accesses."""
    reads, writes = frozenset(reads), frozenset(writes)
    if "payload" in reads and "payload" in writes:
        return (
            Offloadability.NON,
            "reads and writes the packet payload (a switch parses headers only)",
        )
    if "payload" in reads:
        return Offloadability.NON, "reads the packet payload (a switch parses headers only)"
    if "payload" in writes:
        return Offloadability.NON, "writes the packet payload (a switch parses headers only)"
    if "device" in reads or "device" in writes:
        return Offloadability.NON, "host I/O (devices, files or sockets)"
    if p4 is None:
        return Offloadability.NON, "no switch implementation"
    if "state.table" in writes:
        via = f"; the switch runs {counterpart}" if counterpart else ""
        return (
            Offloadability.PARTIAL,
            "creates table entries on the packet path, which P4 cannot do itself"
            f"{via} and a miss goes to the server",
        )
    if p4 == "nop":
        return Offloadability.FULL, "needs no switch stage"
    return Offloadability.FULL, f"runs on the switch as {p4!r}"


@dataclass(frozen=True)
class ElementSpec:
    """One catalog row with its derived offloadability (build it with :meth:`build`)."""

    name: str
    ports: str
    reads: frozenset[str]
    writes: frozenset[str]
    p4: str | None
    counterpart: str | None
    stock: bool
    doc: str
    offloadability: Offloadability
    reason: str

    @classmethod
    def build(
        cls,
        name: str,
        ports: str,
        reads: Iterable[str] = (),
        writes: Iterable[str] = (),
        p4: str | None = None,
        counterpart: str | None = None,
        stock: bool = True,
        doc: str = "",
    ) -> ElementSpec:
        """A spec whose offloadability and reason are derived from its accesses."""
        reads, writes = frozenset(reads), frozenset(writes)
        level, reason = derive_offloadability(reads, writes, p4, counterpart)
        return cls(name, ports, reads, writes, p4, counterpart, stock, doc, level, reason)

    @property
    def port_count(self) -> PortCount:
        return parse_port_count(self.ports)


class Catalog:
    """The element classes the compiler knows, by name, in file order.

    Behaves as a read-only collection of class names: ``"IPRewriter" in catalog``,
    ``for name in catalog``, ``len(catalog)``; :meth:`get` returns the row.
    """

    def __init__(
        self,
        specs: Iterable[ElementSpec],
        source: str = "",
        positions: Mapping[str, SourcePos] | None = None,
    ) -> None:
        self._specs: dict[str, ElementSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                pos = (positions or {}).get(spec.name) or (
                    SourcePos(source, 1, 1) if source else None
                )
                raise CatalogError(f"{spec.name}: class described twice", pos)
            self._specs[spec.name] = spec
        self.source = source
        self._positions = dict(positions or {})

    def get(self, cls: str) -> ElementSpec | None:
        return self._specs.get(cls)

    def position(self, cls: str) -> SourcePos | None:
        """Where the class's row starts in the catalog file, when loaded from one."""
        return self._positions.get(cls)

    def specs(self) -> Iterator[ElementSpec]:
        return iter(self._specs.values())

    def offloadability(self, cls: str) -> tuple[Offloadability, str]:
        """The class's derived offloadability and why; unknown classes warn and are NON."""
        spec = self._specs.get(cls)
        if spec is not None:
            return spec.offloadability, spec.reason
        reason = f"unknown element class {cls!r}: treated as non-offloadable"
        warnings.warn(reason, UnknownElementWarning, stacklevel=2)
        return Offloadability.NON, reason

    def writes(self, cls: str, effect: str) -> bool:
        """Whether the class's row says it writes ``effect`` (``anno.ip_header``, ...)."""
        spec = self._specs.get(cls)
        return spec is not None and effect in spec.writes

    def sets_anno_from_header(self, cls: str, anno: str) -> bool:
        """Whether the class sets annotation ``anno`` from the packet's own IP header
        (CheckIPHeader's destination annotation), not from state or another annotation
        (a route lookup's gateway)."""
        spec = self._specs.get(cls)
        return (
            spec is not None
            and anno in spec.writes
            and bool(spec.reads & {"ip", "ip.addrs"})
            and anno not in spec.reads
        )

    def __contains__(self, cls: object) -> bool:
        return cls in self._specs

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Catalog({len(self)} classes from {self.source or '<memory>'})"


# --- loading -----------------------------------------------------------------------------

_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"


class _RowReader:
    """Turns YAML nodes into checked values, raising CatalogError at the node's position."""

    def __init__(self, source: str) -> None:
        self.source = source

    def pos(self, node: yaml.Node) -> SourcePos:
        mark = node.start_mark
        return SourcePos(self.source, mark.line + 1, mark.column + 1)

    def fail(self, node: yaml.Node, message: str) -> CatalogError:
        return CatalogError(message, self.pos(node))

    def pairs(self, node: yaml.MappingNode, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """The mapping's (key text, key node, value node), keys unique plain scalars."""
        seen: dict[str, int] = {}
        out = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.fail(key, f"{what}: a key must be a plain name")
            name = key.value
            if name in seen:
                raise self.fail(key, f"{what}: {name!r} given twice (first at line {seen[name]})")
            seen[name] = key.start_mark.line + 1
            out.append((name, key, value))
        return out

    def optional_string(self, node: yaml.Node, where: str) -> str | None:
        """A string, or None for YAML's null."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and node.style is None:
            return None
        return self.string(node, where)

    def string(self, node: yaml.Node, where: str) -> str:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _NULL_TAG and node.style is None:
                raise self.fail(node, f"{where}: a value is required")
            # Numbers are fine as text (ports: 1); booleans are surely a mistake.
            if node.tag != _BOOL_TAG or node.style is not None:
                return node.value
        raise self.fail(node, f"{where}: expected a string")

    def words(self, node: yaml.Node, where: str) -> frozenset[str]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where}: expected a list of vocabulary words, e.g. [ip.addrs]")
        words: set[str] = set()
        for item in node.value:
            word = self.string(item, where)
            if word not in VOCABULARY:
                raise self.fail(
                    item,
                    f"{where}: unknown word {word!r}; the vocabulary is: " + ", ".join(VOCABULARY),
                )
            if word in words:
                raise self.fail(item, f"{where}: {word!r} listed twice")
            words.add(word)
        return frozenset(words)

    def boolean(self, node: yaml.Node, where: str) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL_TAG and node.style is None:
            return node.value.lower() in ("true", "yes", "on", "y")
        raise self.fail(node, f"{where}: expected true or false")


def _read_row(reader: _RowReader, name: str, key: yaml.Node, node: yaml.Node) -> ElementSpec:
    if not _CLASS_NAME.match(name):
        raise reader.fail(key, f"{name!r} is not a Click element class name")
    if not isinstance(node, yaml.MappingNode):
        raise reader.fail(node, f"{name}: expected a mapping of fields ({', '.join(FIELDS)})")
    fields = {f: (k, v) for f, k, v in reader.pairs(node, name)}
    for field_name, (k, _) in fields.items():
        if field_name not in FIELDS:
            raise reader.fail(
                k, f"{name}: unknown field {field_name!r} (fields: {', '.join(FIELDS)})"
            )
    for required in _REQUIRED:
        if required not in fields:
            raise reader.fail(key, f"{name}: field {required!r} is missing")

    def value(f: str) -> yaml.Node:
        return fields[f][1]

    ports = reader.string(value("ports"), f"{name}.ports")
    try:
        parse_port_count(ports)
    except ValueError as exc:
        raise reader.fail(value("ports"), f"{name}.ports: {exc}") from None
    reads = reader.words(value("reads"), f"{name}.reads")
    writes = reader.words(value("writes"), f"{name}.writes")

    p4 = None
    if "p4" in fields:
        p4 = reader.optional_string(value("p4"), f"{name}.p4")
        if p4 is not None and p4 not in P4_KINDS:
            raise reader.fail(
                value("p4"),
                f"{name}.p4: unknown P4 kind {p4!r}; kinds: {', '.join(P4_KINDS)}",
            )

    counterpart = None
    if "counterpart" in fields:
        counterpart = reader.optional_string(value("counterpart"), f"{name}.counterpart")
        if counterpart is not None and not _CLASS_NAME.match(counterpart):
            raise reader.fail(
                value("counterpart"), f"{name}.counterpart: {counterpart!r} is not a class name"
            )
    level, _ = derive_offloadability(reads, writes, p4, None)
    if level is Offloadability.PARTIAL and counterpart is None:
        raise reader.fail(
            key,
            f"{name}.counterpart: missing; a row that writes state.table on the switch "
            "must name its stateless switch part",
        )
    if level is not Offloadability.PARTIAL and counterpart is not None:
        why = (
            "it does not write state.table"
            if "state.table" not in writes
            else f"it is non-offloadable anyway ({derive_offloadability(reads, writes, p4, None)[1]})"
        )
        raise reader.fail(value("counterpart"), f"{name}.counterpart: not allowed: {why}")

    stock = reader.boolean(value("stock"), f"{name}.stock") if "stock" in fields else True
    doc = reader.string(value("doc"), f"{name}.doc")
    if not doc.strip() or "\n" in doc.strip():
        raise reader.fail(value("doc"), f"{name}.doc: expected one non-empty line")
    return ElementSpec.build(name, ports, reads, writes, p4, counterpart, stock, doc.strip())


def _check_counterparts(
    specs: dict[str, ElementSpec], rows: dict[str, yaml.Node], reader: _RowReader
) -> None:
    for spec in specs.values():
        if spec.counterpart is None:
            continue
        where = rows[spec.name]
        other = specs.get(spec.counterpart)
        if other is None:
            raise reader.fail(
                where, f"{spec.name}.counterpart: {spec.counterpart!r} has no catalog row"
            )
        if other.offloadability is not Offloadability.FULL:
            raise reader.fail(
                where,
                f"{spec.name}.counterpart: {other.name} must be fully offloadable "
                f"({other.offloadability.value}: {other.reason})",
            )
        if other.p4 != spec.p4:
            raise reader.fail(
                where,
                f"{spec.name}.counterpart: {other.name} runs as {other.p4!r}, not {spec.p4!r}",
            )


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Build a catalog from YAML text; ``source`` names the file in error positions."""
    reader = _RowReader(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = SourcePos(source, mark.line + 1, mark.column + 1) if mark else None
        raise CatalogError(f"not valid YAML: {exc.problem or exc.context}", pos) from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"not valid YAML: {exc}", SourcePos(source, 1, 1)) from None
    if root is None:
        raise CatalogError("the catalog is empty", SourcePos(source, 1, 1))
    if not isinstance(root, yaml.MappingNode):
        raise reader.fail(root, "the catalog must map element class names to rows")
    specs: dict[str, ElementSpec] = {}
    rows: dict[str, yaml.Node] = {}
    for name, key, node in reader.pairs(root, "catalog"):
        specs[name] = _read_row(reader, name, key, node)
        rows[name] = key
    _check_counterparts(specs, rows, reader)
    return Catalog(specs.values(), source, {n: reader.pos(k) for n, k in rows.items()})


def _default_path() -> Path:
    return data_path("elements", "catalog.yaml")


@functools.lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    path = _default_path()
    return parse_catalog(path.read_text(encoding="utf-8"), str(path))


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and check a catalog file; the shipped one (``path=None``) is read once."""
    if path is None:
        return _default_catalog()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(
            f"cannot read the catalog: {exc.strerror}", SourcePos(str(path), 1, 1)
        ) from None
    return parse_catalog(text, str(path))
