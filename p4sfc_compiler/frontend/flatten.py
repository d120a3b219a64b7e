"""From the statement tree to the flat IR: names, classes, compounds, groups.

Follows the two passes of Click's tool library (``LexerT`` then ``RouterT::flatten``):

1. *resolve*: walk statements in order per scope, decide for each identifier whether it
   is a class (known classes and ``elementclass`` definitions visible so far win) or an
   element, create elements (anonymous ones as ``Class@k``), connect ports, build
   compound classes and expand groups into tunnel pairs;
2. *expand*: instantiate compounds recursively under ``name/`` prefixes with their
   formals and ``define``s bound, expand ``$vars`` in config strings, then replace
   tunnels (compound and group boundaries) by direct connections.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import networkx as nx

from p4sfc_compiler.errors import ClickSyntaxError, SourcePos
from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend.classes import load_classes
from p4sfc_compiler.frontend.configstring import (
    VarEnv,
    expand,
    keyword_split,
    parse_defines,
    split_args,
    split_words,
)

# ---------------------------------------------------------------- source positions


class Source:
    """The text being parsed; maps offsets to files (line directives) and lines."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self._file_offsets: list[int] = [0]
        self._file_names: list[str] = [filename]
        self._line_starts: list[int] | None = None

    def set_file(self, offset: int, name: str) -> None:
        self._file_offsets.append(offset)
        self._file_names.append(name)

    def file_at(self, offset: int) -> str:
        return self._file_names[bisect.bisect_right(self._file_offsets, offset) - 1]

    def line_text(self, offset: int) -> str:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        k = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[k]
        end = self.text.find("\n", start)
        return self.text[start:end if end >= 0 else len(self.text)].rstrip("\r")

    def error(self, loc: Loc | None, message: str) -> ClickSyntaxError:
        if loc is None:
            return ClickSyntaxError(message, SourcePos(self.filename, 1, 1))
        # the location may belong to another file (require(library ...))
        return ClickSyntaxError(message, loc.pos(), loc.src.line_text(loc.offset))


class Loc:
    """Where a token starts: offset into the source plus logical line and column."""

    __slots__ = ("src", "offset", "line", "col")

    def __init__(self, src: Source, offset: int, line: int, col: int) -> None:
        self.src = src
        self.offset = offset
        self.line = line
        self.col = col

    def pos(self) -> SourcePos:
        return SourcePos(self.src.file_at(self.offset), self.line, self.col)


# ---------------------------------------------------------------- statement tree


@dataclass(slots=True)
class Config:
    loc: Loc
    text: str


@dataclass(slots=True)
class Ports:
    """Port list as Click keeps it: numbers, a trailing -1 marks an expandable list."""

    loc: Loc
    items: list[int]


@dataclass(slots=True)
class RefName:
    loc: Loc
    name: str
    config: Config | None


@dataclass(slots=True)
class RefDecl:
    loc: Loc
    name: str
    cls_name: str | None
    cls_loc: Loc
    compound: Compound | None
    config: Config | None


@dataclass(slots=True)
class RefCompound:
    loc: Loc
    compound: Compound
    config: Config | None


@dataclass(slots=True)
class RefGroup:
    loc: Loc
    stmts: list


@dataclass(slots=True)
class Elt:
    in_ports: Ports | None
    ref: RefName | RefDecl | RefCompound | RefGroup | None
    out_ports: Ports | None
    loc: Loc


@dataclass(slots=True)
class Connection:
    lead: Loc | None
    steps: list  # [(None | (arrow Loc, "->"|"=>"), [Elt, ...]), ...]
    trail: tuple[Loc, str] | None


@dataclass(slots=True)
class Formal:
    loc: Loc
    keyword: str
    name: str


@dataclass(slots=True)
class Body:
    formals: list[Formal]
    stmts: list


@dataclass(slots=True)
class Compound:
    loc: Loc
    bodies: list[Body]
    dots: Loc | None


@dataclass(slots=True)
class ElementClassStmt:
    loc: Loc
    name: str
    compound: Compound | None
    synonym: str | None
    synonym_loc: Loc | None


@dataclass(slots=True)
class Require:
    loc: Loc
    config: Config


@dataclass(slots=True)
class Define:
    loc: Loc
    config: Config


# ---------------------------------------------------------------- classes and scopes


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
                k = int(digits) if digits.isdigit() else 0
                while True:
                    k += 1
                    name = f"{prefix}{k}"
                    if name not in self.emap:
                        break
            if self.emap.get(e.name) == idx:
                del self.emap[e.name]
            e.name = name
            self.emap[name] = idx


@dataclass(slots=True)
class _EState:
    """An element mentioned in a connection, before it is created or looked up."""

    name: str
    type: ClassT | None  # the identifier itself is a class
    decl_type: ClassT | None
    bare: bool
    config: str
    loc: Loc
    in_ports: list[int]
    out_ports: list[int]
    implicit: bool = False


# ---------------------------------------------------------------- pass 1: resolve

# An unknown word of this shape used where a class may stand is taken as a class (Click's
# tools accept any word there; the driver would know its own classes). Lower-case words
# and qualified names must be declared elements.
_CLASS_LIKE = re.compile(r"[A-Z][A-Za-z0-9_]*")


class Resolver:
    def __init__(self, src: Source, extra_classes: frozenset[str]) -> None:
        self.src = src
        self.known = set(load_classes()) | set(extra_classes)
        self._prims: dict[str, Primitive] = {}
        self.libraries: set[Path] = {Path(src.filename).resolve()}

    def err(self, loc: Loc | None, message: str) -> ClickSyntaxError:
        return self.src.error(loc, message)

    def primitive(self, name: str) -> Primitive:
        p = self._prims.get(name)
        if p is None:
            p = self._prims[name] = Primitive(name)
        return p

    def lookup_class(self, scope: Scope, name: str) -> ClassT | None:
        s: Scope | None = scope
        while s is not None:
            t = s.types.get(name)
            if t is not None:
                return t
            s = s.parent
        if name in self.known:
            return self.primitive(name)
        return None

    def force_class(self, scope: Scope, name: str, loc: Loc) -> ClassT:
        t = self.lookup_class(scope, name)
        if t is not None:
            return t
        if name in scope.emap:
            raise self.err(loc, f"'{name}' was previously used as an element name")
        return self.primitive(name)

    # -- statements

    def statements(self, scope: Scope, stmts: list) -> None:
        for st in stmts:
            if isinstance(st, Connection):
                self.connection(scope, st)
            elif isinstance(st, ElementClassStmt):
                self.elementclass(scope, st)
            elif isinstance(st, Require):
                self.require(scope, st)
            elif isinstance(st, Define):
                self.define(scope, st)

    def elementclass(self, scope: Scope, st: ElementClassStmt) -> None:
        if st.name in scope.emap:
            raise self.err(st.loc, f"'{st.name}' already used as an element name")
        if st.compound is not None:
            cls: ClassT = self.compound(scope, st.compound, st.name, st.loc)
        else:
            assert st.synonym is not None and st.synonym_loc is not None
            cls = Synonym(st.name, self.force_class(scope, st.synonym, st.synonym_loc))
        scope.types[st.name] = cls

    def require(self, scope: Scope, st: Require) -> None:
        for arg in split_args(st.config.text):
            words = split_words(arg)
            if not words:
                continue
            kind = words[0]
            if kind not in ("compact_config", "package") and len(words) == 1:
                words = ["package", kind]
                kind = "package"
            if kind == "library" and len(words) == 2:
                self.library(scope, words[1], st.config.loc)
                continue
            if not ((kind == "compact_config" and len(words) == 1)
                    or (kind == "package" and len(words) == 2)):
                raise self.err(st.config.loc, f"syntax error at requirement {arg!r}")
            scope.requires.append(" ".join(words))

    def library(self, scope: Scope, name: str, loc: Loc) -> None:
        """``require(library FILE)``: read FILE's statements into the file scope, once."""
        if scope.parent is not None or scope.group_depth:
            raise self.err(loc, "'require(library ...)' must be used at file scope")
        if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
            name = name[1:-1]
        base = Path(self.src.filename).parent
        path = (base / name).resolve()
        if not path.is_file():
            raise self.err(loc, f"library '{name}' not found next to {self.src.filename}")
        if path in self.libraries:
            return
        self.libraries.add(path)
        # imported late: the parser module imports this one
        from p4sfc_compiler.frontend.parser import parse_statements

        lib_src, stmts = parse_statements(path.read_text(encoding="utf-8",
                                                         errors="surrogateescape"), str(path))
        outer = self.src
        self.src = lib_src
        try:
            self.statements(scope, stmts)
        finally:
            self.src = outer

    def define(self, scope: Scope, st: Define) -> None:
        for item in parse_defines(st.config.text):
            if item is None:
                raise self.err(st.config.loc, "bad 'define' declaration: not a variable")
            name, value = item
            if name in scope.defines or any(f.name == name for f in scope.formals):
                raise self.err(st.config.loc, f"parameter '${name}' multiply defined")
            scope.defines[name] = value

    # -- compounds and groups

    def compound(self, scope: Scope, node: Compound, name: str, decl_loc: Loc) -> CompoundClass:
        cls = CompoundClass(name, decl_loc)
        extension: ClassT | None = None
        if node.dots is not None:
            if not name:
                raise self.err(node.dots, "cannot extend anonymous compound element class")
            extension = self.force_class(scope, name, node.dots)
        for body in node.bodies:
            sub = Scope(scope, scope.depth + 1, cls, pseudo=True)
            self.formals(sub, body.formals)
            self.statements(sub, body.stmts)
            sub.ninputs = self.check_pseudo(sub, sub.emap["input"], False, cls.printable,
                                            node.loc)
            sub.noutputs = self.check_pseudo(sub, sub.emap["output"], True, cls.printable,
                                             node.loc)
            sub.assign_names()
            cls.bodies.append(sub)
        cls.extension = extension
        return cls

    def formals(self, scope: Scope, formals: list[Formal]) -> None:
        seen_kw: set[str] = set()
        for i, f in enumerate(formals):
            if any(g.name == f.name for g in formals[:i]):
                raise self.err(f.loc, f"parameter '${f.name}' multiply defined")
            if f.keyword:
                if f.keyword in seen_kw:
                    raise self.err(f.loc, f"repeated keyword parameter '{f.keyword}' in "
                                          "compound element")
                seen_kw.add(f.keyword)
            if i > 0:
                prev = formals[i - 1].keyword
                if (not f.keyword and prev) or prev == "__REST__":
                    raise self.err(f.loc, "compound element parameters out of order (the "
                                          "order is [positional], [keywords], [__REST__])")
        scope.formals = list(formals)

    def check_pseudo(self, scope: Scope, idx: int, is_output: bool, name: str,
                     loc: Loc | None) -> int:
        """Check a compound's or group's ``input``/``output``; returns its port count."""
        what = "output" if is_output else "input"
        other = "input" if is_output else "output"
        used: set[int] = set()
        for s, sp, d, dp, cloc in scope.conns:
            if (d if not is_output else s) == idx:
                raise self.err(cloc, f"'{name}' pseudoelement '{what}' may only be used as "
                                     f"{other}")
            if (s if not is_output else d) == idx:
                used.add(sp if not is_output else dp)
        n = max(used) + 1 if used else 0
        for p in range(n):
            if p not in used:
                raise self.err(loc, f"'{name}' {what} {p} missing (ports must have no gaps)")
        return n

    def group(self, scope: Scope, ref: RefGroup, name: str) -> tuple[int, int]:
        gi = scope.add_element(name, None, "", ref.loc)
        ii = scope.add_element(name + "/input", None, "", ref.loc)
        oi = scope.add_element(name + "/output", None, "", ref.loc)
        scope.elements[gi].tunnel_next = ii
        scope.elements[oi].tunnel_next = gi
        old_in = scope.emap.get("input")
        old_out = scope.emap.get("output")
        scope.emap["input"] = ii
        scope.emap["output"] = oi
        scope.group_depth += 1
        try:
            self.statements(scope, ref.stmts)
        finally:
            scope.group_depth -= 1
            for key, old in (("input", old_in), ("output", old_out)):
                if old is None:
                    scope.emap.pop(key, None)
                else:
                    scope.emap[key] = old
        return (self.check_pseudo(scope, ii, False, "<anonymous group>", ref.loc),
                self.check_pseudo(scope, oi, True, "<anonymous group>", ref.loc))

    # -- connections

    def connection(self, scope: Scope, st: Connection) -> None:
        steps = list(st.steps)
        if st.lead is not None and not steps:
            steps = [(None, [Elt(None, None, None, st.lead)]),
                     ((st.lead, "->"), [Elt(None, None, None, st.lead)])]
        elif st.lead is not None:
            steps.insert(0, (None, [Elt(None, None, None, st.lead)]))
            steps[1] = ((st.lead, "->"), steps[1][1])
        if st.trail is not None:
            steps.append((st.trail, [Elt(None, None, None, st.trail[0])]))
        prev: list[tuple[int, list[int], list[int]]] | None = None
        nsteps = len(steps)
        for k, (arrow, elts) in enumerate(steps):
            first = k == 0
            followed_by_arrow = k + 1 < nsteps
            states = [self.element_state(scope, e, first, followed_by_arrow) for e in elts]
            vec = self.add_elements(scope, states, first, followed_by_arrow)
            if first:
                for s in states:
                    if s.in_ports and not s.implicit:
                        raise self.err(s.loc, "input ports ignored at start of chain")
            else:
                assert prev is not None and arrow is not None
                self.connect_all(scope, prev, vec, arrow[1], arrow[0])
            if not followed_by_arrow:
                for s in states:
                    if s.out_ports and not s.implicit:
                        raise self.err(s.loc, "output ports ignored at end of chain")
            prev = vec

    def element_state(self, scope: Scope, elt: Elt, first: bool, followed: bool) -> _EState:
        in_ports = elt.in_ports.items if elt.in_ports else []
        out_ports = elt.out_ports.items if elt.out_ports else []
        ref = elt.ref
        if ref is None:
            # implicit input/output: only inside compounds and groups
            if not scope.nested:
                raise self.err(elt.loc, "syntax error: connection end without an element "
                                        "(implicit 'input'/'output' only inside compounds "
                                        "and groups)")
            if first:
                if not followed:
                    raise self.err(elt.loc, "syntax error: stranded port")
                return _EState("input", None, None, True, "", elt.loc, [], in_ports,
                               implicit=True)
            if followed:
                raise self.err(elt.loc, "implicit ports used in the middle of a chain")
            return _EState("output", None, None, True, "", elt.loc, in_ports, [],
                           implicit=True)
        if isinstance(ref, RefName):
            t = self.lookup_class(scope, ref.name)
            if ref.config is not None and t is None and ref.name in scope.emap:
                raise self.err(ref.config.loc,
                               "configuration string ignored on element reference "
                               f"'{ref.name}'")
            cfg = ref.config.text if ref.config else ""
            return _EState(ref.name, t, None, ref.config is None, cfg, ref.loc, in_ports,
                           out_ports)
        if isinstance(ref, RefDecl):
            t = self.lookup_class(scope, ref.name)
            if ref.compound is not None:
                decl: ClassT = self.compound(scope, ref.compound, "", ref.cls_loc)
            else:
                assert ref.cls_name is not None
                decl = self.force_class(scope, ref.cls_name, ref.cls_loc)
            if ref.config is not None and t is None and ref.name in scope.emap:
                raise self.err(ref.config.loc,
                               "configuration string ignored on element reference "
                               f"'{ref.name}'")
            cfg = ref.config.text if ref.config else ""
            return _EState(ref.name, t, decl, False, cfg, ref.loc, in_ports, out_ports)
        if isinstance(ref, RefCompound):
            cls = self.compound(scope, ref.compound, "", ref.loc)
            cfg = ref.config.text if ref.config else ""
            return _EState("", cls, None, False, cfg, ref.loc, in_ports, out_ports)
        assert isinstance(ref, RefGroup)
        name = scope.anon_name("")
        nin, nout = self.group(scope, ref, name)
        # a group has implied, overridable ports for all its inputs and outputs
        if not in_ports:
            in_ports = list(range(nin))
        if not out_ports:
            out_ports = list(range(nout))
        return _EState(name, None, None, False, "", ref.loc, in_ports, out_ports)

    def add_elements(self, scope: Scope, states: list[_EState], first: bool,
                     followed: bool) -> list[tuple[int, list[int], list[int]]]:
        # "a, b, c :: Queue(10)" spreads class and config over the list
        if (len(states) > 1 and first and not followed
                and not any(s.in_ports or s.out_ports or s.implicit for s in states)):
            last = states[-1]
            if all(s.bare for s in states[:-1]) and last.decl_type is not None:
                for s in states[:-1]:
                    s.decl_type = last.decl_type
                    s.config = last.config
        vec: list[tuple[int, list[int], list[int]]] = []
        for s in states:
            idx = None if s.type is not None else scope.emap.get(s.name)
            if idx is None:
                if s.decl_type is not None and s.type is not None and s.name:
                    raise self.err(s.loc, f"class '{s.name}' used as element name")
                if s.decl_type is None and s.type is None:
                    if s.implicit:
                        raise self.err(s.loc, f"no '{s.name}' here")
                    if not _CLASS_LIKE.fullmatch(s.name):
                        raise self.err(s.loc, f"undeclared element '{s.name}'")
                    # an unknown capitalised word used like a class is taken as one,
                    # as Click's tools do; lower-case words must be declared elements
                    s.type = self.primitive(s.name)
                if s.type is not None:
                    s.name = scope.anon_name(s.type.name)
                for comp in s.name.split("/"):
                    if comp.isdigit():
                        raise self.err(s.loc, f"element name '{s.name}' has all-digit "
                                              "component")
                cls = s.type if s.type is not None else s.decl_type
                idx = len(scope.elements)
                scope.elements.append(Elem(s.name, cls, s.config.strip(), s.loc))
                scope.emap[s.name] = idx
            elif s.decl_type is not None:
                raise self.err(s.loc, f"redeclaration of element '{s.name}'")
            vec.append((idx, s.in_ports, s.out_ports))
        return vec

    def connect_all(self, scope: Scope, outputs: list, inputs: list, connector: str,
                    loc: Loc) -> None:
        if len(outputs) == 1 and len(inputs) == 1:
            # common case: one element each side, at most one port each
            (src, _, op), (dst, ip, _) = outputs[0], inputs[0]
            if len(op) <= 1 and len(ip) <= 1:
                scope.conns.append((src, op[0] if op else 0, dst, ip[0] if ip else 0, loc))
                return
        def analyze(x: list, isoutput: bool) -> tuple[int, int]:
            min_ports = expandable = 0
            for _, ip, op in x:
                p = op if isoutput else ip
                n = len(p)
                if n <= 1:
                    min_ports += 1
                elif p[-1] == -1:
                    min_ports += n - 1
                    expandable += 1
                else:
                    min_ports += n
            return min_ports, expandable

        min_out, exp_out = analyze(outputs, True)
        min_in, exp_in = analyze(inputs, False)
        minp = [min_in, min_out]
        expandable = [exp_in, exp_out]
        if expandable[0] + expandable[1] > 1:
            raise self.err(loc, "at most one expandable port allowed per connection")
        if connector == "=>":
            # '=>' reads a missing port on a single element as an expandable port
            if minp[0] == 1 and minp[1] > 1 and not inputs[0][1]:
                expandable[0] = 1
            if minp[1] == 1 and minp[0] > 1 and not outputs[0][2]:
                expandable[1] = 1
        step = [minp[k] > 1 or expandable[k] > 0 for k in (0, 1)]
        nexp = [minp[1 - k] - minp[k] if expandable[k] else 0 for k in (0, 1)]
        if step[0] and step[1]:
            if connector != "=>":
                raise self.err(loc, "syntax error: many-to-many connections require '=>'")
            if not expandable[0] and not expandable[1] and minp[0] != minp[1]:
                raise self.err(loc, f"connection mismatch: {minp[1]} outputs connected to "
                                    f"{minp[0]} inputs")
            if not expandable[0] and minp[0] < minp[1]:
                raise self.err(loc, f"connection mismatch: {minp[1]} or more outputs "
                                    f"connected to {minp[0]} inputs")
            if not expandable[1] and minp[1] < minp[0]:
                raise self.err(loc, f"connection mismatch: {minp[1]} outputs connected to "
                                    f"{minp[0]} or more inputs")
        elif not step[0] and not step[1]:
            step[0] = True

        sides = (inputs, outputs)
        it = [0, 0]
        ppos = [0, 0]
        port = [-1, -1]

        def plist(k: int) -> list[int]:
            entry = sides[k][it[k]]
            return entry[2] if k else entry[1]

        while it[0] < len(inputs) and it[1] < len(outputs):
            for k in (0, 1):
                if port[k] < 0:
                    pv = plist(k)
                    port[k] = pv[0] if pv else 0
            scope.conns.append((outputs[it[1]][0], max(port[1], 0), inputs[it[0]][0],
                                max(port[0], 0), loc))
            for k in (0, 1):
                if not step[k]:
                    continue
                pv = plist(k)
                np_ = len(pv)
                ppos[k] += 1
                if ppos[k] < np_ and pv[ppos[k]] >= 0:
                    port[k] = pv[ppos[k]]
                elif np_ and pv[-1] == -1 and nexp[k] > 0:
                    port[k] = pv[np_ - 2] + ppos[k] - (np_ - 2)
                    nexp[k] -= 1
                elif np_ == 0 and minp[k] == 1 and nexp[k] > 0:
                    port[k] = ppos[k]
                    nexp[k] -= 1
                else:
                    port[k] = -1
                    ppos[k] = 0
                    it[k] += 1


# ---------------------------------------------------------------- pass 2: expand


@dataclass(slots=True)
class _Node:
    name: str
    cls: str  # "" for tunnels
    config: str
    loc: Loc | None
    tunnel: bool
    tunnel_next: str | None = None
    pseudo: bool = False


class Expander:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.nodes: dict[str, _Node] = {}
        self.conns: list[tuple[str, int, str, int, Loc]] = []

    def err(self, loc: Loc | None, message: str) -> ClickSyntaxError:
        return self.src.error(loc, message)

    def _tunnel(self, name: str, nxt: str | None, loc: Loc | None) -> None:
        node = self.nodes.get(name)
        if node is None:
            self.nodes[name] = _Node(name, "", "", loc, True, nxt)
        elif not node.tunnel:
            raise self.err(loc, f"redeclaration of element '{name}'")
        elif nxt is not None:
            node.tunnel_next = nxt

    def expand_scope(self, scope: Scope, prefix: str, env: VarEnv, top: bool) -> None:
        used = scope.used_ports()
        names = [self.expand_element(scope, e, used[i], prefix, env, top)
                 for i, e in enumerate(scope.elements)]
        for s, sp, d, dp, loc in scope.conns:
            a, b = names[s], names[d]
            if a is not None and b is not None:
                self.conns.append((a, sp, b, dp, loc))

    def expand_element(self, scope: Scope, e: Elem, used: list[int], prefix: str,
                       env: VarEnv, top: bool) -> str | None:
        name = prefix + e.name
        if e.cls is None:
            if top and scope.has_pseudo and e.name in ("input", "output"):
                cls = ir.INPUT_CLASS if e.name == "input" else ir.OUTPUT_CLASS
                self.nodes[name] = _Node(name, cls, "", e.loc, False, pseudo=True)
                return name
            nxt = (prefix + scope.elements[e.tunnel_next].name
                   if e.tunnel_next is not None else None)
            self._tunnel(name, nxt, e.loc)
            return name
        cls: ClassT = e.cls
        config = expand(e.config, env)
        while True:
            while isinstance(cls, Synonym):
                cls = cls.target
            if isinstance(cls, Primitive):
                if name in self.nodes:
                    raise self.err(e.loc, f"redeclaration of element '{name}' (compound "
                                          "expansion clash)")
                self.nodes[name] = _Node(name, cls.name, config.strip(), e.loc, False)
                return name
            found = self.resolve(cls, used[0], used[1], split_args(config), e.loc)
            if isinstance(found, tuple):
                break
            cls = found
        body, values = found
        if body.expanding:
            raise self.err(e.loc, f"recursive compound element '{cls.printable}'")
        new_env = VarEnv(env.ancestor_below(body.depth), body.depth)
        for f, v in zip(body.formals, values, strict=True):
            new_env.define(f.name, v)
        for dname, dvalue in body.defines.items():
            new_env.define(dname, expand(dvalue, env))
        new_prefix = name + "/"
        self._tunnel(name, new_prefix + "input", e.loc)
        self._tunnel(new_prefix + "output", name, e.loc)
        self._tunnel(new_prefix + "input", None, e.loc)
        body.expanding = True
        try:
            self.expand_scope(body, new_prefix, new_env, False)
        finally:
            body.expanding = False
        return name

    def resolve(self, cls: CompoundClass, nin: int, nout: int, args: list[str],
                loc: Loc) -> tuple[Scope, list[str]] | ClassT:
        """Pick the overload for (inputs used, outputs used, arguments)."""
        closest: tuple[Scope, list[str]] | None = None
        candidates = 0
        c: ClassT | None = cls
        while isinstance(c, CompoundClass):
            for body in c.bodies:
                candidates += 1
                values = assign_arguments(body.formals, args)
                if values is not None:
                    if body.ninputs == nin and body.noutputs == nout:
                        return body, values
                    if closest is None:
                        closest = (body, values)
            c = c.extension
            while isinstance(c, Synonym):
                c = c.target
        if isinstance(c, Primitive):
            return c
        if candidates == 1 and closest is not None:
            return closest
        if candidates == 1:
            body = cls.bodies[0]
            sig = ", ".join((f.keyword + " " if f.keyword else "") + "$" + f.name
                            for f in body.formals)
            raise self.err(loc, f"wrong arguments to compound element '{cls.printable}({sig})':"
                                f" got {len(args)} argument{'s' if len(args) != 1 else ''}")
        raise self.err(loc, f"no match for '{cls.printable}' with {len(args)} arguments, "
                            f"{nin} inputs and {nout} outputs")

    def finish(self) -> list[tuple[str, int, str, int, Loc]]:
        """Connections between real elements, tunnels replaced by what they join."""
        out_of: dict[tuple[str, int], list[tuple[str, int]]] = {}
        into: set[tuple[str, int]] = set()
        prev_of: dict[str, str] = {}
        for s, sp, d, dp, _ in self.conns:
            out_of.setdefault((s, sp), []).append((d, dp))
            into.add((d, dp))
        for n in self.nodes.values():
            if n.tunnel and n.tunnel_next is not None:
                prev_of[n.tunnel_next] = n.name
        nodes = self.nodes
        # Every tunnel port a connection touches must continue on the other side:
        # X[p] in needs X/input[p] out, X/output[p] in needs X[p] out, and so on.
        for s, sp, d, dp, loc in self.conns:
            dn = nodes[d]
            if dn.tunnel and dn.tunnel_next is not None and (dn.tunnel_next, dp) not in out_of:
                if dn.tunnel_next == d + "/input":
                    raise self.err(loc, f"{self._what(d)} has no input {dp}")
                raise self.err(loc, f"{self._what(dn.tunnel_next)} output {dp} unused")
            sn = nodes[s]
            if sn.tunnel and s in prev_of and (prev_of[s], sp) not in into:
                if prev_of[s] == s + "/output":
                    raise self.err(loc, f"{self._what(s)} has no output {sp}")
                raise self.err(loc, f"{self._what(prev_of[s])} input {sp} unused")

        result: list[tuple[str, int, str, int, Loc]] = []
        memo: dict[tuple[str, int], list[tuple[str, int]]] = {}

        def targets(name: str, port: int, active: set) -> list[tuple[str, int]]:
            node = nodes[name]
            if not node.tunnel:
                return [(name, port)]
            key = (name, port)
            if key in memo:
                return memo[key]
            if node.tunnel_next is None or key in active:
                return []
            active.add(key)
            found: list[tuple[str, int]] = []
            for d, dp in out_of.get((node.tunnel_next, port), ()):
                found.extend(targets(d, dp, active))
            active.discard(key)
            memo[key] = found
            return found

        for s, sp, d, dp, loc in self.conns:
            if nodes[s].tunnel:
                continue
            for t, tp in targets(d, dp, set()):
                result.append((s, sp, t, tp, loc))
        return result

    @staticmethod
    def _what(name: str) -> str:
        base = name.rsplit("/", 1)[-1]
        if base.startswith("@") and base[1:].isdigit():
            return f"group '{name}'"
        return f"compound element '{name}'"


def assign_arguments(formals: list[Formal], args: list[str]) -> list[str] | None:
    """Bind compound arguments to formals like Click's ``cp_assign_arguments``."""
    if not formals or not formals[-1].keyword:
        return list(args) if len(args) == len(formals) else None
    rest = formals[-1].keyword == "__REST__"
    nvalues = len(formals) - (1 if rest else 0)
    npositional = 0
    while npositional < nvalues and not formals[npositional].keyword:
        npositional += 1
    keywords = {formals[i].keyword: i for i in range(npositional, nvalues)}
    values: list[str | None] = [None] * len(formals)
    used = [False] * len(args)
    supplied = 0
    any_kw = False
    for i, a in enumerate(args):
        if supplied >= npositional:
            kw = keyword_split(a)
            if kw is not None and kw[0] in keywords:
                values[keywords[kw[0]]] = kw[1]
                used[i] = True
                any_kw = True
                continue
            if any_kw:
                if rest:
                    continue
                return None
        if supplied < npositional:
            values[supplied] = a
            used[i] = True
        supplied += 1
    if any(values[i] is None for i in range(nvalues)):
        return None
    if supplied > npositional and not rest:
        return None
    if rest:
        values[-1] = ", ".join(a for a, u in zip(args, used, strict=True) if not u)
    return [v if v is not None else "" for v in values]


# ---------------------------------------------------------------- the IR


def build_graph(src: Source, stmts: list, *, compound_body: bool = False,
                extra_classes: frozenset[str] = frozenset()) -> nx.MultiDiGraph:
    """Resolve, flatten and check the statements; return the IR graph."""
    resolver = Resolver(src, extra_classes)
    top = Scope(None, 0, None, pseudo=compound_body)
    resolver.statements(top, stmts)
    if compound_body:
        resolver.check_pseudo(top, top.emap["input"], False, "compound body", None)
        resolver.check_pseudo(top, top.emap["output"], True, "compound body", None)
    top.assign_names()

    env = VarEnv(None, 0)
    for name, value in top.defines.items():
        env.define(name, expand(value, env))
    ex = Expander(src)
    ex.expand_scope(top, "", env, True)
    conns = ex.finish()

    stem = PurePath(src.filename).name
    g = ir.new_graph(name=stem, file=src.filename, requires=top.requires)
    for node in ex.nodes.values():
        if node.tunnel:
            continue
        cfg = node.config
        ir.add_element(g, node.name, node.cls, cfg, split_args(cfg) if cfg else (),
                       node.loc.pos() if node.loc is not None else None)
    for s, sp, d, dp, _ in conns:
        ir.connect(g, s, sp, d, dp)
    _check_ports(src, g, conns)
    return g


def _check_ports(src: Source, g: nx.MultiDiGraph, conns: list) -> None:
    """Connections to ports a known class does not have are errors."""
    table = load_classes()
    used: dict[str, list[int]] = {}
    for s, sp, d, dp, _ in conns:
        u = used.setdefault(s, [0, 0])
        if sp + 1 > u[1]:
            u[1] = sp + 1
        u = used.setdefault(d, [0, 0])
        if dp + 1 > u[0]:
            u[0] = dp + 1
    bad: set[str] = set()
    for name, (nin, nout) in used.items():
        info = table.get(g.nodes[name]["cls"])
        if info is not None and info.port_count is not None \
                and info.port_count.check(nin, nout) is not None:
            bad.add(name)
    if not bad:
        return
    for s, sp, d, dp, loc in conns:
        for name, is_out, port in ((s, True, sp), (d, False, dp)):
            if name not in bad:
                continue
            info = table[g.nodes[name]["cls"]]
            pc = info.port_count
            assert pc is not None
            nin, nout = used[name]
            limit = pc.max_outputs(nin) if is_out else pc.inputs.hi
            if port < limit:
                continue
            side = "output" if is_out else "input"
            raise src.error(loc, f"'{name}' ({info.name}, ports {pc.text}) "
                                 f"{pc.check(nin, nout)}: no {side} {port}")
