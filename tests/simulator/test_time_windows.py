"""Spans counted a window of time at a time (time_windows.py) against all at once, bit for bit: the
integrals to every edge (all spans and each label's) and the longest line, with windows of a few steps
so that ties, empty windows and spans across many windows all occur."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import time_windows
from simulator.time_windows import Spans, span_integrals
from tests.simulator.small_blocks import small_blocks

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)

spans = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 9), st.integers(0, 2), st.sampled_from([1, 2, 3]),
                           st.booleans()), max_size=60)
grids = st.lists(st.integers(-2, 40), min_size=2, max_size=9, unique=True)


def windows_of(steps: int):
    """Windows of `steps` steps, whatever the number of spans."""
    return small_blocks(steps=steps)


def made_up(rows, weighted: bool) -> Spans:
    """Spans with fractional times (sums that depend on their order), some rows not chosen."""
    rng = np.random.default_rng(len(rows))
    starts = np.array([s for s, *_ in rows], dtype=float) + rng.uniform(0, 1, len(rows)).round(2)
    ends = starts + np.array([d for _, d, *_ in rows], dtype=float) / 3
    labels = np.array([k for _, _, k, _, _ in rows], dtype=np.int16)
    weights = 1.0 / np.array([c for *_, c, _ in rows], dtype=float)
    chosen = np.array([c for *_, c in rows], dtype=bool)
    return Spans(chosen, lambda r: (starts[r], ends[r]), (lambda r: weights[r]) if weighted else None,
                 lambda r: labels[r])


@SETTINGS
@given(spans, grids, st.booleans(), st.sampled_from([1, 2, 3, 5, 8]))
def test_window_by_window_is_all_at_once_to_the_bit(rows, grid, weighted, steps):
    made = made_up(rows, weighted)
    edges = np.sort(np.array(grid, dtype=float)) + 0.5
    whole, longest = span_integrals(made, edges, by_label=True, longest=(edges[0], edges[-1]))
    with windows_of(steps):
        windowed, longest_windowed = span_integrals(made, edges, by_label=True, longest=(edges[0], edges[-1]))
    assert sorted(whole, key=str) == sorted(windowed, key=str)
    for label, seconds in whole.items():
        assert seconds.tobytes() == windowed[label].tobytes(), label
    assert longest == longest_windowed


def test_windows_hold_about_the_steps_asked_for_and_every_step_once():
    rng = np.random.default_rng(3)
    starts = np.sort(rng.uniform(0, 1000, 5000))
    ends = starts + rng.exponential(5, 5000)
    chosen = rng.uniform(size=5000) < 0.8
    with windows_of(500):
        windows = time_windows.TimeWindows(chosen, lambda r: (starts[r], ends[r]))
        found = [windows.steps(window) for window in range(len(windows))]
    assert 2 * chosen.sum() / 500 <= len(windows) <= 2 * chosen.sum() / 500 + 2
    assert max(len(s[0]) + len(e[0]) for s, e in found) < 2 * 500
    for kind, times in enumerate((starts, ends)):
        rows = np.concatenate([window[kind][1] for window in found])
        assert sorted(rows) == list(np.flatnonzero(chosen))
        assert all((np.diff(window[kind][1]) > 0).all() for window in found)  # row order in a window
        assert all(np.array_equal(window[kind][0], times[window[kind][1]]) for window in found)
