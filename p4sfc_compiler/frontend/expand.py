"""Pass 2, *expand*: scopes to flat elements and connections, as ``RouterT::flatten``.

Compounds are instantiated recursively under ``name/`` prefixes, with the overload
chosen by arguments and used ports, formals and ``define``s bound, and ``$vars``
expanded in config strings. Compound and group boundaries stay as tunnels until
:meth:`Expander.finish` replaces them by the direct connections they stand for.
"""

from __future__ import annotations

from dataclasses import dataclass

from p4sfc_compiler.errors import ClickSyntaxError
from p4sfc_compiler.frontend import ir
from p4sfc_compiler.frontend.configstring import VarEnv, expand, keyword_split, split_args
from p4sfc_compiler.frontend.scopes import ClassT, CompoundClass, Elem, Primitive, Scope, Synonym
from p4sfc_compiler.frontend.statements import Formal, Loc, Source

# A connection of the flat configuration: (from, output port, to, input port, where).
FlatConn = tuple[str, int, str, int, Loc]


@dataclass(slots=True)
class Node:
    """An element of the flat configuration, or a tunnel still to be replaced."""

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
        self.nodes: dict[str, Node] = {}
        self.conns: list[FlatConn] = []

    def err(self, loc: Loc | None, message: str) -> ClickSyntaxError:
        return self.src.error(loc, message)

    def _tunnel(self, name: str, nxt: str | None, loc: Loc | None) -> None:
        node = self.nodes.get(name)
        if node is None:
            self.nodes[name] = Node(name, "", "", loc, True, nxt)
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
                pseudo_cls = ir.INPUT_CLASS if e.name == "input" else ir.OUTPUT_CLASS
                self.nodes[name] = Node(name, pseudo_cls, "", e.loc, False, pseudo=True)
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
                self.nodes[name] = Node(name, cls.name, config.strip(), e.loc, False)
                return name
            found = self.pick_overload(cls, used[0], used[1], split_args(config), e.loc)
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

    def pick_overload(self, cls: CompoundClass, nin: int, nout: int, args: list[str],
                      loc: Loc | None) -> tuple[Scope, list[str]] | ClassT:
        """The body for (inputs used, outputs used, arguments) and its argument values,
        or the class a ``...`` extension falls back to (Click's ``ElementClassT::resolve``).
        """
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

    def finish(self) -> list[FlatConn]:
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

        result: list[FlatConn] = []
        memo: dict[tuple[str, int], list[tuple[str, int]]] = {}

        def targets(name: str, port: int, active: set[tuple[str, int]]) -> list[tuple[str, int]]:
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
        if base.startswith("@") and base[1:].isascii() and base[1:].isdigit():
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
