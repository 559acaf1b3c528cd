"""What-ifs on a calibrated profile (issue 12): its contact types are addressed by name from a child
scenario and with --set, a fitted handle time or patience takes `scale` (a factor) or `mean` (kept
shape), and a type's `scale` multiplies its volume alone."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from scenarios.format.scenario import load_scenario
from simulator.fates import draw_demand

from .helpers import SMALL, assert_points_at, invoke, load_error, marked_line, write

BANK = Path(__file__).resolve().parents[2] / "scenarios" / "library" / "bank.yaml"

# Two types as `calibrate` writes them: a fitted short-call mixture, lognormals by mu and sigma, a weibull.
PROFILE = """\
profile_version: 1
contacts:
- name: PS
  channel: phone
  priority: 1
  arrivals: {rate: 60/h}
  handle_time:
    dist: mixture
    weights: [0.04, 0.96]
    components:
    - {dist: uniform, low: 0.0, high: 10.0}
    - {dist: lognormal, mu: 4.88, sigma: 0.87}
  patience: {dist: weibull, shape: 0.8, scale: 300}
- name: NW
  channel: phone
  priority: 1
  arrivals: {rate: 20/h}
  handle_time: {dist: lognormal, mu: 5.2, sigma: 0.9}
  patience: {dist: exponential, mean: 200}
"""

SCENARIO = """\
name: on a profile
calendar: {start: 2024-01-01 00:00, horizon: 1d, warmup: 0s, interval: 1h}
demand:
  profile: profile.yaml
staffing:
  groups:
    - name: agents
      skills: {PS: 1, NW: 1}
      shifts:
        - {days: all, start: "00:00", end: "24:00", agents: 6}
experiment: {replications: 2, seed: 4}
"""


@pytest.fixture
def on_profile(tmp_path) -> Path:
    write(tmp_path, PROFILE, "profile.yaml")
    return write(tmp_path, SCENARIO, "scenario.yaml")


def types(scenario) -> dict:
    return {contact.name: contact for contact in scenario.model.contacts}


# --- profile types by name -----------------------------------------------------------------------------------

def test_set_addresses_a_profile_type_by_name():
    """The issue: `--set demand.contacts.NW.…` failed with "no item NW (items: PS)"."""
    plain, changed = types(load_scenario(BANK)), load_scenario(BANK, ("demand.contacts.NW.scale=1.2",
                                                                      "demand.contacts.NE.priority=3"))
    nw = types(changed)["NW"]
    assert (nw.scale, changed.model.arrival_scale(nw), types(changed)["NE"].priority) == (1.2, 1.2, 3)
    assert nw.handle_time == plain["NW"].handle_time and nw.arrivals == plain["NW"].arrivals


def test_a_child_scenario_changes_profile_types_by_name(tmp_path):
    child = write(tmp_path, f"extends: {BANK}\ndemand:\n  contacts:\n"
                            "    - {name: NW, scale: 1.3, handle_time: {scale: 0.9}}\n", "child.yaml")
    plain, changed = types(load_scenario(BANK)), types(load_scenario(child))
    assert changed["NW"].scale == 1.3
    assert changed["NW"].handle_time.mean == pytest.approx(0.9 * plain["NW"].handle_time.mean, rel=1e-12)
    assert changed["NE"] == plain["NE"] and changed["PS"] == plain["PS"]


def test_a_type_the_profile_lacks_is_named_with_the_profile_types(tmp_path):
    text = f"extends: {BANK}\ndemand:\n  contacts:\n    - {{name: nw, scale: 1.3}}  # <-\n"
    child = write(tmp_path, text, "child.yaml")
    error = load_error(child)
    assert_points_at(error, child, marked_line(text), "demand.contacts.nw")
    assert "did you mean `NW`?" in str(error) and "PS, NW, NE, TT, other" in str(error)


def test_a_profile_chosen_with_set_comes_before_the_overrides_of_its_types(on_profile, tmp_path):
    write(tmp_path, PROFILE.replace("name: NW", "name: VIP"), "other.yaml")
    scenario = load_scenario(on_profile, ("staffing.groups.agents.skills={PS: 1, VIP: 1}",
                                          "demand.contacts.VIP.scale=2", f"demand.profile={tmp_path / 'other.yaml'}"))
    assert types(scenario)["VIP"].scale == 2


# --- a type's volume ---------------------------------------------------------------------------------------------

def test_a_profile_types_scale_changes_its_volume_and_no_other_customer(on_profile):
    plain, scaled = load_scenario(on_profile).model, load_scenario(on_profile, ("demand.contacts.NW.scale=2",)).model
    drawn_nw = 0
    for seed in range(3):
        before, after = draw_demand(plain, seed, 0), draw_demand(scaled, seed, 0)
        ps_before = before.arrival_s[:len(before)][before.contact_type[:len(before)] == 0]
        ps_after = after.arrival_s[:len(after)][after.contact_type[:len(after)] == 0]
        assert np.array_equal(ps_before, ps_after)  # the same PS callers
        drawn_nw += int((after.contact_type[:len(after)] == 1).sum())
    expected = 20 * 2 * 24 * 3  # per hour × scale × hours × seeds: Poisson, SE = √expected
    assert abs(drawn_nw - expected) <= 4 * math.sqrt(expected)


# --- editing a fitted distribution ----------------------------------------------------------------------------

def test_scale_multiplies_every_value_of_a_fitted_mixture(on_profile):
    plain = types(load_scenario(on_profile))["PS"].handle_time
    edited = types(load_scenario(on_profile, ("demand.contacts.PS.handle_time.scale=0.9",)))["PS"].handle_time
    draws = edited.sample(np.random.default_rng(1), 1000)
    assert np.allclose(draws, 0.9 * plain.sample(np.random.default_rng(1), 1000), rtol=1e-15, atol=0)
    assert (edited.mean, edited.cv) == (pytest.approx(0.9 * plain.mean), pytest.approx(plain.cv))


def test_scaled_handle_times_are_the_same_customers_needs_shorter(on_profile):
    plain = load_scenario(on_profile).model
    edited = load_scenario(on_profile, ("demand.contacts.PS.handle_time.scale=0.9",)).model
    before, after = draw_demand(plain, 2, 0), draw_demand(edited, 2, 0)
    ps = before.contact_type[:len(before)] == 0
    ratio = after.handle_s[:len(after)] / before.handle_s[:len(before)]
    assert np.allclose(ratio[ps], 0.9) and np.allclose(ratio[~ps], 1.0)


@pytest.mark.parametrize("key", ["PS.handle_time", "NW.handle_time", "PS.patience", "NW.patience"],
                         ids=["mixture", "lognormal-mu-sigma", "weibull", "exponential"])
def test_mean_moves_any_fitted_distribution_keeping_its_cv(on_profile, key):
    name, what = key.split(".")
    plain = getattr(types(load_scenario(on_profile))[name], what)
    edited = getattr(types(load_scenario(on_profile, (f"demand.contacts.{key}.mean=3min",)))[name], what)
    assert edited.mean == pytest.approx(180, rel=1e-12)
    assert edited.cv == pytest.approx(plain.cv, rel=1e-9)


def test_a_mixture_component_may_be_edited_alone(on_profile):
    plain = types(load_scenario(on_profile))["PS"].handle_time
    edited = types(load_scenario(on_profile, ("demand.contacts.PS.handle_time.components.1.mean=3min",)))["PS"]
    short, long = edited.handle_time.components
    assert short == plain.components[0] and long.mean == pytest.approx(180, rel=1e-12)
    assert long.cv == pytest.approx(plain.components[1].cv, rel=1e-12)


def test_edits_work_on_written_distributions_too(tmp_path):
    write(tmp_path, SMALL, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\ndemand:\n  contacts:\n"
                            "    - {name: billing, handle_time: {scale: 0.5}}\n"
                            "    - {name: tech, handle_time: {mean: 6min}}\n", "child.yaml")
    contacts = types(load_scenario(child))
    assert contacts["billing"].handle_time.mean == pytest.approx(120)  # lognormal mean 4min, halved
    assert contacts["billing"].handle_time.cv == pytest.approx(1.1)
    assert (contacts["tech"].handle_time.mean, contacts["tech"].handle_time.cv) == (pytest.approx(360), pytest.approx(0.8))


@pytest.mark.parametrize("overrides, says", [
    (("demand.contacts.PS.patience.scale=0.9",), "a weibull's `scale` is its own parameter"),
    (("demand.contacts.PS.handle_time.cv=0.5",), "its cv follows from components, weights"),
    (("demand.contacts.NW.handle_time.cv=0.5",), "its cv follows from mu, sigma"),  # was silently ignored
    (("demand.contacts.PS.handle_time.scale=0.9", "demand.contacts.PS.handle_time.mean=3min"), "not both"),
    (("demand.contacts.PS.handle_time.scale=90s",), "a positive number like 0.9"),
    (("demand.contacts.PS.handle_time.scale=0",), "a positive number like 0.9"),
    (("demand.contacts.PS.handle_time={scale: 0.9}",), "there is none here"),
    (("demand.contacts.PS.handle_time={dist: empirical, values: [0, 0]}", "demand.contacts.PS.handle_time.mean=1min"),
     "needs a positive mean"),
], ids=["weibull-scale", "mixture-cv", "lognormal-mu-sigma-cv", "scale-and-mean", "scale-with-unit", "scale-zero",
        "edit-replacing-the-whole", "mean-of-zeros"])
def test_edits_that_cannot_be_meant_are_refused(on_profile, overrides, says):
    assert says in str(load_error(on_profile, overrides))


def test_a_weibull_scale_written_in_a_child_is_refused_where_it_is_written(on_profile, tmp_path):
    text = "extends: scenario.yaml\ndemand:\n  contacts:\n    - name: PS\n      patience: {scale: 0.9}  # <-\n"
    child = write(tmp_path, text, "child.yaml")
    error = load_error(child)
    assert_points_at(error, child, marked_line(text), "demand.contacts.PS.patience")
    assert "write `mean`" in str(error)


def test_an_edited_distribution_reruns_from_the_resolved_config(on_profile, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    result = invoke("run", on_profile, "--set", "demand.contacts.PS.handle_time.scale=0.9", "--out", first)
    assert result.exit_code == 0, result.output
    resolved = yaml.safe_load((first / "config.resolved.yaml").read_text())
    ps = next(contact for contact in resolved["demand"]["contacts"] if contact["name"] == "PS")
    assert ps["handle_time"]["scale"] == 0.9 and ps["handle_time"]["dist"] == "mixture"
    plain = types(load_scenario(on_profile))["PS"].handle_time.mean
    assert resolved["resolved"]["contacts"]["PS"]["handle_time"]["reported_mean_s"] == pytest.approx(0.9 * plain,
                                                                                                     rel=1e-6)
    result = invoke("run", first / "config.resolved.yaml", "--out", second)
    assert result.exit_code == 0, result.output
    for name in ("summary.csv", "replications.csv", "intervals.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
