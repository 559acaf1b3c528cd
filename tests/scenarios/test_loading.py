"""Reading valid scenarios: `extends`, `--set`, clock times, weekly tables, scale, automation, every
distribution of the format, and the resolved config that re-runs to the same numbers."""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import special

from scenarios.format.scenario import load_scenario
from scenarios.format.yamlfile import ScenarioWarning, read_yaml

from .helpers import SMALL, TINY, assert_points_at, edit, invoke, load_error, marked_line, write

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
HANDLE = "      handle_time: {dist: exponential, mean: 4min}"
SHIFT = '        - {days: all, start: "00:00", end: "24:00", agents: 3}'
RATE = "        rate: 30/h"


def contact(scenario, name):
    return next(c for c in scenario.model.contacts if c.name == name)


def group(scenario, name):
    return next(g for g in scenario.model.groups if g.name == name)


def per_hour(rate_per_s: float) -> float:
    return rate_per_s * 3600.0


def rate_at(arrivals, weekday: int, clock: str) -> float:
    """Arrivals per hour on `weekday` (Monday = 0) at `HH:MM`, read from the weekly table."""
    hours, minutes = map(int, clock.split(":"))
    slot = int((hours * 3600 + minutes * 60) // arrivals.slot_s)
    return per_hour(arrivals.weekly_table[weekday, slot])


# --- extends --------------------------------------------------------------------------------------------

CHILD = """\
extends: base.yaml
name: child
calendar:
  horizon: 2d
demand:
  contacts:
    - name: billing
      arrivals: {rate: 60/h}
    - name: tech
      arrivals: {rate: 6/h}
      handle_time: {dist: constant, value: 5min}
staffing:
  groups:
    - name: l1
      skills: {tech: 1}
"""


def test_extends_deep_merges_nested_values_and_named_items(tmp_path):
    write(tmp_path, TINY, "base.yaml")
    scenario = load_scenario(write(tmp_path, CHILD, "child.yaml"))
    calendar = scenario.model.calendar
    assert scenario.name == "child"
    assert scenario.description == "one contact type, one round-the-clock group"  # kept from the base
    assert calendar.horizon_s == 2 * 86400  # overridden nested value
    assert (calendar.interval_s, calendar.warmup_s, str(calendar.start)) == (3600, 0, "2024-01-01 00:00:00")
    assert scenario.model.contact_names == ("billing", "tech")  # new item appended after the base's
    billing = contact(scenario, "billing")
    assert per_hour(billing.arrivals.rate_per_s) == pytest.approx(60)  # merged by name: rate overridden,
    assert billing.handle_time.mean == pytest.approx(240)  # handle time, patience and priority kept
    assert billing.patience.mean == pytest.approx(360) and billing.priority == 2
    assert contact(scenario, "tech").handle_time.mean == pytest.approx(300)
    l1 = group(scenario, "l1")
    assert l1.skill_map == {"billing": 1, "tech": 1}  # mappings inside named items merge key by key
    assert [shift.agents for shift in l1.shifts] == [3]  # shifts kept from the base
    assert scenario.experiment.seed == 7
    assert "extends" not in scenario.document


def test_extends_replaces_lists_without_names(tmp_path):
    write(tmp_path, TINY, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nstaffing:\n  groups:\n    - name: l1\n      shifts:\n"
                            '        - {days: mon-fri, start: "08:00", end: "16:00", agents: 5}\n', "child.yaml")
    with pytest.warns(ScenarioWarning, match="replaces the inherited shifts"):  # tests/scenarios/test_extends_lists.py
        shifts = group(load_scenario(child), "l1").shifts
    assert [(s.days, s.start_s, s.agents) for s in shifts] == [((0, 1, 2, 3, 4), 8 * 3600, 5)]


def test_extends_paths_are_relative_to_the_extending_file(tmp_path, monkeypatch):
    write(tmp_path / "library", TINY, "root.yaml")
    write(tmp_path / "library" / "variants", "extends: ../root.yaml\ncalendar: {horizon: 3d}\n", "middle.yaml")
    leaf = write(tmp_path / "studies" / "q3", "extends: ../../library/variants/middle.yaml\nname: leaf\n"
                                              "experiment: {seed: 99}\n", "leaf.yaml")
    monkeypatch.chdir(tmp_path / "library")  # the working directory must not matter
    scenario = load_scenario(Path("..") / "studies" / "q3" / "leaf.yaml")
    assert scenario.name == "leaf"
    assert scenario.model.calendar.horizon_s == 3 * 86400
    assert scenario.experiment == type(scenario.experiment)(replications=2, seed=99)
    assert leaf.exists()


def test_extends_loop_is_detected(tmp_path):
    write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\nname: b\n", "b.yaml")
    error = load_error(tmp_path / "a.yaml")
    assert "loop" in str(error) and "a.yaml" in str(error)


def test_extends_itself_is_a_loop(tmp_path):
    error = load_error(write(tmp_path, "extends: self.yaml\nname: s\n", "self.yaml"))
    assert "loop" in str(error)


def test_errors_after_extends_name_the_file_that_wrote_the_key(tmp_path):
    base_text = edit(TINY, "      priority: 2\n", "      priorty: 2  # <-\n")
    base = write(tmp_path, base_text, "base.yaml")
    error = load_error(write(tmp_path, "extends: base.yaml\nname: child\n", "child.yaml"))
    assert_points_at(error, base, marked_line(base_text), "demand.contacts.billing.priorty")
    assert "did you mean `priority`?" in str(error)

    write(tmp_path, TINY, "base.yaml")
    child_text = "extends: base.yaml\ncalendar:\n  interval: 0s  # <-\n"
    child = write(tmp_path, child_text, "child.yaml")
    assert_points_at(load_error(child), child, marked_line(child_text), "calendar.interval")


# --- --set --------------------------------------------------------------------------------------------------

def test_set_nested_value(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY), ("calendar.horizon=3d", "experiment.seed=123"))
    assert scenario.model.calendar.horizon_s == 3 * 86400
    assert scenario.experiment.seed == 123


def test_set_named_list_item_by_name_and_by_index(tmp_path):
    scenario = load_scenario(write(tmp_path, SMALL), (
        "demand.contacts.tech.arrivals.rate=12/h",  # by name
        "staffing.groups.l1.shifts.1.agents=9",  # named group, then shift by index
        "staffing.groups.1.cost_per_hour=50",  # group by index
        "demand.contacts.0.priority=5",  # contact by index
    ))
    assert per_hour(contact(scenario, "tech").arrivals.rate_per_s) == pytest.approx(12)
    assert [s.agents for s in group(scenario, "l1").shifts] == [4, 9]
    assert group(scenario, "l2").cost_per_hour == 50
    assert contact(scenario, "billing").priority == 5
    assert contact(scenario, "tech").priority == 1


def test_set_adds_keys_and_takes_yaml_values(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY), (
        "demand.contacts.billing.sla.answer_within=30s",
        "demand.contacts.billing.handle_time={dist: constant, value: 3min}",
        "staffing.groups.l1.skills={billing: 2}",
    ))
    billing = contact(scenario, "billing")
    assert billing.sla.answer_within_s == 30
    assert billing.handle_time.mean == 180 and billing.handle_time.cv == 0
    assert group(scenario, "l1").skill_map == {"billing": 2}


def test_set_applies_after_extends(tmp_path):
    write(tmp_path, TINY, "base.yaml")
    child = write(tmp_path, CHILD, "child.yaml")
    scenario = load_scenario(child, ("demand.contacts.billing.arrivals.rate=90/h", "calendar.horizon=1d"))
    assert per_hour(contact(scenario, "billing").arrivals.rate_per_s) == pytest.approx(90)
    assert scenario.model.calendar.horizon_s == 86400


def test_set_on_the_cli(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path, TINY), "--set", "staffing.groups.l1.shifts.0.agents=4",
                    "--set", "demand.contacts.billing.arrivals.rate=12/h", "--out", out)
    assert result.exit_code == 0, result.output
    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text())
    assert resolved["staffing"]["groups"][0]["shifts"][0]["agents"] == 4
    assert resolved["demand"]["contacts"][0]["arrivals"]["rate"] == "12/h"


# --- clock times stay text ----------------------------------------------------------------------------------

def test_clock_times_are_read_as_text_not_sexagesimal_numbers(tmp_path):
    path = write(tmp_path, "a: 08:00\nb: 16:30\nc: 8:00\nd: 12:00\ne: 22:00-06:00\n", "clock.yaml")
    assert dict(read_yaml(path)) == {"a": "08:00", "b": "16:30", "c": "8:00", "d": "12:00", "e": "22:00-06:00"}


def test_unquoted_shift_times(tmp_path):
    text = edit(TINY, SHIFT, "        - {days: mon-fri, start: 08:00, end: 16:30, agents: 3}")
    shift = group(load_scenario(write(tmp_path, text)), "l1").shifts[0]
    assert (shift.start_s, shift.end_s) == (8 * 3600, 16.5 * 3600)


def test_clock_time_given_with_set_is_text(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY), ("staffing.groups.l1.shifts.0.start=09:30",
                                                     "staffing.groups.l1.shifts.0.end=12:00"))
    shift = group(scenario, "l1").shifts[0]
    assert (shift.start_s, shift.end_s) == (9.5 * 3600, 12 * 3600)


# --- weekly arrival tables -----------------------------------------------------------------------------------

def weekly(tmp_path, table: str, scale: str | None = None):
    text = edit(TINY, RATE, "        weekly:\n" + table)
    if scale:
        text = edit(text, "demand:\n", f"demand:\n  scale: {scale}\n")
    return contact(load_scenario(write(tmp_path, text)), "billing").arrivals


def test_weekly_list_per_interval_with_interval_and_unit(tmp_path):
    arrivals = weekly(tmp_path, "          interval: 6h\n          unit: 1/min\n"
                                "          mon-fri: [0, 1, 2, 0.5]\n          sat: [0, 0.25, 0.25, 0]\n")
    assert rate_at(arrivals, 0, "03:00") == 0
    assert rate_at(arrivals, 0, "07:00") == pytest.approx(60)
    assert rate_at(arrivals, 4, "12:00") == pytest.approx(120)
    assert rate_at(arrivals, 2, "23:59") == pytest.approx(30)
    assert rate_at(arrivals, 5, "06:00") == pytest.approx(15)
    assert rate_at(arrivals, 6, "12:00") == 0  # Sunday not given: no arrivals
    expected_mean = (5 * (0 + 60 + 120 + 30) + (15 + 15)) / (7 * 4)
    assert per_hour(arrivals.mean_rate_per_s()) == pytest.approx(expected_mean)


def test_weekly_list_defaults_to_calendar_interval_and_per_hour(tmp_path):
    rates = ", ".join(str(hour) for hour in range(24))
    arrivals = weekly(tmp_path, f"          all: [{rates}]\n")
    for hour in (0, 7, 13, 23):
        assert rate_at(arrivals, 3, f"{hour:02d}:30") == pytest.approx(hour)


def test_weekly_period_maps(tmp_path):
    arrivals = weekly(tmp_path, '          mon-fri: {"08:00-10:00": 40/h, "10:00-13:00": 70/h}\n'
                                '          sat: {"09:00-13:00": 20/h}\n'
                                '          sun: {"22:00-24:00": 100/30min}\n')
    assert rate_at(arrivals, 0, "07:59") == 0
    assert rate_at(arrivals, 0, "08:00") == pytest.approx(40)
    assert rate_at(arrivals, 1, "09:59") == pytest.approx(40)
    assert rate_at(arrivals, 2, "10:00") == pytest.approx(70)
    assert rate_at(arrivals, 4, "12:59") == pytest.approx(70)
    assert rate_at(arrivals, 4, "13:00") == 0
    assert rate_at(arrivals, 5, "09:30") == pytest.approx(20)
    assert rate_at(arrivals, 6, "23:00") == pytest.approx(200)
    expected_mean = (5 * (2 * 40 + 3 * 70) + 4 * 20 + 2 * 200) / (7 * 24)
    assert per_hour(arrivals.mean_rate_per_s()) == pytest.approx(expected_mean)


def test_library_baseline_weekly_mean(tmp_path):
    scenario = load_scenario(LIBRARY / "baseline.yaml")
    billing = contact(scenario, "billing").arrivals
    expected = (5 * (2 * 40 + 3 * 70 + 3 * 55 + 2 * 35) + 4 * 20) / (7 * 24)
    assert per_hour(billing.mean_rate_per_s()) == pytest.approx(expected)
    assert rate_at(billing, 0, "11:00") == pytest.approx(70) and rate_at(billing, 6, "11:00") == 0


# --- scale and automation ------------------------------------------------------------------------------------

def test_scale_is_a_lever_of_the_model_not_folded_into_the_rates(tmp_path):
    """`demand.scale` and a type's `scale` stay visible (the rates as written), and the drawn
    arrivals grow by their product."""
    from simulator.fates import draw_demand
    text = edit(TINY, "demand:\n", "demand:\n  scale: 1.5\n")
    text = edit(text, "      priority: 2\n", "      priority: 2\n      scale: 2\n")
    model = load_scenario(write(tmp_path, text)).model
    billing = model.contacts[0]
    assert (model.demand_scale, billing.scale, per_hour(billing.arrivals.rate_per_s)) == (1.5, 2.0, 30)
    drawn = sum(len(draw_demand(model, seed, 0)) for seed in range(3))
    expected = 30 * 1.5 * 2 * 24 * 3  # per hour × scales × hours × runs: Poisson, SE = √expected
    assert abs(drawn - expected) <= 4 * math.sqrt(expected)


def test_scale_below_one_thins_the_arrivals(tmp_path):
    from simulator.fates import draw_demand
    model = load_scenario(write(tmp_path, edit(TINY, "demand:\n", "demand:\n  scale: 0.4\n"))).model
    drawn = sum(len(draw_demand(model, seed, 0)) for seed in range(3))
    expected = 30 * 0.4 * 24 * 3  # Poisson thinned by 0.4: still Poisson, SE = √expected
    assert abs(drawn - expected) <= 4 * math.sqrt(expected)


def test_scale_of_weekly_tables_applies_when_arrivals_are_drawn(tmp_path):
    arrivals = weekly(tmp_path, '          mon-fri: {"08:00-10:00": 40/h}\n', scale="1.1")
    assert rate_at(arrivals, 0, "09:00") == pytest.approx(40)  # as written: the scale is the model's


def test_scale_with_set(tmp_path):
    scenario = load_scenario(write(tmp_path, SMALL), ("demand.scale=2", "demand.contacts.tech.scale=1.5"))
    assert scenario.model.demand_scale == 2 and scenario.model.arrival_scale(contact(scenario, "tech")) == 3


def test_automation_handle_time_factor_is_a_lever_applied_to_each_drawn_handle_time(tmp_path):
    """Agent assist is kept as a lever (not baked into the distribution while the YAML is read): the
    same callers, each handling shorter by the factor, other types untouched."""
    from simulator.fates import draw_demand
    text = SMALL.replace("kpis:\n", "policies:\n  automation:\n    handle_time_factor: {billing: 0.85}\nkpis:\n")
    assisted, plain = load_scenario(write(tmp_path, text)), load_scenario(write(tmp_path, SMALL, "plain.yaml"))
    assert assisted.model.policies.automation.handle_time_factor == (("billing", 0.85),)
    assert contact(assisted, "billing").handle_time == contact(plain, "billing").handle_time
    with_assist, without = draw_demand(assisted.model, 3, 0), draw_demand(plain.model, 3, 0)
    billing = with_assist.contact_type[:len(with_assist)] == 0
    ratio = with_assist.handle_s[:len(with_assist)] / without.handle_s[:len(without)]
    assert np.allclose(ratio[billing], 0.85) and np.allclose(ratio[~billing], 1.0)


def test_automation_factor_shows_in_the_resolved_config(tmp_path):
    text = TINY.replace("experiment:\n", "policies:\n  automation:\n    handle_time_factor: {billing: 0.5}\n"
                                         "experiment:\n")
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path, text), "--out", out)
    assert result.exit_code == 0, result.output
    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text())
    billing = resolved["resolved"]["contacts"]["billing"]
    assert billing["handle_time"]["reported_mean_s"] == pytest.approx(240)
    assert billing["handle_time_with_agent_assist"]["reported_mean_s"] == pytest.approx(120)
    assert resolved["policies"]["automation"]["handle_time_factor"] == {"billing": 0.5}


# --- distributions --------------------------------------------------------------------------------------------

DISTRIBUTIONS = [
    ("{dist: exponential, mean: 4min}", 240, 1.0),
    ("{dist: lognormal, mean: 4min, cv: 1.1}", 240, 1.1),
    ("{dist: lognormal, mu: 5, sigma: 0.5}", math.exp(5 + 0.125), math.sqrt(math.expm1(0.25))),
    ("{dist: gamma, mean: 9min, cv: 0.8}", 540, 0.8),
    ("{dist: weibull, shape: 2, scale: 10min}", 600 * special.gamma(1.5),
     math.sqrt(special.gamma(2) / special.gamma(1.5) ** 2 - 1)),
    ("{dist: constant, value: 90s}", 90, 0.0),
    ("{dist: empirical, values: [1min, 2min, 6min]}", 180, math.sqrt(((60 - 180) ** 2 + (120 - 180) ** 2
                                                                        + (360 - 180) ** 2) / 3) / 180),
    ("{dist: uniform, low: 1min, high: 3min}", 120, (120 / math.sqrt(12)) / 120),
    ("{dist: erlang, k: 3, mean: 6min}", 360, 1 / math.sqrt(3)),
    ("{dist: exponential, mean: 240}", 240, 1.0),  # plain numbers are seconds
    ("{dist: gamma, mean: 0.5h, cv: 2}", 1800, 2.0),
]


@pytest.mark.parametrize("spec, mean, cv", DISTRIBUTIONS, ids=[spec for spec, _, _ in DISTRIBUTIONS])
def test_distribution_is_built_with_the_right_mean_and_cv(tmp_path, spec, mean, cv):
    text = edit(TINY, HANDLE, f"      handle_time: {spec}")
    handle_time = contact(load_scenario(write(tmp_path, text)), "billing").handle_time
    assert handle_time.mean == pytest.approx(mean, rel=1e-9)
    assert handle_time.cv == pytest.approx(cv, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("spec, mean, cv", DISTRIBUTIONS[:9], ids=[spec for spec, _, _ in DISTRIBUTIONS[:9]])
def test_distribution_samples_have_the_reported_mean(tmp_path, spec, mean, cv):
    import numpy as np
    text = edit(TINY, HANDLE, f"      handle_time: {spec}")
    handle_time = contact(load_scenario(write(tmp_path, text)), "billing").handle_time
    draws = handle_time.sample(np.random.default_rng(1), 200_000)
    assert draws.mean() == pytest.approx(mean, rel=0.02)
    assert (draws >= 0).all()


def test_empirical_values_from_a_file(tmp_path):
    """SCENARIO_FORMAT lists `empirical{values | file}`; a file of durations, relative to the scenario."""
    write(tmp_path / "data", "60\n120\n360\n", "handle_times.txt")
    text = edit(TINY, HANDLE, "      handle_time: {dist: empirical, file: data/handle_times.txt}")
    handle_time = contact(load_scenario(write(tmp_path, text)), "billing").handle_time
    assert handle_time.mean == pytest.approx(180)


def test_every_distribution_reports_mean_and_cv_in_the_resolved_config(tmp_path):
    text = edit(SMALL, "      handle_time: {dist: gamma, mean: 9min, cv: 0.8}",
                "      handle_time: {dist: weibull, shape: 2, scale: 10min}")
    out = tmp_path / "out"
    assert invoke("run", write(tmp_path, text), "--replications", 2, "--out", out).exit_code == 0
    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text())["resolved"]["contacts"]
    assert resolved["billing"]["handle_time"]["reported_mean_s"] == pytest.approx(240)
    assert resolved["billing"]["handle_time"]["reported_cv"] == pytest.approx(1.1)
    assert resolved["tech"]["handle_time"]["reported_mean_s"] == pytest.approx(600 * special.gamma(1.5), rel=1e-6)
    assert resolved["tech"]["patience"]["reported_mean_s"] == pytest.approx(600)
    assert resolved["tech"]["patience"]["reported_cv"] == pytest.approx(1.0)


# --- the resolved config re-runs -----------------------------------------------------------------------------

CSVS = ("summary.csv", "replications.csv", "intervals.csv")


def test_resolved_config_reloads_and_reruns_to_identical_results(tmp_path):
    write(tmp_path / "lib", SMALL, "base.yaml")
    child = write(tmp_path / "lib", "extends: base.yaml\nname: variant\ncalendar: {horizon: 12h}\n", "variant.yaml")
    first = tmp_path / "first"
    result = invoke("run", child, "--replications", 2, "--seed", 321, "--set", "staffing.groups.l1.shifts.0.agents=5",
                    "--out", first)
    assert result.exit_code == 0, result.output

    # Self-contained: runs from anywhere, without the file it extended.
    moved = tmp_path / "elsewhere" / "config.resolved.yaml"
    moved.parent.mkdir()
    shutil.copy(first / "config.resolved.yaml", moved)
    shutil.rmtree(tmp_path / "lib")
    reloaded = load_scenario(moved)
    assert reloaded.name == "variant"
    assert (reloaded.experiment.replications, reloaded.experiment.seed) == (2, 321)
    assert group(reloaded, "l1").shifts[0].agents == 5
    assert reloaded.model.calendar.horizon_s == 12 * 3600

    second = tmp_path / "second"
    result = invoke("run", moved, "--out", second)
    assert result.exit_code == 0, result.output
    for name in CSVS:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("spec, mean, cv", DISTRIBUTIONS, ids=[spec for spec, _, _ in DISTRIBUTIONS])
def test_resolved_config_is_written_for_every_distribution(tmp_path, spec, mean, cv):
    from scenarios.experiment.results import write_resolved_config
    text = edit(TINY, HANDLE, f"      handle_time: {spec}")
    scenario = load_scenario(write(tmp_path, text))
    path = write_resolved_config(scenario, tmp_path / "out", replications=2, seed=1)
    reported = yaml.safe_load(path.read_text())["resolved"]["contacts"]["billing"]["handle_time"]
    assert reported["reported_mean_s"] == pytest.approx(mean, rel=1e-5)
    assert reported["reported_cv"] == pytest.approx(cv, rel=1e-5, abs=1e-6)
    assert load_scenario(path).model.contacts[0].handle_time.mean == pytest.approx(mean, rel=1e-9)


def test_a_scenario_written_as_text_loads_and_its_errors_name_the_source():
    from scenarios.format.scenario import scenario_from_text
    from scenarios.format.yamlfile import ScenarioError
    text = ("calendar: {horizon: 1d}\ndemand: {contacts: [{name: c, arrivals: {rate: 10/h}, handle_time: "
            "{dist: exponential, mean: 3min}}]}\nstaffing: {groups: [{name: g, skills: {c: 1}, shifts: "
            "[{days: all, start: '10:00', end: '24:00', agents: 2}]}]}\n")
    assert scenario_from_text(text).model.groups[0].shifts[0].start_s == 36000.0  # 10:00, not base-60
    with pytest.raises(ScenarioError, match="notebook:4"):
        scenario_from_text(text + "bogus: 1\n", "notebook")
