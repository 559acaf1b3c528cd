"""The engine against exact Erlang C: 100 calls / 30 min, AHT 180 s exponential, no abandonment."""
import pytest

from simulator import erlang
from simulator.distributions import Exponential

from .replicate import assert_matches, per_replication, single_queue

RATE_PER_MIN = 100 / 30


def _measures(result, log):
    wait = result.wait_s[result.measured & result.answered]
    return [(wait > 0).mean(), (wait <= 20.0).mean(), wait.mean()]


@pytest.mark.parametrize("agents, p_wait", [(14, 0.17413), (11, 0.68212)])
def test_waiting_probability_service_level_and_asa(agents, p_wait):
    reference = erlang.erlang_c_metrics(RATE_PER_MIN / 60, 180.0, agents, 20.0)
    assert reference.p_wait == pytest.approx(p_wait, abs=5e-6)  # the quoted figure
    days = 16 if agents == 14 else 12  # 11 agents run at 91 % load: longer runs for the same precision
    values = per_replication(single_queue(agents, RATE_PER_MIN, Exponential(180.0), days=days), 8, 11, _measures)
    assert_matches(values[:, 0], reference.p_wait, "P(wait)")
    assert_matches(values[:, 1], reference.service_level, "service level")
    assert_matches(values[:, 2], reference.asa, "ASA s")


def test_reference_figures_for_14_agents():
    reference = erlang.erlang_c_metrics(RATE_PER_MIN / 60, 180.0, 14, 20.0)
    assert (round(reference.service_level, 5), round(reference.asa, 3)) == (0.88835, 7.836)
