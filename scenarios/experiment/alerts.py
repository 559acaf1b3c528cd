"""Warnings a planner should see before trusting the numbers, each from the results by a stated rule
(printed by `run` and `compare`, written to each results folder's `warnings.txt`, shown in the report):

- **over capacity**: in an interval when a group has at least one agent on shift on average, its
  offered load exceeds them with 95 % confidence (the lower end of the load's interval over
  replications is above the mean agents on shift): more work arrived than they could do, so the
  queue grows there (intervals with less than one agent on average are a shift's first or last
  minutes, or agents finishing work after it: work arriving then is the next two warnings');
- **nobody on shift**: contacts of a type that can abandon (calls, chats) arrived in an interval
  when no agent who can answer them was on shift (in every replication), at least one per run in
  all: they abandon, or wait, until someone starts (email and tickets wait by design: a backlog
  they leave shows in the last warning);
- **backlog not clearing**: on the days with agents on shift, the front-line queue's quietest moment
  (lowest interval mean) is higher on the last such day than on the first, the paired difference
  over replications is above zero with 95 % confidence, and at least one contact still waits at
  the last day's quietest moment (days nobody works are left out: a weekend backlog is expected).

Computed with numpy alone, so that `run` need not import pandas. A table is anything whose
`table[column]` gives a column: a DataFrame, one read back from CSV (interval starts as text) or a
light table of numpy arrays.
"""
from __future__ import annotations

import numpy as np

from simulator.stats import t_quantile

EXAMPLES = 3


def alerts(intervals, group_intervals) -> list[str]:
    return over_capacity(group_intervals) + nobody_on_shift(intervals) + backlog_not_clearing(intervals)


def over_capacity(group_intervals) -> list[str]:
    group, start = _names(group_intervals["group"]), _starts(group_intervals["interval_start"])
    interval, first = _first_seen(group, start)  # each row's (group, interval start), numbered as first seen
    offered, agents = _numbers(group_intervals["offered_load"]), _numbers(group_intervals["agents_on_shift_mean"])
    load = _Replicates(interval, offered, len(first))
    if not len(first) or load.count.max() < 2:
        return []  # one replication gives no confidence (and a run of one need not load scipy)
    staffed = _Replicates(interval, agents, len(first)).mean()
    mean_load, sd = load.mean(), load.sd()
    sd[np.isnan(sd)] = np.inf  # one value: no confidence at all
    with np.errstate(divide="ignore", invalid="ignore"):
        lowest = mean_load - t_quantile(0.975, np.maximum(load.count - 1, 1)) * sd / np.sqrt(load.count)
    over = np.flatnonzero((staffed >= 1) & (lowest > staffed))
    found = []
    for rows in _each(group[first[over]]):
        chosen = over[rows]
        peak = np.max(mean_load[chosen] / staffed[chosen])
        found.append(f"{group[first[chosen[0]]]} is over 100 % of its capacity in {len(chosen)} interval(s) "
                     f"({_examples(start[first[chosen]])}): the work arriving (offered load) exceeds its agents "
                     f"on shift, at worst {peak:.0%} of them.")
    return found


def nobody_on_shift(intervals) -> list[str]:
    kind = _names(intervals["contact_type"])
    impatient = np.unique(kind[(kind != "all") & ~np.isnan(_numbers(intervals["abandon_rate"]))])  # any rate at all
    rows = np.flatnonzero(np.isin(kind, impatient))  # abandonment not modelled: the type waits by design
    kind, start = kind[rows], _starts(intervals["interval_start"])[rows]
    interval, first = _first_seen(kind, start)
    offered = _Replicates(interval, _numbers(intervals["offered"])[rows], len(first)).mean()
    staffed = _Replicates(interval, _numbers(intervals["agents_on_shift_mean"])[rows], len(first)).max()
    empty = np.flatnonzero((offered > 0) & (staffed == 0))
    found = []
    for chosen in (empty[rows] for rows in _each(kind[first[empty]])):
        per_run = np.sum(offered[chosen])
        if per_run >= 1:
            found.append(f"{per_run:.1f} {kind[first[chosen[0]]]} contact(s) per run arrived in {len(chosen)} "
                         f"interval(s) when nobody who can answer them was on shift "
                         f"({_examples(start[first[chosen]])}); they abandon, or wait, until someone starts.")
    return found


def backlog_not_clearing(intervals) -> list[str]:
    replication = np.asarray(intervals["replication"])
    if len(np.unique(replication[replication == replication])) < 2:
        return []  # one replication gives no confidence
    rows = np.flatnonzero(_names(intervals["contact_type"]) == "all")
    day = _starts(intervals["interval_start"])[rows].astype("datetime64[D]")
    days, on_day = np.unique(day, return_inverse=True)
    staffed = _Replicates(on_day, _numbers(intervals["agents_on_shift_mean"])[rows], len(days)).max()
    working = np.isin(day, days[staffed > 0]) & (replication[rows] == replication[rows])
    lowest = _lowest_each_day(replication[rows][working], day[working],
                              _numbers(intervals["queue_len_mean"])[rows][working])
    if lowest.shape[1] < 2 or len(lowest) < 2:
        return []
    rise = lowest[:, -1] - lowest[:, 0]
    half = t_quantile(0.975, len(rise) - 1) * rise.std(ddof=1) / np.sqrt(len(rise))
    first, last = _mean_of_known(lowest[:, 0]), _mean_of_known(lowest[:, -1])
    if rise.mean() - half <= 0 or last < 1:
        return []
    return [f"the front-line backlog is not clearing: at the quietest moment of each day {first:.1f} contacts "
            f"wait on the first working day and {last:.1f} on the last ({lowest.shape[1]} working days; rise {rise.mean():.1f} "
            f"±{half:.1f}); see backlog_end."]


def _lowest_each_day(replication, day, queue) -> np.ndarray:
    """The queue's lowest interval mean, a row per replication and a column per day (both in order);
    NaN where a replication has no such day."""
    replications, row = np.unique(replication, return_inverse=True)
    days, column = np.unique(day, return_inverse=True)
    cells = _Replicates(row * len(days) + column, queue, len(replications) * len(days))
    return cells.min().reshape(len(replications), len(days))


def _mean_of_known(values: np.ndarray) -> float:
    """The mean of the values that are not NaN (NaN when none is)."""
    known = values[~np.isnan(values)]
    return known.mean() if len(known) else np.nan


class _Replicates:
    """The values of each key (a group and interval, a day…) over the rows that have one (missing
    values left out): their count, mean, sd, largest and smallest, by key number."""

    def __init__(self, key: np.ndarray, values: np.ndarray, keys: int):
        known = ~np.isnan(values)
        self.key, self.values, self.keys = key[known], values[known], keys
        self.count = np.bincount(self.key, minlength=keys)

    def mean(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.bincount(self.key, self.values, self.keys) / self.count

    def sd(self) -> np.ndarray:
        """With ddof=1 (two passes: deviations from the mean); NaN for fewer than two values."""
        deviation = self.values - self.mean()[self.key]
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.sqrt(np.bincount(self.key, deviation * deviation, self.keys) / (self.count - 1))
        return np.where(self.count > 1, spread, np.nan)

    def max(self) -> np.ndarray:
        return self._extreme(np.fmax, -np.inf)

    def min(self) -> np.ndarray:
        return self._extreme(np.fmin, np.inf)

    def _extreme(self, pick, start: float) -> np.ndarray:
        found = np.full(self.keys, start)
        pick.at(found, self.key, self.values)
        return np.where(self.count > 0, found, np.nan)


def _first_seen(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's key (the combination of `keys`), keys numbered in order of first appearance as
    pandas' groupby(sort=False) orders them, and the first row of each."""
    code = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        inverse = _numbered(key)
        code = code * (inverse.max(initial=-1) + 1) + inverse
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    order = np.argsort(first)
    number = np.empty_like(order)
    number[order] = np.arange(len(order))
    return number[inverse.reshape(-1)], first[order]


def _numbered(key: np.ndarray) -> np.ndarray:
    """Each row's value as a number, equal values equal numbers: names through a dict (sorting
    Python strings is slow), times and numbers through `np.unique`."""
    if key.dtype == object:
        numbers: dict = {}
        return np.fromiter((numbers.setdefault(value, len(numbers)) for value in key.tolist()), np.int64, len(key))
    return np.unique(key, return_inverse=True)[1].reshape(-1)


def _each(names: np.ndarray) -> list[np.ndarray]:
    """The positions of each name, names in order of first appearance."""
    name, first = _first_seen(names)
    return [np.flatnonzero(name == k) for k in range(len(first))]


def _names(column) -> np.ndarray:
    return np.asarray(column, dtype=object)


def _numbers(column) -> np.ndarray:
    return np.asarray(column, dtype=np.float64)


def _starts(column) -> np.ndarray:
    """Interval starts as datetime64[us], from times or, read back from CSV, their text
    ("2024-01-01 08:30:00", or "2024-01-01" when all are midnight), which numpy parses as ISO."""
    return np.asarray(column).astype("datetime64[us]")


def _examples(starts: np.ndarray) -> str:
    labels = [f"{stamp:%a %d %b %H:%M}" for stamp in starts[:EXAMPLES].tolist()]
    return ", ".join(labels) + (", …" if len(starts) > EXAMPLES else "")
