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
