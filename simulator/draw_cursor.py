"""A random draw handed out a piece at a time, with exactly the values the whole draw gives.

A long run's demand is drawn as the run reaches it, a piece at a time, so every contact's fates never
exist at once; yet each contact must get the values a whole-run draw gives it (the same customers for
any piece size, and the same as before). numpy's Generator fills an array element by element, so
`sample(rng, a)` then `sample(rng, b)` give `sample(rng, a + b)`'s values; a uniform takes exactly one
step of the bit generator, so a cursor can jump over uniforms it does not need. A draw made as several
calls on one generator (the rows of a matrix of coins, delays then patience, a mixture's components)
becomes one cursor per call, each starting where the call before it ends.
"""
from __future__ import annotations

import copy

import numpy as np

from .distributions import Mixture, Scaled

LOOK_AHEAD = 1 << 18  # values drawn at once when a cursor runs ahead to find where its call ends


class Cursor:
    """The `size` values of `sample(rng, size)`, taken in order by `take(count)`. `start` is a generator
    at the call's start, or a callable that makes one (the end of the call before, found only if needed)."""

    def __init__(self, sample, start, size: int | None):
        self._sample, self._start, self.size, self.taken = sample, start, size, 0
        self._rng = None

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = self._start() if callable(self._start) else self._start
        return self._rng

    def take(self, count: int) -> np.ndarray:
        if self.taken + count > self.size:
            raise ValueError(f"a draw of {self.size} values asked for value {self.taken + count}")
        self.taken += count
        return self._sample(self.rng, count)

    def end(self) -> np.random.Generator:
        """A generator where the whole call ends: this one if every value was taken, else a copy run on."""
        if self.taken == self.size:
            return self.rng
        ahead = copy.deepcopy(self.rng)
        self._skip(ahead, self.size - self.taken)
        return ahead

    def _skip(self, rng: np.random.Generator, count: int) -> None:
        for done in range(0, count, LOOK_AHEAD):
            self._sample(rng, min(LOOK_AHEAD, count - done))


class Uniforms(Cursor):
    """`rng.random(size)`: one bit-generator step per value, so skipping is a jump."""

    def __init__(self, start, size: int):
        super().__init__(lambda rng, count: rng.random(count), start, size)

    def _skip(self, rng: np.random.Generator, count: int) -> None:
        """Jump; PCG64's `advance` also forgets the half of a 64-bit word kept for the next 32-bit
        integer (an empirical distribution's draw), which uniforms leave alone: it is put back."""
        kept = rng.bit_generator.state
        rng.bit_generator.advance(count)
        state = rng.bit_generator.state
        state["has_uint32"], state["uinteger"] = kept["has_uint32"], kept["uinteger"]
        rng.bit_generator.state = state


class MixtureCursor(Cursor):
    """`Mixture.sample`: the component of every value first (one uniform each), then each component's
    values in turn, so component k starts where component k-1's whole share ends."""

    def __init__(self, mixture: Mixture, start, size: int | None):
        weights = np.asarray(mixture.weights, dtype=float)
        self._cdf = lambda rng, count: rng.choice(len(mixture.components), size=count, p=weights / weights.sum())
        self.which = Cursor(self._cdf, start, size)
        self.mixture, self.taken = mixture, 0
        self._counts = np.zeros(len(mixture.components), np.int64)  # components of the values taken
        self._parts, self._whole = [], None  # the components' cursors; each one's share of the whole draw

    size = property(lambda self: self.which.size, lambda self, size: setattr(self.which, "size", size))

    def take(self, count: int) -> np.ndarray:
        if self.taken + count > self.size:
            raise ValueError(f"a draw of {self.size} values asked for value {self.taken + count}")
        self.taken += count
        which = self.which.take(count)
        self._counts += np.bincount(which, minlength=len(self._counts))
        draws = np.empty(count)
        for index in range(len(self.mixture.components)):
            chosen = which == index
            draws[chosen] = self._part(index).take(int(chosen.sum()))
        return draws

    def _part(self, index: int) -> Cursor:
        """Component `index`'s cursor over its whole share (which needs every value's component); the
        parts before it are made and sized too, as its start is where they end."""
        while len(self._parts) <= index:
            before = self._parts[-1].end if self._parts else self.which.end
            part = cursor(self.mixture.components[len(self._parts)], before, None)
            part.size = int(self._shares()[len(self._parts)])
            self._parts.append(part)
        return self._parts[index]

    def _shares(self) -> np.ndarray:
        """How many values of the whole draw each component has (the rest of the components looked ahead)."""
        if self._whole is not None:
            return self._whole
        if self.which.taken == self.size:
            self._whole = self._counts.copy()
            return self._whole
        ahead, shares = copy.deepcopy(self.which.rng), self._counts.copy()
        rest = self.size - self.which.taken
        for done in range(0, rest, LOOK_AHEAD):
            shares += np.bincount(self._cdf(ahead, min(LOOK_AHEAD, rest - done)), minlength=len(shares))
        self._whole = shares
        return shares

    def end(self) -> np.random.Generator:
        return self._part(len(self.mixture.components) - 1).end()


class ScaledCursor(Cursor):
    """`Scaled.sample`: the base distribution's values times the factor."""

    def __init__(self, scaled: Scaled, start, size: int | None):
        self.base, self.factor = cursor(scaled.base, start, size), scaled.factor

    size = property(lambda self: self.base.size, lambda self, size: setattr(self.base, "size", size))
    taken = property(lambda self: self.base.taken)

    def take(self, count: int) -> np.ndarray:
        return self.base.take(count) * self.factor

    def end(self) -> np.random.Generator:
        return self.base.end()


def cursor(distribution, start, size: int | None) -> Cursor:
    """A cursor over `distribution.sample(rng, size)` (size None: set once known, for a mixture's parts)."""
    if isinstance(distribution, Mixture):
        return MixtureCursor(distribution, start, size)
    if isinstance(distribution, Scaled):
        return ScaledCursor(distribution, start, size)
    return Cursor(distribution.sample, start, size)


def in_turn(start: np.random.Generator, calls: list) -> list[Cursor]:
    """Cursors over consecutive calls on one generator: `calls` are (distribution, size), with None for
    `rng.random(size)`. Each call's cursor starts where the one before it ends."""
    cursors = []
    for distribution, size in calls:
        begin = cursors[-1].end if cursors else start
        cursors.append(Uniforms(begin, size) if distribution is None else cursor(distribution, begin, size))
    return cursors
