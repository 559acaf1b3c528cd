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
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.stats import t_quantile

EXAMPLES = 3


def alerts(intervals: pd.DataFrame, group_intervals: pd.DataFrame) -> list[str]:
    return over_capacity(group_intervals) + nobody_on_shift(intervals) + backlog_not_clearing(intervals)


def over_capacity(group_intervals: pd.DataFrame) -> list[str]:
    grouped = group_intervals.groupby(["group", "interval_start"], sort=False)
    means = grouped[["offered_load", "agents_on_shift_mean"]].mean()
    count, sd = grouped.offered_load.count(), grouped.offered_load.std(ddof=1).fillna(np.inf)
    if count.empty or count.max() < 2:
        return []  # one replication gives no confidence (and a run of one need not load scipy)
    lowest = means.offered_load - t_quantile(0.975, np.maximum(count - 1, 1)) * sd / np.sqrt(count)
    staffed = means.agents_on_shift_mean
    over = means[(staffed >= 1) & (lowest > staffed)].reset_index()
    found = []
    for group, rows in over.groupby("group", sort=False):
        peak = (rows.offered_load / rows.agents_on_shift_mean).max()
        found.append(f"{group} is over 100 % of its capacity in {len(rows)} interval(s) "
                     f"({_examples(rows.interval_start)}): the work arriving (offered load) exceeds its agents "
                     f"on shift, at worst {peak:.0%} of them.")
    return found


def nobody_on_shift(intervals: pd.DataFrame) -> list[str]:
    types = intervals[intervals.contact_type != "all"]
    impatient = types.groupby("contact_type", sort=False).abandon_rate.count() > 0  # any rate at all
    types = types[types.contact_type.map(impatient)]  # abandonment not modelled: the type waits by design
    means = types.groupby(["contact_type", "interval_start"], sort=False).agg(
        offered=("offered", "mean"), staffed=("agents_on_shift_mean", "max")).reset_index()
    empty = means[(means.offered > 0) & (means.staffed == 0)]
    return [f"{rows.offered.sum():.1f} {name} contact(s) per run arrived in {len(rows)} interval(s) when nobody "
            f"who can answer them was on shift ({_examples(rows.interval_start)}); they abandon, or wait, "
            f"until someone starts." for name, rows in empty.groupby("contact_type", sort=False)
            if rows.offered.sum() >= 1]


def backlog_not_clearing(intervals: pd.DataFrame) -> list[str]:
    if intervals.replication.nunique() < 2:
        return []  # one replication gives no confidence
    everything = intervals[intervals.contact_type == "all"].copy()
    everything["day"] = pd.to_datetime(everything.interval_start).dt.normalize()
    staffed = everything.groupby("day").agents_on_shift_mean.max()
    everything = everything[everything.day.isin(staffed.index[staffed > 0])]
    lowest = everything.groupby(["replication", "day"]).queue_len_mean.min().unstack("day")
    if lowest.shape[1] < 2 or len(lowest) < 2:
        return []
    rise = (lowest.iloc[:, -1] - lowest.iloc[:, 0]).to_numpy(dtype=float)
    half = t_quantile(0.975, len(rise) - 1) * rise.std(ddof=1) / np.sqrt(len(rise))
    first, last = lowest.iloc[:, 0].mean(), lowest.iloc[:, -1].mean()
    if rise.mean() - half <= 0 or last < 1:
        return []
    return [f"the front-line backlog is not clearing: at the quietest moment of each day {first:.1f} contacts "
            f"wait on the first working day and {last:.1f} on the last ({lowest.shape[1]} working days; rise {rise.mean():.1f} "
            f"±{half:.1f}); see backlog_end."]


def _examples(starts: pd.Series) -> str:
    stamps = pd.to_datetime(starts)
    labels = [f"{stamp:%a %d %b %H:%M}" for stamp in stamps.iloc[:EXAMPLES]]
    return ", ".join(labels) + (", …" if len(stamps) > EXAMPLES else "")

