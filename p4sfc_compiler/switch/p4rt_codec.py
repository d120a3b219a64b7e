"""P4Runtime table entries to the device's entries by name and back.

Decoding checks an update the way PI checks it for BMv2, in the same order and with the
same codes and messages (``proto/frontend/src/device_mgr.cpp``), so a deployment the
embedded switch takes is one BMv2 takes: unknown ids, byte strings whose value does not fit
the field's width, a match kind other than the field's, don't-care fields that are present
(ternary mask 0, LPM prefix 0), ternary value bits outside the mask, LPM bits past the
prefix, a missing exact field, a missing or forbidden priority, an action the table does not
list, a wrong parameter count. Encoding gives byte strings in canonical form (leading zero
bytes stripped, one zero byte for 0), as BMv2 returns them.
"""

from __future__ import annotations

from typing import Any

from finsy.proto import p4r, rpc_code

from p4sfc_compiler.dataplane.match import Entry, Exact, Lpm, Match, Ternary
from p4sfc_compiler.switch.p4rt_ids import ProgramIds, TableIds

INVALID = rpc_code.INVALID_ARGUMENT


class P4RTError(Exception):
    """One refused request or update: a ``google.rpc`` code and PI's message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def to_int(data: bytes, bitwidth: int) -> int:
    """A P4Runtime byte string as an integer; any length is taken as long as the value
    fits ``bitwidth`` bits (PI's ``bytestring_p4rt_to_pi``)."""
    value = int.from_bytes(data, "big")
    if value >> bitwidth:
        raise P4RTError(INVALID, f"Bytestring provided does not fit within {bitwidth} bits")
    return value


def canonical(value: int) -> bytes:
    """The canonical byte string of ``value``: no leading zero byte, ``b"\\0"`` for 0."""
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _field_value(m: Any, kind: str, bitwidth: int) -> Match:
    which = m.WhichOneof("field_match_type")
    if which != kind:
        raise P4RTError(INVALID, "Invalid match type")
    if kind == "exact":
        return Exact(to_int(m.exact.value, bitwidth))
    if kind == "ternary":
        value = to_int(m.ternary.value, bitwidth)
        mask = to_int(m.ternary.mask, bitwidth)
        if mask == 0:
            raise P4RTError(INVALID, "Invalid representation of 'don't care' ternary match, "
                            "omit match field instead of using 0 mask")
        if value & mask != value:
            raise P4RTError(INVALID, "Invalid ternary value, make sure value & mask == value")
        return Ternary(value, mask)
    if kind == "lpm":
        value = to_int(m.lpm.value, bitwidth)
        plen = m.lpm.prefix_len
        if plen < 0:
            raise P4RTError(INVALID, "Prefix length cannot be < 0")
        if plen > bitwidth:
            raise P4RTError(INVALID, "Prefix length cannot be > bitwidth")
        if plen == 0:
            raise P4RTError(INVALID, "Invalid reprsentation of 'don't care' LPM match, "
                            "omit match field instead of using a prefix length of 0")
        if value & ((1 << (bitwidth - plen)) - 1):
            raise P4RTError(INVALID, "Invalid LPM value, incorrect number of trailing zeros")
        return Lpm(value, plen)
    raise P4RTError(rpc_code.UNIMPLEMENTED, f"{kind} match fields are not supported")


def table_of(te: Any, ids: ProgramIds) -> TableIds:
    table = ids.tables.get(te.table_id)
    if table is None:
        raise P4RTError(INVALID, "Invalid P4 id")
    return table


def match_of(te: Any, table: TableIds) -> tuple[tuple[tuple[str, Match], ...], int | None]:
    """The entry's match fields (by P4Info name, in key order) and priority (None when
    the table has none), checked as PI's ``construct_match_key``."""
    try:
        return _match_fast(te, table)
    except (P4RTError, KeyError):
        # the checks again in PI's order, for PI's first error
        return _match_checked(te, table)


def _match_fast(te: Any, table: TableIds) -> tuple[tuple[tuple[str, Match], ...], int | None]:
    """The common case in one pass over the fields given (a well-formed entry, its fields
    in key order); anything unusual raises and :func:`_match_checked` decides."""
    by_id = table.by_id
    match: list[tuple[str, Match]] = []
    last = -1
    n_exact = 0
    for m in te.match:
        pos, name, kind, width = by_id[m.field_id]
        if pos <= last or m.WhichOneof("field_match_type") != kind:
            raise KeyError(name)
        last = pos
        if kind == "exact":
            match.append((name, Exact(to_int(m.exact.value, width))))
            n_exact += 1
        else:
            match.append((name, _field_value(m, kind, width)))
    if n_exact != table.n_exact:
        raise KeyError("exact")
    priority = te.priority
    if table.needs_priority:
        if priority == 0:
            raise KeyError("priority")
        return tuple(match), priority
    if priority:
        raise KeyError("priority")
    return tuple(match), None


def _match_checked(te: Any, table: TableIds) -> tuple[tuple[tuple[str, Match], ...], int | None]:
    if len(te.match) > len(table.order):
        raise P4RTError(INVALID, "Too many fields in match key")
    given = {m.field_id: m for m in te.match}
    match = []
    for fid in table.order:
        f = table.fields[fid]
        m = given.get(fid)
        if m is not None:
            match.append((f.name, _field_value(m, f.match_kind, f.bitwidth)))
        elif f.match_kind not in ("ternary", "lpm", "optional"):
            raise P4RTError(INVALID, "Missing non-ternary field in match key")
    if len(match) != len(te.match):
        raise P4RTError(INVALID, "Unknown field in match key")
    needs = table.needs_priority
    if not needs and te.priority > 0:
        raise P4RTError(INVALID, "Non-zero priority for non-ternary match")
    if needs and te.priority == 0:
        raise P4RTError(INVALID, "Zero priority for ternary match")
    return tuple(match), (te.priority if needs else None)


def action_of(te: Any, table: TableIds, ids: ProgramIds) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The entry's action and parameters (by name, in declaration order), checked as PI's
    ``validate_action`` and ``construct_action_data``."""
    which = te.action.WhichOneof("type")
    if which is None:
        raise P4RTError(INVALID, "'action' field must be set")
    if which != "action":
        raise P4RTError(INVALID, f"Cannot provide indirect action for direct table {table.id}")
    act = te.action.action
    action = ids.actions.get(act.action_id)
    if action is None:
        raise P4RTError(INVALID, "Invalid P4 id")
    if act.action_id not in table.actions:
        raise P4RTError(INVALID, "Invalid action for table")
    if act.action_id in table.default_only:
        raise P4RTError(rpc_code.PERMISSION_DENIED, "Cannot use DEFAULT_ONLY action in table entry")
    if len(act.params) != len(action.order):
        raise P4RTError(INVALID, "Unexpected number of action parameters")
    values: dict[int, int] = {}
    for p in act.params:
        info = action.params.get(p.param_id)
        if info is None:
            raise P4RTError(INVALID, "Unknown action parameter")
        values[p.param_id] = to_int(p.value, info.bitwidth)
    if len(values) != len(action.order):  # a parameter given twice, another missing
        raise P4RTError(INVALID, "Unexpected number of action parameters")
    return action.name, tuple((action.params[pid].name, values[pid]) for pid in action.order)


def check_not_default(te: Any, table: TableIds, verb: int) -> None:
    """Default entries: the program's tables all have a const default action."""
    if not te.is_default_action:
        return
    if verb == p4r.Update.INSERT:
        raise P4RTError(INVALID, "Cannot use INSERT for default entry")
    if table.const_default:
        raise P4RTError(rpc_code.PERMISSION_DENIED,
                        f"Cannot set / reset default action for table {table.id} which has a "
                        "const default action")
    raise P4RTError(rpc_code.UNIMPLEMENTED, "Default entries are not supported")


def entry_of(te: Any, ids: ProgramIds, verb: int) -> Entry:
    """The device entry an INSERT / MODIFY / DELETE names (for DELETE the action, if any,
    is not looked at: P4Runtime identifies an entry by its match and priority)."""
    table = table_of(te, ids)
    if te.HasField("time_since_last_hit"):
        raise P4RTError(INVALID, "has_time_since_last_hit must not be set in WriteRequest")
    check_not_default(te, table, verb)
    if verb == p4r.Update.INSERT and not te.HasField("action"):
        raise P4RTError(INVALID, "'action' field must be set")
    if verb == p4r.Update.MODIFY and not te.HasField("action"):
        raise P4RTError(INVALID, "'action' field must be set for non-default entries")
    match, priority = match_of(te, table)
    if verb == p4r.Update.DELETE:
        return Entry(table.name, match, "", (), priority)
    action, params = action_of(te, table, ids)
    return Entry(table.name, match, action, params, priority)


def idle_timeout_of(te: Any, table: TableIds) -> int:
    """An INSERT's or MODIFY's ``idle_timeout_ns``, checked as PI's
    ``validate_entry_ttl`` (after the match and the action, before the entry is looked
    for)."""
    ttl = int(te.idle_timeout_ns)
    if ttl < 0:
        raise P4RTError(INVALID, "idle_timeout_ns must be a positive value")
    if ttl > 0 and not table.idle_timeout:
        raise P4RTError(INVALID, "idle_timeout_ns must be set to 0 for tables which do not "
                        "support idle timeout")
    return ttl


def check_read_ageing(te: Any, table: TableIds) -> None:
    """A read asking for ``time_since_last_hit`` where PI refuses it."""
    if not te.HasField("time_since_last_hit"):
        return
    if te.is_default_action:
        raise P4RTError(INVALID, "Default table entries do not support entry ageing, do not "
                        "set 'time_since_last_hit' in your ReadRequest")
    if not table.idle_timeout:
        raise P4RTError(INVALID, "Do not set time_since_last_hit for a ReadRequest if the "
                        "table does not support idle timeout; yes, that includes wildcard "
                        "reads")


def match_to_proto(entry: Entry, ids: ProgramIds, out: Any) -> None:
    """``entry``'s table, match and priority into the ``TableEntry`` ``out`` (what an
    IdleTimeoutNotification names an entry by)."""
    tid = ids.table_ids[entry.table]
    out.table_id = tid
    for name, value in entry.match:
        fm = out.match.add()
        fm.field_id = ids.field_ids[(tid, name)]
        if isinstance(value, Exact):
            fm.exact.value = canonical(value.value)
        elif isinstance(value, Ternary):
            fm.ternary.value = canonical(value.value)
            fm.ternary.mask = canonical(value.mask)
        else:
            fm.lpm.value = canonical(value.value)
            fm.lpm.prefix_len = value.prefix_len
    if entry.priority:
        out.priority = entry.priority


def entry_to_proto(entry: Entry, ids: ProgramIds, out: Any) -> None:
    """Fill the ``TableEntry`` ``out`` with ``entry``, canonical byte strings."""
    match_to_proto(entry, ids, out)
    aid = ids.action_ids[entry.action]
    act = out.action.action
    act.action_id = aid
    for pname, pv in entry.params:
        p = act.params.add()
        p.param_id = ids.param_ids[(aid, pname)]
        p.value = canonical(pv)
