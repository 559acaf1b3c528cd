"""The fewest agents for a target: checked against a plain scan from one agent upwards."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.erlang import agents_for_service_level, erlang_a_metrics, erlang_c_metrics
from simulator.erlang_solve import StaffingTarget, fewest_agents


def first_meeting(load, aht, target, patience):
    """The reference: try 1, 2, 3, … agents with the plain formulas."""
    for agents in range(1, 10_000):
        if math.isinf(patience):
            if agents <= load:
                continue
            metrics = erlang_c_metrics(load / aht, aht, agents, target.threshold)
            if metrics.service_level >= target.service_level:
                return agents
            continue
        metrics = erlang_a_metrics(load / aht, aht, patience, agents, target.threshold)
        if metrics.service_level >= target.service_level and (
                target.max_abandon is None or metrics.p_abandon <= target.max_abandon):
            return agents
    raise AssertionError("no count met the target")


@pytest.mark.parametrize("load", [0.3, 2.0, 10.0, 47.5, 180.0])
def test_erlang_c_answer_is_the_published_search(load):
    target = StaffingTarget(0.8, 20.0)
    assert fewest_agents(load, 180.0, target) == agents_for_service_level(load / 180.0, 180.0, 20.0, 0.8)
    assert fewest_agents(load, 180.0, target) == first_meeting(load, 180.0, target, math.inf)


def test_textbook_case_and_zero_load():
    assert fewest_agents(10.0, 180.0, StaffingTarget(0.8, 20.0)) == 14  # 13 give 0.796, 14 give 0.888
    assert fewest_agents(0.0, 180.0, StaffingTarget(0.8, 20.0)) == 0


def test_an_abandonment_cap_can_be_the_binding_target():
    loose = fewest_agents(10.0, 180.0, StaffingTarget(0.5, 20.0), 300.0)
    capped = fewest_agents(10.0, 180.0, StaffingTarget(0.5, 20.0, max_abandon=0.005), 300.0)
    assert capped > loose
    assert capped == first_meeting(10.0, 180.0, StaffingTarget(0.5, 20.0, 0.005), 300.0)


@settings(max_examples=60, deadline=None)
@given(load=st.floats(0.05, 120.0), level=st.floats(0.05, 0.98), threshold=st.floats(0.0, 600.0),
       patience=st.one_of(st.just(math.inf), st.floats(10.0, 3600.0)),
       cap=st.one_of(st.none(), st.floats(0.005, 0.5)))
def test_the_answer_meets_the_target_and_one_fewer_does_not(load, level, threshold, patience, cap):
    target = StaffingTarget(level, threshold, None if math.isinf(patience) else cap)
    assert fewest_agents(load, 240.0, target, patience) == first_meeting(load, 240.0, target, patience)


@pytest.mark.parametrize("make", [lambda: StaffingTarget(1.0, 20.0), lambda: StaffingTarget(0.0, 20.0),
                                  lambda: StaffingTarget(0.8, -1.0), lambda: StaffingTarget(0.8, 20.0, 1.5),
                                  lambda: fewest_agents(-1.0, 180.0, StaffingTarget(0.8, 20.0)),
                                  lambda: fewest_agents(math.nan, 180.0, StaffingTarget(0.8, 20.0))])
def test_bad_targets_and_loads_are_refused(make):
    with pytest.raises(ValueError):
        make()
