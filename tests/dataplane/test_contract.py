"""A fact of the data-plane contract, changed in its one place, changes the P4 program, the
P4Info and the entry checks together (the switch model reads the same modules)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.dataplane.program import (
    COUNTER_DIGITS,
    counted_bytes,
    counted_cells,
    counter_len_cells,
)

# Runs in a fresh interpreter: the contract is patched before anything derives from it.
_PROBE = textwrap.dedent(
    """
    import json, sys
    from p4sfc_compiler.dataplane import wire
    nf_bits = int(sys.argv[1])
    if nf_bits != 8:
        wire.SFC_NF = wire.HeaderType("sfc_nf_t", (
            wire.HeaderField("nfId", nf_bits), wire.HeaderField("reserved", 15 - nf_bits),
            wire.HeaderField("bos", 1)))
    from p4sfc_compiler.dataplane.match import Entry
    from p4sfc_compiler.p4info.checks import check_entry
    from p4sfc_compiler.backend.render_p4 import render_p4
    from p4sfc_compiler.dataplane.program import build_program
    from p4sfc_compiler.dataplane.match import Exact
    from p4sfc_compiler.errors import P4SFCError
    from p4sfc_compiler.p4info.index import P4InfoIndex
    from p4sfc_compiler.p4info.write import render_p4info

    text = render_p4()
    index = P4InfoIndex.from_text(render_p4info(build_program()))
    entry = Entry(
        "MyIngress.chain_exit", (("chain_id", Exact(1)),), "MyIngress.exit_chain",
        (("port", 2),))
    big_nf = Entry(
        "MyIngress.nf_dispatch",
        (("chain_id", Exact(1)), ("nf_id", Exact(300)), ("to_server", Exact(0))),
        "MyIngress.run_local")
    check_entry(entry, index)
    try:
        check_entry(big_nf, index)
        accepted = True
    except P4SFCError:
        accepted = False
    print(json.dumps({
        "header": f"bit<{nf_bits}> nfId;" in text,
        "metadata": f"bit<{nf_bits}>" in text.split("struct metadata_t")[1].split("nf_id;")[0],
        "p4info_key": index.table("MyIngress.nf_dispatch").fields["nf_id"].bitwidth,
        "p4info_param": index.action("MyIngress.push_chain_1").params["nf0"].bitwidth,
        "nf_id_300_accepted": accepted,
    }))
    """
)


def _probe(nf_bits: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(nf_bits)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_nf_id_width_is_one_fact() -> None:
    assert _probe(8) == {
        "header": True, "metadata": True, "p4info_key": 8, "p4info_param": 8,
        "nf_id_300_accepted": False,
    }
    assert _probe(12) == {
        "header": True, "metadata": True, "p4info_key": 12, "p4info_param": 12,
        "nf_id_300_accepted": True,
    }


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1023), st.lists(st.integers(0, (1 << 20) - 1), max_size=40))
def test_counter_digit_cells_add_up_to_the_bytes(slot: int, lengths: list[int]) -> None:
    # The layout the counter block, its switch model and every reader share: a packet
    # counts one cell per digit of its length, inside its slot, and the cells give back
    # the byte sum exactly.
    cells: dict[int, int] = {}
    for n in lengths:
        counted = counted_cells(slot, n)
        assert len(counted) == COUNTER_DIGITS
        assert all(c in counter_len_cells(slot) for c in counted)
        for c in counted:
            cells[c] = cells.get(c, 0) + 1
    assert counted_bytes(cells, slot) == sum(lengths)
    assert counted_bytes(cells, slot + 1) == 0
