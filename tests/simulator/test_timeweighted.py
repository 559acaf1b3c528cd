"""StepCount against brute force: the count is right-continuous (after a step at t it holds the new value).

On integer step times the integral over [a, b) with integer a, b is exactly Σ_{x=a}^{b-1} count(x),
the count evaluated on a unit grid. Float step times are checked against a fine midpoint grid.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.timeweighted import SortedSpans, StepCount

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)


def level(times: np.ndarray, changes: np.ndarray, x: float) -> float:
    """The count at time x: every step at or before x has happened."""
    return float(changes[times <= x].sum())


steps = st.lists(st.tuples(st.integers(0, 100), st.integers(-3, 3)), max_size=40)


@SETTINGS
@given(steps, st.integers(-10, 110), st.integers(0, 60))
def test_integral_matches_unit_grid_sum(pairs, start, width):
    times = np.array([t for t, _ in pairs], dtype=float)
    changes = np.array([c for _, c in pairs], dtype=float)
    count = StepCount(times, changes)
    brute = sum(level(times, changes, x) for x in range(start, start + width))
    assert count.integral(start, start + width) == pytest.approx(brute, abs=1e-9)


@SETTINGS
@given(steps, st.lists(st.integers(-10, 110), min_size=2, max_size=8, unique=True))
def test_per_interval_matches_unit_grid_sums(pairs, edges):
    edges = np.sort(np.array(edges, dtype=float))
    times = np.array([t for t, _ in pairs], dtype=float)
    changes = np.array([c for _, c in pairs], dtype=float)
    per = StepCount(times, changes).per_interval(edges)
    brute = [sum(level(times, changes, x) for x in range(int(a), int(b))) for a, b in zip(edges[:-1], edges[1:])]
    np.testing.assert_allclose(per, brute, atol=1e-9)
    assert per.sum() == pytest.approx(StepCount(times, changes).integral(edges[0], edges[-1]), abs=1e-9)


def test_float_times_against_a_fine_grid():
    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 1000, 300)
    ends = starts + rng.exponential(30, 300)
    count = StepCount.from_spans(starts, ends)
    grid = np.linspace(100, 900, 800_001)
    midpoints = (grid[:-1] + grid[1:]) / 2
    levels = ((starts[:, None] <= midpoints[None, ::50]) & (ends[:, None] > midpoints[None, ::50])).sum(axis=0)
    coarse = levels.sum() * (grid[1] - grid[0]) * 50
    assert count.integral(100, 900) == pytest.approx(coarse, rel=2e-3)
    assert count.integral(100, 900) == pytest.approx(np.minimum(ends, 900).clip(100) .sum()
                                                     - np.minimum(starts, 900).clip(100).sum(), rel=1e-12)


@SETTINGS
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50)), max_size=30), st.floats(0, 100), st.floats(0, 100))
def test_spans_integral_is_total_overlap(spans, a, b):
    start, end = min(a, b), max(a, b)
    starts = np.array([s for s, _ in spans], dtype=float)
    ends = starts + np.array([d for _, d in spans], dtype=float)
    overlap = (np.minimum(ends, end) - np.maximum(starts, start)).clip(min=0).sum()
    assert StepCount.from_spans(starts, ends).integral(start, end) == pytest.approx(overlap, rel=1e-9, abs=1e-9)


def test_unsorted_input_and_empty_count():
    count = StepCount(np.array([5.0, 1.0, 3.0]), np.array([-1.0, 1.0, 1.0]))
    assert count.integral(0, 10) == pytest.approx(4 * 1 + 2 * 1 + 5 * 1)  # 1 from 1, 2 from 3, 1 from 5
    empty = StepCount(np.array([]), np.array([]))
    assert empty.integral(0, 10) == 0.0 and empty.maximum(0, 10) == 0.0
    assert list(empty.per_interval(np.array([0.0, 1.0, 2.0]))) == [0.0, 0.0]


crowded_steps = st.lists(st.tuples(st.integers(0, 12), st.sampled_from([-1, 1])), max_size=30)  # many ties


@settings(SETTINGS, max_examples=150)
@given(crowded_steps, st.integers(-2, 12), st.integers(1, 14))
def test_maximum_matches_brute_force(pairs, start, width):
    """The largest count held at any instant of [start, end) (after all steps at that instant).

    Catches a walk that counts the transient level when +1 and −1 fall at the same instant in that
    order (see the zero-length span test; `maximum` failed it until it read settled levels only).
    """
    times = np.array([t for t, _ in pairs], dtype=float)
    changes = np.array([c for _, c in pairs], dtype=float)
    end = start + width
    candidates = [start] + [t for t in times if start < t < end]
    brute = max(level(times, changes, x) for x in candidates)
    assert StepCount(times, changes).maximum(start, end) == brute


def test_maximum_of_spans_without_simultaneous_steps():
    count = StepCount.from_spans(np.array([0.0, 1.0, 2.0, 10.0]), np.array([5.0, 3.0, 2.5, 11.0]))
    assert count.maximum(0, 20) == 3
    assert count.maximum(3.5, 20) == 1
    assert count.maximum(6, 9) == 0


def test_maximum_ignores_zero_length_spans():
    """A wait of zero (answered on arrival) never puts anyone in line: the longest line is 0.

    Catches simultaneous +1/-1 steps walked one at a time, where the transient 1 counts (that once
    made kpis' queue_len_max 1 when nobody waited).
    """
    instants = np.array([1.0, 2.0, 3.0])
    assert StepCount.from_spans(instants, instants).maximum(0, 10) == 0


crowded_spans = st.lists(st.tuples(st.integers(0, 12), st.integers(-1, 5)), max_size=30)  # ties, empty spans


@settings(SETTINGS, max_examples=150)
@given(crowded_spans, st.integers(-2, 12), st.integers(1, 14))
def test_longest_line_matches_brute_force_and_step_count(spans, start, width):
    """Spans in progress at once (counted after every step at an instant), at the busiest moment of
    [start, end): brute force over every candidate instant, and StepCount.maximum on the same spans.
    Ties between starts and ends, empty spans and spans that end before they start all occur."""
    starts = np.array([s for s, _ in spans], dtype=float)
    ends = starts + np.array([d for _, d in spans], dtype=float)
    end = start + width
    in_progress = lambda x: int((starts <= x).sum() - (ends <= x).sum())
    candidates = [start] + [t for t in np.concatenate([starts, ends]) if start < t < end]
    brute = max(in_progress(x) for x in candidates)
    most = SortedSpans(starts, ends, np.zeros(len(spans), int)).most(start, end)
    assert most == brute
    if (ends > starts).all():  # StepCount.maximum walks simultaneous +1/−1 one at a time (see above)
        assert most == StepCount.from_spans(starts, ends).maximum(start, end)
    if (ends >= starts).all():  # the KPI counts every visit on hold: those that waited no time change nothing
        waited = ends > starts
        assert most == SortedSpans(starts[waited], ends[waited], np.zeros(waited.sum(), int)).most(start, end)


@settings(SETTINGS, max_examples=100)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 6), st.integers(0, 2), st.sampled_from([1, 2, 3])),
                max_size=40),
       st.lists(st.integers(-2, 24), min_size=2, max_size=6, unique=True), st.booleans())
def test_sorted_spans_give_each_label_the_integral_of_from_spans_bit_for_bit(spans, edges, weighted):
    """Sorting all the spans once and keeping one label's steps gives that label's count in the very
    order StepCount.from_spans sorts its own spans in (ties included), so the running sums, and the
    integrals at the edges, are bit-identical; with weights of a third and a half (chats), too."""
    rng = np.random.default_rng(len(spans))
    starts = np.array([s for s, _, _, _ in spans], dtype=float) + rng.uniform(0, 1, len(spans)).round(1)
    ends = starts + np.array([d for _, d, _, _ in spans], dtype=float)
    labels = np.array([k for _, _, k, _ in spans], dtype=np.int16)
    weights = 1.0 / np.array([c for _, _, _, c in spans], dtype=float) if weighted else None
    edges = np.sort(np.array(edges, dtype=float))
    every = SortedSpans(starts, ends, weights, labels)
    for label in (None, 0, 1, 2):
        mine = np.ones(len(spans), bool) if label is None else labels == label
        own = StepCount.from_spans(starts[mine], ends[mine], 1.0 if weights is None else weights[mine])
        assert every.seconds_to(edges, label).tobytes() == own.integral_to(edges).tobytes()
