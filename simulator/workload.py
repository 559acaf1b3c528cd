"""What one replication of a model will ask of the machine, estimated from the config alone.

Checked against limits.py before anything runs (checks.py for one replication, the command line for
all replications of all scenarios), so a request that cannot fit is refused with its estimate
instead of running out of memory or running for ever. Estimates are cheap (no draws) and err on the
large side where the model cannot know (retrials are counted as if every caller hung up).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import AgentGroup, Arrivals, ContactType, ModelConfig
from .limits import DAY_S


@dataclass(frozen=True)
class Workload:
    visits: float  # expected visits (arrivals, retrials, repeats, escalations) in one replication
    busiest: str  # the contact type bringing most of them
    agents: int  # seats over all groups
    agent_shifts: float  # rostered agent-days (shift instances, or stints of an agents table)
    intervals: float  # reporting intervals in the run
    table_rows: float  # interval and group-interval rows one replication keeps


def estimate(model: ModelConfig) -> Workload:
    calendar = model.calendar
    run_s = calendar.run_end_s
    intervals = run_s / calendar.interval_s
    visits = {contact.name: _visits(contact, model.arrival_scale(contact), run_s) for contact in model.contacts}
    return Workload(visits=sum(visits.values()), busiest=max(visits, key=visits.get), agents=sum(_seats(group) for group in model.groups),
                    agent_shifts=sum(_stints(group, run_s) for group in model.groups), intervals=intervals,
                    table_rows=intervals * (len(model.contacts) + 1 + len(model.groups)))


def arrivals_in(arrivals: Arrivals, run_s: float) -> float:
    """Expected first arrivals in [0, run_s) at the written rates."""
    if arrivals.series_per_s is not None:
        slots = min(len(arrivals.series_per_s), math.ceil(run_s / arrivals.series_slot_s))
        return float(np.sum(arrivals.series[:slots])) * arrivals.series_slot_s
    return arrivals.mean_rate_per_s() * run_s


def _visits(contact: ContactType, scale: float, run_s: float) -> float:
    """First arrivals × the visits each brings: retrials (as if every caller hung up), escalation
    to the next queue, and repeats of the resolved contact."""
    per_contact = _geometric(contact.retrial.probability, run_s,
                             contact.retrial.delay.mean + contact.patience.mean) if contact.retrial else 1.0
    if contact.resolution is not None and contact.resolution.escalate_to is not None:
        per_contact += 1.0 - contact.resolution.first_contact
    if contact.repeat is not None:
        per_contact *= _geometric(contact.repeat.probability, run_s, contact.repeat.delay.mean)
    return arrivals_in(contact.arrivals, run_s) * scale * per_contact


def _geometric(probability: float, run_s: float, cycle_s: float) -> float:
    """Expected tries when each leads to another with `probability`, at most one per `cycle_s` in the run."""
    most = 1.0 + run_s / max(cycle_s, 1e-3)
    return most if probability >= 1 else min(1.0 / (1.0 - probability), most)


def _seats(group: AgentGroup) -> int:
    if group.agents_per_slot is not None:
        return max(group.agents_per_slot, default=0)
    return sum(shift.agents for shift in group.shifts)


def _stints(group: AgentGroup, run_s: float) -> float:
    """Shift instances (seats × days worked in the run), or an agents table's stints (its rises)."""
    if group.agents_per_slot is not None:
        table = np.asarray(group.agents_per_slot, dtype=float)
        return float(np.clip(np.diff(table, prepend=0.0), 0.0, None).sum())
    days = run_s / DAY_S + 2  # an overnight shift from the day before, and the partial last day
    return sum(shift.agents * len(shift.days) / 7.0 * days for shift in group.shifts)
