"""sla_overtaken_rate: contacts that missed their answer target while passed over by a later arrival."""
import numpy as np

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Policies, PriorityTier, Sla, Shift
from simulator.distributions import Exponential
from simulator.engine import simulate
from simulator.kpis import replication_kpis

ALL_DAYS = tuple(range(7))


def one_queue(queue: str, patience=None, vip: bool = False) -> ModelConfig:
    tiers = (PriorityTier("vip", 0.2, 5, Sla(answer_within_s=30.0)),) if vip else ()
    calls = ContactType("calls", Arrivals(rate_per_s=3.5 / 60), Exponential(60.0), sla=Sla(answer_within_s=30.0),
                        patience=patience, priority_mix=tiers)
    group = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 4),))
    return ModelConfig((calls,), (group,), Calendar(horizon_s=2 * 86400, warmup_s=3600), Policies(queue=queue))


def overtaken(model: ModelConfig) -> float:
    log = simulate(model, 3, 0)
    return replication_kpis(log, model).set_index("contact_type").loc["all"].sla_overtaken_rate


def test_one_queue_first_come_first_served_is_never_passed_over_even_with_hang_ups():
    assert overtaken(one_queue("fifo")) == 0.0
    assert overtaken(one_queue("fifo", patience=Exponential(45.0))) == 0.0  # hang-ups are not overtaken


def test_priority_passes_routine_callers_over():
    assert overtaken(one_queue("priority-fifo", vip=True)) > 0.05


def test_a_group_that_never_serves_a_queue_cannot_pass_it_over():
    calls = ContactType("calls", Arrivals(rate_per_s=3.5 / 60), Exponential(60.0), sla=Sla(answer_within_s=30.0))
    tickets = ContactType("tickets", Arrivals(rate_per_s=0.9 / 60), Exponential(60.0), channel="email",
                          sla=Sla(answer_within_s=60.0))
    front = AgentGroup("front", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 4),))
    back = AgentGroup("back", {"tickets": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 1),))
    model = ModelConfig((calls, tickets), (front, back), Calendar(horizon_s=2 * 86400, warmup_s=3600),
                        Policies(queue="fifo"))
    log = simulate(model, 3, 0)
    rows = replication_kpis(log, model).set_index("contact_type")
    assert rows.at["tickets", "sla_overtaken_rate"] == 0.0 and rows.at["calls", "sla_overtaken_rate"] == 0.0


def test_without_answer_targets_the_rate_is_empty():
    plain = ContactType("calls", Arrivals(rate_per_s=1 / 60), Exponential(60.0))
    group = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, 2),))
    model = ModelConfig((plain,), (group,), Calendar(horizon_s=86400))
    assert np.isnan(overtaken(model))
