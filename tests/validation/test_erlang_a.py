"""The engine against exact Erlang A (M/M/n+M): waiting, abandonment and mean wait of all callers."""
import pytest

from simulator import erlang

from .replicate import assert_matches, exponential_minutes, per_replication, queue_measures, single_queue

# (arrivals per min, AHT min, mean patience min, agents) → P(wait), P(abandon), mean wait all (min)
CASES = [
    ((10 / 3, 3, 5, 14), (0.145260, 0.013984, 0.069919), 10),
    ((2, 3, 2, 6), (0.511026, 0.176226, 0.352453), 8),
    ((50, 2, 10, 100), (0.699062, 0.024647, 0.246469), 1.5),
]


@pytest.mark.parametrize("parameters, expected, days", CASES)
def test_matches_erlang_a(parameters, expected, days):
    rate, aht, patience, agents = parameters
    exact = erlang.erlang_a_metrics(rate, aht, patience, agents)
    assert (exact.p_wait, exact.p_abandon, exact.mean_wait_all) == pytest.approx(expected, abs=2e-6)
    model = single_queue(agents, rate, exponential_minutes(aht), exponential_minutes(patience), days=days,
                         warmup_h=2.0)
    values = per_replication(model, 8, 7, queue_measures)
    assert_matches(values[:, 0], exact.p_wait, "P(wait)")
    assert_matches(values[:, 1], exact.p_abandon, "P(abandon)")
    assert_matches(values[:, 2] / 60.0, exact.mean_wait_all, "mean wait min")


def test_abandon_rate_is_mean_wait_over_mean_patience():
    """With exponential patience P(abandon) = E[wait] / mean patience exactly; compare per replication (paired)."""
    patience_s = 2 * 60.0
    model = single_queue(6, 2.0, exponential_minutes(3), exponential_minutes(2), days=8, warmup_h=2.0)
    values = per_replication(model, 8, 3, queue_measures)
    assert_matches(values[:, 1] - values[:, 2] / patience_s, 0.0, "abandon rate − mean wait / patience",
                   scale=values[:, 1].mean())
