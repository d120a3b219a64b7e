"""Entries against a P4Info: every table, field, action and parameter must exist, every
match kind must agree, every value must fit its bit width, every table its entries."""

from __future__ import annotations

from collections.abc import Iterable

from p4sfc_compiler.dataplane.match import Entry, Exact, Lpm, Ternary, is_dont_care
from p4sfc_compiler.errors import CapacityError, P4SFCError
from p4sfc_compiler.p4info.index import P4InfoIndex

_KIND = {Exact: "exact", Ternary: "ternary", Lpm: "lpm"}


def check_entry(entry: Entry, index: P4InfoIndex) -> None:
    """Raise a P4SFCError naming the entry's table when it does not fit the P4Info."""
    where = f"entry of {entry.table}"
    field_widths, param_widths = _shape(entry, index)
    for (name, value), width in zip(entry.match, field_widths, strict=True):
        if is_dont_care(value):
            raise P4SFCError(
                f"{where}: field '{name}' matches everything; P4Runtime wants it left out"
            )
        _fits(where, name, value.value, width)
        if isinstance(value, Ternary):
            _fits(where, name + " mask", value.mask, width)
            if value.value & ~value.mask:
                raise P4SFCError(f"{where}: field '{name}' has value bits outside its mask")
        elif isinstance(value, Lpm):
            if not 0 <= value.prefix_len <= width:
                raise P4SFCError(f"{where}: field '{name}' prefix length {value.prefix_len}")
            if value.value & ((1 << (width - value.prefix_len)) - 1):
                raise P4SFCError(f"{where}: field '{name}' has bits beyond its prefix length")
    for (name, param_value), width in zip(entry.params, param_widths, strict=True):
        _fits(where, name, param_value, width)


def _shape(entry: Entry, index: P4InfoIndex) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check what an entry names against the P4Info (table, fields and match kinds,
    action, parameters, priority); the bit widths its values must fit. Entries of one
    shape repeat by the thousand, so each shape is checked once per index."""
    key = (
        entry.table,
        tuple((name, type(value)) for name, value in entry.match),
        entry.action,
        tuple(name for name, _ in entry.params),
        bool(entry.priority),
    )
    cache = index.entry_shapes
    if key in cache:
        return cache[key]
    table = index.table(entry.table)
    where = f"entry of {entry.table}"
    field_widths = []
    for name, value in entry.match:
        f = table.fields.get(name)
        if f is None:
            raise P4SFCError(f"{where}: match field '{name}' is not a key of the table")
        kind = _KIND[type(value)]
        if kind != f.match_kind:
            raise P4SFCError(f"{where}: field '{name}' is {f.match_kind}, the entry gives {kind}")
        field_widths.append(f.bitwidth)
    given_fields = {name for name, _ in entry.match}
    for name in table.exact_fields:
        if name not in given_fields:
            raise P4SFCError(f"{where}: exact field '{name}' is missing")
    action = index.action(entry.action)
    if action.id not in table.actions:
        raise P4SFCError(f"{where}: action '{entry.action}' is not an action of the table")
    if len(entry.params) != len(action.params) or any(
        name not in action.params for name, _ in entry.params
    ):
        raise P4SFCError(
            f"{where}: action '{entry.action}' takes ({', '.join(action.params)}), "
            f"the entry gives ({', '.join(name for name, _ in entry.params)})"
        )
    if table.needs_priority and not entry.priority:
        raise P4SFCError(f"{where}: a ternary entry needs a priority above 0")
    shape = (tuple(field_widths), tuple(action.params[name].bitwidth for name, _ in entry.params))
    cache[key] = shape
    return shape


def _fits(where: str, name: str, value: int, width: int) -> None:
    if value < 0 or value >> width:
        raise P4SFCError(f"{where}: {name} = {value} does not fit in {width} bits")


def check_capacity(entries: Iterable[Entry], index: P4InfoIndex, switch: str) -> None:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.table] = counts.get(e.table, 0) + 1
    for table, n in sorted(counts.items()):
        size = index.table(table).size
        if size and n > size:
            raise CapacityError(
                f"switch {switch}: {n} entries for {table}, which holds {size} "
                "(raise --table-size)"
            )


def check_unique(entries: Iterable[Entry], switch: str) -> None:
    """No two entries of a table with equal keys (and, for ternary tables, priorities):
    the switch refuses the second INSERT with ALREADY_EXISTS. Keys are compared as the
    switch compares them: don't-care fields left out, fields in any order."""
    seen: dict[tuple[object, ...], Entry] = {}
    for e in entries:
        key = (e.table, frozenset(e.match), e.priority)
        first = seen.setdefault(key, e)
        if first is not e:
            raise P4SFCError(
                f"switch {switch}: two entries of {e.table} have the same key"
                f" (chains '{first.chain}' and '{e.chain}'): the switch would refuse the second"
            )
