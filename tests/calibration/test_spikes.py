"""One-off spikes in the weekly arrival table are flagged (calibration/spikes.py): a burst on one day
is, and ordinary Poisson noise, daily peaks, opening ramps and a busier weekday are not."""
import numpy as np
import pandas as pd
import pytest

from calibration.fit_arrivals import fit_arrivals, weekly_rate_table
from calibration.spikes import LEVEL, RATIO, find_spikes

MONDAY = pd.Timestamp("2024-01-01")


def expected_per_slot(weekday: int) -> np.ndarray:
    """Calls per half-hour: weekdays 08:00-18:00 with a 10:00-11:00 peak (a ramp at opening),
    Saturday 09:00-13:00, Sunday closed."""
    mean = np.zeros(48)
    if weekday < 5:
        mean[16:36] = 20.0
        mean[16] = 8.0
        mean[20:22] = 45.0
    elif weekday == 5:
        mean[18:26] = 10.0
    return mean


def arrivals(weeks: int, seed: int, extra=None) -> pd.DatetimeIndex:
    """Poisson arrivals over `weeks` weeks from Monday; `extra` maps (date, slot) to calls added."""
    rng = np.random.default_rng(seed)
    times = []
    for day in pd.date_range(MONDAY, periods=7 * weeks, freq="D"):
        counts = rng.poisson(expected_per_slot(day.day_of_week))
        for (date, slot), added in (extra or {}).items():
            if pd.Timestamp(date) == day:
                counts[slot] += added
        for slot, count in enumerate(counts):
            times.extend(day + pd.to_timedelta(1800 * (slot + rng.random(count)), unit="s"))
    return pd.DatetimeIndex(times)


def spikes_of(times: pd.DatetimeIndex, weeks: int):
    end = MONDAY + pd.Timedelta(days=7 * weeks - 1)
    return find_spikes(weekly_rate_table(times, 1800, MONDAY, end), times)


@pytest.mark.parametrize("weeks", [1, 4])
def test_poisson_days_with_peaks_and_ramps_raise_no_flag(weeks):
    """A correct detector flags a clean table with probability below LEVEL (fixed seeds)."""
    assert spikes_of(arrivals(weeks, seed=weeks), weeks) == ()


@pytest.mark.parametrize("weeks", [1, 4])
def test_a_burst_on_one_day_is_flagged_where_it_happened(weeks):
    last_monday = MONDAY + pd.Timedelta(days=7 * (weeks - 1))
    times = arrivals(weeks, seed=10 + weeks, extra={(last_monday, 30): 100})  # 15:00-15:30
    (spike,) = spikes_of(times, weeks)
    assert (spike.weekday, spike.slot, spike.days, spike.date) == ("mon", "15:00", weeks, str(last_monday.date()))
    assert spike.on_date == ((times >= last_monday + pd.Timedelta(hours=15))
                             & (times < last_monday + pd.Timedelta(hours=15.5))).sum()
    assert spike.expected == pytest.approx(20.0 * weeks, rel=0.35)  # what that slot holds on other days
    assert spike.arrivals > RATIO * spike.expected and "replays it every mon" in spike.summary()


def test_a_peak_every_monday_is_the_weekly_pattern_not_a_one_off():
    """Flagged by the table alone (four times the slots around it and the other weekdays), but spread
    over every Monday: the weekly pattern, which the profile should replay."""
    every_monday = {(MONDAY + pd.Timedelta(days=7 * week), 30): 60 for week in range(4)}
    assert spikes_of(arrivals(4, seed=30, extra=every_monday), 4) == ()
    one_monday = {(MONDAY + pd.Timedelta(days=14), 30): 240}  # the same excess on one day: a one-off
    assert [(s.weekday, s.slot) for s in spikes_of(arrivals(4, seed=30, extra=one_monday), 4)] == [("mon", "15:00")]


def test_a_whole_busier_day_is_no_spike():
    """From one week a Monday busier all day cannot be told from a busy weekday: not flagged (docs)."""
    busier = {(MONDAY, slot): 10 for slot in range(16, 36)}
    assert spikes_of(arrivals(1, seed=20, extra=busier), 1) == ()


def test_a_few_calls_in_a_closed_slot_are_no_spike():
    assert spikes_of(arrivals(1, seed=21, extra={(MONDAY, 4): 3}), 1) == ()


def test_fit_arrivals_carries_the_spikes_into_its_summary():
    times = arrivals(1, seed=22, extra={(MONDAY + pd.Timedelta(days=2), 24): 120})
    fit = fit_arrivals(times, 1800, MONDAY, MONDAY + pd.Timedelta(days=6))
    (spike,) = fit.spikes
    assert (spike.weekday, spike.slot) == ("wed", "12:00")
    assert f"Flagged spike, {spike.summary()}." in fit.summary()
    assert LEVEL <= 0.05  # a flag is a strong signal, not a coin toss


def test_the_bank_weeks_monday_afternoon_burst_is_flagged(bank_week):
    """PS calls on Monday 18 January 1999 between 15:00 and 15:30: four times the slots around it."""
    contacts = bank_week.contacts
    ps = contacts.loc[contacts["contact_type"] == "PS", "arrived_at"]
    start, end = contacts["arrived_at"].min().normalize(), contacts["arrived_at"].max().normalize()
    in_slot = ((ps >= "1999-01-18 15:00") & (ps < "1999-01-18 15:30")).sum()
    flagged = {(s.weekday, s.slot): s for s in find_spikes(weekly_rate_table(ps, 1800, start, end),
                                                           pd.DatetimeIndex(ps))}
    monday = flagged[("mon", "15:00")]
    assert monday.arrivals == monday.on_date == in_slot and monday.date == "1999-01-18"
    assert monday.ratio > 3
