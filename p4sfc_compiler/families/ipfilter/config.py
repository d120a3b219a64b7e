"""An IPFilter / IPClassifier configuration: ``ACTION PATTERN`` arguments, parsed.

IPFilter's action is ``allow`` (output 0), ``deny``/``drop`` or an output number;
IPClassifier's is the argument's index. Each pattern is compiled to Click's word tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families import values
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.ipfilter.parser import Parser, read_uint, separate_text
from p4sfc_compiler.families.ipfilter.primitive import PatternError
from p4sfc_compiler.families.wordtests import Const, Node

CLASSES = ("IPFilter", "IPClassifier")


@dataclass(frozen=True)
class FilterRule:
    """One ACTION PATTERN pair: ``port`` (None = drop) and the compiled test tree."""

    port: int | None
    node: Node
    text: str


@dataclass(frozen=True)
class FilterConfig:
    cls: str
    rules: tuple[FilterRule, ...]
    pos: SourcePos | None = field(default=None, compare=False)

    @property
    def max_port(self) -> int:
        return max((r.port for r in self.rules if r.port is not None), default=-1)


def parse(cls: str, args: Sequence[str], pos: SourcePos | None = None,
          env: values.ConfigEnv | None = None) -> FilterConfig:
    if cls not in CLASSES:
        raise ElementConfigError(f"{cls} is not handled by the IPFilter module", pos)
    rules: list[FilterRule] = []
    for i, arg in enumerate(args):
        text = values.unquote(arg)
        words = separate_text(text)
        where = f"{cls} pattern {i}"
        if cls == "IPClassifier":
            words = [str(i), *words]
        if not words or (cls == "IPClassifier" and len(words) == 1):
            raise ElementConfigError(f"{where}: empty pattern", pos)
        slot = words[0]
        port: int | None
        if slot == "allow":
            port = 0
        elif slot in ("deny", "drop"):
            port = None
        else:
            port = read_uint(slot) if values.ascii_alnum(slot.lstrip("+-")) else None
            if port is None:
                raise ElementConfigError(f"{where}: unknown slot ID '{slot}'", pos)
        if len(words) == 1 or (len(words) == 2 and words[1] in ("-", "any", "all")):
            node: Node = Const(True)
        else:
            parser = Parser(words, env)
            try:
                end, node = parser.expr(1)
                if end < len(words):
                    raise PatternError(f"garbage after expression at '{words[end]}'")
            except PatternError as e:
                raise ElementConfigError(f"{where}: {e} (in '{text.strip()}')", pos) from None
        rules.append(FilterRule(port, node, text.strip()))
    return FilterConfig(cls, tuple(rules), pos)
