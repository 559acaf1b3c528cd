"""Sample-path properties of the queue disciplines (hypothesis).

With one agent, no abandonment and every contact's handle time drawn before the run (common random
numbers), the work in the system is the same process under any work-conserving discipline: the
agent is busy exactly when there is work, whatever the order. So the agent's busy time up to any
moment is the same under every discipline, on every sample path (which contacts are finished by
then is not: serving short ones first finishes more)."""
from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Policies, Sla, Shift
from simulator.distributions import Exponential
from simulator.engine import simulate

DISCIPLINES = [("priority-fifo", None), ("fifo", None), ("longest-waiting-first", None), ("sla-deadline", None),
               ("priority-fifo", 300.0)]


def desk(rates, means, priorities, targets, queue, bypass) -> ModelConfig:
    contacts = tuple(ContactType(f"c{k}", Arrivals(rate_per_s=rate / 60), Exponential(mean * 60), priority=priority,
                                 sla=Sla(answer_within_s=target * 60))
                     for k, (rate, mean, priority, target) in enumerate(zip(rates, means, priorities, targets)))
    group = AgentGroup("desk", {c.name: 1 + k % 2 for k, c in enumerate(contacts)},
                       (Shift(tuple(range(7)), 0.0, 0.0, 1),))
    return ModelConfig(contacts, (group,), Calendar(horizon_s=86400.0), Policies(queue=queue, max_bypass_s=bypass))


@settings(max_examples=25, deadline=None)
@given(rates=st.lists(st.floats(0.05, 0.3), min_size=3, max_size=3),
       means=st.lists(st.floats(0.5, 3.0), min_size=3, max_size=3),
       priorities=st.lists(st.integers(1, 3), min_size=3, max_size=3),
       targets=st.lists(st.floats(0.5, 30.0), min_size=3, max_size=3), seed=st.integers(0, 10_000))
def test_every_discipline_serves_the_same_work_in_the_same_busy_periods(rates, means, priorities, targets, seed):
    logs = [simulate(desk(rates, means, priorities, targets, q, b), seed, 0) for q, b in DISCIPLINES]
    end = logs[0].run_end_s

    def busy_until(log, moment):
        served = ~np.isnan(log.answered_s) & (log.answered_s < moment)
        return float(np.sum(np.minimum(log.ended_s[served], moment) - log.answered_s[served]))

    for moment in (end / 4, end / 2, end):
        reference = busy_until(logs[0], moment)
        for log in logs[1:]:
            assert abs(busy_until(log, moment) - reference) < 1e-6 * max(1.0, reference)
    for log in logs[1:]:
        assert np.array_equal(log.arrival_s[log.stage == 0], logs[0].arrival_s[logs[0].stage == 0])
