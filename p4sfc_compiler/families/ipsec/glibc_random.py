"""glibc's ``random()`` after ``srandom(seed)`` (TYPE_3: an additive feedback generator
of degree 31), which userlevel Click's ``click_random()`` is: the ESP IVs of a run with
RandomSeed are this sequence."""

from __future__ import annotations

DEGREE, SEP, DISCARD = 31, 3, 310
M31 = 2147483647


class GlibcRandom:
    __slots__ = ("r", "i")

    def __init__(self, seed: int) -> None:
        seed = seed or 1
        r = [seed & 0xFFFFFFFF]
        for _ in range(1, DEGREE):
            # Schrage's method as glibc writes it (16807 * r mod 2**31 - 1, signed)
            word = r[-1] if r[-1] < 2**31 else r[-1] - 2**32
            hi, lo = divmod(word, 127773) if word >= 0 else (-((-word) // 127773),
                                                              -((-word) % 127773))
            word = 16807 * lo - 2836 * hi
            if word < 0:
                word += M31
            r.append(word & 0xFFFFFFFF)
        self.r = r
        self.i = 0
        for _ in range(DISCARD):
            self.next()

    def next(self) -> int:
        """The next ``random()`` value, 0 .. 2**31 - 1."""
        r, i = self.r, self.i
        f = (i + SEP) % DEGREE
        r[f] = (r[f] + r[i]) & 0xFFFFFFFF
        self.i = (i + 1) % DEGREE
        return r[f] >> 1
