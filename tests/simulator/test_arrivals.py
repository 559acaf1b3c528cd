"""Arrivals: Poisson counts, weekly profiles aligned with the calendar, day-to-day volume variation,
and the per-contact draws (handle time, patience) that make common random numbers work."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest
from scipy import stats

from simulator.arrivals import arrival_times
from simulator.fates import draw_demand
from simulator.config import WEEK_S, AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift
from simulator.distributions import Constant, Exponential, Lognormal

MIN, H, DAY = 60.0, 3600.0, 86400.0


def rngs(seed: int):
    return np.random.default_rng(seed), np.random.default_rng(seed + 1_000_000)


def test_constant_rate_counts_within_poisson_noise():
    rate, end = 120 / H, 10 * DAY
    for seed in range(5):
        times = arrival_times(Arrivals(rate_per_s=rate), end, 0.0, *rngs(seed))
        assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < end
        assert abs(len(times) - rate * end) <= 4 * math.sqrt(rate * end)


def test_constant_rate_is_a_poisson_process():
    """Many independent windows: counts have variance ≈ mean; gaps are exponential."""
    rate, end = 30 / H, 200 * DAY
    times = arrival_times(Arrivals(rate_per_s=rate), end, 0.0, *rngs(3))
    counts = np.bincount((times // H).astype(int), minlength=int(end // H))
    n = len(counts)
    assert abs(counts.mean() - 30) <= 4 * math.sqrt(30 / n)
    assert abs(counts.var(ddof=1) / counts.mean() - 1) <= 4 * math.sqrt(2 / (n - 1))  # dispersion index
    gaps = np.diff(times)
    assert stats.kstest(gaps, "expon", args=(0, 1 / rate)).pvalue > 1e-4


def test_horizon_not_a_whole_number_of_days():
    rate, end = 200 / H, 2.5 * DAY
    times = arrival_times(Arrivals(rate_per_s=rate), end, 0.0, *rngs(9))
    late = times[times >= 2 * DAY]
    assert abs(len(late) - rate * 0.5 * DAY) <= 4 * math.sqrt(rate * 0.5 * DAY)


def random_table(seed: int, slots: int = 48) -> np.ndarray:
    rng = np.random.default_rng(seed)
    table = rng.uniform(5, 60, (7, slots)) / H
    table[:, : slots // 4] = 0.0  # nights closed
    return table


def slot_counts(times: np.ndarray, week_offset_s: float, slot_s: float) -> np.ndarray:
    position = ((times + week_offset_s) % WEEK_S) // slot_s
    return np.bincount(position.astype(int), minlength=int(WEEK_S // slot_s)).reshape(7, -1)


@pytest.mark.parametrize("start", [datetime(2024, 1, 1), datetime(2024, 1, 3, 13, 10)])
def test_weekly_table_rates_are_recovered(start):
    """20 weeks; each slot's rate estimate = count / (weeks × slot length), within Poisson noise.

    The start may be mid-week and off the slot grid: every slot still gets 20 full slot-lengths of
    exposure except the cut one at each end, which we account for exactly by measuring exposure.
    """
    table = random_table(1)
    calendar = Calendar(start=start, horizon_s=20 * WEEK_S)
    slot = 86400.0 / table.shape[1]
    times = arrival_times(Arrivals(weekly_per_s=table), calendar.end_s, calendar.week_offset_s, *rngs(5))
    counts = slot_counts(times, calendar.week_offset_s, slot)
    # exposure per slot from a fine grid of time (exact enough: 60 s steps, slot edges on the minute)
    grid = np.arange(0.0, calendar.end_s, 60.0) + 30.0
    exposure = slot_counts(grid, calendar.week_offset_s, slot) * 60.0
    expected = table * exposure
    open_slots = expected > 0
    assert counts[~open_slots].sum() == 0
    z = (counts[open_slots] - expected[open_slots]) / np.sqrt(expected[open_slots])
    assert np.abs(z).max() < 5
    k = open_slots.sum()
    assert abs((z ** 2).sum() - k) <= 5 * math.sqrt(2 * k)  # chi-square: counts not over-/under-dispersed


def test_calendar_starting_mid_week_aligns_the_weekday():
    """Only Wednesday 12:00–12:30 is open. Starting Wednesday 12:10, sim time 0–20 min is the rest of that
    slot, and the next opening is a week after the slot start (7 d − 10 min)."""
    table = np.zeros((7, 48))
    table[2, 24] = 600 / H
    calendar = Calendar(start=datetime(2024, 1, 3, 12, 10), horizon_s=3 * WEEK_S)
    assert calendar.week_offset_s == 2 * DAY + 12 * H + 10 * MIN
    times = arrival_times(Arrivals(weekly_per_s=table), calendar.end_s, calendar.week_offset_s, *rngs(2))
    week = np.floor((times + 10 * MIN) / WEEK_S)
    inside = (times + 10 * MIN) - week * WEEK_S
    assert np.all(inside < 30 * MIN)
    first_week = times[week == 0]
    assert first_week.max() < 20 * MIN
    assert abs(len(first_week) - 600 / H * 20 * MIN) <= 4 * math.sqrt(600 / H * 20 * MIN)
    assert {0, 1, 2} <= set(week.astype(int).tolist()) <= {0, 1, 2, 3}  # week 3: its slot's first 10 min


def test_demand_weekday_follows_calendar_start():
    """draw_demand uses the calendar: a Saturday-only profile with a Friday 18:00 start opens at 6 h."""
    table = np.zeros((7, 24))
    table[5, :] = 60 / H
    contact = ContactType("weekend", Arrivals(weekly_per_s=table), Exponential(60.0))
    staff = AgentGroup("g", {"weekend": 1}, (Shift(tuple(range(7)), 0.0, 0.0, 1),))
    model = ModelConfig((contact,), (staff,), Calendar(start=datetime(2024, 1, 5, 18, 0), horizon_s=2 * DAY))
    demand = draw_demand(model, 1, 0)
    assert len(demand) > 0
    assert demand.arrival_s.min() >= 6 * H and demand.arrival_s.max() < 30 * H


def daily_counts(times: np.ndarray, week_offset_s: float) -> np.ndarray:
    """Arrivals per calendar day (midnight to midnight), whole days only."""
    day = ((times + week_offset_s) // DAY).astype(int)
    counts = np.bincount(day - day.min())
    return counts[1:-1] if week_offset_s % DAY else counts


@pytest.mark.parametrize("kind", ["constant", "weekly"])
def test_day_to_day_cv_inflates_daily_variance(kind):
    """Poisson–gamma: a day's count N has E N = λ, Var N = λ + (λ·cv)². Without the factor, Var N = λ.

    λ = 1000 per day, cv 0.3 → Var 91 000 instead of 1 000. The standard error of a sample variance
    is estimated from the sample's own fourth central moment: √((m4 − s⁴)/n).
    """
    cv, per_day, days = 0.3, 1000.0, 600
    arrivals = (Arrivals(rate_per_s=per_day / DAY, day_to_day_cv=cv) if kind == "constant"
                else Arrivals(weekly_per_s=np.full((7, 48), per_day / DAY), day_to_day_cv=cv))
    counts = daily_counts(arrival_times(arrivals, days * DAY, 0.0, *rngs(17)), 0.0).astype(float)
    check_daily_variance(counts, per_day, cv)


def check_daily_variance(counts: np.ndarray, per_day: float, cv: float) -> None:
    n = len(counts)
    expected = per_day + (per_day * cv) ** 2
    variance = counts.var(ddof=1)
    m4 = ((counts - counts.mean()) ** 4).mean()
    se = math.sqrt((m4 - variance ** 2) / n)
    assert abs(counts.mean() - per_day) <= 4 * math.sqrt(expected / n)
    assert abs(variance - expected) <= 4 * se, f"daily variance {variance:.0f}, expected {expected:.0f} ± {se:.0f}"


def test_day_to_day_cv_acts_per_calendar_day_when_the_calendar_starts_mid_day():
    """The factor is 'per calendar day' (arrivals._daily_volume_factors). With a constant rate and a
    calendar starting at 12:00, a calendar day's count must still have Var = λ + (λ·cv)².

    Fails today: for a constant rate the day-long pieces start at sim time 0 (noon), so each calendar
    day mixes two independent factors and its variance is only about λ + (λ·cv)²/2.
    """
    cv, per_day, days = 0.3, 1000.0, 600
    calendar = Calendar(start=datetime(2024, 1, 1, 12, 0), horizon_s=days * DAY)
    times = arrival_times(Arrivals(rate_per_s=per_day / DAY, day_to_day_cv=cv), calendar.end_s,
                          calendar.week_offset_s, *rngs(17))
    check_daily_variance(daily_counts(times, calendar.week_offset_s).astype(float), per_day, cv)


def test_no_day_to_day_cv_keeps_poisson_variance():
    counts = daily_counts(arrival_times(Arrivals(rate_per_s=1000 / DAY), 600 * DAY, 0.0, *rngs(4)), 0.0)
    n = len(counts)
    assert abs(counts.var(ddof=1) / 1000 - 1) <= 4 * math.sqrt(2 / (n - 1))


def test_zero_rate_and_zero_length():
    assert len(arrival_times(Arrivals(rate_per_s=0.0), 10 * DAY, 0.0, *rngs(1))) == 0
    assert len(arrival_times(Arrivals(weekly_per_s=np.zeros((7, 48))), 10 * DAY, 0.0, *rngs(1))) == 0


def test_rate_series_replays_its_slots_and_is_zero_after():
    series = np.array([0.0, 100.0, 0.0, 400.0]) / H
    times = arrival_times(Arrivals(series_per_s=series, series_slot_s=H), 6 * H, 0.0, *rngs(8))
    counts = np.bincount((times // H).astype(int), minlength=6)
    assert counts[0] == counts[2] == counts[4] == counts[5] == 0
    assert abs(counts[1] - 100) <= 4 * 10 and abs(counts[3] - 400) <= 4 * 20


# --------------------------------------------------------------------------------------------------
# per-contact draws


def two_type_model(**changes) -> ModelConfig:
    billing = ContactType("billing", Arrivals(rate_per_s=60 / H), Lognormal.from_mean_cv(240.0, 1.0),
                          patience=Exponential(300.0))
    tech = ContactType("tech", Arrivals(rate_per_s=30 / H), Constant(600.0))
    contacts = changes.get("contacts", (billing, tech))
    staff = AgentGroup("g", {c.name: 1 for c in contacts}, (Shift(tuple(range(7)), 0.0, 0.0, 5),))
    return ModelConfig(contacts, (staff,), Calendar(horizon_s=2 * DAY))


def test_demand_is_merged_in_arrival_order_with_each_types_own_draws():
    model = two_type_model()
    demand = draw_demand(model, 3, 0)
    assert np.all(np.diff(demand.arrival_s) >= 0)
    tech = demand.contact_type == 1
    assert np.all(demand.handle_s[tech] == 600.0)
    assert np.all(np.isinf(demand.patience_s[tech])) and np.all(np.isfinite(demand.patience_s[~tech]))
    for index, contact in enumerate(model.contacts):
        count = (demand.contact_type == index).sum()
        expected = contact.arrivals.rate_per_s * model.calendar.end_s
        assert abs(count - expected) <= 4 * math.sqrt(expected)


def test_a_types_customers_do_not_depend_on_the_other_types():
    """Streams are keyed by contact-type name: dropping or reordering types leaves a type's draws alone."""
    model = two_type_model()
    billing, tech = model.contacts
    both = draw_demand(model, 3, 0)
    alone = draw_demand(two_type_model(contacts=(billing,)), 3, 0)
    reordered = draw_demand(two_type_model(contacts=(tech, billing)), 3, 0)
    for demand, index in ((alone, 0), (reordered, 1)):
        chosen = demand.contact_type == index
        mine = both.contact_type == 0
        assert np.array_equal(demand.arrival_s[chosen], both.arrival_s[mine])
        assert np.array_equal(demand.handle_s[chosen], both.handle_s[mine])
        assert np.array_equal(demand.patience_s[chosen], both.patience_s[mine])


def test_demand_reproducible_per_seed_and_replication():
    model = two_type_model()
    a, b, c = draw_demand(model, 3, 0), draw_demand(model, 3, 0), draw_demand(model, 3, 1)
    assert a.arrival_s.tobytes() == b.arrival_s.tobytes() and a.handle_s.tobytes() == b.handle_s.tobytes()
    assert len(a) != len(c) or not np.array_equal(a.arrival_s, c.arrival_s)
