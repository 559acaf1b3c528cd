"""What-ifs on a calibrated profile (issue 12): its contact types are addressed by name from a child
scenario and with --set, and a type's `scale` multiplies its volume alone."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scenarios.format.scenario import load_scenario
from simulator.fates import draw_demand

from .helpers import assert_points_at, load_error, marked_line, write

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
                            "    - {name: NW, scale: 1.3, priority: 2}\n", "child.yaml")
    plain, changed = types(load_scenario(BANK)), types(load_scenario(child))
    assert (changed["NW"].scale, changed["NW"].priority) == (1.3, 2)
    assert changed["NW"].handle_time == plain["NW"].handle_time
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
