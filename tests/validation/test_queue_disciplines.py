"""Queue disciplines on one M/G/1 queue with three classes against exact results.

Three classes share one agent: arrival rates 0.1, 0.1 and 0.075 per minute, exponential handle times
of mean 2, 3 and 4 minutes (loads ρ_i 0.2, 0.3, 0.3; ρ = 0.8), priorities 3, 2, 1, SLA answer
targets 1, 5 and 20 minutes. W0 = Σ λ_i E[S_i²]/2 = Σ λ_i m_i² = 2.5 min of residual work.
- FIFO: every class waits W0/(1 − ρ) = 12.5 min (Pollaczek–Khinchine).
- Priority (Cobham, non-preemptive): W_k = W0 / ((1 − σ_{k−1})(1 − σ_k)) = 3.125, 6.25 and 25 min.
- Kleinrock's conservation law: any non-preemptive, work-conserving discipline keeps
  Σ ρ_i W_i = ρ W0 / (1 − ρ) = 10 — so SLA-deadline order and priority with a bypass cap must too.
Tolerance: 4 replication standard errors (replicate.py).
"""
import numpy as np
import pytest

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Policies, Sla, Shift
from simulator.distributions import Exponential
from simulator.engine import simulate

from .replicate import ALL_DAYS, assert_matches, per_replication

RATES = (0.1, 0.1, 0.075)  # per minute
MEANS = (2.0, 3.0, 4.0)  # minutes
LOADS = [rate * mean for rate, mean in zip(RATES, MEANS)]
W0 = sum(rate * mean * mean for rate, mean in zip(RATES, MEANS))  # = 2.5
RHO = sum(LOADS)
FIFO_WAIT = W0 / (1 - RHO)
CONSERVED = RHO * W0 / (1 - RHO)


def three_classes(queue: str, max_bypass_s: float | None = None, days: float = 60) -> ModelConfig:
    contacts = tuple(ContactType(f"class{k + 1}", Arrivals(rate_per_s=RATES[k] / 60), Exponential(MEANS[k] * 60),
                                 priority=3 - k, sla=Sla(answer_within_s=target * 60))
                     for k, target in enumerate((1, 5, 20)))
    desk = AgentGroup("desk", {c.name: 1 for c in contacts}, (Shift(ALL_DAYS, 0.0, 0.0, 1),))
    return ModelConfig(contacts, (desk,), Calendar(horizon_s=days * 86400, warmup_s=86400),
                       Policies(queue=queue, max_bypass_s=max_bypass_s))


def class_waits(model: ModelConfig):
    def measure(result, log):
        return [result.wait_s[result.measured & (log.contact_type == k)].mean() / 60 for k in range(3)]
    return per_replication(model, 10, 21, measure)


def test_fifo_waits_are_pollaczek_khinchine_for_every_class():
    assert FIFO_WAIT == pytest.approx(12.5)
    waits = class_waits(three_classes("fifo"))
    for k in range(3):
        assert_matches(waits[:, k], FIFO_WAIT, f"FIFO class {k + 1} wait (min)")


def test_priority_waits_are_cobham():
    sigma = np.cumsum([0.0] + LOADS)
    exact = [W0 / ((1 - sigma[k]) * (1 - sigma[k + 1])) for k in range(3)]
    assert exact == pytest.approx([3.125, 6.25, 25.0])
    waits = class_waits(three_classes("priority-fifo"))
    for k in range(3):
        assert_matches(waits[:, k], exact[k], f"priority class {k + 1} wait (min)")


@pytest.mark.parametrize("queue, bypass", [("fifo", None), ("longest-waiting-first", None),
                                           ("priority-fifo", None), ("sla-deadline", None),
                                           ("priority-fifo", 600.0)],
                         ids=["fifo", "longest-waiting", "priority", "sla-deadline", "priority-bypass-10min"])
def test_kleinrock_conservation_holds_for_every_discipline(queue, bypass):
    waits = class_waits(three_classes(queue, bypass))
    assert_matches(waits @ np.array(LOADS), CONSERVED, f"{queue} Σ ρ_i W_i")


def test_the_bypass_cap_shortens_the_lowest_class_wait_and_sla_order_differs_from_priority():
    plain, capped = class_waits(three_classes("priority-fifo")), class_waits(three_classes("priority-fifo", 600.0))
    assert capped[:, 2].mean() < plain[:, 2].mean() - 4 * plain[:, 2].std(ddof=1) / np.sqrt(len(plain))
    assert capped[:, 0].mean() > plain[:, 0].mean()  # the top class pays for it


def test_switching_discipline_or_routing_never_redraws_what_a_customer_needs():
    """On the IT helpdesk (patience, retrials, VIPs, escalation to L2, repeats), every handling that
    happens under two policies takes the same time and ends the same way (resolved or escalated):
    the policies change the order and the agent, never a contact's drawn fate."""
    from pathlib import Path

    from scenarios.format.scenario import load_scenario

    library = Path(__file__).parents[2] / "scenarios" / "library" / "it-helpdesk.yaml"

    def handlings(*overrides):
        model = load_scenario(library, ("calendar.horizon=3d", "calendar.cooldown=1d") + overrides).model
        log = simulate(model, 4, 0)
        done = ~np.isnan(log.answered_s) & ~np.isnan(log.ended_s)
        keys = zip(log.contact_id[done], log.repeat[done], log.stage[done], log.attempt[done])
        return dict(zip(keys, zip(np.round(log.ended_s[done] - log.answered_s[done], 6), log.outcome[done])))

    base = handlings()
    for overrides in [("policies.queue=fifo",), ("policies.queue=sla-deadline",), ("policies.routing=random",),
                      ("policies.queue={discipline: priority-fifo, max_bypass: 30min}",),
                      ("staffing.groups.l2.queue=sla-deadline",)]:
        other = handlings(*overrides)
        shared = base.keys() & other.keys()
        assert len(shared) > 0.9 * len(base)
        differing = [key for key in shared if base[key] != other[key]]
        assert not differing, (overrides, differing[:5])
