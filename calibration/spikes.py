"""One-off spikes in a weekly arrival table: flagged, because a scenario replays the table every week.

A profile's weekly table is the mean over the days observed, so a burst on one day (an outage's
callbacks, a mailing) becomes part of every such weekday in every simulated week; from one week of
history, fully so. A cell is flagged when its arrivals stand out from *both* references a planner
would check by eye: the same day's neighbouring slots (so a busy weekday is no spike) and the same
slot on the other weekdays (so a daily peak or an opening ramp is none). It must exceed the larger
of the two by `RATIO` and be improbable for Poisson arrivals at that level, at a family-wise
`LEVEL` over the table's cells; and it must be one day's doing: its busiest date carries more than
`ONE_DAY_SHARE` of the excess (a peak on every Monday is the weekly pattern, not a one-off).
Flagged, not smoothed: only the planner knows whether it recurs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

RATIO = 2.0  # at least twice what both references expect
LEVEL = 0.01  # family-wise over the cells (Bonferroni)
NEIGHBOURS = 2  # slots each side on the same day
MIN_EXPECTED = 1.0  # arrivals per day: a few calls in a closed slot are no spike to replay
ONE_DAY_SHARE = 0.5  # of the cell's excess over the reference, on its busiest date


@dataclass(frozen=True)
class Spike:
    weekday: str
    slot: str
    arrivals: int  # in this cell over the days observed
    days: int  # such weekdays observed
    expected: float  # over the same days, by the larger reference
    date: str  # the day that made it
    on_date: int  # arrivals in the slot that day

    @property
    def ratio(self) -> float:
        return self.arrivals / self.expected

    def brief(self) -> str:
        days = "1 day" if self.days == 1 else f"{self.days} days"
        return (f"{self.weekday} {self.slot}: {self.arrivals} arrivals over {days} observed ({self.on_date} on "
                f"{self.date}), about {self.expected:.0f} expected ({self.ratio:.1f}x)")

    def summary(self) -> str:
        return (f"{self.brief()} from the neighbouring slots and the other weekdays; a scenario built on this "
                f"profile replays it every {self.weekday}")


def find_spikes(rates: pd.DataFrame, arrivals: pd.DatetimeIndex) -> tuple[Spike, ...]:
    """Spikes of a weekly rate table (rows weekdays, columns slot labels, per hour; `attrs` hold
    `interval_s` and `days_per_weekday` as `weekly_rate_table` writes them) made of `arrivals`
    (the arrival times it counted)."""
    days = np.array([rates.attrs["days_per_weekday"].get(day, 0) for day in rates.index], dtype=float)
    hours = rates.attrs["interval_s"] / 3600
    counts = np.nan_to_num(rates.to_numpy(dtype=float)) * days[:, None] * hours
    per_day = np.where(days[:, None] > 0, counts / np.maximum(days[:, None], 1), np.nan)
    expected = np.maximum(np.fmax(_same_day(per_day), _same_slot(per_day)), MIN_EXPECTED) * days[:, None]
    observed = np.round(counts)
    with np.errstate(invalid="ignore"):
        high = (days[:, None] > 0) & (observed > RATIO * expected)
    p_values = stats.poisson.sf(observed - 1, expected)
    flagged = high & (p_values < LEVEL / max(np.isfinite(per_day).sum(), 1))
    by_date = _by_date(arrivals, rates.attrs["interval_s"])
    spikes = []
    for w, s in zip(*np.nonzero(flagged)):
        dates = by_date.get((w, s), pd.Series(dtype=int))
        busiest = int(dates.max()) if len(dates) else 0
        if busiest - expected[w, s] / days[w] <= ONE_DAY_SHARE * (observed[w, s] - expected[w, s]):
            continue  # spread over its days: the weekly pattern, not a one-off
        spikes.append(Spike(str(rates.index[w]), str(rates.columns[s]), int(observed[w, s]), int(days[w]),
                            float(expected[w, s]), str(dates.idxmax().date()) if busiest else "", busiest))
    return tuple(spikes)


def _by_date(arrivals: pd.DatetimeIndex, interval_s: float) -> dict:
    """{(weekday, slot): arrivals per date} of the arrival times."""
    dates = arrivals.normalize()
    slots = ((arrivals - dates).total_seconds() // interval_s).astype(int)
    keys = pd.MultiIndex.from_arrays([dates.day_of_week, slots, dates])
    counts = pd.Series(1, index=keys).groupby(level=[0, 1, 2]).sum()
    return {key: group.droplevel([0, 1]) for key, group in counts.groupby(level=[0, 1])}


def _same_day(per_day: np.ndarray) -> np.ndarray:
    """Median of each cell's neighbouring slots on its own weekday (itself left out)."""
    slots = per_day.shape[1]
    result = np.full(per_day.shape, np.nan)
    for s in range(slots):
        around = [i for i in range(s - NEIGHBOURS, s + NEIGHBOURS + 1) if i != s and 0 <= i < slots]
        result[:, s] = _nanmedian(per_day[:, around])
    return result


def _same_slot(per_day: np.ndarray) -> np.ndarray:
    """Median of each cell's slot on the other observed weekdays."""
    result = np.full(per_day.shape, np.nan)
    for w in range(per_day.shape[0]):
        others = np.delete(per_day, w, axis=0)
        result[w] = _nanmedian(others.T)
    return result


def _nanmedian(table: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (unobserved weekdays); NaN where a row has nothing."""
    filled = np.isfinite(table).any(axis=1)
    result = np.full(len(table), np.nan)
    result[filled] = np.nanmedian(table[filled], axis=1)
    return result
