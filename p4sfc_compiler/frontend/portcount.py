"""Click's port-count syntax (``Element::port_count``): how many inputs and outputs a class has.

``IN/OUT``, or ``IN`` alone for both sides; each side is ``N``, ``N-``, ``N-M``, ``-``
(any number) or ``-M``. ``OUT`` may instead be ``=`` (as many outputs as inputs), with a
``+`` per extra output (``=+``: one more output than inputs).

Two questions are asked of a port count, and they differ for ``=``:

- :meth:`PortCount.allows`: may an instance have exactly these numbers of ports? With
  ``=`` the output count must equal the input count (plus the extras);
- :meth:`PortCount.check`: do connections to these ports fit? Only upper bounds count
  (an unconnected port may be optional), and with ``=`` the inputs the element has,
  not just those connected, set the outputs allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

_SIDE = r"(?:[0-9]+(?:-[0-9]*)?|-[0-9]*)"
_PORTS = re.compile(rf"(?P<in>{_SIDE})(?:/(?P<out>{_SIDE}|=\+*))?\Z")


class PortRange(NamedTuple):
    """Allowed number of ports on one side: ``lo..hi``; ``hi`` is ``None`` when unbounded."""

    lo: int
    hi: int | None

    def allows(self, n: int) -> bool:
        return n >= self.lo and (self.hi is None or n <= self.hi)

    def __str__(self) -> str:
        if self.hi is None:
            return f"{self.lo}-" if self.lo else "-"
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


@dataclass(frozen=True)
class PortCount:
    """A parsed port count.

    ``outputs_follow`` is set for ``=`` outputs: the output count is the input count plus
    that many (``=`` -> 0, ``=+`` -> 1); ``outputs`` then holds the resulting range.
    ``text`` is the port count as written, for messages; it does not take part in ``==``.
    """

    inputs: PortRange
    outputs: PortRange
    outputs_follow: int | None = None
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Plain (lo, hi) tuples are accepted: PortCount((1, 2), (2, 3), outputs_follow=1).
        object.__setattr__(self, "inputs", PortRange(*self.inputs))
        object.__setattr__(self, "outputs", PortRange(*self.outputs))

    def allows(self, n_inputs: int, n_outputs: int) -> bool:
        """Whether an instance with exactly these port counts is valid for the class."""
        if not self.inputs.allows(n_inputs):
            return False
        if self.outputs_follow is not None:
            return n_outputs == n_inputs + self.outputs_follow
        return self.outputs.allows(n_outputs)

    def max_outputs(self, inputs_used: int) -> int | None:
        """The most outputs an instance with ``inputs_used`` connected inputs can have
        (``None``: no limit)."""
        if self.outputs_follow is None:
            return self.outputs.hi
        n_in = max(inputs_used, self.inputs.lo)
        if self.inputs.hi is not None:
            n_in = min(n_in, self.inputs.hi)
        return n_in + self.outputs_follow

    def check(self, inputs_used: int, outputs_used: int) -> str | None:
        """``None`` if connections to this many inputs and outputs fit, else the problem.

        Only upper bounds are checked: an unconnected optional port is legal and the
        driver's "unconnected mandatory port" rule depends on push/pull analysis.
        """
        max_in = self.inputs.hi
        if max_in is not None and inputs_used > max_in:
            return f"has {_plural(max_in, 'input')}"
        max_out = self.max_outputs(inputs_used)
        if max_out is not None and outputs_used > max_out:
            return f"has {_plural(max_out, 'output')}"
        return None


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _parse_side(text: str) -> PortRange:
    lo_text, dash, hi_text = text.partition("-")
    lo = int(lo_text) if lo_text else 0
    if not dash:
        return PortRange(lo, lo)
    hi = int(hi_text) if hi_text else None
    if hi is not None and hi < lo:
        raise ValueError(f"range {text!r} has its maximum below its minimum")
    return PortRange(lo, hi)


def parse_port_count(text: str) -> PortCount:
    """Parse ``"1/1-2"``, ``"-/-"``, ``"1-/="``, ``"0/1"``, ``"1"`` (both sides equal).

    Raises ``ValueError`` for anything Click would reject; spaces included.
    """
    m = _PORTS.match(text)
    if m is None:
        raise ValueError(
            f"{text!r} is not a Click port count (IN/OUT, each N, N-, N-M or -; OUT may be =)"
        )
    inputs = _parse_side(m["in"])
    out = m["out"]
    if out is None:
        return PortCount(inputs, inputs, text=text)
    if out.startswith("="):
        extra = len(out) - 1
        hi = inputs.hi + extra if inputs.hi is not None else None
        return PortCount(inputs, PortRange(inputs.lo + extra, hi), outputs_follow=extra,
                         text=text)
    return PortCount(inputs, _parse_side(out), text=text)
