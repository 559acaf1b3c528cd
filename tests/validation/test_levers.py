"""The levers managers pull, against exact results (tolerance: 4 replication SEs, see replicate.py).

- Self-service with leak factor 1 and a bot resolving a share outright thin the Poisson stream that
  reaches agents: the desk is Erlang C at λ·(1 − attempt·containment)·(1 − bot share).
- Agent assist multiplies exponential handle times by f: Erlang C at AHT·f.
- After-call work keeps the agent busy after the caller leaves: one agent is M/G/1 with service
  talk + wrap-up, so the wait is Pollaczek–Khinchine's, and the ASA excludes the wrap-up.
"""
from __future__ import annotations

import dataclasses

from simulator import erlang
from simulator.config import Automation, Callback, Policies, SelfService
from simulator.distributions import Constant, Exponential
from simulator.kpis import replication_kpis

from .replicate import assert_matches, per_replication, single_queue

MIN = 60.0


def with_policies(model, **levers):
    return dataclasses.replace(model, policies=Policies(**levers))


def test_self_service_and_a_bot_thin_the_stream_to_erlang_c_at_the_thinned_rate():
    rate, handle, agents = 3.0, 3.0, 8  # 3/min arrive; 0.6·0.5 = 30 % contained, then 1/7 of the rest by a bot
    reaching = rate * (1 - 0.6 * 0.5) * (1 - 1 / 7)  # = 1.8/min: Erlang C at 5.4 erlangs on 8 agents
    exact = erlang.erlang_c_metrics(reaching, handle, agents, 20.0 / MIN)
    model = with_policies(single_queue(agents, rate, Exponential(handle * MIN), days=10),
                          self_service=SelfService(("calls",), 0.6, 0.5, 1.0),
                          automation=Automation(auto_resolve={"calls": 1 / 7}))
    window_min = model.calendar.horizon_s / MIN

    def measure(visits, log):
        row = replication_kpis(log, model, visits).set_index("contact_type").loc["all"]
        return [row.offered / window_min, row.deflected / row.contacts, row.auto_resolved / row.contacts,
                visits.wait_s[visits.measured & visits.front_line].mean() / MIN, row.service_level]

    values = per_replication(model, 16, 41, measure)  # shares of ~40 000 contacts: 16 runs for a steady SE
    assert_matches(values[:, 0], reaching, "offered per minute (thinned)")
    assert_matches(values[:, 1], 0.3, "deflected share")
    assert_matches(values[:, 2], 0.7 / 7, "auto-resolved share")
    assert_matches(values[:, 3], exact.asa, "mean wait min, Erlang C at the thinned rate")
    assert_matches(values[:, 4], exact.service_level, "service level 20 s")


def test_agent_assist_is_erlang_c_at_the_shorter_handle_time():
    rate, handle, agents, factor = 2.0, 4.0, 8, 0.75  # 8 erlangs would overload 8 agents; assisted: 6
    exact = erlang.erlang_c_metrics(rate, handle * factor, agents, 20.0 / MIN)
    model = with_policies(single_queue(agents, rate, Exponential(handle * MIN), days=16),
                          automation=Automation(handle_time_factor={"calls": factor}))

    def measure(visits, log):
        row = replication_kpis(log, model, visits).set_index("contact_type").loc["all"]
        return [row.asa_s / MIN * row.answered / row.offered, row.aht_s / MIN, (visits.wait_s[
            visits.measured] > 0).mean()]

    values = per_replication(model, 8, 43, measure)
    assert_matches(values[:, 0], exact.asa, "mean wait min at AHT·f")
    assert_matches(values[:, 1], handle * factor, "aht min")
    assert_matches(values[:, 2], exact.p_wait, "P(wait)")


def test_after_call_work_makes_one_agent_mg1_with_talk_plus_wrap_up():
    """Talk exponential 1 min, wrap-up constant 30 s: S has mean 1.5 min and E[S²] = 2 + 2·0.5 + 0.25 =
    3.25 min²; at 0.5 calls/min P–K gives W = λE[S²] / (2(1 − ρ)) = 0.8125 / 0.5 = 3.25 min."""
    rate, talk, wrap = 0.5, 1.0, 0.5
    second_moment = 2 * talk ** 2 + 2 * talk * wrap + wrap ** 2
    exact = rate * second_moment / (2 * (1 - rate * (talk + wrap)))
    calls = single_queue(1, rate, Exponential(talk * MIN), days=40, warmup_h=12)
    model = dataclasses.replace(calls, contacts=(dataclasses.replace(calls.contacts[0],
                                                                     after_call_work=Constant(wrap * MIN)),))

    def measure(visits, log):
        row = replication_kpis(log, model, visits).set_index("contact_type").loc["all"]
        return [visits.wait_s[visits.measured].mean() / MIN, row.aht_s / MIN, row.occupancy]

    values = per_replication(model, 10, 45, measure)
    assert_matches(values[:, 0], exact, "M/G/1 wait min with wrap-up")
    assert_matches(values[:, 1], talk + wrap, "aht includes wrap-up")
    assert_matches(values[:, 2], rate * (talk + wrap), "occupancy ρ = λ(talk + wrap)")


def test_callback_always_offered_and_accepted_is_erlang_c_without_abandonment():
    """Threshold 0, every caller accepts, every call back reaches: callers who would wait are offered,
    none abandons (patience no longer applies), and the system is plain M/M/c: the share offered is
    Erlang C's P(wait) and the mean delay to the call back is E[W | W > 0] = 1 / (cμ − λ)."""
    rate, handle, agents = 100 / 30, 3.0, 12
    exact = erlang.erlang_c_metrics(rate, handle, agents, 0.0)
    delay = 1 / (agents / handle - rate)
    model = with_policies(single_queue(agents, rate, Exponential(handle * MIN), Exponential(2 * MIN), days=12),
                          callback=Callback(0.0, 1.0))

    def measure(visits, log):
        row = replication_kpis(log, model, visits).set_index("contact_type").loc["all"]
        assert row.abandoned == 0 and row.callbacks_offered == row.callbacks_accepted
        return [row.callbacks_offered / row.offered, row.callback_delay_s / MIN,
                visits.wait_s[visits.measured].mean() / MIN]

    values = per_replication(model, 8, 47, measure)
    assert_matches(values[:, 0], exact.p_wait, "callbacks offered / offered = P(wait)")
    assert_matches(values[:, 1], delay, "mean delay to the call back min")
    assert_matches(values[:, 2], exact.asa, "mean wait of all min (Erlang C)")


def n_model_waits(rate1, rate2, handle, agents_a, agents_b, longest=80):
    """Exact mean waits of the two classes of an N-model, from its continuous-time Markov chain.

    Class 1 is served by group A; when it must wait and B has a free agent, B takes it (overflow after
    0 s). Class 2 is served by B only; a freeing B agent takes class 2 first, then class 1; a freeing A
    agent takes class 1. Handle times are exponential with the same mean everywhere, so the state is
    (busy A, busy B, class 1 waiting, class 2 waiting), with waiting lines cut at `longest` (their
    tail mass is checked to be negligible).
    """
    import numpy as np
    from scipy.sparse import lil_matrix
    from scipy.sparse.linalg import spsolve
    mu = 1 / handle
    states = [(i, j, q1, q2) for i in range(agents_a + 1) for j in range(agents_b + 1)
              for q1 in range(longest + 1) for q2 in range(longest + 1)
              if (q1 == 0 or (i == agents_a and j == agents_b)) and (q2 == 0 or j == agents_b)]
    index = {state: k for k, state in enumerate(states)}
    generator = lil_matrix((len(states), len(states)))

    def move(state, target, rate):
        if target in index and rate > 0:
            generator[index[state], index[target]] += rate
            generator[index[state], index[state]] -= rate

    for state in states:
        i, j, q1, q2 = state
        move(state, (i + 1, j, q1, q2) if i < agents_a else (i, j + 1, q1, q2) if j < agents_b
             else (i, j, q1 + 1, q2), rate1)
        move(state, (i, j + 1, q1, q2) if j < agents_b else (i, j, q1, q2 + 1), rate2)
        move(state, (i, j, q1 - 1, q2) if q1 else (i - 1, j, q1, q2), i * mu)
        move(state, (i, j, q1, q2 - 1) if q2 else (i, j, q1 - 1, q2) if q1 else (i, j - 1, q1, q2), j * mu)
    system = generator.T.tocsr().tolil()
    system[0, :] = 1.0  # replace one balance equation by Σπ = 1
    right = np.zeros(len(states))
    right[0] = 1.0
    pi = spsolve(system.tocsr(), right)
    waiting = np.array(states)[:, 2:]
    assert pi[(waiting == longest).any(axis=1)].sum() < 1e-9
    return float(pi @ waiting[:, 0]) / rate1, float(pi @ waiting[:, 1]) / rate2


def test_overflow_after_zero_matches_the_n_model_markov_chain():
    from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Overflow, Shift
    rate1, rate2, handle, agents_a, agents_b = 0.9, 0.4, 3.0, 3, 2  # A alone would run at 90 %, all at 78 %
    exact1, exact2 = n_model_waits(rate1, rate2, handle, agents_a, agents_b)
    always = tuple(range(7))
    calls = (ContactType("first", Arrivals(rate_per_s=rate1 / MIN), Exponential(handle * MIN)),
             ContactType("second", Arrivals(rate_per_s=rate2 / MIN), Exponential(handle * MIN)))
    groups = (AgentGroup("a", {"first": 1}, (Shift(always, 0.0, 0.0, agents_a),)),
              AgentGroup("b", {"second": 1}, (Shift(always, 0.0, 0.0, agents_b),)))
    model = ModelConfig(calls, groups, Calendar(horizon_s=30 * 86400, warmup_s=12 * 3600),
                        policies=Policies(overflow=(Overflow(0.0, "b", ("first",)),)))

    def measure(visits, log):
        return [visits.wait_s[visits.measured & (log.contact_type == k)].mean() / MIN for k in (0, 1)]

    values = per_replication(model, 10, 49, measure)
    assert_matches(values[:, 0], exact1, "class 1 mean wait min (overflows to B after 0 s)")
    assert_matches(values[:, 1], exact2, "class 2 mean wait min")


def test_chat_with_concurrency_k_is_erlang_c_with_n_times_k_servers():
    """4 agents holding up to 3 chats each, exponential handle times, no slowdown: 12 chat places,
    so M/M/12; occupancy counts a chat as a third of an agent."""
    from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift
    rate, handle, agents, places = 100 / 30, 3.0, 4, 3
    exact = erlang.erlang_c_metrics(rate, handle, agents * places, 20.0 / MIN)
    chats = ContactType("chat", Arrivals(rate_per_s=rate / MIN), Exponential(handle * MIN), channel="chat")
    desk = AgentGroup("chat desk", {"chat": 1}, (Shift(tuple(range(7)), 0.0, 0.0, agents),), concurrency=places)
    model = ModelConfig((chats,), (desk,), Calendar(horizon_s=16 * 86400, warmup_s=6 * 3600))

    def measure(visits, log):
        row = replication_kpis(log, model, visits).set_index("contact_type").loc["all"]
        return [row.p_wait, row.mean_wait_s / MIN, row.service_level, row.occupancy]

    values = per_replication(model, 8, 51, measure)
    assert_matches(values[:, 0], exact.p_wait, "P(wait), M/M/(n·k)")
    assert_matches(values[:, 1], exact.asa, "mean wait min")
    assert_matches(values[:, 2], exact.service_level, "service level 20 s")
    assert_matches(values[:, 3], rate * handle / (agents * places), "occupancy = offered load / (n·k)")
