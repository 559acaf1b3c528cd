"""Arrival pattern of one contact type: the weekly rate profile and how Poisson the arrivals are.

The simulator draws arrivals as a (possibly doubly-stochastic) Poisson process whose rate follows a
weekly profile. Three things are calibrated and checked here:
- the profile itself: mean arrivals per hour for each weekday x time-of-day slot, averaged over the
  days of the observation period (days without a single arrival count as zeros, not as missing);
- day-to-day variation beyond Poisson: real volumes swing more from one Monday to the next than a
  Poisson count would, and ignoring that understates the staffing risk;
- whether arrivals within a slot look Poisson (Brown et al. 2005, JASA, section 3's conditional test).
Times are naive local wall clock; a timezone-aware input is turned into its local wall clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from calibration.fit_durations import new_axes
from calibration.spikes import find_spikes
from simulator.units import DAY_NAMES

_DAY = 86400


def arrival_times(arrivals) -> pd.DatetimeIndex:
    """Arrival datetimes as a sorted naive DatetimeIndex (missing entries are refused, not dropped)."""
    times = pd.DatetimeIndex(pd.to_datetime(arrivals))
    if times.tz is not None:
        times = times.tz_localize(None)
    if times.hasnans:
        raise ValueError(f"{int(times.isna().sum())} arrival times are missing; clean them first")
    return times.sort_values()


def observed_days(period_start, period_end, skip_dates=()) -> pd.DatetimeIndex:
    """Every date of the period (both ends included) except `skip_dates` (known data gaps)."""
    days = pd.date_range(pd.Timestamp(period_start).normalize(), pd.Timestamp(period_end).normalize(), freq="D")
    if len(days) == 0:
        raise ValueError(f"empty observation period {period_start} .. {period_end}")
    return days.difference(pd.DatetimeIndex(pd.to_datetime(list(skip_dates))).normalize())


def days_per_weekday(days: pd.DatetimeIndex) -> pd.Series:
    """How many of each weekday the period holds (the divisor of every weekly rate)."""
    return pd.Series(np.bincount(days.day_of_week, minlength=7), index=list(DAY_NAMES), name="days")


def _in_period(times: pd.DatetimeIndex, days: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(times.normalize().isin(days))


def weekly_rate_table(arrivals, interval_s: int, period_start, period_end, skip_dates=()) -> pd.DataFrame:
    """Mean arrivals per hour, rows mon..sun, columns slot start "HH:MM".

    Each cell = arrivals in that weekday's slot / (number of such weekdays in the period x slot hours).
    A weekday absent from the period is a row of NaN. `attrs` records the days per weekday and how many
    arrivals fell outside the period (or on skipped dates) and were not counted.
    """
    interval_s = _slot_length(interval_s)
    days = observed_days(period_start, period_end, skip_dates)
    times = arrival_times(arrivals)
    inside = _in_period(times, days)
    times = times[inside]
    slots = _DAY // interval_s
    seconds = (times - times.normalize()).total_seconds().to_numpy()
    cell = times.day_of_week.to_numpy() * slots + (seconds // interval_s).astype(int)
    counts = np.bincount(cell, minlength=7 * slots).reshape(7, slots)
    per_weekday = days_per_weekday(days)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = counts / (per_weekday.to_numpy()[:, None] * interval_s / 3600)
    rates[per_weekday.to_numpy() == 0] = np.nan
    table = pd.DataFrame(rates, index=list(DAY_NAMES), columns=slot_labels(interval_s))
    table.index.name, table.columns.name = "weekday", "slot"
    table.attrs.update(days_per_weekday=per_weekday.to_dict(), outside_period=int((~inside).sum()),
                       interval_s=interval_s)
    return table


def _slot_length(interval_s) -> int:
    if interval_s <= 0 or interval_s != int(interval_s) or _DAY % int(interval_s):
        raise ValueError(f"interval_s must be whole seconds dividing a day (86400 s), got {interval_s}")
    return int(interval_s)


def slot_labels(interval_s: int) -> list[str]:
    return [f"{s // 3600:02d}:{s % 3600 // 60:02d}" for s in range(0, _DAY, interval_s)]


# ---------------------------------------------------------------- day-to-day variation

@dataclass(frozen=True, eq=False)
class DayToDayVariation:
    """Daily volumes against Poisson, each weekday against its own mean (weekly seasonality removed).

    `cv_beyond_poisson` is the coefficient of variation of the daily *rate*: sqrt(var - mean) / mean,
    the number to give a gamma-mixed (doubly stochastic) arrival model. The test is the index of
    dispersion: sum over days of (count - weekday mean)^2 / weekday mean, chi-square under Poisson.
    """

    per_weekday: pd.DataFrame
    cv_beyond_poisson: float
    chi_square: float
    degrees_of_freedom: int
    p_value: float

    def summary(self) -> str:
        verdict = "more variable than Poisson" if self.p_value < 0.05 else "consistent with Poisson"
        return (f"Daily volumes: dispersion chi-square {self.chi_square:.1f} on {self.degrees_of_freedom} df, "
                f"p = {self.p_value:.3g} ({verdict}); day-to-day cv of the rate beyond Poisson "
                f"{self.cv_beyond_poisson:.3f}.")


def day_to_day_cv(arrivals, period_start, period_end, skip_dates=()) -> DayToDayVariation:
    """Day-to-day variation of volumes beyond Poisson, per weekday and pooled (see DayToDayVariation).

    Weekdays with fewer than two days, or no arrivals at all (closed), are left out of the pooled
    figures and the test, and shown with NaN.
    """
    days = observed_days(period_start, period_end, skip_dates)
    times = arrival_times(arrivals)
    times = times[_in_period(times, days)]
    daily = times.normalize().value_counts().reindex(days, fill_value=0)
    rows, chi_square, dof, extra = [], 0.0, 0, []
    for number, name in enumerate(DAY_NAMES):
        counts = daily[daily.index.day_of_week == number].to_numpy(dtype=float)
        row = {"weekday": name, "days": len(counts), "mean": np.nan, "variance": np.nan,
               "dispersion_index": np.nan, "cv_beyond_poisson": np.nan}
        if len(counts) >= 2 and counts.mean() > 0:
            mean, variance = counts.mean(), counts.var(ddof=1)
            row.update(mean=mean, variance=variance, dispersion_index=variance / mean,
                       cv_beyond_poisson=math.sqrt(max(variance - mean, 0.0)) / mean)
            chi_square += float(((counts - mean) ** 2).sum() / mean)
            dof += len(counts) - 1
            extra.append((len(counts) - 1, (variance - mean) / mean ** 2))
        rows.append(row)
    if dof == 0:
        raise ValueError("need at least two open days of some weekday to judge day-to-day variation")
    pooled = sum(d * e for d, e in extra) / sum(d for d, _ in extra)
    return DayToDayVariation(per_weekday=pd.DataFrame(rows).set_index("weekday"),
                             cv_beyond_poisson=math.sqrt(max(pooled, 0.0)), chi_square=chi_square,
                             degrees_of_freedom=dof, p_value=float(stats.chi2.sf(chi_square, dof)))


# ---------------------------------------------------------------- Poisson within slots

@dataclass(frozen=True)
class PoissonCheck:
    """KS test of Brown et al.'s transformed within-slot spacings against the unit exponential."""

    statistic: float
    p_value: float
    spacings: int
    slots: int

    def summary(self) -> str:
        verdict = "not Poisson within slots" if self.p_value < 0.05 else "consistent with Poisson within slots"
        return (f"Within-slot Poisson check: KS {self.statistic:.4f} on {self.spacings} spacings from "
                f"{self.slots} slots, p = {self.p_value:.3g} ({verdict}).")


def poisson_check(arrivals, interval_s: int, resolution_s: float = 0.0,
                  rng: np.random.Generator | None = None) -> PoissonCheck:
    """Are arrivals Poisson with a constant rate inside each slot (date x interval)?

    Given L arrivals in a slot of length T, a Poisson process puts them at uniform order statistics;
    then R_j = (L + 1 - j) * -log((T - t_j) / (T - t_{j-1})) are independent unit exponentials
    whatever the slot's rate (Brown et al. 2005), so one KS test pools every slot.
    Times recorded to whole seconds make ties (R = 0): give `resolution_s` (e.g. 1) and an `rng` to
    spread each time uniformly within its recorded second instead.
    """
    interval_s = _slot_length(interval_s)
    times = arrival_times(arrivals)
    offsets = (times - times.normalize()).total_seconds().to_numpy()
    if resolution_s > 0:
        if rng is None:
            raise ValueError("spreading times within their resolution needs an rng")
        offsets = offsets + rng.uniform(0, resolution_s, len(offsets))
    day_number = (times.normalize() - times.normalize().min()).days.to_numpy()
    slot = day_number * (_DAY // interval_s) + (offsets // interval_s).astype(int)
    within = np.clip(offsets - (offsets // interval_s) * interval_s, 0, interval_s)
    order = np.lexsort((within, slot))
    spacings = _transformed_spacings(slot[order], within[order], interval_s)
    result = stats.kstest(spacings, "expon")
    return PoissonCheck(statistic=float(result.statistic), p_value=float(result.pvalue),
                        spacings=len(spacings), slots=len(np.unique(slot)))


def _transformed_spacings(slot: np.ndarray, within: np.ndarray, interval_s: float) -> np.ndarray:
    """R_j for every arrival, slots and within-slot times already sorted."""
    first = np.r_[True, slot[1:] != slot[:-1]]
    previous = np.where(first, 0.0, np.r_[0.0, within[:-1]])
    starts = np.flatnonzero(first)
    sizes = np.diff(np.r_[starts, len(slot)])
    rank = np.arange(len(slot)) - np.repeat(starts, sizes)  # j - 1
    remaining = np.repeat(sizes, sizes) - rank              # L + 1 - j
    with np.errstate(divide="ignore"):
        ratio = np.log(np.maximum(interval_s - within, 1e-9)) - np.log(np.maximum(interval_s - previous, 1e-9))
    return remaining * -ratio


# ---------------------------------------------------------------- heatmap and bundle

def plot_heatmap(table: pd.DataFrame, ax=None):
    """Weekday x slot heatmap of arrivals per hour; returns the Axes."""
    ax = ax if ax is not None else new_axes()
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="viridis", interpolation="nearest")
    step = max(1, len(table.columns) // 12)
    ax.set_xticks(range(0, len(table.columns), step), table.columns[::step], rotation=45)
    ax.set_yticks(range(len(table.index)), table.index)
    ax.set(xlabel="slot start", ylabel="weekday", title="arrivals per hour")
    ax.figure.colorbar(image, ax=ax, label="arrivals / hour")
    return ax


@dataclass(frozen=True, eq=False)
class ArrivalFit:
    """The weekly profile of one contact type with its day-to-day and within-slot checks."""

    rates: pd.DataFrame
    day_to_day: DayToDayVariation | None
    poisson: PoissonCheck
    arrivals: int
    outside_period: int
    days: pd.Series = field(repr=False)
    spikes: tuple = ()  # one-off cells the weekly table would replay every week (calibration/spikes.py)

    def summary(self) -> str:
        busiest = self.rates.stack().idxmax()
        days = ", ".join(f"{name} {count}" for name, count in self.days.items())
        slot_hours = self.rates.attrs["interval_s"] / 3600
        weekly = np.nansum(self.rates.to_numpy()) * slot_hours
        return "\n".join([
            f"Arrivals: {self.arrivals} counted, {self.outside_period} outside the period (or on skipped "
            f"dates) not counted. Days observed: {days}.",
            f"Weekly profile in {slot_hours * 60:g}-min slots: {weekly:.0f} "
            f"arrivals in a mean week; busiest slot {busiest[0]} {busiest[1]} at {self.rates.loc[busiest]:.1f}/h.",
            self.day_to_day.summary() if self.day_to_day else
            "Day-to-day variation: not estimable (no weekday observed on two days).", self.poisson.summary(),
            *(f"Flagged spike, {spike.summary()}." for spike in self.spikes)])

    def plot(self, ax=None):
        return plot_heatmap(self.rates, ax)


def fit_arrivals(arrivals, interval_s: int, period_start, period_end, skip_dates=(),
                 resolution_s: float = 0.0, rng: np.random.Generator | None = None) -> ArrivalFit:
    """Weekly rate table, day-to-day variation, within-slot Poisson check and flagged spikes in one bundle."""
    rates = weekly_rate_table(arrivals, interval_s, period_start, period_end, skip_dates)
    days = observed_days(period_start, period_end, skip_dates)
    times = arrival_times(arrivals)
    counted = times[_in_period(times, days)]
    try:
        variation = day_to_day_cv(counted, period_start, period_end, skip_dates)
    except ValueError:
        variation = None  # a single week: no weekday seen twice, so no day-to-day variation to judge
    return ArrivalFit(rates=rates, day_to_day=variation,
                      poisson=poisson_check(counted, interval_s, resolution_s, rng),
                      arrivals=len(counted), outside_period=rates.attrs["outside_period"],
                      days=days_per_weekday(days), spikes=find_spikes(rates, counted))
