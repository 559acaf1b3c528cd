"""Agent KPIs over the measured period: for all agents (the `all` row) and per agent group (groups.csv).

Time-weighted figures are exact step integrals (busy agents from handling spans, available agents
from the availability log, paid time from the roster). A group's work is every handling its agents
did, at any stage, so an overloaded second line shows up in its own row. Paid time is the rostered
time plus overtime: the time an agent spends finishing work past its shift's end (finish_current),
until it is idle or its next shift starts. So agent hours and cost include it, and utilization (busy / paid)
never exceeds 1.
"""
from __future__ import annotations

import numpy as np

from .config import ModelConfig
from .eventlog import ESCALATED, EventLog
from .group_interval_kpis import interval_edges
from .outcomes import Rows, VisitOutcomes
from .stats import mean, ratio
from .table import Table
from .timeweighted import StepCount

GROUP_COLUMNS = ["handled", "asa_s", "aht_s", "escalation_rate", "occupancy", "utilization",
                 "agents_on_shift_mean", "agents_staffed_mean", "agent_hours", "cost"]


def agent_kpis(log: EventLog, visits: VisitOutcomes, model: ModelConfig) -> dict:
    """Occupancy, utilisation, staffing and cost over the window (all groups together)."""
    everyone = np.ones(len(model.groups), bool)
    kpis = _time_kpis(log, visits, model, everyone, paid_seconds_by_group(log, model), _busy_seconds(log, visits, model))
    kpis["queue_len_max"] = visits.waiting_to(interval_edges(log, model.calendar.interval_s)).longest
    return kpis


def group_kpis(log: EventLog, visits: VisitOutcomes, model: ModelConfig):
    """`group_kpi_table` as a pandas DataFrame."""
    return group_kpi_table(log, visits, model).to_pandas()


def group_kpi_table(log: EventLog, visits: VisitOutcomes, model: ModelConfig) -> Table:
    """One row per agent group: the work it handled (visits that joined a queue in the period) and its time."""
    worked = Rows(visits.measured & (log.agent >= 0), visits, log)  # taken by an agent
    group_of_visit, handled = log.roster.agent_group[worked.agent], worked.handled
    handling = log.handling_at(worked.rows)
    escalated = handled & (worked.outcome == ESCALATED)
    escalating = _escalating_queues(model)
    paid_by_group = paid_seconds_by_group(log, model)  # one pass for every row: it is the costly part
    each = _busy_seconds_each(log) if len(model.groups) > 1 else None
    rows = []
    for index, group in enumerate(model.groups):
        mine = group_of_visit == index
        done = np.flatnonzero(mine & handled)  # gathered by index: faster than by a scattered mask
        only = np.arange(len(model.groups)) == index
        rows.append({"group": group.name, "handled": len(done), "asa_s": mean(worked.wait_s[np.flatnonzero(mine)]),
                     "aht_s": mean(handling[done]),
                     "escalation_rate": ratio(np.count_nonzero(mine & escalated), len(done))
                     if any(queue in escalating for queue, _ in model.network.serves[index]) else np.nan,
                     **_time_kpis(log, visits, model, only, paid_by_group, _busy_seconds(log, visits, model, only, each))})
    return Table.from_rows(rows, ["group"] + GROUP_COLUMNS)


def _escalating_queues(model: ModelConfig) -> set[int]:
    """Queues whose work can be escalated onwards (a stage that is not the last of its path)."""
    return {stage.queue for path in model.network.paths for stage in path[:-1]}


def _time_kpis(log: EventLog, visits: VisitOutcomes, model: ModelConfig, groups: np.ndarray,
               paid_by_group: np.ndarray, busy: float) -> dict:
    """Busy (`busy`: agent-seconds in the window), available and paid agent time of the chosen groups
    (`paid_by_group`: seconds per group, from `paid_seconds_by_group`), and what it costs."""
    start, end = log.measure_from_s, log.measure_to_s
    if groups.all():
        on_duty = visits.on_duty
    else:
        chosen = groups[log.availability_group]
        on_duty = StepCount(log.availability_time_s[chosen], log.availability_change[chosen])
    available = on_duty.integral(start, end)
    paid = float(paid_by_group[groups].sum())
    costed = any(g.cost_per_hour > 0 for g in model.groups)  # no cost_per_hour anywhere: cost is not modelled
    cost = float(sum(seconds / 3600.0 * g.cost_per_hour
                     for seconds, g, keep in zip(paid_by_group, model.groups, groups) if keep)) if costed else np.nan
    return {"occupancy": ratio(busy, available), "utilization": ratio(busy, paid),
            "agents_on_shift_mean": available / (end - start),
            "agents_staffed_mean": ratio(available, on_duty.time_positive(start, end)),
            "agent_hours": paid / 3600.0, "cost": cost}


def _busy_seconds(log: EventLog, visits: VisitOutcomes, model: ModelConfig, groups: np.ndarray | None = None,
                  each: tuple | None = None) -> float:
    """Busy agent-seconds in the measured period of the chosen groups: all of them (None) from the
    time-weighted count the interval table shares, some from their handlings' own (`each`, from
    `_busy_seconds_each`)."""
    if groups is None or groups.all():
        to_edges = visits.busy_seconds_to(interval_edges(log, model.calendar.interval_s))
        return float(to_edges[-1] - to_edges[0])
    seconds, group = each
    return float(seconds[np.flatnonzero(groups[group])].sum())


def _busy_seconds_each(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Busy agent-seconds of each handling in the measured period (its overlap times its load: no
    sorting, a group's row needs the total, not the curve), and the group that did it; a group's
    busy time is the sum over its handlings, in row order."""
    handled = np.flatnonzero(~np.isnan(log.answered_s))
    agents = log.agent[handled]
    overlap = (np.minimum(log.agent_done_at(handled), log.measure_to_s)
               - np.maximum(log.answered_s[handled], log.measure_from_s))  # agent_done_s − answered_s, clipped
    return overlap.clip(min=0) * log.agent_share_at(handled), log.roster.agent_group[agents]


def overtime_seconds_by_group(log: EventLog, model: ModelConfig) -> np.ndarray:
    """Agent-seconds in the measured period spent finishing work past a shift's end (the engine logs
    each such span: from the shift's end until the agent is idle or its next shift starts)."""
    first = np.maximum(log.overtime_from_s, log.measure_from_s)
    last = np.minimum(log.overtime_to_s, log.measure_to_s)
    return np.bincount(log.roster.agent_group[log.overtime_agent], weights=(last - first).clip(min=0),
                       minlength=len(model.groups)).astype(float)


def paid_seconds_by_group(log: EventLog, model: ModelConfig) -> np.ndarray:
    """Paid agent-seconds per group in the measured period: rostered time plus overtime."""
    return rostered_seconds_by_group(log, model) + overtime_seconds_by_group(log, model)


def rostered_seconds_by_group(log: EventLog, model: ModelConfig) -> np.ndarray:
    """Rostered agent-seconds in the measured period (absent agents included: they are paid)."""
    roster = log.roster
    overlap = (np.minimum(roster.shift_end_s, log.measure_to_s)
               - np.maximum(roster.shift_start_s, log.measure_from_s)).clip(min=0)
    group = roster.agent_group[roster.shift_agent]
    return np.array([float(overlap[group == index].sum()) for index in range(len(model.groups))])
