"""Analytic yardsticks: published reference values plus identities that tie the formulas together."""
import math

import numpy as np
import pytest
from scipy import integrate, linalg

from simulator.erlang import (
    agents_for_service_level,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    mg1_mean_wait,
    priority_waits,
)

# 100 contacts per 30 minutes, 180 s handle time: 10 erlangs, everything in seconds.
CALLS_PER_SECOND = 100 / 1800


# ---------------------------------------------------------------------------------------------
# Erlang B and C


@pytest.mark.parametrize("agents, load, expected", [
    (10, 10.0, 0.21458),
    (1, 1.0, 0.5),
    (2, 1.0, 0.2),
    (3, 2.0, 4 / 19),  # (8/6) / (1 + 2 + 2 + 8/6)
])
def test_erlang_b_known_values(agents, load, expected):
    assert erlang_b(agents, load) == pytest.approx(expected, abs=5e-6)


def test_erlang_b_stays_finite_for_large_desks_and_fractional_load():
    blocking = erlang_b(1000, 950.5)
    assert 0.0 < blocking < 1.0
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0


def test_erlang_c_reference_desk():
    metrics = erlang_c_metrics(CALLS_PER_SECOND, 180.0, 14, 20.0)
    assert metrics.p_wait == pytest.approx(0.17413, abs=5e-6)
    assert metrics.service_level == pytest.approx(0.88835, abs=5e-6)
    assert metrics.asa == pytest.approx(7.836, abs=5e-4)
    assert metrics.occupancy == pytest.approx(10 / 14)


def test_erlang_c_reference_desk_short_staffed():
    assert erlang_c(11, CALLS_PER_SECOND * 180.0) == pytest.approx(0.68212, abs=5e-6)


def test_erlang_c_is_certain_wait_when_overloaded():
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 12.5) == 1.0
    with pytest.raises(ValueError, match="unstable"):
        erlang_c_metrics(CALLS_PER_SECOND, 180.0, 10, 20.0)


def test_service_level_rises_with_every_added_agent():
    levels = [erlang_c_metrics(CALLS_PER_SECOND, 180.0, n, 20.0).service_level
              for n in range(11, 25)]
    assert all(a < b for a, b in zip(levels, levels[1:]))
    a_levels = [erlang_a_metrics(CALLS_PER_SECOND, 180.0, 120.0, n, 20.0).service_level
                for n in range(6, 25)]
    assert all(a < b for a, b in zip(a_levels, a_levels[1:]))


def test_agents_for_service_level_is_the_smallest_that_meets_target():
    agents = agents_for_service_level(CALLS_PER_SECOND, 180.0, 20.0, 0.8)
    assert agents == 14  # 13 agents give about 0.79, 14 give 0.888
    assert erlang_c_metrics(CALLS_PER_SECOND, 180.0, agents - 1, 20.0).service_level < 0.8


# ---------------------------------------------------------------------------------------------
# Erlang A

# Rates per minute, times in minutes. The first case is quoted as 3.3333 per minute; only the exact
# 10/3 (= 100 per 30 min) reproduces all the quoted digits (3.3333 gives P(wait) 0.145252).
ERLANG_A_REFERENCES = [
    ((10 / 3, 3.0, 5.0, 14), (0.145260, 0.013984, 0.069919)),
    ((2.0, 3.0, 2.0, 6), (0.511026, 0.176226, 0.352453)),
    ((50.0, 2.0, 10.0, 100), (0.699062, 0.024647, 0.246469)),
]


@pytest.mark.parametrize("desk, expected", ERLANG_A_REFERENCES)
def test_erlang_a_reference_values(desk, expected):
    metrics = erlang_a_metrics(*desk)
    p_wait, p_abandon, mean_wait_all = expected
    assert metrics.p_wait == pytest.approx(p_wait, abs=5e-7)
    assert metrics.p_abandon == pytest.approx(p_abandon, abs=5e-7)
    assert metrics.mean_wait_all == pytest.approx(mean_wait_all, abs=5e-7)


@pytest.mark.parametrize("desk, _", ERLANG_A_REFERENCES)
def test_abandonment_equals_patience_rate_times_mean_wait(desk, _):
    # p_abandon comes from the caller's-eye chain, mean_wait_all from Little's law on the queue.
    metrics = erlang_a_metrics(*desk)
    assert metrics.p_abandon == pytest.approx(metrics.mean_wait_all / desk[2], rel=1e-10)


def test_erlang_a_service_level_limits():
    desk = (2.0, 3.0, 2.0, 6)
    at_zero = erlang_a_metrics(*desk, threshold=0.0)
    forever = erlang_a_metrics(*desk, threshold=200.0)
    assert at_zero.service_level == pytest.approx(1.0 - at_zero.p_wait, abs=1e-12)
    assert forever.service_level == pytest.approx(1.0 - forever.p_abandon, abs=1e-10)
    assert erlang_a_metrics(*desk).service_level is None


def test_erlang_a_mean_answered_wait_agrees_with_service_level_curve():
    # E[W | answered] = integral of P(answered, wait > t) dt / P(answered).
    desk = (2.0, 3.0, 2.0, 6)
    metrics = erlang_a_metrics(*desk)
    answered = 1.0 - metrics.p_abandon
    tail = integrate.quad(lambda t: answered - erlang_a_metrics(*desk, threshold=t).service_level,
                          0.0, 60.0, limit=200)[0]
    assert metrics.mean_wait_answered == pytest.approx(tail / answered, rel=1e-7)


def _brute_force_service_level(arrival, handle, patience, agents, threshold, max_waiting=80):
    """Independent route: full truncated generator solved densely, then per-state expm."""
    mu, theta = 1.0 / handle, 1.0 / patience
    size = agents + max_waiting + 1
    generator = np.zeros((size, size))
    for state in range(size):
        if state + 1 < size:
            generator[state, state + 1] = arrival
        if state > 0:
            generator[state, state - 1] = min(state, agents) * mu + max(state - agents, 0) * theta
        generator[state, state] = -generator[state].sum()
    system = np.vstack([generator.T, np.ones(size)])
    stationary = np.linalg.lstsq(system, np.append(np.zeros(size), 1.0), rcond=None)[0]
    level = stationary[:agents].sum()
    for ahead in range(max_waiting):
        # transient states: k = ahead..0 contacts in front; last column is "answered"
        chain = np.zeros((ahead + 2, ahead + 2))
        for k in range(ahead + 1):
            row = ahead - k
            chain[row, row] = -(agents * mu + (k + 1) * theta)
            chain[row, row + 1] = agents * mu + k * theta
        level += stationary[agents + ahead] * linalg.expm(chain * threshold)[0, -1]
    return level


@pytest.mark.parametrize("desk, threshold", [((2.0, 3.0, 2.0, 6), 0.5), ((10 / 3, 3.0, 5.0, 14), 1 / 3)])
def test_erlang_a_service_level_matches_brute_force_chain(desk, threshold):
    metrics = erlang_a_metrics(*desk, threshold=threshold)
    assert metrics.service_level == pytest.approx(_brute_force_service_level(*desk, threshold),
                                                  abs=1e-9)


def test_erlang_a_tends_to_erlang_c_with_endless_patience():
    c = erlang_c_metrics(CALLS_PER_SECOND, 180.0, 14, 20.0)
    a = erlang_a_metrics(CALLS_PER_SECOND, 180.0, 1e9, 14, 20.0)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-6)
    assert a.mean_wait_all == pytest.approx(c.asa, rel=1e-6)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-6)
    assert a.p_abandon < 1e-7
    exact = erlang_a_metrics(CALLS_PER_SECOND, 180.0, math.inf, 14, 20.0)
    assert exact.p_wait == c.p_wait and exact.p_abandon == 0.0


def test_erlang_a_with_a_huge_desk_never_waits():
    metrics = erlang_a_metrics(10.0, 1.0, 2.0, 500, threshold=0.1)
    assert metrics.p_wait < 1e-12
    assert metrics.service_level == pytest.approx(1.0, abs=1e-12)
    assert metrics.occupancy == pytest.approx(10.0 / 500)


def test_erlang_a_handles_large_overloaded_desks_without_overflow():
    metrics = erlang_a_metrics(400.0, 1.0, 1.0, 300, threshold=0.2)
    values = [metrics.p_wait, metrics.p_abandon, metrics.mean_wait_all, metrics.service_level]
    assert all(math.isfinite(v) and 0.0 <= v for v in values)
    assert metrics.p_wait > 0.99
    # answered work cannot exceed the desk: at most 300 of the 400 per unit time get through
    assert metrics.occupancy <= 1.0 and metrics.p_abandon >= 0.25 - 1e-9


# ---------------------------------------------------------------------------------------------
# priority and single server


def test_two_class_priority_reference_waits():
    # Quoted as 2.3333 per minute; exactly 7/3 reproduces the digits (total load 10 erlangs).
    high, low = priority_waits([1.0, 7 / 3], 3.0, 12)
    assert high == pytest.approx(0.14980, abs=5e-6)
    assert low == pytest.approx(0.89878, abs=5e-6)


def test_priority_waits_average_to_the_erlang_c_wait():
    rates = [1.0, 7 / 3]
    waits = priority_waits(rates, 3.0, 12)
    overall = erlang_c_metrics(sum(rates), 3.0, 12, 0.0).asa
    assert np.dot(rates, waits) / sum(rates) == pytest.approx(overall, rel=1e-12)


def test_pollaczek_khinchine_reference():
    assert mg1_mean_wait(0.8, 1.0, 0.5) == pytest.approx(2.5, abs=1e-12)
    # exponential service: M/M/1 wait rho / (mu - lambda)
    assert mg1_mean_wait(0.8, 1.0, 1.0) == pytest.approx(0.8 / 0.2)


# ---------------------------------------------------------------------------------------------
# input checks


@pytest.mark.parametrize("call, argument", [
    (lambda: erlang_b(-1, 2.0), "agents"),
    (lambda: erlang_b(2.5, 2.0), "agents"),
    (lambda: erlang_b(3, -1.0), "offered_load"),
    (lambda: erlang_c(0, 2.0), "agents"),
    (lambda: erlang_c_metrics(-1.0, 180.0, 14, 20.0), "arrival_rate"),
    (lambda: erlang_c_metrics(0.05, 0.0, 14, 20.0), "mean_handle"),
    (lambda: erlang_c_metrics(0.05, 180.0, 14, -1.0), "threshold"),
    (lambda: erlang_a_metrics(1.0, 3.0, 0.0, 5), "mean_patience"),
    (lambda: erlang_a_metrics(1.0, 3.0, 2.0, 0), "agents"),
    (lambda: erlang_a_metrics(float("nan"), 3.0, 2.0, 5), "arrival_rate"),
    (lambda: priority_waits([1.0, -2.0], 3.0, 12), r"arrival_rates\[1\]"),
    (lambda: priority_waits([], 3.0, 12), "arrival_rates"),
    (lambda: mg1_mean_wait(0.5, 1.0, -0.1), "cv_service"),
    (lambda: mg1_mean_wait(1.2, 1.0, 0.5), "unstable"),
    (lambda: agents_for_service_level(0.05, 180.0, 20.0, 1.0), "target"),
])
def test_bad_input_is_rejected_by_name(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
