"""What the resolve pass builds and the expand pass reads: classes, elements, scopes.

A :class:`Scope` is one router as Click's ``RouterT`` keeps it before flattening: the
file, or one body of a compound class (groups live in their parent's scope). Elements
are numbered per scope; connections join (element, port) pairs of one scope. Classes are
primitives (Click's element classes, looked up by name), synonyms, or compounds whose
bodies are scopes of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from p4sfc_compiler.frontend.statements import Formal, Loc


@dataclass(eq=False)
class Primitive:
    name: str


@dataclass(eq=False)
class Synonym:
    name: str
    target: ClassT


@dataclass(eq=False)
class CompoundClass:
    name: str  # "" when anonymous
    loc: Loc
    bodies: list[Scope] = field(default_factory=list)
    extension: ClassT | None = None

    @property
    def printable(self) -> str:
        return self.name or "<anonymous compound>"


ClassT = Primitive | Synonym | CompoundClass


@dataclass(eq=False, slots=True)
class Elem:
    name: str
    cls: ClassT | None  # None for tunnels
    config: str
    loc: Loc | None
    tunnel_next: int | None = None  # tunnel: element whose outputs continue its inputs


class Scope:
    """One router: the file, a compound body; groups live in their parent's scope."""

    def __init__(self, parent: Scope | None, depth: int, compound: CompoundClass | None,
                 pseudo: bool) -> None:
        self.parent = parent
        self.depth = depth
        self.compound = compound
        self.elements: list[Elem] = []
        self.emap: dict[str, int] = {}
        self.conns: list[tuple[int, int, int, int, Loc]] = []
        self.types: dict[str, ClassT] = {}
        self.defines: dict[str, str] = {}
        self.formals: list[Formal] = []
        self.requires: list[str] = []
        self.anon_offset = 0
        self.group_depth = 0
        self.ninputs = 0
        self.noutputs = 0
        self.expanding = False
        self.has_pseudo = pseudo
        if pseudo:
            self.add_element("input", None, "", None)
            self.add_element("output", None, "", None)
            self.anon_offset = 2

    @property
    def nested(self) -> bool:
        return self.has_pseudo or self.group_depth > 0

    def add_element(self, name: str, cls: ClassT | None, config: str, loc: Loc | None) -> int:
        idx = self.emap.get(name)
        if idx is not None:
            return idx
        idx = len(self.elements)
        self.elements.append(Elem(name, cls, config, loc))
        self.emap[name] = idx
        return idx

    def anon_name(self, cls_name: str) -> str:
        return f";{cls_name}@{len(self.elements) - self.anon_offset + 1}"

    def used_ports(self) -> list[list[int]]:
        """Per element: [inputs used, outputs used]."""
        used = [[0, 0] for _ in self.elements]
        for s, sp, d, dp, _ in self.conns:
            if sp + 1 > used[s][1]:
                used[s][1] = sp + 1
            if dp + 1 > used[d][0]:
                used[d][0] = dp + 1
        return used

    def assign_names(self) -> None:
        """Give anonymous elements their final ``Class@k`` names, avoiding clashes."""
        for idx, e in enumerate(self.elements):
            if not e.name.startswith(";"):
                continue
            name = e.name[1:]
            if name in self.emap:
                at = name.rfind("@")
                prefix, digits = name[:at + 1], name[at + 1:]
                k = int(digits) if digits.isascii() and digits.isdigit() else 0
                while True:
                    k += 1
                    name = f"{prefix}{k}"
                    if name not in self.emap:
                        break
            if self.emap.get(e.name) == idx:
                del self.emap[e.name]
            e.name = name
            self.emap[name] = idx
