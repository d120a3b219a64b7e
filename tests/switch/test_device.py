"""The device state of a loaded program, and recognising a p4sfc program by its P4Info."""

from __future__ import annotations

import re

import pytest

from p4sfc_compiler.dataplane.program import ProgramParams, build_program
from p4sfc_compiler.p4info.write import render_p4info
from p4sfc_compiler.switch.device import Device, NotP4SFCProgram, program_params_from_p4info


@pytest.mark.parametrize(
    "params",
    [
        ProgramParams(),
        ProgramParams(stages=3, max_chain=4, table_size=64, register_size=32),
        ProgramParams(stages=1, kinds=("classify", "forward")),  # no register at all
        ProgramParams(stages=2, kinds=("counter", "alert"), register_size=7),
    ],
)
def test_params_round_trip_through_the_p4info(params: ProgramParams) -> None:
    text = render_p4info(build_program(params))
    got = program_params_from_p4info(text)
    assert render_p4info(build_program(got)) == text
    if build_program(params).registers:
        assert got == params
    else:  # a program without registers does not say their size
        assert (got.stages, got.max_chain, got.table_size, got.kinds) == (
            params.stages, params.max_chain, params.table_size, params.kinds)


def test_device_holds_every_table_and_register() -> None:
    prog = build_program(ProgramParams(stages=2, register_size=16))
    dev = Device(prog)
    assert set(dev.tables) == set(prog.tables)
    assert dev.tables["MyIngress.stage1.classify"].size == prog.params.table_size
    reg = dev.registers["MyIngress.stage1.counter_first"]
    assert reg.size == 16 and reg.cells == [0] * 16 and reg.bitwidth == 48
    counter = dev.counters["MyIngress.stage1.counter_len_digits"]
    assert counter.size == prog.counters[counter.name].size
    cells = reg.cells  # the pipeline's models hold these lists: a reset keeps them
    reg.cells[3] = 5
    counter.cells.count(2, 60)
    assert dev.counter_value(counter.name, 2) == (1, 60)
    dev.reset_state()
    assert reg.cells is cells and cells[3] == 0
    assert dev.counter_value(counter.name, 2) == (0, 0)
    dev.clone_sessions[512 + 3] = ((3, 1),)
    assert dev.clone_sessions == {515: ((3, 1),)}


def test_a_foreign_p4info_is_refused() -> None:
    with pytest.raises(NotP4SFCProgram, match="no table MyIngress.stage0.element_control"):
        program_params_from_p4info('pkg_info { arch: "v1model" }\n')


def test_an_edited_p4info_names_its_first_difference() -> None:
    text = render_p4info(build_program(ProgramParams(stages=2)))
    # another id for one table
    m = re.search(r'id: (\d+)\n    name: "MyIngress.stage1.ip_lookup"', text)
    assert m is not None
    edited = text.replace(m.group(0), m.group(0).replace(m.group(1), str(int(m.group(1)) + 1)))
    with pytest.raises(NotP4SFCProgram, match="table MyIngress.stage1.ip_lookup has id"):
        program_params_from_p4info(edited)
    # a renamed parameter
    edited = text.replace('name: "bytes_base"', 'name: "bytes_bass"', 1)
    with pytest.raises(NotP4SFCProgram, match="exec_counter has other parameters"):
        program_params_from_p4info(edited)
