"""Two-class non-preemptive priority (Cobham) and M/G/1 (Pollaczek–Khinchine)."""
import pytest

from simulator import erlang
from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift
from simulator.distributions import Exponential, Lognormal

from .replicate import ALL_DAYS, assert_matches, per_replication, single_queue


def _two_class_model(days: float) -> ModelConfig:
    urgent = ContactType("urgent", Arrivals(rate_per_s=1 / 60), Exponential(180.0), priority=2)
    routine = ContactType("routine", Arrivals(rate_per_s=(7 / 3) / 60), Exponential(180.0), priority=1)
    desk = AgentGroup("desk", {"urgent": 1, "routine": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 12),))
    return ModelConfig((urgent, routine), (desk,), Calendar(horizon_s=days * 86400, warmup_s=6 * 3600))


def test_priority_waits_match_cobham():
    exact = erlang.priority_waits([1.0, 7 / 3], 3.0, 12)
    assert exact == pytest.approx([0.14980, 0.89878], abs=5e-6)

    def mean_wait_by_class(result, log):
        return [result.wait_s[result.measured & (log.contact_type == k)].mean() / 60 for k in (0, 1)]

    values = per_replication(_two_class_model(days=8), 8, 5, mean_wait_by_class)
    assert_matches(values[:, 0], exact[0], "urgent mean wait min")
    assert_matches(values[:, 1], exact[1], "routine mean wait min")


def test_mg1_lognormal_matches_pollaczek_khinchine():
    """Mean service 1 min, cv 0.5, load 0.8 → mean wait 2.5 min."""
    exact = erlang.mg1_mean_wait(0.8, 1.0, 0.5)
    assert exact == pytest.approx(2.5)
    model = single_queue(1, 0.8, Lognormal.from_mean_cv(60.0, 0.5), days=40, warmup_h=12)
    values = per_replication(model, 10, 9, lambda result, log: result.wait_s[result.measured].mean() / 60)
    assert_matches(values, exact, "M/G/1 mean wait min")
