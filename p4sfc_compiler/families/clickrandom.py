"""Click's randomness in the engine: userlevel ``click_random()`` is glibc's
``random()`` (TYPE_3: an additive feedback generator of degree 31), seeded by RandomSeed
(otherwise from true randomness, as Click does). One generator per engine, shared by
every element that draws (IPsecESPEncap's IVs, a rewriter pattern's random start), so a
configuration with RandomSeed draws what Click draws."""

from __future__ import annotations

import os

from p4sfc_compiler.families.behaviour import BuildContext

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


RAND_MAX = 0x7FFFFFFF
SHARED_KEY = "click_random"


def click_random_range(gen: GlibcRandom, low: int, high: int) -> int:
    """Click's ``click_random(low, high)``, inclusive."""
    if low > high:
        return low
    if high - low > RAND_MAX:
        while True:
            r = ((gen.next() << 17) ^ (gen.next() >> 14)) & 0xFFFFFFFF
            if r <= high - low:
                return r + low
    if high == low + 1:
        return low + ((gen.next() >> 14) & 1)
    count = (RAND_MAX + 1) // (high - low + 1)
    top = count * (high - low + 1)
    while True:
        r = gen.next()
        if r < top:
            return r // count + low


def engine_random(ctx: BuildContext) -> GlibcRandom:
    """The engine's generator, made on first use: seeded by the configuration's
    RandomSeed when it has one."""
    gen = ctx.shared.get(SHARED_KEY)
    if not isinstance(gen, GlibcRandom):
        seed = int.from_bytes(os.urandom(4), "little")
        for cls, config in ctx.configs.values():
            if cls == "RandomSeed":
                # config_only's ConfigOnly keeps the raw arguments
                args: tuple[str, ...] = getattr(config, "args", ())
                if args and args[0].strip():
                    seed = int(args[0].strip(), 0) & 0xFFFFFFFF
        gen = GlibcRandom(seed)
        ctx.shared[SHARED_KEY] = gen
    return gen
