"""Word-test trees compiled to Python functions, for the NF engine's classifiers.

:func:`~p4sfc_compiler.families.wordtests.eval_node` walks a tree per packet; the engine
compiles a classifier's rule list once into one Python function, as Click compiles its
patterns into a program. The function reads the packet as the ``evaluate`` modules do
(words zero-filled past the end, a test on a masked byte past the end answers its
``short_true``) and gives the first matching rule's result; tests
(``tests/engine/test_wordprog.py``) hold it equal to ``evaluate`` on random packets.

Each leaf becomes ``(SHORT if plen <= LIMIT else (word(at) & MASK) == VALUE)``, where
``LIMIT`` is the leaf's offset plus the index of its last masked byte: Click's "a masked
byte lies past the end" in one comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from p4sfc_compiler.families.wordtests import And, Const, Ite, Leaf, Node, Not, Or, Rel

# A compiled rule list: (buffer, view) -> result of the first matching rule, or None.
Program = Callable[..., int | None]


def last_masked_byte(mask: int) -> int:
    """Index (0..3, big-endian) of the last byte of ``mask`` with a bit set."""
    return max(k for k in range(4) if (mask >> (8 * (3 - k))) & 0xFF)


def expression(node: Node, leaf: Callable[[Leaf], str]) -> str:
    """Python source deciding ``node``; ``leaf`` writes one test."""
    match node:
        case Leaf():
            return leaf(node)
        case Const(v):
            return "True" if v else "False"
        case Not(child):
            return f"(not {expression(child, leaf)})"
        case And(children):
            return "(" + " and ".join(expression(c, leaf) for c in children) + ")"
        case Or(children):
            return "(" + " or ".join(expression(c, leaf) for c in children) + ")"
        case Ite(c, a, b):
            return (f"({expression(a, leaf)} if {expression(c, leaf)} "
                    f"else {expression(b, leaf)})")
        case Rel(c, _):
            return expression(c, leaf)
    raise TypeError(node)


def build_program(prologue: Sequence[str], rules: Sequence[tuple[Node, int | None]],
                  leaf: Callable[[Leaf], str], args: str) -> Program:
    """One function ``f(args)``: ``prologue`` lines, then the rules in order."""
    lines = [f"def program({args}):", *(f"    {line}" for line in prologue)]
    for node, result in rules:
        cond = expression(node, leaf)
        if cond == "True":
            lines.append(f"    return {result}")
            break
        if cond != "False":
            lines.append(f"    if {cond}: return {result}")
    else:
        lines.append("    return None")
    namespace: dict[str, object] = {"from_bytes": int.from_bytes}
    # The source is made of integers and fixed names only: nothing of the user's text.
    exec(compile("\n".join(lines), "<word-program>", "exec"), namespace)  # noqa: S102
    program = namespace["program"]
    assert callable(program)
    return program
