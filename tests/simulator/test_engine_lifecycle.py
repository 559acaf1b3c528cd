"""Engine cases of the ticket lifecycle worked out by hand: long retrial chains and lost contacts."""
from __future__ import annotations

import numpy as np

from simulator.config import (AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Repeat, Retrial, Shift,
                              Sla)
from simulator.distributions import Constant, Exponential
from simulator.eventlog import RETRIED
from simulator.kpis import replication_kpis
from simulator.outcomes import contact_outcomes, visit_outcomes

H = 3600.0
DAY_S = 86400.0


def test_retrials_go_on_past_127_attempts_with_fresh_draws():
    """Nobody answers (the only shift starts after the run); callers give up after 1 s and always call
    again: attempts count on beyond the old int8 cap, each with its own delay."""
    calls = ContactType("calls", Arrivals(rate_per_s=2 / H), Constant(60.0), patience=Exponential(1.0),
                        retrial=Retrial(1.0, Exponential(5.0)))
    late = AgentGroup("late", {"calls": 1}, (Shift((6,), 23 * H, 23.5 * H, 1),))
    model = ModelConfig((calls,), (late,), Calendar(horizon_s=3 * H))
    from simulator.engine import simulate
    log = simulate(model, 3, 0)
    contact_outcomes(log, visit_outcomes(log))  # the chains are consistent
    assert log.attempt.max() > 300
    frame = log.visits_frame()
    retried = frame[frame.outcome == "retried"].sort_values(["contact_id", "attempt"])
    delays = (frame.set_index(["contact_id", "attempt"]).arrival_s.reindex(
        list(zip(retried.contact_id, retried.attempt + 1))).to_numpy() - retried.left_s.to_numpy())
    delays = delays[~np.isnan(delays)]
    assert len(np.unique(np.round(delays, 9))) > 0.99 * len(delays)  # no repeating draw after attempt 127
    assert (log.outcome[log.attempt > 200] == RETRIED).mean() > 0.99


def test_a_contact_lost_on_its_repeat_misses_an_answer_only_sla():
    """Answered within 60 s on its first call, the fix fails, and the repeat finds the desk closed and
    is lost for good: a lost contact misses its SLA even with no resolution target."""
    calls = ContactType("calls", Arrivals(rate_per_s=20 / H), Constant(60.0), patience=Exponential(60.0),
                        repeat=Repeat(0.9, Constant(13 * H)), sla=Sla(answer_within_s=60.0))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(tuple(range(7)), 0.0, 12 * H, 50),))
    model = ModelConfig((calls,), (desk,), Calendar(horizon_s=11 * H, cooldown_s=13 * H))
    from simulator.engine import simulate
    log = simulate(model, 5, 0)
    contacts = contact_outcomes(log, visit_outcomes(log))
    repeated = contacts.measured & contacts.repeated
    assert repeated.sum() > 100 and (contacts.final[repeated] == 3).all()  # every repeat is lost
    met = replication_kpis(log, model).set_index("contact_type").loc["all", "sla_met_rate"]
    first_contacts = contacts.measured.sum()
    assert met == (first_contacts - repeated.sum()) / first_contacts  # only those who never came back


def callback_desk(mode: str, reach: float) -> ModelConfig:
    """One agent; call A at 0 min takes 10 min; caller B at 1 min must wait: quoted (0 + 1) × 10 min / 1."""
    from simulator.config import Callback, Policies
    calls = ContactType("calls", Arrivals(rate_per_s=0.0), Constant(600.0), patience=Exponential(60.0))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(tuple(range(7)), 0.0, 0.0, 1),))
    return ModelConfig((calls,), (desk,), Calendar(horizon_s=H),
                       policies=Policies(callback=Callback(0.0, 1.0, mode, reach)))


def run_two_calls(model):
    from simulator.engine import Engine
    from simulator.fates import plain_demand
    from simulator.roster import build_roster
    import dataclasses
    demand = plain_demand(model, [0.0, 60.0], [0, 0], [600.0, 600.0], [60.0, 60.0])
    demand = dataclasses.replace(demand, callback_accept=np.zeros(2), callback_reach=np.full(2, 0.5))
    return Engine(model, demand, build_roster(model, 1, 0), 1, 0).run()


def test_a_caller_who_accepts_keeps_their_place_and_is_called_back_when_an_agent_is_free():
    log = run_two_calls(callback_desk("when_agent_free", 1.0))
    assert log.callback.tolist() == [0, 2] and log.answered_s.tolist() == [0.0, 600.0]  # no abandonment at 2 min


def test_at_time_calls_back_at_the_quoted_time_even_if_an_agent_is_free_earlier():
    log = run_two_calls(callback_desk("at_time", 1.0))
    assert log.answered_s.tolist() == [0.0, 660.0]  # quoted 10 min after 1 min; the agent idles 10–11 min


def test_a_call_back_that_misses_the_customer_is_lost():
    from simulator.eventlog import CALLBACK_MISSED
    model = callback_desk("when_agent_free", 0.2)  # the drawn reach coin 0.5 is above 0.2
    log = run_two_calls(model)
    assert log.outcome[1] == CALLBACK_MISSED and log.left_s[1] == 600.0 and np.isnan(log.answered_s[1])
    row = replication_kpis(log, model).set_index("contact_type").loc["all"]
    assert (row.callbacks_offered, row.callbacks_accepted, row.callbacks_missed, row.lost_rate) == (1, 1, 1, 0.5)
    assert row.abandoned == 0 and row.offered == row.answered + row.abandoned + row.still_waiting + 1


def test_a_chat_taken_beside_another_lasts_longer_by_the_slowdown():
    from simulator.engine import Engine
    from simulator.fates import plain_demand
    from simulator.roster import build_roster
    chats = ContactType("chat", Arrivals(rate_per_s=0.0), Constant(600.0), channel="chat")
    desk = AgentGroup("desk", {"chat": 1}, (Shift(tuple(range(7)), 0.0, 0.0, 1),), concurrency=2,
                      chat_slowdown=0.5)
    model = ModelConfig((chats,), (desk,), Calendar(horizon_s=H))
    demand = plain_demand(model, [0.0, 60.0, 120.0], [0, 0, 0], [600.0] * 3, [np.inf] * 3)
    log = Engine(model, demand, build_roster(model, 1, 0), 1, 0).run()
    # the second chat is taken beside the first: 600 s × 1.5; the third waits for a free place at 600 s
    assert log.answered_s.tolist() == [0.0, 60.0, 600.0]
    assert log.ended_s.tolist() == [600.0, 60.0 + 900.0, 600.0 + 900.0]


def test_contacts_resolved_before_the_desk_are_not_counted_in_the_sla():
    """A portal that resolves half the contacts must not make them SLA misses (no agent ever answers)."""
    import dataclasses
    from simulator.config import Policies, SelfService
    from simulator.engine import simulate
    calls = ContactType("calls", Arrivals(rate_per_s=20 / H), Exponential(120.0), sla=Sla(answer_within_s=3600.0))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(tuple(range(7)), 0.0, 0.0, 20),))
    plain = ModelConfig((calls,), (desk,), Calendar(horizon_s=DAY_S, cooldown_s=H))
    portal = dataclasses.replace(plain, policies=Policies(self_service=SelfService(("calls",), 1.0, 0.5)))
    for model in (plain, portal):
        row = replication_kpis(simulate(model, 2, 0), model).set_index("contact_type").loc["all"]
        assert row.sla_met_rate == 1.0  # 20 agents for 0.7 erlangs: everyone reaching the desk is answered at once
    assert row.deflected > 100


def run_hand_made(model, arrivals, types):
    from simulator.engine import Engine
    from simulator.fates import plain_demand
    from simulator.roster import build_roster
    demand = plain_demand(model, arrivals, types, [600.0] * len(arrivals), [np.inf] * len(arrivals))
    return Engine(model, demand, build_roster(model, 1, 0), 1, 0).run()


def test_overflow_work_waits_for_the_target_groups_own_work_even_at_a_higher_priority():
    """g1 serves `own` (priority 1); `vip` (priority 3, served by g0) overflows to g1 at once. When g1
    frees up at 600 s it takes its own waiting call, not the overflowed VIP (found by review: the
    priority used to win over the overflow queue's last preference)."""
    from simulator.config import Overflow, Policies
    own = ContactType("own", Arrivals(rate_per_s=0.0), Constant(600.0), priority=1)
    vip = ContactType("vip", Arrivals(rate_per_s=0.0), Constant(600.0), priority=3)
    always = (Shift(tuple(range(7)), 0.0, 0.0, 1),)
    model = ModelConfig((own, vip), (AgentGroup("g0", {"vip": 1}, always), AgentGroup("g1", {"own": 1}, always)),
                        Calendar(horizon_s=H), policies=Policies(overflow=(Overflow(0.0, "g1"),)))
    log = run_hand_made(model, [0.0, 0.0, 10.0, 20.0], [0, 1, 0, 1])
    assert log.answered_s.tolist() == [0.0, 0.0, 600.0, 600.0]  # own#2 by g1, vip#3 by its own g0
    assert log.roster.agent_group[log.agent].tolist() == [1, 0, 1, 0]


def test_an_overflowed_chat_goes_to_a_target_agent_with_chat_room():
    """g1's agent holds one chat of three; a c0 chat overflowing to g1 after 30 s is taken then."""
    from simulator.config import Overflow, Policies
    c0 = ContactType("c0", Arrivals(rate_per_s=0.0), Constant(600.0), channel="chat")
    c1 = ContactType("c1", Arrivals(rate_per_s=0.0), Constant(600.0), channel="chat")
    always = (Shift(tuple(range(7)), 0.0, 0.0, 1),)
    model = ModelConfig((c0, c1), (AgentGroup("g0", {"c0": 1}, always), AgentGroup("g1", {"c1": 1}, always,
                                                                                     concurrency=3)),
                        Calendar(horizon_s=H), policies=Policies(overflow=(Overflow(30.0, "g1", ("c0",)),)))
    log = run_hand_made(model, [0.0, 0.0, 10.0], [0, 1, 0])
    assert log.answered_s.tolist() == [0.0, 0.0, 40.0] and log.roster.agent_group[log.agent[2]] == 1
