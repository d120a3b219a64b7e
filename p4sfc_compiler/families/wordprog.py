"""Click's optimised classifier programs compiled to Python functions, for the NF engine.

A classifier's program (:mod:`~p4sfc_compiler.families.wordwise`: Click's insns after
its optimiser) is turned once into one Python function, as Click compiles its patterns
into a program: each step becomes ``if LENGTH < NEED: <short branch>`` (Click's length
check: a masked byte at or past the packet end) then ``if (word & MASK) == VALUE:``
(``in {...}`` for IPFilter's multi-value steps), its yes branch nested and its no
branch following. A step reached from several others is a function of its own, called
with the packet's variables, so the code grows with the program, not with its paths.
Tests (``tests/engine/test_wordprog.py``) hold the function equal to the families'
``evaluate``, which walks the same program step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from p4sfc_compiler.families.wordwise import NEVER_OUTPUT, Compiled

# A compiled program: (the family's arguments) -> output port, or None = drop.
Program = Callable[..., int | None]

# Past this nesting depth a step becomes a function: Python refuses deep indentation.
_MAX_DEPTH = 40


def _result(jump: int) -> str:
    return "None" if -jump == NEVER_OUTPUT else str(-jump)


def build_program(compiled: Compiled, prologue: Sequence[str], word: Callable[[int], str],
                  args: str, state: str, length: str) -> Program:
    """One function ``program(args)``: ``prologue`` lines, then the steps. ``word(offset)``
    is the expression reading the 32-bit word at a step's offset from the names in
    ``state`` (the variables step functions receive); ``length`` names the packet length
    the steps' length checks compare with."""
    steps = compiled.steps
    indegree = [0] * len(steps)
    for s in steps:
        for j in {s.yes, s.no}:
            if j > 0:
                indegree[j] += 1
    wanted: list[int] = []
    spilled: set[int] = set()

    def jump(j: int, ind: str, depth: int, out: list[str]) -> None:
        if j <= 0:
            out.append(f"{ind}return {_result(j)}")
        elif indegree[j] > 1 or depth > _MAX_DEPTH:
            if j not in spilled:
                spilled.add(j)
                wanted.append(j)
            out.append(f"{ind}return s{j}({state})")
        else:
            step(j, ind, depth, out)

    def step(i: int, ind: str, depth: int, out: list[str]) -> None:
        s = steps[i]
        out.append(f"{ind}if {length} < {s.need}:")
        jump(s.yes if s.short else s.no, ind + "    ", depth + 1, out)
        w = f"({word(s.offset)} & {s.mask})"
        if len(s.values) == 1:
            cond = f"{w} == {s.values[0]}"
        else:
            cond = f"{w} in {{{', '.join(str(v) for v in s.values)}}}"
        out.append(f"{ind}if {cond}:")
        jump(s.yes, ind + "    ", depth + 1, out)
        jump(s.no, ind, depth, out)

    main = [f"def program({args}):", *(f"    {line}" for line in prologue)]
    if compiled.everything >= 0:
        main.append(f"    return {_result(-compiled.everything)}")
    else:
        step(0, "    ", 0, main)
    functions: list[str] = []
    while wanted:
        i = wanted.pop()
        body = [f"def s{i}({state}):"]
        step(i, "    ", 0, body)
        functions += body
    namespace: dict[str, object] = {"from_bytes": int.from_bytes}
    # The source is made of integers and fixed names only: nothing of the user's text.
    exec(compile("\n".join(functions + main), "<word-program>", "exec"), namespace)  # noqa: S102
    program = namespace["program"]
    assert callable(program)
    return program
