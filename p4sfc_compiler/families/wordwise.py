"""Click's compiled classifier programs (``Classification::Wordwise``), ported.

What Click answers for a packet is what its *optimised* program answers, not what the
pattern's expression tree says: on packets too short for a test the two differ. The rule,
read in kohler/click ``elements/standard/classification.cc``:

* Each test is an ``Insn``: a 32-bit word at ``offset``, ``mask``, ``value``, a yes and a
  no jump and a ``short_output`` (the branch taken when the packet is too short). The
  patterns are compiled to insns (``Program::add_insn`` / ``finish_subtree`` /
  ``negate_subtree``; Click's negation of a primitive flips ``short_output`` too).
* ``Program::optimize`` then rewrites the program: ``bubble_sort_and_exprs`` reorders
  AND chains by offset, the ``DominatorOptimizer`` skips tests that earlier tests on the
  same path decide (``Insn::implies`` & co. trust a test's result on a short packet only
  when ``known_length`` or the short outputs agree), ``combine_compatible_states`` merges
  tests of one word into one insn with *one* short branch (the first's), and
  ``remove_unused_states`` drops the rest. A packet that is long enough for every test
  gets the tree's answer; a shorter one gets whatever branch the surviving insns give.
* ``Program::length_checked_match`` (and ``IPFilter::length_checked_match`` for the
  compressed form): an insn is *short* when a masked byte lies at or past the packet
  length (``offset + 4 > length`` and the mask needs a byte that is not there, i.e.
  ``length < required_length()``); then it jumps to ``j[short_output]`` without reading.
  A program with ``_output_everything >= 0`` answers that output for every packet;
  ``_safe_length`` only chooses the unchecked loop, which gives the same answers.
* IPFilter (``elements/ip/ipfilter.cc``, ``parse_program``) builds one program per rule,
  merges them pairwise with ``add_or_program`` and optimises after each merge, sets the
  remaining failures to drop, sorts again and compresses (``CompressedProgram::compile``:
  a chain of no-branches testing one word against several values becomes one test whose
  short branch is the *first* insn's). Its offsets are virtual: MAC header words at
  0.., network header at 256.., transport header at 512..; the length it checks against
  is ``512 + bytes after the IP header`` when there are any, else ``256 + network
  length`` (``IPFilter::match``), so a test on a transport byte past the packet end, or
  on a packet with no transport bytes at all, is short.
* Classifier (``elements/standard/classifier.cc``) builds one program for all patterns
  (alignment offset 0 at user level on x86) and matches on the packet from its data
  pointer.

:func:`filter_program` and :func:`classifier_program` build the same programs from the
families' word-test trees (:mod:`~p4sfc_compiler.families.wordtests`, whose leaves are
in Click's insn order), and :meth:`Program.unparse` prints them as Click's ``program``
handler does, which is how the port is checked against the real ``click``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from p4sfc_compiler.families.wordtests import And, Const, Ite, Leaf, Node, Not, Or, Rel

# Click's jump codes (Classification::Jumps): a jump <= 0 is an output, -jump.
J_NEVER = -2147483647  # drop (its output is past every port)
J_FAILURE = -2147483646
J_SUCCESS = -2147483645
OFFSET_MAX = 0x7FFFFFFF
NEVER_OUTPUT = -J_NEVER

C_AND, C_OR, C_TERNARY = 0, 1, 2

# IPFilter's virtual offsets of its three headers (IPFilter::offset_*)
OFFSET_MAC, OFFSET_NET, OFFSET_TRANSP = 0, 256, 512
SPACE_BASE = {"mac": OFFSET_MAC, "net": OFFSET_NET, "transp": OFFSET_TRANSP, "data": 0}
# IPFilter sorts the protocol word before the others (parse_program's offset_map)
_FILTER_OFFSET_MAP = {OFFSET_NET + 8: OFFSET_NET + 3}


def required_length(offset: int, mask: int) -> int:
    """Bytes a test needs: up to its last masked byte (``Insn::required_length``)."""
    if mask == 0:
        return 0
    if mask & 0xFF:
        return offset + 4
    if mask & 0xFF00:
        return offset + 3
    if mask & 0xFF0000:
        return offset + 2
    return offset + 1


class Insn:
    """One Wordwise instruction; ``j[0]`` = no, ``j[1]`` = yes."""

    __slots__ = ("offset", "mask", "value", "j", "short")

    def __init__(self, offset: int, value: int, mask: int, failure: int = J_FAILURE,
                 success: int = J_SUCCESS, short: bool = False) -> None:
        self.offset = offset & 0xFFFF  # uint16_t in Click
        self.mask = mask
        self.value = value & mask
        self.j = [failure, success]
        self.short = short

    def copy(self) -> Insn:
        return Insn(self.offset, self.value, self.mask, self.j[0], self.j[1], self.short)

    @property
    def yes(self) -> int:
        return self.j[1]

    @property
    def no(self) -> int:
        return self.j[0]

    def key(self) -> tuple[int, bool, int, int]:
        # the 12 bytes Insn::compare compares: offset, padding, short_output, mask, value
        return (self.offset, self.short, self.mask, self.value)

    def required_length(self) -> int:
        return required_length(self.offset, self.mask)

    def _short_ok(self, direction: bool, x: Insn, next_direction: bool, known: int) -> bool:
        # Insn::implies_short_ok / hard_implies_short_ok
        if self.short != direction or self.offset + 4 <= known:
            return True
        r = self.required_length()
        return r <= known or (r <= x.required_length() and next_direction == x.short)

    def implies(self, x: Insn, known: int) -> bool:
        if not x.mask:
            return True
        if x.offset != self.offset or not self._short_ok(True, x, True, known):
            return False
        both = self.mask & x.mask
        return both == x.mask and (self.value & both) == x.value

    def not_implies(self, x: Insn, known: int) -> bool:
        if not x.mask:
            return True
        if x.offset != self.offset or not self._short_ok(False, x, True, known):
            return False
        return (self.mask & (self.mask - 1)) == 0 and self.mask == x.mask \
            and self.value != x.value

    def implies_not(self, x: Insn, known: int) -> bool:
        if not x.mask or x.offset != self.offset or not self._short_ok(True, x, False, known):
            return False
        both = self.mask & x.mask
        return both == x.mask and (self.value & both) != x.value

    def not_implies_not(self, x: Insn, known: int) -> bool:
        if not self.mask:
            return True
        if x.offset != self.offset or not self._short_ok(False, x, False, known):
            return False
        both = self.mask & x.mask
        return both == self.mask and self.value == (x.value & both)

    def compatible(self, x: Insn, consider_short: bool) -> bool:
        if not self.mask or not x.mask:
            return True
        if x.offset != self.offset or (consider_short and x.short != self.short
                                       and self.required_length() < x.required_length()):
            return False
        both = self.mask & x.mask
        return (self.value & both) == (x.value & both)

    def generalizable_or_pair(self, x: Insn) -> bool:
        diff = self.value ^ x.value
        if (self.offset and x.offset == self.offset and self.mask and x.mask == self.mask
                and (self.short or not x.short) and self.yes == x.yes
                and (diff & (diff - 1)) == 0):
            return required_length(self.offset, self.mask & ~diff) == self.required_length()
        return False

    def flippable(self) -> bool:
        return self.mask != 0 and (self.mask & (self.mask - 1)) == 0

    def flip(self) -> None:
        self.value ^= self.mask
        self.j.reverse()
        self.short = not self.short

    def offset_by(self, offset: int) -> Insn:
        i = self.copy()
        i.j = [j + offset if j > 0 else j for j in i.j]
        return i


def _jump_text(j: int) -> str:
    if j <= J_SUCCESS:
        return "[" + "X-+"[j - J_NEVER] + "]"
    if j <= 0:
        return f"[{-j}]"
    return f"step {j}"


def insn_text(offset: int, value: int, mask: int, no: int, yes: int, short: bool) -> str:
    """One line of Click's ``program`` handler (``operator<<(StringAccum&, const Insn&)``)."""
    out = f"{offset:3d}/{value:08x}%{mask:08x}  yes->{_jump_text(yes)}  no->{_jump_text(no)}"
    return out + ("  short->yes" if short else "")


class Program:
    """``Classification::Wordwise::Program``: construction, optimisation, matching."""

    def __init__(self) -> None:
        self.insns: list[Insn] = []
        self.output_everything = -J_NEVER
        self.safe_length = 0xFFFFFFFF

    # -- construction (Program::init_subtree .. negate_subtree)

    def init_subtree(self) -> list[int]:
        tree = [-1] * (len(self.insns) + 1)
        tree[0] = 0
        return tree

    @staticmethod
    def start_subtree(tree: list[int]) -> None:
        tree[0] += 1

    def add_insn(self, tree: list[int], offset: int, value: int, mask: int,
                 short: bool = False) -> None:
        self.insns.append(Insn(offset, value, mask, short=short))
        tree.append(tree[0])
        self.output_everything = -1

    def _redirect(self, first: int, last: int, success: int, failure: int) -> None:
        for i in range(first, last):
            j = self.insns[i].j
            for k in (0, 1):
                if j[k] == J_SUCCESS:
                    j[k] = success
                elif j[k] == J_FAILURE:
                    j[k] = failure

    def finish_subtree(self, tree: list[int], combiner: int, success: int = J_SUCCESS,
                       failure: int = J_FAILURE) -> None:
        level = tree[0]
        n = len(self.insns)
        ptr = n
        while ptr > 0 and (tree[ptr] < 0 or tree[ptr] >= level):
            ptr -= 1
        subtrees = [p - 1 for p in range(ptr + 1, n + 1) if tree[p] == level]
        if subtrees:
            tree[subtrees[0] + 1] = level - 1
            for e in range(subtrees[0] + 2, n + 1):
                tree[e] = -1
            t = 0
            while t < len(subtrees) - 1:
                first, nxt = subtrees[t], subtrees[t + 1]
                if combiner == C_AND:
                    self._redirect(first, nxt, nxt, failure)
                elif combiner == C_OR:
                    self._redirect(first, nxt, success, nxt)
                elif t < len(subtrees) - 2:  # ternary: cond, then, else
                    nxt2 = subtrees[t + 2]
                    self._redirect(first, nxt, nxt, nxt2)
                    self._redirect(nxt, nxt2, success, failure)
                    t += 1
                else:
                    self._redirect(first, nxt, nxt, failure)
                t += 1
            if t < len(subtrees):
                self._redirect(subtrees[t], n, success, failure)
        tree[0] -= 1

    def negate_subtree(self, tree: list[int], flip_short: bool = False) -> None:
        level = tree[0]
        first = len(self.insns) - 1
        while first >= 0 and tree[first + 1] != level:
            first -= 1
        if first < 0:
            return
        swap = {J_SUCCESS: J_FAILURE, J_FAILURE: J_SUCCESS}
        for e in self.insns[first:]:
            e.j = [swap.get(j, j) for j in e.j]
            if flip_short:
                e.short = not e.short

    def set_failure(self, failure: int) -> None:
        if self.output_everything == -J_FAILURE:
            self.output_everything = -failure
        for e in self.insns:
            e.j = [failure if j == J_FAILURE else j for j in e.j]

    def add_or_program(self, nxt: Program) -> None:
        if self.output_everything < 0 or self.output_everything == -J_FAILURE:
            failure = -nxt.output_everything
            if failure > 0:
                failure = len(self.insns)
            self.set_failure(failure)
            offset = len(self.insns)
            self.insns.extend(i.offset_by(offset) for i in nxt.insns)

    # -- optimisation (Program::optimize and its passes)

    def _inbranches(self) -> list[int]:
        inb = [-1] * len(self.insns)
        for i, e in enumerate(self.insns):
            for j in e.j:
                if j > 0:
                    inb[j] = 0 if inb[j] >= 0 else i
        return inb

    def bubble_sort_and_exprs(self, offset_map: dict[int, int], last_offset: int) -> None:
        inb = self._inbranches()
        insns = self.insns
        i = 0
        while i < len(insns):
            e1 = insns[i]
            for k in (0, 1):
                j = e1.j[k]
                if j <= 0 or e1.offset >= last_offset or inb[j] <= 0:
                    continue
                e2 = insns[j]
                if e1.j[1 - k] != e2.j[1 - k]:
                    continue
                o1 = offset_map.get(e1.offset, e1.offset)
                o2 = offset_map.get(e2.offset, e2.offset)
                if o1 > o2 or (o1 == o2 and (e1.mask > e2.mask or (
                        e1.mask == e2.mask and e1.value > e2.value))):
                    new2 = e1.copy()
                    new2.j[k] = e2.j[k]
                    new1 = e2.copy()
                    new1.j[k] = j
                    insns[j], insns[i] = new2, new1
                    i = inb[i] - 1 if inb[i] > 0 else i - 1
                    break
            i += 1

    def combine_compatible_states(self) -> None:
        insns = self.insns
        i = len(insns) - 1
        while i >= 0:
            e = insns[i]
            if e.no > 0:
                no_e = insns[e.no]
                if no_e.compatible(e, False) and e.flippable():
                    e.flip()
                elif e.generalizable_or_pair(no_e):
                    bit = e.value ^ no_e.value
                    e.value &= ~bit
                    e.mask &= ~bit
                    e.j[0] = no_e.no
                    continue
            if e.yes <= 0:
                i -= 1
                continue
            yes_e = insns[e.yes]
            if e.no == yes_e.yes and yes_e.flippable():
                yes_e.flip()
            if e.no == yes_e.no and yes_e.compatible(e, True):
                e.j[1] = yes_e.yes
                if not e.mask:
                    e.offset = yes_e.offset
                e.value = (e.value & e.mask) | (yes_e.value & yes_e.mask)
                e.mask |= yes_e.mask
                continue
            i -= 1

    def remove_unused_states(self) -> None:
        insns = self.insns
        if not insns:
            return
        n = len(insns)
        dest = [-1] * n
        for i in range(n - 1, -1, -1):
            e = insns[i]
            e.j = [dest[j] if j > 0 else j for j in e.j]
            if e.yes != e.no and e.mask != 0:
                dest[i] = i
            elif e.yes <= 0:
                dest[i] = e.yes
            else:
                dest[i] = dest[e.yes]
        self.output_everything = -1
        if dest[0] > 0:
            insns[0] = insns[dest[0]].copy()
        elif dest[0] < 0:
            self.output_everything = -dest[0]
        elif insns[0].yes == 0 and (insns[0].no == 0 or not insns[0].mask):
            self.output_everything = 0
        dest = [-1] * n
        if self.output_everything < 0:
            dest[0] = 0
        new = 0
        for i in range(n):
            if dest[i] >= 0:
                dest[i] = new
                new += 1
                for j in insns[i].j:
                    if j > 0:
                        dest[j] = 0
        for i in range(n):
            if dest[i] >= 0:
                d = dest[i]
                if d != i:
                    insns[d] = insns[i]
                e = insns[d]
                e.j = [dest[j] if j > 0 else j for j in e.j]
        del insns[new:]

    def optimize(self, offset_map: dict[int, int], last_offset: int = OFFSET_MAX) -> None:
        self.bubble_sort_and_exprs(offset_map, last_offset)
        dom = _Dominators(self)
        for i in range(len(self.insns)):
            dom.run(i)
        self.combine_compatible_states()
        self.remove_unused_states()
        if not self.insns and self.output_everything < 0:
            self.output_everything = -J_NEVER
        elif self.output_everything >= 0:
            self.insns.clear()
        self.safe_length = max((e.required_length() for e in self.insns), default=0)

    def unparse(self) -> str:
        lines = [f"{' ' if i < 10 else ''}{i} "
                 + insn_text(e.offset, e.value, e.mask, e.no, e.yes, e.short)
                 for i, e in enumerate(self.insns)]
        if not self.insns:
            lines.append(f"all->[{self.output_everything}]")
        return "\n".join([*lines, f"safe length {self.safe_length}", "alignment offset 0", ""])


class _Dominators:
    """``DominatorOptimizer`` (with ``CLICK_CLASSIFICATION_WORDWISE_DOMINATOR_FASTPRED``):
    moves a branch past tests that every path to it has already decided."""

    MAX_DOMLIST = 4

    def __init__(self, p: Program) -> None:
        self.p = p
        insns = p.insns
        n = len(insns)
        self.known = [0x7FFFFFFF] * n
        if n:
            self.known[0] = 0
        for i, e in enumerate(insns):
            tested = max(e.required_length(), self.known[i])
            so = int(e.short)
            a, b = e.j[1 - so], e.j[so]
            if a > 0 and tested < self.known[a]:
                self.known[a] = tested
            if b > 0 and self.known[i] < self.known[b]:
                self.known[b] = self.known[i]
        first: dict[tuple[int, bool, int, int], int] = {}
        self.insn_id = [first.setdefault(e.key(), i) for i, e in enumerate(insns)]
        self.dom: list[int] = []
        self.dom_start = [0]
        self.domlist_start = [0]
        self.pred_first: list[int] = []
        self.pred_next: list[int] = []
        self.pred_prev: list[int] = []

    def br_implies(self, brno: int, state: int) -> bool:
        frm = brno >> 1
        if brno & 1:
            return self.p.insns[frm].implies(self.p.insns[state], self.known[frm])
        return self.p.insns[frm].not_implies(self.p.insns[state], self.known[frm])

    def br_implies_not(self, brno: int, state: int) -> bool:
        frm = brno >> 1
        if brno & 1:
            return self.p.insns[frm].implies_not(self.p.insns[state], self.known[frm])
        return self.p.insns[frm].not_implies_not(self.p.insns[state], self.known[frm])

    def _predecessors(self, state: int) -> list[int]:
        insns = self.p.insns
        if not self.pred_first:
            n = len(insns)
            self.pred_first = [-1] * n
            self.pred_next = [-1] * (2 * n)
            self.pred_prev = [-1] * (2 * n)
            for i, e in enumerate(insns):
                for k in (0, 1):
                    t = e.j[k]
                    if t > 0:
                        br = 2 * i + k
                        self.pred_next[br] = self.pred_first[t]
                        if self.pred_first[t] >= 0:
                            self.pred_prev[self.pred_first[t]] = br
                        self.pred_first[t] = br
        out = []
        br = self.pred_first[state]
        while br >= 0:
            out.append(br)
            br = self.pred_next[br]
        return out

    def set_branch(self, frm: int, branch: int, to: int) -> None:
        e = self.p.insns[frm]
        br = 2 * frm + branch
        pn, pp = self.pred_next, self.pred_prev
        if e.j[branch] > 0:
            if pp[br] >= 0:
                pn[pp[br]] = pn[br]
            else:
                self.pred_first[e.j[branch]] = pn[br]
            if pn[br] >= 0:
                pp[pn[br]] = pp[br]
        if to > 0:
            prev, cur = -1, self.pred_first[to]
            while cur >= 0 and cur < br:
                prev, cur = cur, pn[cur]
            pp[br] = prev
            pn[br] = cur
            if prev < 0:
                self.pred_first[to] = br
            else:
                pn[prev] = br
            if pn[br] >= 0:
                pp[pn[br]] = br
        e.j[branch] = to

    @staticmethod
    def intersect_lists(src: list[int], start: Sequence[int], end: Sequence[int],
                        pos1: int, pos2: int, out: list[int]) -> None:
        if pos1 == pos2:
            return
        if pos2 - pos1 == 1:
            out.extend(src[start[pos1]:end[pos1]])
            return
        pos = list(start)
        x = -1
        while True:
            p, k = pos1, 0
            while k < pos2 - pos1:
                while pos[p] < end[p] and src[pos[p]] < x:
                    pos[p] += 1
                if pos[p] >= end[p]:
                    return
                if src[pos[p]] > x:
                    x, k = src[pos[p]], 0
                p += 1
                if p == pos2:
                    p = pos1
                k += 1
            out.append(x)
            x += 1

    def calculate_dom(self, state: int) -> None:
        dom, dom_start, insn_id = self.dom, self.dom_start, self.insn_id
        preds = self._predecessors(state)
        pdom: list[int] = []
        pdom_end: list[int] = []
        for i, pred_br in enumerate(preds):
            s = pred_br >> 1
            if i > 0 and preds[i - 1] >> 1 == s:
                # both branches of s lead here: s decides nothing on the way
                if pdom_end:
                    pdom_end[-1] -= 1
                continue
            pred_brid = 2 * insn_id[s] + (pred_br & 1)
            for j in range(self.domlist_start[s], self.domlist_start[s + 1]):
                pos1, pos2 = dom_start[j], dom_start[j + 1]
                if any((dom[k] ^ pred_brid) == 1 for k in range(pos1, pos2 - 1)):
                    continue  # an impossible path
                pdom.append(pos1)
                pdom_end.append(pos2)
                dom[pos2 - 1] = pred_brid
        oldsize = len(dom_start)
        if len(pdom) > self.MAX_DOMLIST:
            self.intersect_lists(dom, pdom, pdom_end, 0, len(pdom), dom)
            dom.append(2 * insn_id[state])
            dom_start.append(len(dom))
        elif pdom:
            mybr, num_mybr = 2 * insn_id[state], 0
            for p in range(len(pdom)):
                endpos = pdom_end[p] - 1
                last = dom[endpos]
                pred_mybr = -1
                for i in range(pdom[p], endpos + 1):
                    thisbr = dom[i]
                    if i < endpos and (thisbr ^ last) <= 1:
                        continue
                    if (thisbr ^ mybr) <= 1:
                        pred_mybr = thisbr
                    dom.append(thisbr)
                if num_mybr >= 0 and pred_mybr >= 0 and (num_mybr == 0 or mybr == pred_mybr):
                    mybr, num_mybr = pred_mybr, num_mybr + 1
                else:
                    num_mybr = -1
                dom.append(mybr)
                dom_start.append(len(dom))
            if num_mybr > 0:
                # every path decides this state's test the same way: skip it
                new_state = self.p.insns[state].j[mybr & 1]
                for pb in preds:
                    self.set_branch(pb >> 1, pb & 1, new_state)
                pdom.clear()
        if not pdom:
            del dom[dom_start[oldsize - 1]:]
            del dom_start[oldsize:]
            if state > 0:
                self.set_branch(state, 0, J_NEVER)
                self.set_branch(state, 1, J_NEVER)
            else:
                dom.append(2 * state)
                dom_start.append(len(dom))
        self.domlist_start.append(len(dom_start) - 1)

    def dom_shift_branch(self, brno: int, to: int, d0: int, d1: int,
                         collector: list[int] | None) -> int:
        brno = 2 * self.insn_id[brno >> 1] + (brno & 1)
        self.dom[d1 - 1] = brno
        if collector is not None:
            collector.append(to)
        insns = self.p.insns
        while to > 0:
            for j in range(d1 - 1, d0 - 1, -1):
                if self.br_implies(self.dom[j], to):
                    to = insns[to].yes
                    break
                if self.br_implies_not(self.dom[j], to):
                    to = insns[to].no
                    break
            else:
                break
            if collector is not None:
                collector.append(to)
        return to

    def _last_common(self, vals: list[int], start: list[int], end: list[int]) -> int:
        s = vals[end[0] - 1]
        if s <= 0 and all(vals[e - 1] == s for e in end[1:]):
            return s
        inter: list[int] = []
        self.intersect_lists(vals, start, end, 0, len(start), inter)
        return inter[-1] if inter else vals[start[0]]

    def shift_branch(self, state: int, branch: int) -> None:
        nexts = self.p.insns[state].j[branch]
        br = 2 * state + branch
        lo, hi = self.domlist_start[state], self.domlist_start[state + 1]
        if lo == hi or nexts <= 0:
            new = nexts
        elif lo + 1 == hi:
            new = self.dom_shift_branch(br, nexts, self.dom_start[lo], self.dom_start[lo + 1],
                                        None)
        else:
            vals: list[int] = []
            start: list[int] = []
            end: list[int] = []
            for d in range(lo, hi):
                start.append(len(vals))
                self.dom_shift_branch(br, nexts, self.dom_start[d], self.dom_start[d + 1], vals)
                end.append(len(vals))
            new = self._last_common(vals, start, end)
        if new != nexts:
            self.set_branch(state, branch, new)

    def run(self, state: int) -> None:
        self.calculate_dom(state)
        self.shift_branch(state, 1)
        self.shift_branch(state, 0)


# ---------------------------------------------------------------------------------------
# the families' trees as Click programs


def _emit(node: Node, prog: Program, tree: list[int]) -> None:
    """Add ``node``'s insns as one subtree at the current level, as Click's parsers do."""
    match node:
        case Leaf():
            prog.add_insn(tree, SPACE_BASE[node.space] + node.off, node.value, node.mask,
                          node.short_true)
        case Const(v):
            # Click's "true"/"-": an insn with an empty mask; "false" is it negated
            prog.add_insn(tree, 0, 0, 0)
            if not v:
                prog.negate_subtree(tree)
        case Not(child):
            _emit(child, prog, tree)
            prog.negate_subtree(tree)
        case And(children) | Or(children):
            prog.start_subtree(tree)
            for c in children:
                _emit(c, prog, tree)
            prog.finish_subtree(tree, C_AND if isinstance(node, And) else C_OR)
        case Ite(c, a, b):
            prog.start_subtree(tree)
            for part in (c, a, b):
                _emit(part, prog, tree)
            prog.finish_subtree(tree, C_TERNARY)
        case Rel(c, _):
            _emit(c, prog, tree)
        case _:
            raise TypeError(node)


def _port_jump(port: int | None) -> int:
    return J_NEVER if port is None else -port


@dataclass(frozen=True)
class Step:
    """One test of a finished program: the word at virtual ``offset`` under ``mask`` is
    one of ``values`` -> ``yes``, else ``no``; a packet shorter than ``need`` takes
    ``yes`` when ``short`` else ``no``. A jump > 0 is a step index, <= 0 an output."""

    offset: int
    mask: int
    values: tuple[int, ...]
    short: bool
    no: int
    yes: int

    @property
    def need(self) -> int:
        return required_length(self.offset, self.mask)


@dataclass(frozen=True)
class Compiled:
    """A finished program: ``everything`` >= 0 answers that output for every packet."""

    steps: tuple[Step, ...]
    everything: int
    safe_length: int
    text: str  # Click's ``program`` handler text

    def output(self, jump: int, noutputs: int | None = None) -> int | None:
        port = -jump
        return None if port == NEVER_OUTPUT or (noutputs is not None and port >= noutputs) \
            else port

    def match(self, read: Callable[[int], int], length: int) -> int:
        """The jump the program ends at: ``read(offset)`` gives the 32-bit word at a
        virtual offset, ``length`` is the (virtual) packet length."""
        if self.everything >= 0:
            return -self.everything
        pos = 0
        steps = self.steps
        while True:
            s = steps[pos]
            if length < s.need:
                pos = s.yes if s.short else s.no
            else:
                pos = s.yes if read(s.offset) & s.mask in s.values else s.no
            if pos <= 0:
                return pos


def _plain(prog: Program) -> Compiled:
    steps = tuple(Step(e.offset, e.mask, (e.value,), e.short, e.no, e.yes) for e in prog.insns)
    return Compiled(steps, prog.output_everything if not steps else -1, prog.safe_length,
                    prog.unparse())


def _compress(prog: Program) -> Compiled:
    """``CompressedProgram::compile`` (steps instead of words; binary search or not, the
    answer is membership) and its ``unparse``."""
    insns = prog.insns
    n = len(insns)
    wanted = [0] * (n + 1)
    wanted[0] = 1
    for i, e in enumerate(insns):
        if wanted[i]:
            for j in e.j:
                if j > 0:
                    wanted[j] += 1
    groups: list[tuple[int, list[int], int]] = []  # (first insn, values, final no)
    index: dict[int, int] = {}
    for i, e in enumerate(insns):
        if wanted[i] == 0:
            continue
        values = [e.value]
        no = e.no
        while no > 0 and wanted[no] == 1 and insns[no].yes == e.yes \
                and insns[no].offset == e.offset and insns[no].mask == e.mask:
            values.append(insns[no].value)
            wanted[no] -= 1
            no = insns[no].no
        index[i] = len(groups)
        groups.append((i, values, no))

    def jump(j: int) -> int:
        return index[j] if j > 0 else j

    steps = tuple(Step(insns[i].offset, insns[i].mask, tuple(vals), insns[i].short,
                       jump(no), jump(insns[i].yes)) for i, vals, no in groups)
    # the text numbers every value as a step of its own, as Click prints it
    first_step = []
    total = 0
    for _, vals, _ in groups:
        first_step.append(total)
        total += len(vals)

    def printed(j: int) -> int:
        return first_step[j] if j > 0 else j

    lines = []
    for g, (i, vals, _) in enumerate(groups):
        e = insns[i]
        for k, v in enumerate(vals):
            mystep = first_step[g] + k
            this_no = mystep + 1 if k + 1 < len(vals) else printed(steps[g].no)
            lines.append(f"{' ' if mystep < 10 else ''}{mystep} "
                         + insn_text(e.offset, v, e.mask, this_no, printed(steps[g].yes),
                                     e.short))
    if not groups:
        lines.append(f"all->[{prog.output_everything}]")
    text = "\n".join([*lines, f"safe length {prog.safe_length}", "alignment offset 0", ""])
    return Compiled(steps, prog.output_everything if not steps else -1, prog.safe_length,
                    text)


C = TypeVar("C")


def per_config(build: Callable[[C], Compiled]) -> Callable[[C], Compiled]:
    """``build`` run once per configuration object. Keyed by identity, not by value: the
    engine asks for the program on every packet, and hashing a configuration's pattern
    trees each time would cost more than the lookup saves."""
    cache: dict[int, tuple[C, Compiled]] = {}

    def program(config: C) -> Compiled:
        hit = cache.get(id(config))
        if hit is not None and hit[0] is config:
            return hit[1]
        if len(cache) > 4096:
            cache.clear()
        compiled = build(config)
        cache[id(config)] = (config, compiled)
        return compiled

    return program


def filter_program(rules: Sequence[tuple[Node, int | None]]) -> Compiled:
    """IPFilter's program for its rules (``IPFilter::parse_program``)."""
    progs: list[Program] = []
    for node, port in rules:
        prog = Program()
        tree = prog.init_subtree()
        prog.start_subtree(tree)
        _emit(node, prog, tree)
        prog.finish_subtree(tree, C_AND, _port_jump(port), J_FAILURE)
        progs.append(prog)
    step = 1
    while step < len(progs):
        for i in range(0, len(progs) - step, 2 * step):
            progs[i].add_or_program(progs[i + step])
            progs[i].optimize(_FILTER_OFFSET_MAP)
        step *= 2
    if not progs:
        progs.append(Program())
    if len(progs) == 1:
        progs[0].optimize(_FILTER_OFFSET_MAP)
    progs[0].set_failure(J_NEVER)
    progs[0].bubble_sort_and_exprs(_FILTER_OFFSET_MAP, OFFSET_MAX)
    return _compress(progs[0])


def classifier_program(patterns: Sequence[Node]) -> Compiled:
    """Classifier's program for its patterns (``Classifier::parse_program``)."""
    prog = Program()
    tree = prog.init_subtree()
    prog.start_subtree(tree)
    for slot, node in enumerate(patterns):
        prog.start_subtree(tree)
        _emit(node, prog, tree)
        prog.finish_subtree(tree, C_AND, -slot, J_FAILURE)
    prog.finish_subtree(tree, C_OR, J_NEVER, J_NEVER)
    prog.optimize({})
    return _plain(prog)
