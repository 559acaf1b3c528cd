"""The business clock, on cases worked out by hand."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from simulator.business_hours import ALWAYS_OPEN, BusinessClock, BusinessHours

H, MIN, DAY = 3600.0, 60.0, 86400.0
WEEKDAYS_9_TO_18 = BusinessHours(tuple(((9 * H, 18 * H),) if day < 5 else () for day in range(7)))
MONDAY = datetime(2024, 1, 1)  # a Monday


def clock(hours=WEEKDAYS_9_TO_18, start=MONDAY, days=21) -> BusinessClock:
    return BusinessClock(hours, start, 0.0, days * DAY)


def at(day: int, hours: float, minutes: float = 0.0) -> float:
    """Sim seconds of `day` days after the start, at hh:mm (start Monday 00:00)."""
    return day * DAY + hours * H + minutes * MIN


def test_friday_1750_plus_8_business_hours_over_a_monday_holiday_is_tuesday_1650():
    """Friday 17:50 leaves 10 open minutes; Saturday and Sunday are closed, Monday 8 Jan is a holiday;
    the other 7 h 50 min run on Tuesday from 09:00: due Tuesday 16:50."""
    holiday = BusinessHours(WEEKDAYS_9_TO_18.weekly, (date(2024, 1, 8),))
    friday_1750 = at(4, 17, 50)
    assert clock(holiday).add(friday_1750, 8 * H) == pytest.approx(at(8, 16, 50))
    assert clock(WEEKDAYS_9_TO_18).add(friday_1750, 8 * H) == pytest.approx(at(7, 16, 50))  # no holiday: Monday


def test_elapsed_business_time_between_instants():
    c = clock()
    friday_1750, monday_1000 = at(4, 17, 50), at(7, 10)
    assert c.between(np.array([friday_1750]), np.array([monday_1000]))[0] == pytest.approx(70 * MIN)
    assert c.between(np.array([at(0, 7)]), np.array([at(0, 8)]))[0] == 0  # before opening
    assert c.between(np.array([at(0, 12)]), np.array([at(1, 12)]))[0] == pytest.approx(9 * H)  # one open day
    assert c.between(np.array([at(5, 10)]), np.array([at(6, 23)]))[0] == 0  # a weekend
    assert np.isnan(c.between(np.array([at(0, 12)]), np.array([np.nan]))[0])


def test_a_holiday_is_closed_all_day():
    c = clock(BusinessHours(WEEKDAYS_9_TO_18.weekly, (date(2024, 1, 3),)))  # Wednesday
    assert c.between(np.array([at(1, 9)]), np.array([at(3, 18)]))[0] == pytest.approx(18 * H)  # Tue + Thu


def test_overnight_hours_run_past_midnight_and_a_holiday_stops_them_at_midnight():
    nights = BusinessHours(tuple(((22 * H, 30 * H),) for _ in range(7)), (date(2024, 1, 2),))
    c = clock(nights)
    # Monday 22:00 → Tuesday 06:00 is open until midnight only (Tuesday is a holiday), then Tuesday night is closed
    assert c.between(np.array([at(0, 21)]), np.array([at(1, 7)]))[0] == pytest.approx(2 * H)
    assert c.between(np.array([at(1, 21)]), np.array([at(2, 7)]))[0] == pytest.approx(6 * H)  # Wed 00–06 open


def test_always_open_is_the_wall_clock_and_a_start_mid_week_is_honoured():
    c = clock(ALWAYS_OPEN, start=datetime(2024, 1, 3, 13, 30))
    times = np.array([0.0, 5 * H, 3.5 * DAY])
    assert np.allclose(c.elapsed(times), times)
    friday = clock(start=datetime(2024, 1, 5, 17, 50))  # the run starts on Friday 17:50
    assert friday.add(0.0, 8 * H) == pytest.approx(3 * DAY - H)  # Monday 16:50 is 71 h after Friday 17:50


def test_adding_zero_business_time_is_the_same_instant_and_beyond_the_range_is_inf():
    c = clock(days=7)
    assert c.add(at(5, 10), 0.0) == at(5, 10)
    assert c.add(at(0, 10), 1000 * H) == float("inf")


def test_weekly_hours_are_validated():
    with pytest.raises(ValueError, match="one entry per weekday"):
        BusinessHours(((),) * 6)
    with pytest.raises(ValueError, match="within a day"):
        BusinessHours((((18 * H, 9 * H),),) + ((),) * 6)


def test_a_range_with_no_open_hours_passes_no_business_time():
    sunday_only = BusinessHours(tuple(((9 * H, 17 * H),) if day == 6 else () for day in range(7)))
    c = clock(sunday_only, days=2)  # Monday and Tuesday
    assert c.between(np.array([0.0]), np.array([1.5 * DAY]))[0] == 0
    assert c.add(0.0, H) == float("inf")
