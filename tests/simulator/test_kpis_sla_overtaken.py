"""sla_overtaken_rate: contacts that missed their answer target while a later arrival was answered first."""
import numpy as np

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Policies, PriorityTier, Sla, Shift
from simulator.distributions import Exponential
from simulator.engine import simulate
from simulator.kpis import replication_kpis

ALL_DAYS = tuple(range(7))


def desk(queue: str) -> ModelConfig:
    calls = ContactType("calls", Arrivals(rate_per_s=2.8 / 60), Exponential(60.0), sla=Sla(answer_within_s=30.0),
                        priority_mix=(PriorityTier("vip", 0.2, 5, Sla(answer_within_s=30.0)),))
    tickets = ContactType("tickets", Arrivals(rate_per_s=0.5 / 60), Exponential(60.0), channel="email",
                          sla=Sla(answer_within_s=60.0))
    group = AgentGroup("desk", {"calls": 1, "tickets": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 4),))
    return ModelConfig((calls, tickets), (group,), Calendar(horizon_s=2 * 86400, warmup_s=3600), Policies(queue=queue))


def overtaken(model: ModelConfig) -> float:
    log = simulate(model, 3, 0)
    row = replication_kpis(log, model).set_index("contact_type").loc["all"]
    return row.sla_overtaken_rate


def test_longest_waiting_first_never_serves_out_of_turn_and_priority_does():
    assert overtaken(desk("longest-waiting-first")) == 0.0  # oldest first across both queues: never overtaken
    assert overtaken(desk("priority-fifo")) > 0.05  # VIPs and the preferred queue go ahead


def test_without_answer_targets_the_rate_is_empty():
    plain = ContactType("calls", Arrivals(rate_per_s=1 / 60), Exponential(60.0))
    group = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 2),))
    model = ModelConfig((plain,), (group,), Calendar(horizon_s=86400))
    assert np.isnan(overtaken(model))
