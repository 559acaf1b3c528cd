"""Time-weighted counts of many spans (agents busy, visits in line), a window of time at a time.

`SortedSpans` sorts every start and end at once: over a year of visits its sort and running sums hold
about 50 bytes a visit. Past blocks.ROWS_AT_ONCE rows, time is cut into windows of about
STEPS_PER_WINDOW steps instead (a window is found by reading the rows again, so a short run sorts at
once: faster); each window's steps are sorted alone, and its running sums go on from where the window
before left off. The steps of a window (the starts that fall in it in row order, then the ends in
row order) sorted stably come in the order the sort of all the steps puts them in, and a cumulative
sum that starts from the carried total (as its first element, not added afterwards) takes the same
floating-point steps, so every integral is the whole sort's, to the bit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import blocks
from .blocks import row_blocks, rows_of
from .timeweighted import SortedSpans

STEPS_PER_WINDOW = 1 << 16  # a window's sort and sums hold a few MiB; tests set it small
SAMPLES_PER_WINDOW = 64  # step times sampled per window to place the cuts between windows


@dataclass(frozen=True)
class Spans:
    """The [start, end) spans of the chosen rows of a log (`bounds_at(rows)`: their starts and ends),
    each with a weight (one if None) and a label (optional), read for a few rows at a time."""

    chosen: np.ndarray
    bounds_at: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    weights_at: Callable[[np.ndarray], np.ndarray] | None = None
    labels_at: Callable[[np.ndarray], np.ndarray] | None = None


def span_integrals(spans: Spans, edges: np.ndarray, by_label: bool = False,
                   longest: tuple[float, float] | None = None) -> tuple[dict, float | None]:
    """∫ (count of the spans in progress) dt from the beginning of time to each edge, for all the spans
    (key None) and, `by_label`, for the spans of each label there is; and, given `longest` (start,
    end), the most spans in progress at once in [start, end) (`SortedSpans.most`)."""
    if len(spans.chosen) <= blocks.ROWS_AT_ONCE:
        return _all_at_once(spans, edges, by_label, longest)
    return _window_by_window(spans, edges, by_label, longest)


def _all_at_once(spans: Spans, edges, by_label: bool, longest) -> tuple[dict, float | None]:
    rows = np.flatnonzero(spans.chosen)
    starts, ends = spans.bounds_at(rows)
    every = SortedSpans(starts, ends, _at(spans.weights_at, rows), _at(spans.labels_at, rows))
    del rows, starts, ends
    seconds_to = {None: every.seconds_to(edges)}
    labels = np.unique(every.labels) if by_label else ()
    if len(labels) == 1:  # one label: its steps are all the steps
        seconds_to[int(labels[0])] = seconds_to[None]
    else:
        seconds_to.update({int(label): every.seconds_to(edges, label) for label in labels})
    return seconds_to, every.most(*longest) if longest else None


def _window_by_window(spans: Spans, edges, by_label: bool, longest) -> tuple[dict, float | None]:
    """`_all_at_once`, each window's steps sorted alone, the running totals carried from one to the next."""
    windows = TimeWindows(spans.chosen, spans.bounds_at)
    present = _labels(spans) if by_label else []
    labels = [None] + (present if len(present) > 1 else [])  # one label: its steps are all the steps
    edges = np.asarray(edges, dtype=float)
    edge_window = windows.window_of(edges)
    seconds_to = {label: np.empty(len(edges)) for label in labels}
    carried = {label: [None, None] for label in labels}
    level, at_start, peaks = 0, 0, []
    for window in range(len(windows)):
        (starts, start_rows), (ends, end_rows) = windows.steps(window)
        steps = SortedSpans(starts, ends, _at(spans.weights_at, start_rows, end_rows),
                            _at(spans.labels_at, start_rows, end_rows))
        del starts, start_rows, ends, end_rows
        inside = np.flatnonzero(edge_window == window)
        for label in labels:
            seconds_to[label][inside] = steps.seconds_to(edges[inside], label, carried[label])
        if longest:
            first, peak, level = steps.levels(*longest, level)
            at_start = first if window == windows.window_of(longest[0]) else at_start
            peaks += [] if peak is None else [peak]
    seconds_to.update({label: seconds_to[None] for label in present if len(present) == 1})
    return seconds_to, float(max([at_start] + peaks)) if longest else None


def _at(read: Callable | None, *row_sets: np.ndarray) -> np.ndarray | None:
    """A column of the spans at some rows (one after another); None if the spans have no such column."""
    return None if read is None else np.concatenate([read(rows) for rows in row_sets])


def _labels(spans: Spans) -> list[int]:
    """The labels the chosen spans have, in order."""
    present = [np.unique(spans.labels_at(rows_of(block, spans.chosen[block])))
               for block in row_blocks(len(spans.chosen))]
    return [int(label) for label in np.unique(np.concatenate(present))]


class TimeWindows:
    """Time cut into windows of about STEPS_PER_WINDOW steps, for the steps of the chosen rows
    (`times_at(rows)`: an array of step times per kind of step, e.g. span starts and span ends), with
    the first and last window each stretch of rows has a step in: a window's steps are looked for only
    in the stretches that can hold some (rows come roughly in time order, so few do). Up to
    blocks.ROWS_AT_ONCE rows, one window holds them all; `cuts`: another set of rows' windows."""

    def __init__(self, chosen: np.ndarray, times_at: Callable[[np.ndarray], tuple], cuts: np.ndarray | None = None):
        self.chosen, self.times_at = chosen, times_at
        size = max(1, STEPS_PER_WINDOW // 8)  # a window spans several stretches: few rows are read twice
        self.stretches = [slice(start, min(start + size, len(chosen))) for start in range(0, len(chosen), size)]
        self.cuts = self._cuts() if cuts is None else cuts
        spread = [self._windows_in(stretch) for stretch in self.stretches] if len(self.cuts) else []
        self.first, self.last = (np.array(ends, dtype=np.int64) for ends in zip(*spread)) if spread else \
            (np.zeros(0, np.int64), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.cuts) + 1

    def window_of(self, times):
        """The window each time falls in: window w holds [cuts[w − 1], cuts[w]) (NaN: the last)."""
        return np.searchsorted(self.cuts, times, side="right")

    def steps(self, window: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each kind of step, (times, rows) of the steps in the window, in row order."""
        if not len(self.cuts):
            rows = np.flatnonzero(self.chosen)
            return [(times, rows) for times in self.times_at(rows)]
        parts = [self._in_window(window, self.stretches[index])
                 for index in np.flatnonzero((self.first <= window) & (self.last >= window))]
        if not parts:
            parts = [self._in_window(window, slice(0, 0))]
        return [tuple(np.concatenate(column) for column in zip(*kind)) for kind in zip(*parts)]

    def _in_window(self, window: int, stretch: slice) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each kind of step, (times, rows) of the stretch's steps in the window (compared with its
        cuts: what `window_of` says, without a search per step)."""
        rows = rows_of(stretch, self.chosen[stretch])
        found = []
        for times in self.times_at(rows):
            inside = times >= self.cuts[window - 1] if window > 0 else ~np.isnan(times)
            if window < len(self.cuts):
                inside &= times < self.cuts[window]
            else:
                inside |= np.isnan(times)
            mine = np.flatnonzero(inside)
            found.append((times[mine], rows[mine]))
        return found

    def _cuts(self) -> np.ndarray:
        """Cuts between windows at evenly spaced quantiles of a sample of the step times."""
        count = int(np.count_nonzero(self.chosen))
        kinds = len(self.times_at(np.zeros(0, np.int64)))
        windows = -(-count * kinds // STEPS_PER_WINDOW)
        if len(self.chosen) <= blocks.ROWS_AT_ONCE or windows <= 1:
            return np.zeros(0)
        stride = max(1, count // (windows * SAMPLES_PER_WINDOW))
        sample = np.concatenate([times for stretch in self.stretches
                                 for times in self.times_at(rows_of(stretch, self.chosen[stretch])[::stride])])
        sample = np.sort(sample[~np.isnan(sample)])
        return np.unique(sample[len(sample) * np.arange(1, windows) // windows]) if len(sample) else np.zeros(0)

    def _windows_in(self, stretch: slice) -> tuple[int, int]:
        """The first and last window the stretch's steps fall in (none: an empty range)."""
        first, last = len(self), -1
        for times in self.times_at(rows_of(stretch, self.chosen[stretch])):
            if len(times):
                low, high = np.fmin.reduce(times), np.fmax.reduce(times)  # NaN only if all are
                first = min(first, int(self.window_of(low)))
                last = max(last, len(self) - 1 if np.isnan(times).any() else int(self.window_of(high)))
        return first, last
