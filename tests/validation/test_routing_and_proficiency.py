"""Agent selection and proficiency against exact results.

- `fastest-first` on two agents, one twice as slow (exponential handle times), against the Markov
  chain of that system solved here: states 0, "fast busy", "slow busy", and "both busy with q
  waiting"; an arrival to an empty desk goes to the fast agent.
- A group whose agents all handle at factor f is Erlang C at AHT·f.
- An L1 group resolving at its own first-contact rate p escalates 1 − p of its handlings (a binomial
  share), whatever the contact type's rate, with the same pre-drawn coins.
Tolerance: 4 replication standard errors (replicate.py).
"""
import numpy as np
from scipy import linalg

from simulator import erlang
from simulator.config import (AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Policies, Proficiency, Resolution,
                              Shift)
from simulator.distributions import Exponential
from simulator.fates import draw_demand

from .replicate import ALL_DAYS, assert_matches, per_replication

RATE, MEAN, SLOW = 0.8, 1.0, 2.0  # calls per minute (load 0.53); the fast agent's mean handle (min); the slow one's factor


def two_speeds(routing: str, days: float = 20) -> ModelConfig:
    calls = ContactType("calls", Arrivals(rate_per_s=RATE / 60), Exponential(MEAN * 60))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 2),),
                      proficiency=(Proficiency(share=0.5), Proficiency(share=0.5, handle_time_factor=SLOW)))
    return ModelConfig((calls,), (desk,), Calendar(horizon_s=days * 86400, warmup_s=3600), Policies(routing=routing))


def chain_mean_wait(cap: int = 600) -> float:
    """Mean wait (min) of the fastest-first two-speed desk, from its generator matrix (queue cut at `cap`)."""
    fast, slow = 1 / MEAN, 1 / (MEAN * SLOW)
    states = 3 + cap + 1  # 0: empty, 1: fast busy, 2: slow busy, 3 + q: both busy, q waiting
    q = np.zeros((states, states))
    q[0, 1] = RATE
    q[1, 3], q[1, 0] = RATE, fast
    q[2, 3], q[2, 0] = RATE, slow
    for waiting in range(cap + 1):
        here = 3 + waiting
        if waiting < cap:
            q[here, here + 1] = RATE
        if waiting == 0:
            q[here, 2], q[here, 1] = fast, slow  # the fast one finishes: only the slow one is busy, and back
        else:
            q[here, here - 1] = fast + slow
    np.fill_diagonal(q, -q.sum(axis=1))
    system = np.vstack([q.T, np.ones(states)])
    pi = linalg.lstsq(system, np.append(np.zeros(states), 1.0))[0]
    assert pi[-1] < 1e-12  # the cut is far out in the tail
    return float(np.dot(pi[3:], np.arange(cap + 1)) / RATE)


def mean_wait_min(result, log):
    return result.wait_s[result.measured].mean() / 60


def test_fastest_first_matches_its_markov_chain():
    exact = chain_mean_wait()
    waits = per_replication(two_speeds("fastest-first"), 8, 3, mean_wait_min)
    assert_matches(waits, exact, "fastest-first mean wait (min)")
    idle_first = per_replication(two_speeds("longest-idle"), 12, 3, mean_wait_min)
    assert abs(idle_first.mean() - exact) > 4 * idle_first.std(ddof=1) / np.sqrt(len(idle_first))  # it differs


def test_a_group_at_factor_f_is_erlang_c_at_aht_times_f():
    factor, agents, rate, aht = 1.25, 6, 2.0, 2.0  # per min, min: 5 Erlangs on 6 agents
    calls = ContactType("calls", Arrivals(rate_per_s=rate / 60), Exponential(aht * 60))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, agents),),
                      proficiency=(Proficiency(handle_time_factor=factor),))
    model = ModelConfig((calls,), (desk,), Calendar(horizon_s=10 * 86400, warmup_s=3600))
    exact = erlang.erlang_c_metrics(rate, aht * factor, agents, 0.0)
    values = per_replication(model, 8, 4, lambda r, log: [np.mean(r.wait_s[r.measured] > 0),
                                                          r.wait_s[r.measured].mean() / 60])
    assert_matches(values[:, 0], exact.p_wait, "P(wait) at AHT·f")
    assert_matches(values[:, 1], exact.asa, "mean wait (min) at AHT·f")


def escalating(rate=None, days: float = 10) -> ModelConfig:
    tickets = ContactType("issue", Arrivals(rate_per_s=1 / 60), Exponential(120.0),
                          resolution=Resolution(first_contact=0.8, escalate_to="l2",
                                                escalated_handle_time=Exponential(300.0)))
    l1 = AgentGroup("l1", {"issue": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 6),),
                    proficiency=() if rate is None else (Proficiency(first_contact=rate),))
    l2 = AgentGroup("l2", {}, (Shift(ALL_DAYS, 0.0, 0.0, 4),))
    return ModelConfig((tickets,), (l1, l2), Calendar(horizon_s=days * 86400, warmup_s=3600))


def test_an_agents_first_contact_rate_replaces_the_work_s_with_the_same_coins():
    def escalated_share(result, log):
        first = result.measured & (log.stage == 0) & result.answered
        return float(np.isin(log.contact_id[first], log.contact_id[log.stage == 1]).mean())

    assert_matches(per_replication(escalating(), 8, 6, escalated_share), 0.2, "escalated share at the type's 0.8")
    assert_matches(per_replication(escalating(0.6), 8, 6, escalated_share), 0.4, "escalated share at L1's 0.6")
    plain, trained = draw_demand(escalating(), 6, 0), draw_demand(escalating(0.6), 6, 0)
    assert np.array_equal(plain.escalation_coin, trained.escalation_coin, equal_nan=True)  # the same customers
    assert np.array_equal(plain.handle_s, trained.handle_s)


def test_random_routing_picks_either_idle_agent_equally_often():
    """Two identical agents, calls so rare that both are nearly always idle: a uniform pick gives the
    same agent as the call before with probability 1/2 (binomial: tolerance 4 standard errors)."""
    calls = ContactType("calls", Arrivals(rate_per_s=0.02 / 60), Exponential(60.0))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 2),))
    model = ModelConfig((calls,), (desk,), Calendar(horizon_s=200 * 86400), Policies(routing="random"))
    from simulator.engine import simulate
    log = simulate(model, 8, 0)
    agents = log.agent[~np.isnan(log.answered_s)]
    same = float(np.mean(agents[1:] == agents[:-1]))
    assert abs(same - 0.5) <= 4 * np.sqrt(0.25 / (len(agents) - 1)), (same, len(agents))
