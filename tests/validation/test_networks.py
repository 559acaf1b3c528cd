"""Tickets that move, against exact network results (tolerance: 4 replication SEs, see replicate.py).

- Escalation as a tandem (Burke): L1 is M/M/c without abandonment; each handling escalates with
  probability p to an L2 group with exponential handle times. The departures of a stationary M/M/c
  queue are Poisson, and Bernoulli thinning keeps them Poisson, so L2 sees Poisson(p·λ) input: its
  ticket wait is Erlang C, and the mean time to resolve is Wq1 + 1/μ1 + p·(Wq2 + 1/μ2).
- Repeats with exponential delay (Jackson): a resolved contact comes back with probability r after
  an exponential delay (an infinite-server node). In product form the desk is M/M/c at rate λ/(1−r),
  so its wait is Erlang C at that rate; a share r of the visits are repeats, and 1 − r of the
  contacts are resolved at first contact.
"""
from __future__ import annotations

import numpy as np
import pytest

from simulator import erlang
from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Repeat, Resolution, Shift
from simulator.distributions import Exponential
from simulator.kpis import replication_kpis
from simulator.outcomes import contact_outcomes

from .replicate import ALL_DAYS, assert_matches, per_replication

MIN = 60.0


def _around_the_clock(name: str, skills: dict, agents: int) -> AgentGroup:
    return AgentGroup(name, skills, (Shift(ALL_DAYS, 0.0, 0.0, agents),))


def tandem(rate_per_min, handle1_min, agents1, escalate, handle2_min, agents2, days=5.0) -> ModelConfig:
    calls = ContactType("calls", Arrivals(rate_per_s=rate_per_min / MIN), Exponential(handle1_min * MIN),
                        resolution=Resolution(1 - escalate, "l2", Exponential(handle2_min * MIN)))
    return ModelConfig((calls,), (_around_the_clock("l1", {"calls": 1}, agents1), AgentGroup(
        "l2", {}, (Shift(ALL_DAYS, 0.0, 0.0, agents2),))),
        Calendar(horizon_s=days * 86400, warmup_s=6 * 3600, cooldown_s=6 * 3600))


def test_escalation_tandem_matches_burke_and_erlang_c():
    rate, handle1, agents1, p, handle2, agents2 = 2.0, 3.0, 8, 0.3, 10.0, 8  # both stations at 75 % load
    wait1 = erlang.erlang_c_metrics(rate, handle1, agents1, 0.0).asa
    wait2 = erlang.erlang_c_metrics(p * rate, handle2, agents2, 0.0).asa
    to_resolve = wait1 + handle1 + p * (wait2 + handle2)

    def measure(visits, log):
        contacts = contact_outcomes(log, visits)
        escalated = visits.measured & (log.stage == 1)
        done = contacts.measured & ~np.isnan(contacts.resolved_s)
        assert done.sum() == contacts.measured.sum()  # the cool-down follows every contact to its end
        return [visits.wait_s[visits.measured & (log.stage == 0)].mean() / MIN,
                visits.wait_s[escalated].mean() / MIN,
                (contacts.resolved_s - contacts.arrival_s)[done].mean() / MIN,
                contacts.escalated[contacts.measured].mean()]

    values = per_replication(tandem(rate, handle1, agents1, p, handle2, agents2, days=20), 10, 21, measure)
    assert_matches(values[:, 0], wait1, "L1 wait min")
    assert_matches(values[:, 1], wait2, "L2 ticket wait min (Erlang C at p·λ)")
    assert_matches(values[:, 2], to_resolve, "mean time to resolve min")
    assert_matches(values[:, 3], p, "share escalated")


def repeating_desk(rate_per_min, handle_min, agents, repeat, delay_min, days=5.0) -> ModelConfig:
    calls = ContactType("calls", Arrivals(rate_per_s=rate_per_min / MIN), Exponential(handle_min * MIN),
                        repeat=Repeat(repeat, Exponential(delay_min * MIN)))
    return ModelConfig((calls,), (_around_the_clock("desk", {"calls": 1}, agents),),
                       Calendar(horizon_s=days * 86400, warmup_s=8 * 3600, cooldown_s=12 * 3600))


def test_repeats_make_a_jackson_network_with_erlang_c_at_the_inflated_rate():
    rate, r, handle, agents, delay = 1.5, 0.25, 3.0, 8, 30.0  # desk rate 1.5 / 0.75 = 2/min: 75 % load
    exact = erlang.erlang_c_metrics(rate / (1 - r), handle, agents, 0.0)
    model = repeating_desk(rate, handle, agents, r, delay, days=16)

    def measure(visits, log):
        table = replication_kpis(log, model, visits).set_index("contact_type").loc["all"]
        offered = visits.measured & visits.front_line
        return [visits.wait_s[offered].mean() / MIN, (visits.wait_s[offered] > 0).mean(),
                table.repeat_rate, table.fcr_rate, table.offered / (model.calendar.horizon_s / MIN)]

    values = per_replication(model, 8, 33, measure)
    assert_matches(values[:, 0], exact.asa, "desk wait min")
    assert_matches(values[:, 1], exact.p_wait, "P(wait)")
    assert_matches(values[:, 2], r, "repeat_rate")
    assert_matches(values[:, 3], 1 - r, "fcr_rate")
    assert_matches(values[:, 4], rate / (1 - r), "visits per minute λ/(1−r)")


def test_no_repeats_no_escalation_means_no_lifecycle_kpis():
    """A KPI of a mechanism the scenario does not use is empty, not a placeholder 1.0 or 0."""
    model = repeating_desk(1.0, 3.0, 6, 0.0, 30.0, days=0.5)
    model = ModelConfig((ContactType("calls", Arrivals(rate_per_s=1 / MIN), Exponential(180.0)),), model.groups,
                        model.calendar)
    log_table = per_replication(model, 2, 1, lambda visits, log: replication_kpis(log, model, visits)
                                .set_index("contact_type").loc["all", ["fcr_rate", "escalation_rate",
                                                                       "repeat_rate", "abandon_rate",
                                                                       "sla_met_rate", "deflected"]].to_numpy())
    assert np.isnan(log_table).all()


def test_tandem_model_is_valid():
    """Sanity of the set-up above: l2 serves only its own queue (escalated tickets)."""
    model = tandem(2.0, 3.0, 8, 0.3, 10.0, 8)
    assert model.network.queue_names == ("calls", "l2")
    assert model.network.serves == (((0, 1),), ((1, 1),))
    assert [stage.first_contact for stage in model.network.paths[0]] == [pytest.approx(0.7), 1.0]
