"""Does a staffing meet its target in every interval? Per weekday × interval × contact type, with CIs.

A replication's weeks are averaged first (its intervals are not independent of each other), then
the 95 % t-interval is taken over replications. An interval *misses with confidence* when even the
upper end of its service-level interval is under the target (or the lower end of its abandonment
interval is over the cap); one whose interval straddles the target is not shown to miss. An interval where fewer than two replications
saw a contact has no interval, so it is neither (`meets` empty). The half-width is never narrower
than the 95 % Wilson interval of the share over all the interval's contacts, so a quiet interval
where every replication happened to score 100 % is not "above the target with confidence".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.erlang_solve import StaffingTarget
from simulator.stats import t_quantile
from simulator.units import format_clock

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
    contacts = rows.groupby(keys).offered.sum().reindex(table.index)
    for kpi in ("service_level", "abandon_rate"):
        count, sd = grouped[kpi].count(), grouped[kpi].std(ddof=1)
        spread = t_quantile(0.975, np.maximum(count - 1, 1)) * sd / np.sqrt(count)
        table[f"{kpi}_ci95"] = np.maximum(spread, _wilson_reach(table[f"{kpi}_mean"], contacts))
    table = table.reset_index()
    misses = table.service_level_mean + table.service_level_ci95 < target.service_level  # NaN: no
    if target.max_abandon is not None:
        misses |= table.abandon_rate_mean - table.abandon_rate_ci95 > target.max_abandon
    decided = table.service_level_ci95.notna()  # two or more replications saw contacts then
    table["meets"] = np.where(decided, ~misses, None)
    table.insert(0, "interval", [format_clock(slot * interval_s) for slot in table.slot])
    table["weekday"] = [WEEKDAYS[d] for d in table.weekday]
    return table.drop(columns="slot")[["weekday", "interval", "contact_type", "service_level_mean",
                                       "service_level_ci95", "abandon_rate_mean", "abandon_rate_ci95", "meets"]]


def _wilson_reach(share: pd.Series, contacts: pd.Series) -> pd.Series:
    """How far the 95 % Wilson interval of a share over `contacts` reaches from it, the farther side:
    a floor under the t-interval, which is zero wide when every replication scored the same (all
    answered in time in a quiet interval is not evidence of much)."""
    z, n = 1.959964, contacts.clip(lower=1).astype(float)
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return np.maximum(share - (centre - half), centre + half - share)
