"""`SpanSeconds` (group × interval seconds of weighted spans, no sorting) against brute force: each
span's overlap with each interval, times its weight, added up per key. Without weights (None) every
span counts one, to the bit what an array of ones gives (the in-progress load relies on it)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.group_interval_kpis import SpanSeconds


def span_seconds(starts, ends, weights, keys, key_count, edges):
    """`SpanSeconds` of one part: the spans' weighted seconds per key and interval."""
    seconds = SpanSeconds(key_count, edges, weighted=weights is not None)
    seconds.add(starts, ends, weights, keys)
    return seconds.seconds()


SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)

spans = st.lists(st.tuples(st.floats(-20, 120, allow_nan=False), st.floats(0, 50, allow_nan=False),
                           st.sampled_from([0.5, 1.0, 2.0]), st.integers(0, 2)), max_size=30)
grids = st.lists(st.integers(0, 100), min_size=2, max_size=8, unique=True)


def brute_force(starts, ends, weights, keys, key_count, edges):
    out = np.zeros((key_count, len(edges) - 1))
    for start, end, weight, key in zip(starts, ends, weights, keys):
        for i in range(len(edges) - 1):
            out[key, i] += weight * max(0.0, min(end, edges[i + 1]) - max(start, edges[i]))
    return out


def columns(rows, grid):
    """The spans as columns (starts, ends, weights, keys) and the grid's edges, sorted."""
    starts = np.array([s for s, _, _, _ in rows], dtype=float)
    ends = starts + np.array([d for _, d, _, _ in rows], dtype=float)
    weights = np.array([w for _, _, w, _ in rows], dtype=float)
    keys = np.array([k for _, _, _, k in rows], dtype=np.int64)
    return starts, ends, weights, keys, np.sort(np.array(grid, dtype=float))


@SETTINGS
@given(spans, grids)
def test_weighted_spans_match_their_overlaps(rows, grid):
    starts, ends, weights, keys, edges = columns(rows, grid)
    got = span_seconds(starts, ends, weights, keys, 3, edges)
    assert got == pytest.approx(brute_force(starts, ends, weights, keys, 3, edges), abs=1e-6)


@SETTINGS
@given(spans, grids)
def test_unit_spans_match_their_overlaps_and_ones_to_the_bit(rows, grid):
    starts, ends, _, keys, edges = columns(rows, grid)
    ones = np.ones(len(starts))
    got = span_seconds(starts, ends, None, keys, 3, edges)
    assert got.tobytes() == span_seconds(starts, ends, ones, keys, 3, edges).tobytes()
    assert got == pytest.approx(brute_force(starts, ends, ones, keys, 3, edges), abs=1e-6)
