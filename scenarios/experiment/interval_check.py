"""Does a staffing meet its target in every interval? Per weekday × interval × contact type, with CIs.

A replication's weeks are averaged first (its intervals are not independent of each other), then
the 95 % t-interval is taken over replications. An interval *misses with confidence* when even the
upper end of its service-level interval is under the target (or the lower end of its abandonment
interval is over the cap); one whose interval straddles the target is not shown to miss. An interval where fewer than two replications
saw a contact has no interval, so it is neither (`meets` empty).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from simulator.erlang_solve import StaffingTarget

from .requirements import WEEKDAYS


def interval_check(intervals: pd.DataFrame, contact_types: list[str], target: StaffingTarget,
                   interval_s: float) -> pd.DataFrame:
    """Rows: weekday, interval, contact_type with service_level and abandon_rate mean and ci95,
    and `meets` (False only when the interval misses with confidence; empty when undecidable)."""
    rows = intervals[intervals.contact_type.isin(contact_types)]
    starts = pd.to_datetime(rows.interval_start)
    rows = rows.assign(weekday=starts.dt.day_of_week,
                       slot=((starts - starts.dt.normalize()).dt.total_seconds() // interval_s).astype(int))
    keys = ["weekday", "slot", "contact_type"]
    per_replication = rows.groupby(keys + ["replication"])[["service_level", "abandon_rate"]].mean()
    grouped = per_replication.groupby(keys)
    table = grouped.mean().add_suffix("_mean")
    for kpi in ("service_level", "abandon_rate"):
        count, sd = grouped[kpi].count(), grouped[kpi].std(ddof=1)
        table[f"{kpi}_ci95"] = stats.t.ppf(0.975, np.maximum(count - 1, 1)) * sd / np.sqrt(count)
    table = table.reset_index()
    misses = table.service_level_mean + table.service_level_ci95 < target.service_level  # NaN: no
    if target.max_abandon is not None:
        misses |= table.abandon_rate_mean - table.abandon_rate_ci95 > target.max_abandon
    decided = table.service_level_ci95.notna()  # two or more replications saw contacts then
    table["meets"] = np.where(decided, ~misses, None)
    table.insert(0, "interval", [f"{int(s * interval_s // 3600):02d}:{int(s * interval_s % 3600 // 60):02d}"
                                 for s in table.slot])
    table["weekday"] = [WEEKDAYS[d] for d in table.weekday]
    return table.drop(columns="slot")[["weekday", "interval", "contact_type", "service_level_mean",
                                       "service_level_ci95", "abandon_rate_mean", "abandon_rate_ci95", "meets"]]
