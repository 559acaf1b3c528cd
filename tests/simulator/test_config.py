"""Configs compare and hash (variants can be told apart and cached), whatever form tables come in."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from scenarios.format.scenario import load_scenario
from simulator.config import AgentGroup, Arrivals, ContactType, ModelConfig
from simulator.distributions import Exponential
from simulator.roster import build_roster

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def test_the_same_scenario_loaded_twice_is_equal_and_hashes_alike():
    for name in ("baseline.yaml", "it-helpdesk.yaml"):
        one, two = load_scenario(LIBRARY / name).model, load_scenario(LIBRARY / name).model
        assert one == two and hash(one) == hash(two)
        assert len({one, two}) == 1


def test_a_variant_differs_and_can_key_a_cache():
    model = load_scenario(LIBRARY / "baseline.yaml").model
    variant = load_scenario(LIBRARY / "baseline.yaml", ("staffing.groups.l1.shifts.0.agents=7",)).model
    assert model != variant
    cache = {model: "base", variant: "one more agent"}
    assert cache[load_scenario(LIBRARY / "baseline.yaml").model] == "base"


def test_numpy_tables_and_skill_dicts_are_frozen_into_tuples():
    table = np.full((7, 48), 10 / 3600)
    calls = ContactType("calls", Arrivals(weekly_per_s=table), Exponential(60.0))
    group = AgentGroup("desk", {"calls": 1}, agents_per_slot=np.array([1, 2, 3]))
    model = ModelConfig((calls,), (group,))
    assert isinstance(calls.arrivals.weekly_per_s, tuple) and calls.arrivals.weekly_table.shape == (7, 48)
    assert group.skills == (("calls", 1),) and group.agents_per_slot == (1, 2, 3)
    assert hash(model) == hash(ModelConfig((calls,), (AgentGroup("desk", {"calls": 1}, agents_per_slot=[1, 2, 3]),)))


def test_baseline_one_more_early_agent_keeps_every_other_shifts_absences():
    """The issue's case: on baseline.yaml one more agent in l1's first shift used to flip 14 of 55
    absences elsewhere; absences are now keyed by group, shift, day and seat."""
    model = load_scenario(LIBRARY / "baseline.yaml").model
    l1 = model.groups[0]
    bigger = dataclasses.replace(l1, shifts=(dataclasses.replace(l1.shifts[0], agents=7),) + l1.shifts[1:])
    variant = dataclasses.replace(model, groups=(bigger,) + model.groups[1:])

    def absences(m):
        roster = build_roster(m, 20240101, 0)
        seat_of, first = {}, 0
        for index, shift in enumerate(m.groups[0].shifts):
            seat_of.update({first + seat: (index, seat) for seat in range(shift.agents)})
            first += shift.agents
        return {(seat_of[a], float(t)): bool(x) for a, t, x in
                zip(roster.shift_agent, roster.shift_start_s, roster.shift_absent) if a in seat_of}

    before, after = absences(model), absences(variant)
    assert sum(before.values()) >= 10  # there are absences to lose
    assert all(after[key] == away for key, away in before.items())
