"""Time-weighted statistics from the log (agents busy, queue length, agents available) without a monitor.

A count that steps by w_i at t_i has integral Σ_{t_i < x} w_i (x − t_i) from the start up to x. With the
steps sorted, that is two cumulative sums and one search per edge: any window or interval grid is cheap.
"""
from __future__ import annotations

import numpy as np


class StepCount:
    """A piecewise-constant count (busy agents, contacts in line) built from its +/- steps."""

    def __init__(self, times: np.ndarray, changes: np.ndarray):
        order = np.argsort(times, kind="stable")
        self._settle(np.asarray(times, dtype=float)[order], np.asarray(changes, dtype=float)[order])

    def _settle(self, times: np.ndarray, changes: np.ndarray) -> None:
        self.times, self.changes = times, changes
        self._weighted = _running_total(changes * times)
        self._count = _running_total(changes)

    @classmethod
    def from_spans(cls, starts: np.ndarray, ends: np.ndarray, weights=1.0) -> "StepCount":
        """`weights` (default one unit) of count for each [start, end) span (a handling, a wait, a shift)."""
        weights = np.broadcast_to(np.asarray(weights, dtype=float), np.shape(starts))
        return cls(np.concatenate([starts, ends]), np.concatenate([weights, -weights]))

    def integral_to(self, edges: np.ndarray) -> np.ndarray:
        """∫ count dt from the beginning of time to each edge."""
        edges = np.asarray(edges, dtype=float)
        before = np.searchsorted(self.times, edges, side="left")
        return self._count[before] * edges - self._weighted[before]

    def integral(self, start: float, end: float) -> float:
        low, high = self.integral_to(np.array([start, end]))
        return float(high - low)

    def per_interval(self, edges: np.ndarray) -> np.ndarray:
        """∫ count dt over each [edges[i], edges[i+1])."""
        return np.diff(self.integral_to(edges))

    def maximum(self, start: float, end: float) -> float:
        """Largest count held during [start, end) (the level after all steps at an instant)."""
        level_at_start = self._count[np.searchsorted(self.times, start, side="right")]
        inside = (self.times > start) & (self.times < end)
        times, levels = self.times[inside], np.cumsum(self.changes[inside]) + level_at_start
        settled = np.append(times[1:] != times[:-1], True) if len(times) else np.zeros(0, dtype=bool)
        return float(max(level_at_start, levels[settled].max())) if len(levels) else float(level_at_start)

    def time_positive(self, start: float, end: float) -> float:
        """How long the count is above zero within [start, end) (e.g. time a group has anyone on duty)."""
        levels = self._count[1:]
        following = np.append(self.times[1:], np.inf)
        lengths = (np.minimum(following, end) - np.maximum(self.times, start)).clip(min=0)
        return float(lengths[levels > 1e-9].sum())  # before the first step the count is 0


def _running_total(values: np.ndarray) -> np.ndarray:
    """0, then the cumulative sums of `values` (np.cumsum's, written after the zero: no second copy)."""
    total = np.empty(len(values) + 1)
    total[0] = 0.0
    np.cumsum(values, out=total[1:])
    return total


class SortedSpans:
    """The steps of many [start, end) spans (`weights`: each span's count, one unit if None) sorted once,
    stable, as `StepCount.from_spans` sorts them (at a tie starts come before ends, each in row order),
    with a label per span (a contact type; optional). The steps of the spans with one label are these,
    in this order, so each label's count is read without sorting again; and only the steps are kept,
    not a StepCount's running totals (the integrals are read off them at the edges asked for).
    `weights` and `labels` have one value per span, or one per step (the starts', then the ends'): a
    window of a longer sequence (time_windows.py) holds the starts and the ends of different spans."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | None = None,
                 labels: np.ndarray | None = None):
        times = np.concatenate([starts, ends])
        order = np.argsort(times, kind="stable")
        self.times = times[order]
        del times
        self.ends = order >= len(starts)  # the step ends a span (−weight), or starts one (+weight)
        pick = lambda column: None if column is None else np.take(column, order, mode="wrap")  # row = order % spans
        self.weights, self.labels = pick(weights), pick(labels)

    def seconds_to(self, edges: np.ndarray, label=None, carried: list | None = None) -> np.ndarray:
        """∫ (count of the spans with that label; all: None) dt to each edge: to the bit, the
        `StepCount.from_spans(starts, ends, weights).integral_to(edges)` of those spans. `carried`: the
        running totals of the steps before these, for a window of a longer sequence (`integral_to_edges`)."""
        times, ends, weights = self.times, self.ends, self.weights
        if label is not None:
            mine = np.flatnonzero(self.labels == label)
            times, ends, weights = times[mine], ends[mine], None if weights is None else weights[mine]
        if weights is None:
            changes = np.where(ends, -1.0, 1.0)
        else:
            changes = weights.copy()
            np.negative(changes, out=changes, where=ends)
        return integral_to_edges(times, changes, edges, carried)

    def most(self, start: float, end: float) -> float:
        """Largest number of spans in progress at once during [start, end), counted after every step at
        an instant (as `StepCount.maximum`, in exact integers): at `start`, or at a step inside."""
        at_start, inside, _ = self.levels(start, end)
        return float(at_start if inside is None else max(at_start, inside))

    def levels(self, start: float, end: float, level: int = 0) -> tuple[int, int | None, int]:
        """Spans in progress, counted from `level` (those begun before these steps, for a window of a
        longer sequence): after the last step at or before `start`, the most after a step inside
        (start, end) that is the last at its instant (None: no such step), and after all the steps."""
        levels = np.cumsum(np.where(self.ends, -1, 1))
        levels += level
        settled = np.append(self.times[1:] != self.times[:-1], True)  # the last step at its instant
        before = int(np.searchsorted(self.times, start, side="right"))
        at_start = int(levels[before - 1]) if before else level
        inside = levels[settled & (self.times > start) & (self.times < end)]
        return at_start, int(inside.max()) if len(inside) else None, int(levels[-1]) if len(levels) else level


def integral_to_edges(times: np.ndarray, changes: np.ndarray, edges: np.ndarray,
                      carried: list | None = None) -> np.ndarray:
    """`StepCount(times, changes).integral_to(edges)` for steps already in its order, to the bit, without
    keeping the count: each running total is read at the edges and let go of. `carried`: for a window
    of a longer sequence, [count, count × time] summed over the steps before it (None: no step yet),
    moved on past these steps (the edges are the window's: none is before its first step's time)."""
    edges = np.asarray(edges, dtype=float)
    carried = [None, None] if carried is None else carried
    before = np.searchsorted(times, edges, side="left")
    count = _running_at(changes, before, carried, 0)
    product = changes * times
    return count * edges - _running_at(product, before, carried, 1, in_place=True)


def _running_at(values: np.ndarray, before: np.ndarray, carried: list, slot: int, in_place: bool = False) -> np.ndarray:
    """The running total (np.cumsum's) of the first `before` values, for each `before` (0.0 for none),
    after the carried total `carried[slot]` (None: nothing before these); the carry is moved past all
    the values. It is the cumulative sum's first element, not added afterwards, so each total is the
    one a single sum over the whole sequence reaches, to the bit."""
    if carried[slot] is None:
        if not len(values):
            return np.zeros(len(before))
        total = np.cumsum(values, out=values if in_place else None)
        carried[slot] = total[-1]
        return np.where(before > 0, total[before - 1], 0.0)
    total = np.empty(len(values) + 1)
    total[0] = carried[slot]
    total[1:] = values
    np.cumsum(total, out=total)
    carried[slot] = total[-1]
    return total[before]
