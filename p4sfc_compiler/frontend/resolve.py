"""Pass 1, *resolve*: statements to scopes, as Click's ``LexerT`` does while it reads.

Statements are walked in order per scope; each identifier is decided to be a class
(known classes and ``elementclass`` definitions visible so far win) or an element.
Elements are created (anonymous ones as ``Class@k``), ports connected, compound classes
built and groups expanded into tunnel pairs. ``require(library FILE)`` reads FILE's
statements into the file scope through the parse function the caller passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from p4sfc_compiler.errors import ClickSyntaxError
from p4sfc_compiler.frontend import inputs
from p4sfc_compiler.frontend.classes import load_classes
from p4sfc_compiler.frontend.configstring import parse_defines, split_args, split_words
from p4sfc_compiler.frontend.scopes import ClassT, CompoundClass, Elem, Primitive, Scope, Synonym
from p4sfc_compiler.frontend.statements import (
    Compound,
    Connection,
    Define,
    ElementClassStmt,
    Elt,
    Formal,
    Loc,
    ParseStatements,
    RefCompound,
    RefDecl,
    RefGroup,
    RefName,
    Require,
    Source,
    Statement,
)

# An unknown word of this shape used where a class may stand is taken as a class (Click's
# tools accept any word there; the driver would know its own classes). Lower-case words
# and qualified names must be declared elements.
_CLASS_LIKE = re.compile(r"[A-Z][A-Za-z0-9_]*")


# An element of one connection step: its index in the scope, its input and output ports.
_Placed = tuple[int, list[int], list[int]]


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


class Resolver:
    """Resolves one file's statements (and its libraries') into scopes.

    ``parse`` turns a library file's text into statements; it is passed in because the
    parser is the module that drives this pass.
    """

    def __init__(self, src: Source, extra_classes: frozenset[str],
                 parse: ParseStatements) -> None:
        self.src = src
        self.parse = parse
        self.known = set(load_classes()) | set(extra_classes)
        # Names this configuration has used as a class that no table knows (Click's
        # LexerT adds them to its base type map): from then on, anywhere in the file,
        # the name is a class, so "Foo :: Counter" after "x :: Foo" is refused.
        self.used_as_class: set[str] = set()
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
        if name in self.known or name in self.used_as_class:
            return self.primitive(name)
        return None

    def force_class(self, scope: Scope, name: str, loc: Loc) -> ClassT:
        """The class ``name`` names where a class must stand; an unknown name becomes a
        class of this configuration (Click's ``force_element_type``)."""
        t = self.lookup_class(scope, name)
        if t is not None:
            return t
        if name in scope.emap:
            raise self.err(loc, f"'{name}' was previously used as an element name")
        self.used_as_class.add(name)
        return self.primitive(name)

    # -- statements

    def statements(self, scope: Scope, stmts: list[Statement]) -> None:
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
        shown = name if len(name) <= 60 else name[:60] + "..."
        try:
            path = (base / name).resolve()
        except (OSError, ValueError):  # a name the system refuses (NUL byte, too long)
            path = None
        if path is None or not inputs.is_file(path):
            raise self.err(loc, f"library '{shown}' not found next to {self.src.filename}")
        if path in self.libraries:
            return
        self.libraries.add(path)
        lib_src, stmts = self.parse(inputs.read_text(path, error=ClickSyntaxError), str(path))
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
        prev: list[_Placed] | None = None
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
                     followed: bool) -> list[_Placed]:
        # "a, b, c :: Queue(10)" spreads class and config over the list
        if (len(states) > 1 and first and not followed
                and not any(s.in_ports or s.out_ports or s.implicit for s in states)):
            last = states[-1]
            if all(s.bare for s in states[:-1]) and last.decl_type is not None:
                for s in states[:-1]:
                    s.decl_type = last.decl_type
                    s.config = last.config
        vec: list[_Placed] = []
        for s in states:
            idx = None if s.type is not None else scope.emap.get(s.name)
            if idx is None:
                # Click's rule (LexerT::yconnection_check): a declaration "X :: C" whose X
                # is a class here (a known class, an elementclass in scope, or a name the
                # file used as a class before), or is the class it declares ("Foo :: Foo")
                if s.decl_type is not None and s.name and (
                    s.type is not None or s.name == getattr(s.decl_type, "name", None)
                ):
                    raise self.err(s.loc, f"class '{s.name}' used as element name")
                if s.decl_type is None and s.type is None:
                    if s.implicit:
                        raise self.err(s.loc, f"no '{s.name}' here")
                    if not _CLASS_LIKE.fullmatch(s.name):
                        raise self.err(s.loc, f"undeclared element '{s.name}'")
                    # an unknown capitalised word used like a class is taken as one,
                    # as Click's tools do; lower-case words must be declared elements
                    self.used_as_class.add(s.name)
                    s.type = self.primitive(s.name)
                if s.type is not None:
                    s.name = scope.anon_name(s.type.name)
                for comp in s.name.split("/"):
                    if comp.isascii() and comp.isdigit():
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

    def connect_all(self, scope: Scope, outputs: list[_Placed], inputs: list[_Placed],
                    connector: str, loc: Loc) -> None:
        if len(outputs) == 1 and len(inputs) == 1:
            # common case: one element each side, at most one port each
            (src, _, op), (dst, ip, _) = outputs[0], inputs[0]
            if len(op) <= 1 and len(ip) <= 1:
                scope.conns.append((src, op[0] if op else 0, dst, ip[0] if ip else 0, loc))
                return
        def analyze(x: list[_Placed], isoutput: bool) -> tuple[int, int]:
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
