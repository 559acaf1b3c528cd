"""Roster: which shift instances exist (overnight, across the week boundary, already running at time 0),
who is absent (shrinkage), where breaks fall, and the order of roster events."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.config import AgentGroup, Arrivals, Break, Calendar, ContactType, ModelConfig, Shift
from simulator.distributions import Exponential
from simulator.roster import BREAK, SHIFT_END, SHIFT_START, build_roster

MIN, H, DAY = 60.0, 3600.0, 86400.0
CALLS = ContactType("calls", Arrivals(rate_per_s=0.01), Exponential(60.0))


def model_with(*groups: AgentGroup, start=datetime(2024, 1, 1), horizon_s=7 * DAY, warmup_s=0.0) -> ModelConfig:
    return ModelConfig((CALLS,), groups, Calendar(start=start, horizon_s=horizon_s, warmup_s=warmup_s))


def group(*shifts: Shift, name="agents", shrinkage=0.0, concurrency=1) -> AgentGroup:
    return AgentGroup(name, {"calls": 1}, shifts, concurrency=concurrency, shrinkage=shrinkage)


def instances(roster, agent=0):
    chosen = roster.shift_agent == agent
    return sorted(zip(roster.shift_start_s[chosen].tolist(), roster.shift_end_s[chosen].tolist()))


def test_overnight_shift_crosses_midnight():
    roster = build_roster(model_with(group(Shift((0,), 22 * H, 6 * H, 1)), horizon_s=2 * DAY), 1, 0)
    assert instances(roster) == [(22 * H, DAY + 6 * H)]


def test_overnight_shift_crosses_the_week_boundary_both_ways():
    """Sunday 22:00–06:00 with the calendar starting Monday 00:00: the instance of the Sunday before
    is still running at time 0, and the next Sunday's runs into the following Monday."""
    roster = build_roster(model_with(group(Shift((6,), 22 * H, 6 * H, 1)), horizon_s=8 * DAY), 1, 0)
    assert instances(roster) == [(-2 * H, 6 * H), (6 * DAY + 22 * H, 7 * DAY + 6 * H)]


def test_shift_running_at_time_zero_that_started_the_day_before():
    """Calendar starts Wednesday 02:00; the Tuesday 22:00–06:00 shift is on until 04:00 sim time."""
    start = datetime(2024, 1, 3, 2, 0)  # a Wednesday
    roster = build_roster(model_with(group(Shift((1,), 22 * H, 6 * H, 1)), start=start, horizon_s=DAY), 1, 0)
    assert instances(roster) == [(-4 * H, 4 * H)]
    around_the_clock = group(Shift(tuple(range(7)), 6 * H, 6 * H, 1))
    roster = build_roster(model_with(around_the_clock, start=start, horizon_s=DAY), 1, 0)
    assert instances(roster) == [(-20 * H, 4 * H), (4 * H, DAY + 4 * H)]


def test_day_shift_started_before_a_mid_morning_start():
    start = datetime(2024, 1, 3, 12, 0)  # Wednesday noon
    roster = build_roster(model_with(group(Shift((0, 1, 2, 3, 4), 8 * H, 16 * H, 1)), start=start,
                                     horizon_s=3 * DAY), 1, 0)
    # Wed 08–16 (already on), Thu, Fri; not Sat
    assert instances(roster) == [(-4 * H, 4 * H), (20 * H, DAY + 4 * H), (DAY + 20 * H, 2 * DAY + 4 * H)]


def test_instances_ending_exactly_at_zero_or_starting_at_the_end_are_left_out():
    roster = build_roster(model_with(group(Shift((6,), 16 * H, 0.0, 1)), horizon_s=6 * DAY + 16 * H), 1, 0)
    assert instances(roster) == []  # Sunday 16:00–24:00 before the start, and the next starts at the end


@st.composite
def calendars_and_shifts(draw):
    start = datetime(2024, 1, 1) + timedelta(days=draw(st.integers(0, 13)), minutes=10 * draw(st.integers(0, 143)))
    calendar = Calendar(start=start, horizon_s=draw(st.integers(1, 20)) * 3 * H, warmup_s=draw(st.integers(0, 8)) * H)
    shift = Shift(tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))), draw(st.integers(0, 95)) * 900.0,
                  draw(st.integers(0, 95)) * 900.0, draw(st.integers(1, 3)))
    return calendar, shift


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(calendars_and_shifts())
def test_instances_match_a_calendar_walk(case):
    """Against plain datetime arithmetic: every dated shift overlapping [0, end) and nothing else."""
    calendar, shift = case
    model = ModelConfig((CALLS,), (group(shift),), calendar)
    roster = build_roster(model, 7, 0)
    expected = []
    for offset in range(-3, math.ceil(calendar.end_s / DAY) + 3):
        date = datetime.combine(calendar.start.date(), datetime.min.time()) + timedelta(days=offset)
        if date.weekday() not in shift.days:
            continue
        begins = (date + timedelta(seconds=shift.start_s) - calendar.start).total_seconds()
        if begins < calendar.end_s and begins + shift.length_s > 0:
            expected.append((begins, begins + shift.length_s))
    for agent in range(shift.agents):
        assert instances(roster, agent) == expected


def test_shift_length():
    assert Shift((0,), 8 * H, 16 * H, 1).length_s == 8 * H
    assert Shift((0,), 22 * H, 6 * H, 1).length_s == 8 * H
    assert Shift((0,), 0.0, 0.0, 1).length_s == DAY
    assert Shift((0,), 9 * H, 9 * H, 1).length_s == DAY


def test_agents_are_numbered_by_group_then_shift():
    first = group(Shift((0,), 8 * H, 16 * H, 2), Shift((0,), 12 * H, 20 * H, 3), name="first", concurrency=2)
    second = group(Shift((0,), 8 * H, 16 * H, 4), name="second")
    chats = ContactType("calls", Arrivals(rate_per_s=0.01), Exponential(60.0), channel="chat")  # concurrency: chats
    roster = build_roster(ModelConfig((chats,), (first, second), Calendar(horizon_s=DAY)), 1, 0)
    assert roster.agents == 9
    assert roster.agent_group.tolist() == [0] * 5 + [1] * 4
    assert roster.agent_concurrency.tolist() == [2] * 5 + [1] * 4
    assert sorted(roster.shift_agent.tolist()) == list(range(9))
    starts = dict(zip(roster.shift_agent.tolist(), roster.shift_start_s.tolist()))
    assert [starts[a] for a in range(9)] == [8 * H] * 2 + [12 * H] * 3 + [8 * H] * 4


def test_shrinkage_share_of_absent_agent_days():
    roster = build_roster(model_with(group(Shift(tuple(range(7)), 8 * H, 16 * H, 100), shrinkage=0.2),
                                     horizon_s=56 * DAY), 11, 0)
    days = len(roster.shift_absent)
    assert days == 100 * 56
    share = roster.shift_absent.mean()
    assert abs(share - 0.2) <= 4 * math.sqrt(0.2 * 0.8 / days)
    # drawn per agent per day: absences are spread over agents and days, not whole agents or whole days
    by_agent = np.bincount(roster.shift_agent, weights=roster.shift_absent, minlength=100)
    assert 0 < by_agent.min() and by_agent.max() < 56


def test_no_shrinkage_and_full_shrinkage():
    shifts = (Shift(tuple(range(7)), 8 * H, 16 * H, 10, breaks=(Break(2 * H, 15 * MIN),)),)
    none = build_roster(model_with(group(*shifts, shrinkage=0.0)), 1, 0)
    assert not none.shift_absent.any() and len(none.break_agent) == 70
    everyone = build_roster(model_with(group(*shifts, shrinkage=1.0)), 1, 0)
    assert everyone.shift_absent.all()
    assert len(everyone.break_agent) == 0 and everyone.events() == []


def test_breaks_at_start_plus_after_on_present_instances_only():
    pauses = (Break(2 * H, 15 * MIN), Break(4 * H, 30 * MIN), Break(6.5 * H, 15 * MIN))
    shifts = (Shift((0, 2, 4, 6), 22 * H, 6 * H, 5, breaks=pauses),)
    roster = build_roster(model_with(group(*shifts, shrinkage=0.3), horizon_s=14 * DAY), 3, 0)
    present = ~roster.shift_absent
    assert present.any() and roster.shift_absent.any()
    expected = sorted((int(a), s + p.after_s, p.length_s)
                      for a, s in zip(roster.shift_agent[present], roster.shift_start_s[present]) for p in pauses)
    actual = sorted(zip(roster.break_agent.tolist(), roster.break_start_s.tolist(), roster.break_length_s.tolist()))
    assert actual == expected


def test_events_order_shift_end_before_start_before_break_at_the_same_instant():
    shift = Shift(tuple(range(7)), 0.0, 0.0, 1, breaks=(Break(0.0, 10 * MIN),))
    events = build_roster(model_with(group(shift), horizon_s=2 * DAY), 1, 0).events()
    times = [e[0] for e in events]
    assert times == sorted(times)
    at_midnight = [kind for time, kind, _, _ in events if time == DAY]
    assert at_midnight == [SHIFT_END, SHIFT_START, BREAK]
    assert [kind for time, kind, _, _ in events if time == 0.0] == [SHIFT_START, BREAK]


def test_absences_are_reproducible_and_vary_by_replication():
    model = model_with(group(Shift(tuple(range(7)), 8 * H, 16 * H, 20), shrinkage=0.3), horizon_s=14 * DAY)
    a, b, c = build_roster(model, 5, 0), build_roster(model, 5, 0), build_roster(model, 5, 1)
    assert np.array_equal(a.shift_absent, b.shift_absent)
    assert not np.array_equal(a.shift_absent, c.shift_absent)


def test_a_groups_absences_do_not_depend_on_other_groups():
    """The absence stream is keyed by group name: adding or reordering groups leaves others' draws alone."""
    l1 = group(Shift(tuple(range(7)), 8 * H, 16 * H, 10), name="l1", shrinkage=0.3)
    l2 = group(Shift((0, 1, 2), 9 * H, 17 * H, 5), name="l2", shrinkage=0.5)
    alone = build_roster(model_with(l1), 9, 0)
    together = build_roster(model_with(l2, l1), 9, 0)
    mine = together.agent_group[together.shift_agent] == 1
    assert np.array_equal(alone.shift_absent, together.shift_absent[mine])
    assert np.array_equal(alone.shift_start_s, together.shift_start_s[mine])


def test_agents_per_slot_table():
    """Agent j is on in every slot with more than j agents; consecutive slots are one stint."""
    table = np.array([0, 1, 2, 2, 1, 0, 1, 1])
    rostered = AgentGroup("replay", {"calls": 1}, agents_per_slot=table, slot_s=1800.0)
    roster = build_roster(model_with(rostered, horizon_s=7 * 1800.0), 1, 0)
    assert roster.agents == 2
    assert instances(roster, 0) == [(1800.0, 9000.0), (10800.0, 12600.0)]  # last stint cut at the end
    assert instances(roster, 1) == [(3600.0, 7200.0)]


def absences_by_shift(roster, shift_of_agent) -> dict:
    """(shift, seat within shift, instance start) → absent, from a roster."""
    found = {}
    for agent, start, away in zip(roster.shift_agent, roster.shift_start_s, roster.shift_absent):
        shift, seat = shift_of_agent[agent]
        found[(shift, seat, float(start))] = bool(away)
    return found


def seats(*headcounts):
    return [(shift, seat) for shift, count in enumerate(headcounts) for seat in range(count)]


def test_changing_one_shifts_headcount_does_not_redraw_another_shifts_absences():
    """Absences are keyed by group, shift, day and seat (common random numbers for staffing what-ifs):
    adding agents to the early shift keeps every late-shift absence, and the early shift's seats keep
    theirs. (Drawn from one stream per group, 14 of 55 absences on baseline.yaml flipped.)"""
    early, late = Shift((0, 1, 2, 3, 4), 8 * H, 16 * H, 6), Shift((0, 1, 2, 3, 4), 12 * H, 20 * H, 5)
    before = build_roster(model_with(group(early, late, shrinkage=0.3), horizon_s=14 * DAY), 7, 0)
    bigger = Shift(early.days, early.start_s, early.end_s, 9)
    after = build_roster(model_with(group(bigger, late, shrinkage=0.3), horizon_s=14 * DAY), 7, 0)
    old, new = absences_by_shift(before, seats(6, 5)), absences_by_shift(after, seats(9, 5))
    assert sum(old.values()) > 5  # the test has absences to lose
    assert all(new[key] == away for key, away in old.items())


def test_named_shift_keys_its_absences_by_name_not_position():
    early, late = Shift((0,), 8 * H, 16 * H, 4, name="early"), Shift((0,), 12 * H, 20 * H, 4, name="late")
    one = build_roster(model_with(group(early, late, shrinkage=0.5), horizon_s=DAY), 3, 0)
    swapped = build_roster(model_with(group(late, early, shrinkage=0.5), horizon_s=DAY), 3, 0)
    assert absences_by_shift(one, seats(4, 4)) == {
        ((1 - shift), seat, start): away for (shift, seat, start), away in absences_by_shift(swapped, seats(4, 4)).items()}


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 30), st.integers(2, 16), st.integers(1, 8), st.integers(0, 8))
def test_staggered_breaks_spread_the_shift_evenly_over_the_window(agents, window_quarters, length_quarters, start):
    """At any moment at most ceil(agents / breaks that fit back to back) are on the window's break — the
    fewest any arrangement of whole breaks inside the window allows — and the breaks are spread over
    the whole window (even when there are fewer agents than breaks that fit)."""
    window, length = window_quarters * 15 * MIN, min(length_quarters, window_quarters) * 15 * MIN
    first = start * 15 * MIN
    pause = Break(first, length, (first, first + window))
    shift = Shift((0,), 6 * H, 18 * H, agents, breaks=(pause,))
    roster = build_roster(model_with(group(shift), horizon_s=DAY), 1, 0)
    starts, ends = roster.break_start_s, roster.break_start_s + roster.break_length_s
    assert (starts >= 6 * H + first - 1e-9).all() and (ends <= 6 * H + first + window + 1e-9).all()
    moments = np.unique(np.concatenate([starts, ends]))
    on_break = max(int(((starts <= t) & (ends > t)).sum()) for t in moments)
    fits = int(window // length)
    assert on_break <= math.ceil(agents / fits)
    # spread over the whole window: as many distinct start times as slots, from its start to its end
    slots = min(fits, agents)
    begins = np.unique(np.round(starts - 6 * H - first, 6))
    assert len(begins) == slots and begins[0] == 0
    if slots > 1:
        assert begins[-1] + length == pytest.approx(window)


def test_break_window_keeps_each_seat_on_its_slot_every_day():
    pause = Break(H, 30 * MIN, (H, 3 * H))  # 4 slots of 30 min in a 2 h window
    roster = build_roster(model_with(group(Shift((0, 1), 8 * H, 16 * H, 6, breaks=(pause,))), horizon_s=2 * DAY), 1, 0)
    offsets = {}
    for agent, begin in zip(roster.break_agent, roster.break_start_s):
        offsets.setdefault(int(agent), set()).add(round(begin % DAY - 9 * H))
    assert offsets == {0: {0}, 1: {1800}, 2: {3600}, 3: {5400}, 4: {0}, 5: {1800}}
