"""`schedule`: the integer program against brute force, shift coverage, and the command end to end."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from scenarios.experiment.schedule import on_duty, solve_schedule
from scenarios.format.scenario import load_scenario
from scenarios.format.shift_templates import Candidate, ShiftChoices, TemplateLimit
from simulator.config import Break, Shift

from .helpers import SMALL, invoke, no_traceback, write

SIX_HOURS = 21600.0
MONDAY = (0,)
HOUR = 3600.0


def candidate(name, start_h, end_h, part_time=False, breaks=()):
    return Candidate("desk", name, Shift(MONDAY, start_h * HOUR, end_h * HOUR, 0, breaks, name), part_time)


SHIFTS = [candidate("night", 0, 12), candidate("day", 6, 18), candidate("late", 12, 24),
          candidate("short", 6, 12, part_time=True)]


def brute_force(required, choices, shrinkage, rate):
    """The cheapest whole numbers 0..7 per shift meeting every constraint, by trying them all."""
    duty = np.array([on_duty(c.shift, SIX_HOURS) * (1 - shrinkage) for c in choices.candidates])
    cost = np.array([(c.shift.length_s / HOUR) * rate for c in choices.candidates])
    best = None
    for agents in itertools.product(range(8), repeat=len(choices.candidates)):
        agents = np.array(agents)
        if (duty.T @ agents < required - 1e-9).any():
            continue
        limits_ok = all(limit.low <= sum(a for c, a in zip(choices.candidates, agents) if c.template == limit.template)
                        <= (limit.high if limit.high is not None else 99) for limit in choices.limits)
        part = sum(a for c, a in zip(choices.candidates, agents) if c.part_time)
        share_ok = part <= choices.part_time_share.get("desk", 1.0) * agents.sum() + 1e-9
        budget_ok = choices.budget is None or cost @ agents <= choices.budget + 1e-9
        if limits_ok and share_ok and budget_ok and (best is None or cost @ agents < best - 1e-9):
            best = cost @ agents
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_integer_program_is_optimal_and_covers_the_requirement(seed):
    generator = np.random.default_rng(seed)
    required = np.zeros(28)
    required[:4] = generator.integers(0, 5, size=4)  # Monday's four six-hour intervals
    limits = (TemplateLimit("desk", "day", int(generator.integers(0, 2)), int(generator.integers(3, 8))),)
    choices = ShiftChoices(tuple(SHIFTS), limits, {"desk": 0.4} if seed % 2 else {}, None)
    shrinkage = 0.1 if seed % 3 == 0 else 0.0
    schedule = solve_schedule({"desk": required}, choices, {"desk": shrinkage}, {"desk": 30.0}, SIX_HOURS)
    assert schedule.cost == pytest.approx(brute_force(required, choices, shrinkage, 30.0))
    assert (schedule.coverage[0] >= required - 1e-9).all()


def test_a_budget_too_small_is_refused_with_what_to_change():
    required = np.zeros(28)
    required[:4] = 3
    choices = ShiftChoices(tuple(SHIFTS), (), {}, 100.0)
    with pytest.raises(ValueError, match="budget"):
        solve_schedule({"desk": required}, choices, {"desk": 0.0}, {"desk": 30.0}, SIX_HOURS)


def test_intervals_no_shift_covers_are_named_not_dropped():
    required = np.zeros(28)
    required[[1, 5]] = 2  # Monday 06:00 and Tuesday 06:00: no candidate works Tuesdays
    schedule = solve_schedule({"desk": required}, ShiftChoices(tuple(SHIFTS), (), {}, None), {"desk": 0.0},
                              {"desk": 30.0}, SIX_HOURS)
    assert schedule.uncovered == [("desk", 5)] and schedule.coverage[0][1] >= 2


def test_breaks_take_their_share_of_the_interval_off_duty():
    fixed = Shift(MONDAY, 8 * HOUR, 12 * HOUR, 0, (Break(2 * HOUR, 900.0),))
    duty = on_duty(fixed, 1800.0)
    assert duty[16:24].tolist() == [1, 1, 1, 1, 0.5, 1, 1, 1]  # 10:00-10:15 off
    window = Shift(MONDAY, 8 * HOUR, 12 * HOUR, 0, (Break(HOUR, 1800.0, (HOUR, 2 * HOUR)),))
    assert on_duty(window, 1800.0)[18:20].tolist() == [0.5, 0.5]  # two places in the window, half off in each
    overnight = Shift((6,), 22 * HOUR, 6 * HOUR, 0)
    assert on_duty(overnight, HOUR)[:6].sum() == 6 and on_duty(overnight, HOUR)[-2:].sum() == 2  # wraps to Monday


TEMPLATES = """\
groups:
  - name: l1
    part_time_share: 0.5
    shifts:
      - {name: full, days: mon-fri, starts: "07:00..10:00 every 1h", length: 8.5h, breaks: [{after: 2h, length: 15min}]}
      - {name: part, days: mon-fri, starts: ["12:00", "14:00"], length: 4h, part_time: true}
"""


def test_schedule_writes_a_runnable_schedule_its_coverage_and_the_comparison(tmp_path):
    scenario = write(tmp_path, SMALL)
    shifts = write(tmp_path, TEMPLATES, "shifts.yaml")
    out = tmp_path / "out"
    result = invoke("schedule", scenario, "--set", "calendar.horizon=7d", "--shifts", shifts, "--target", "service_level=0.8",
                    "--round-replications", 2, "-r", 2, "--out", out, "--report")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv")
    assert set(table.group) == {"l1"} and (table.agents > 0).all()
    part = table[table.part_time].agents.sum()
    assert part <= 0.5 * table.agents.sum()
    coverage = pd.read_csv(out / "coverage.csv")
    covered = coverage[coverage.agents_on_duty_expected > 0]
    assert (covered.agents_on_duty_expected >= covered.agents_required - 1e-6).all()
    staffed = load_scenario(out / "schedule.yaml")
    l1 = next(g for g in staffed.document["staffing"]["groups"] if g["name"] == "l1")
    assert sum(shift["agents"] for shift in l1["shifts"]) == table.agents.sum()
    assert set(pd.read_csv(out / "comparison.csv").scenario) == {"scheduled"}
    assert (out / "current" / "summary.csv").is_file() and (out / "scheduled" / "summary.csv").is_file()
    assert (out / "report.html").is_file()
    assert "cost a week" in result.stdout and "scheduled against current" in result.stdout
    # Simulated, the schedule meets the target in every interval, or the console names each one it misses.
    check = pd.read_csv(out / "interval_check.csv")
    missed = check[check.meets == False]  # noqa: E712
    if missed.empty:
        assert "every interval meets the target" in result.stdout
    for _, row in missed.head(10).iterrows():
        assert f"{row.weekday} {row.interval} {row.contact_type}" in result.stdout


@pytest.mark.parametrize("templates, says", [
    ("groups:\n  - name: l9\n    shifts: [{name: a, days: mon, start: '08:00', length: 8h}]\n", "no agent group 'l9'"),
    ("groups:\n  - name: l1\n    shifts: [{name: a, days: mon, start: '08:00', starts: ['09:00'], length: 8h}]\n",
     "`start` (one time) or `starts`"),
    ("groups:\n  - name: l1\n    shifts: [{name: a, days: mon, start: '08:00', length: 8h, min: 3, max: 2}]\n",
     "below min"),
    ("groups:\n  - name: l1\n    shifts: [{name: a, days: mon, starts: 'soon', length: 8h}]\n", "every 30min"),
    ("budget: 10\ngroups:\n  - name: l1\n    shifts: [{name: a, days: mon-fri, start: '08:00', length: 8h}]\n",
     "budget"),
], ids=["group", "start-and-starts", "max-below-min", "bad-starts", "budget"])
def test_bad_shift_templates_are_one_line(tmp_path, templates, says):
    result = invoke("schedule", write(tmp_path, SMALL), "--set", "calendar.horizon=7d", "--shifts", write(tmp_path, templates, "shifts.yaml"),
                    "--target", "service_level=0.8", "--round-replications", 1, "-r", 1, "--out", tmp_path / "out")
    assert result.exit_code == 2 and says in result.output and no_traceback(result), result.output


def test_schedule_is_in_the_help_with_an_example():
    result = invoke("schedule", "--help")
    assert result.exit_code == 0 and "Examples:" in result.output and "--shifts" in result.output


def test_per_day_templates_make_one_candidate_per_day_and_start(tmp_path):
    from scenarios.format.shift_templates import load_shift_templates
    path = write(tmp_path, "groups:\n  - name: l1\n    shifts:\n      - {name: flex, days: mon-wed, starts: ['08:00', "
                           "'12:00'], length: 4h, per_day: true}\n", "shifts.yaml")
    choices = load_shift_templates(path, ["l1"])
    assert sorted(c.name for c in choices.candidates) == sorted(f"flex-{t}-{d}" for t in ("08:00", "12:00")
                                                              for d in ("mon", "tue", "wed"))
    assert all(len(c.shift.days) == 1 for c in choices.candidates)
    assert [limit.template for limit in choices.limits] == ["flex"]  # min/max count every day and start together


def test_seated_coverage_puts_breaks_where_the_simulation_does():
    from scenarios.experiment.schedule import on_duty_seated
    lunch = Shift(MONDAY, 8 * HOUR, 16 * HOUR, 0, (Break(3 * HOUR, 1800.0, (3 * HOUR, 5.5 * HOUR)),))
    two = on_duty_seated(lunch, 2, 1800.0)[22:27]  # 11:00–13:30 holds five; two agents spread to its ends
    assert two.tolist() == [1.0, 2.0, 2.0, 2.0, 1.0]  # the program's average would say 1.6 throughout
    five = on_duty_seated(lunch, 5, 1800.0)[22:27]
    assert five.tolist() == pytest.approx((on_duty(lunch, 1800.0) * 5)[22:27].tolist())  # filled evenly: the average


def test_start_ranges_may_cross_midnight_and_a_whole_day_starts_at_midnight(tmp_path):
    from scenarios.format.shift_templates import load_shift_templates
    from scenarios.format.yamlfile import ScenarioError
    path = write(tmp_path, "groups:\n  - name: l1\n    shifts:\n      - {name: night, days: mon, starts: "
                           "'22:00..01:00 every 1h', length: 8h}\n      - {name: all, days: sun, start: '00:00', "
                           "length: 24h}\n", "shifts.yaml")
    names = sorted(c.name for c in load_shift_templates(path, ["l1"]).candidates)
    assert names == ["all", "night-00:00", "night-01:00", "night-22:00", "night-23:00"]
    path.write_text("groups:\n  - name: l1\n    shifts:\n      - {name: x, days: mon, start: '08:00', length: 24h}\n")
    with pytest.raises(ScenarioError, match="starts at 00:00") as caught:
        load_shift_templates(path, ["l1"])
    assert caught.value.line == 4


def test_requirements_made_for_another_scenario_are_refused(tmp_path):
    scenario = write(tmp_path, SMALL)
    other = write(tmp_path / "other", SMALL)
    made = tmp_path / "staff"
    assert invoke("staff", other, "--set", "calendar.horizon=7d", "--target", "service_level=0.8",
                  "--round-replications", 1, "-r", 1, "--out", made, "--no-trim").exit_code == 0
    result = invoke("schedule", scenario, "--set", "calendar.horizon=7d", "--shifts", write(tmp_path, TEMPLATES, "s.yaml"),
                    "--target", "service_level=0.8", "--requirements", made / "requirements.csv", "-r", 1,
                    "--out", tmp_path / "out")
    assert result.exit_code == 2 and "was made for" in result.output and no_traceback(result)
