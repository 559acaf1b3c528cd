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
        self.times = np.asarray(times, dtype=float)[order]
        self.changes = np.asarray(changes, dtype=float)[order]
        self._weighted = np.concatenate(([0.0], np.cumsum(self.changes * self.times)))
        self._count = np.concatenate(([0.0], np.cumsum(self.changes)))

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
