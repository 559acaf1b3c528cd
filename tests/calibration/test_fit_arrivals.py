"""Arrival pattern: weekly rates recovered from simulated arrivals of known rate, and the
day-to-day and within-slot Poisson checks telling Poisson from non-Poisson data (fixed seeds)."""
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from calibration.fit_arrivals import (
    day_to_day_cv, fit_arrivals, plot_heatmap, poisson_check, weekly_rate_table)

matplotlib.use("Agg")
MONDAY = pd.Timestamp("2024-01-01")


def arrivals_from_profile(rng, rates_per_hour: np.ndarray, weeks: int, day_factors=None) -> pd.Series:
    """Piecewise-constant Poisson arrivals, rates[weekday, hour] per hour, each day's rate scaled by
    its factor (1 = pure Poisson; gamma factors = day-to-day variation beyond Poisson)."""
    times = []
    for day in range(7 * weeks):
        factor = 1.0 if day_factors is None else day_factors[day]
        counts = rng.poisson(rates_per_hour[day % 7] * factor)
        seconds = np.repeat(np.arange(24) * 3600.0, counts) + rng.uniform(0, 3600, counts.sum())
        times.append(MONDAY + pd.Timedelta(days=day) + pd.to_timedelta(seconds, unit="s"))
    return pd.Series(np.concatenate([t.to_numpy() for t in times]))


def office_profile() -> np.ndarray:
    """Open 08-18 on weekdays with a midday peak, a quiet Saturday morning, closed Sunday."""
    rates = np.zeros((7, 24))
    hours = np.arange(8, 18)
    rates[:5, 8:18] = 20 + 30 * np.sin(np.pi * (hours - 8) / 10) + np.arange(5)[:, None] * 2
    rates[5, 9:13] = 8
    return rates


def test_weekly_rate_table_hand_example_counts_days_without_arrivals():
    arrivals = pd.to_datetime(["2024-01-01 09:05", "2024-01-01 09:20", "2024-01-08 09:29",
                               "2024-01-03 23:59", "2024-01-16 10:00"])  # the last is after the period
    table = weekly_rate_table(arrivals, 1800, "2024-01-01", "2024-01-15")
    # 3 arrivals over 3 Mondays (the 15th had none, and still counts) in a half-hour slot
    assert table.loc["mon", "09:00"] == pytest.approx(3 / (3 * 0.5))
    assert table.loc["wed", "23:30"] == pytest.approx(1 / (2 * 0.5))
    assert np.nansum(table.to_numpy()) == pytest.approx(2 + 1)
    assert table.attrs["days_per_weekday"] == {"mon": 3, "tue": 2, "wed": 2, "thu": 2, "fri": 2, "sat": 2, "sun": 2}
    assert table.attrs["outside_period"] == 1
    assert table.shape == (7, 48) and table.columns[19] == "09:30"


def test_weekdays_outside_the_period_are_missing_not_zero():
    table = weekly_rate_table(pd.to_datetime(["2024-01-02 10:00"]), 3600, "2024-01-01", "2024-01-03")
    assert table.loc[["mon", "tue", "wed"]].notna().all().all()
    assert table.loc[["thu", "fri", "sat", "sun"]].isna().all().all()
    with pytest.raises(ValueError, match="dividing a day"):
        weekly_rate_table(pd.to_datetime(["2024-01-02 10:00"]), 7000, "2024-01-01", "2024-01-03")


def test_weekly_rate_table_recovers_known_slot_rates():
    weeks, rates = 8, office_profile()
    arrivals = arrivals_from_profile(np.random.default_rng(1), rates, weeks)
    end = MONDAY + pd.Timedelta(days=7 * weeks - 1)
    table = weekly_rate_table(arrivals, 3600, MONDAY, end)
    # each cell is a Poisson count over `weeks` hours divided by `weeks`: SE = sqrt(rate / weeks)
    estimate = table.to_numpy()
    assert np.all(np.abs(estimate - rates) <= 4 * np.sqrt(rates / weeks))
    assert np.all(estimate[rates == 0] == 0)


def test_dispersion_test_accepts_pure_poisson_daily_volumes():
    weeks = 20
    arrivals = arrivals_from_profile(np.random.default_rng(2), office_profile(), weeks)
    result = day_to_day_cv(arrivals, MONDAY, MONDAY + pd.Timedelta(days=7 * weeks - 1))
    assert result.p_value > 0.05
    assert result.cv_beyond_poisson < 0.05
    assert np.isnan(result.per_weekday.loc["sun", "mean"])  # closed: no arrivals at all, left out
    assert result.degrees_of_freedom == 6 * (weeks - 1)


def test_dispersion_test_rejects_gamma_mixed_daily_volumes_and_recovers_their_cv():
    weeks, cv = 20, 0.2
    rng = np.random.default_rng(3)
    factors = rng.gamma(1 / cv ** 2, cv ** 2, 7 * weeks)  # mean 1, cv 0.2
    arrivals = arrivals_from_profile(rng, office_profile(), weeks, factors)
    result = day_to_day_cv(arrivals, MONDAY, MONDAY + pd.Timedelta(days=7 * weeks - 1))
    assert result.p_value < 1e-6
    # weekday volume m ~ 400, variance v = m + (cv m)^2 ~ 6800 estimated on 114 df:
    # SE(v) ~ v sqrt(2/114), SE(cv^2) ~ SE(v)/m^2 ~ 0.0056, SE(cv) ~ SE(cv^2) / (2 cv) ~ 0.014
    assert abs(result.cv_beyond_poisson - cv) < 4 * 0.014
    assert "more variable than Poisson" in result.summary()


def test_poisson_check_accepts_poisson_and_rejects_too_regular_arrivals():
    rng = np.random.default_rng(4)
    poisson = arrivals_from_profile(rng, office_profile(), 2)
    assert poisson_check(poisson, 3600).p_value > 0.05
    # renewal arrivals with gamma(4) gaps: the same rate, but far more evenly spaced than Poisson
    gaps = rng.gamma(4, 60 / 4, 5000)
    regular = MONDAY + pd.Timedelta(hours=8) + pd.to_timedelta(np.cumsum(gaps), unit="s")
    result = poisson_check(pd.Series(regular), 3600)
    assert result.p_value < 1e-6 and result.spacings == 5000


def test_poisson_check_spreads_whole_second_records_when_told_their_resolution():
    rng = np.random.default_rng(5)
    start = MONDAY + pd.Timedelta(hours=9)
    seconds = np.sort(rng.uniform(0, 4 * 3600, 20_000)).round()  # ~1.4 per second: many ties
    arrivals = pd.Series(start + pd.to_timedelta(seconds, unit="s"))
    assert poisson_check(arrivals, 1800).p_value < 1e-3  # ties read as zero gaps
    assert poisson_check(arrivals, 1800, resolution_s=1, rng=np.random.default_rng(6)).p_value > 0.01
    with pytest.raises(ValueError, match="rng"):
        poisson_check(arrivals, 1800, resolution_s=1)


def test_fit_arrivals_bundle_summary_and_heatmap():
    arrivals = arrivals_from_profile(np.random.default_rng(7), office_profile(), 3)
    aware = pd.to_datetime(arrivals).dt.tz_localize("Europe/Rome")  # wall clock kept
    fit = fit_arrivals(aware, 1800, MONDAY, MONDAY + pd.Timedelta(days=20), skip_dates=["2024-01-10"])
    assert fit.days["wed"] == 2 and fit.days["mon"] == 3
    wednesday_10th = ((arrivals >= "2024-01-10") & (arrivals < "2024-01-11")).sum()
    assert fit.outside_period == wednesday_10th and fit.arrivals == len(arrivals) - wednesday_10th
    text = fit.summary()
    assert "wed 2" in text and "Within-slot Poisson check" in text and "dispersion" in text
    ax = plot_heatmap(fit.rates)
    assert ax.images[0].get_array().shape == (7, 48)
    assert not math.isnan(fit.day_to_day.p_value)
