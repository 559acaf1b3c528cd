"""Agent KPIs over the measured period: for all agents (the `all` row) and per agent group (groups.csv).

Time-weighted figures are exact step integrals (busy agents from handling spans, available agents
from the availability log, paid time from the roster). A group's work is every handling its agents
did, at any stage, so an overloaded second line shows up in its own row. Paid time is the rostered
time plus overtime: the time an agent spends finishing work past its shift's end (finish_current),
until it is idle or its next shift starts. So agent hours and cost include it, and utilization (busy / paid)
never exceeds 1.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from .blocks import Parts, gathered_by, rows_of
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
    groups = len(model.groups)
    worked = Parts(len(log), lambda block: _Worked(log, visits, block))
    taken, done, escalated = (np.zeros(groups, np.int64) for _ in range(3))
    for part in worked:  # counted per group, then each mean's values gathered for all groups at once
        for index in range(groups):
            mine = part.group == index
            taken[index] += np.count_nonzero(mine)
            done[index] += np.count_nonzero(mine & part.handled)
            escalated[index] += np.count_nonzero(mine & part.escalated)
    by_group = (lambda part, rows: part.group[rows]) if groups > 1 else (lambda part, rows: None)
    asa = [mean(waits) for waits in gathered_by(taken, ((by_group(part, slice(None)), part.wait_s) for part in worked))]
    aht = [mean(times) for times in gathered_by(done, ((by_group(part, handled), part.handling[handled]) for part in worked
                                                    for handled in [np.flatnonzero(part.handled)]))]
    escalating = _escalating_queues(model)
    paid_by_group = paid_seconds_by_group(log, model)  # one pass for every row: it is the costly part
    busy = _busy_seconds_each(log, visits, groups) if groups > 1 else [_busy_seconds(log, visits, model)]
    rows = []
    for index, group in enumerate(model.groups):
        rows.append({"group": group.name, "handled": int(done[index]), "asa_s": asa[index], "aht_s": aht[index],
                     "escalation_rate": ratio(escalated[index], done[index])
                     if any(queue in escalating for queue, _ in model.network.serves[index]) else np.nan,
                     **_time_kpis(log, visits, model, np.arange(groups) == index, paid_by_group, busy[index])})
    return Table.from_rows(rows, ["group"] + GROUP_COLUMNS)


class _Worked(Rows):
    """Visits taken by an agent that joined their queue in the period (of a block of rows), with the
    group that took each, the agent's time on it and whether it was escalated (each worked out when
    first read)."""

    def __init__(self, log: EventLog, visits: VisitOutcomes, block: slice):
        super().__init__(visits.measured[block] & (log.agent[block] >= 0), visits, log, first=block.start or 0)
        self.log = log

    @cached_property
    def group(self) -> np.ndarray:
        return self.log.roster.agent_group[self.agent]

    @cached_property
    def handling(self) -> np.ndarray:
        return self.log.handling_at(self.rows)

    @cached_property
    def escalated(self) -> np.ndarray:
        return self.handled & (self.outcome == ESCALATED)


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


def _busy_seconds(log: EventLog, visits: VisitOutcomes, model: ModelConfig) -> float:
    """Busy agent-seconds of all groups in the measured period, from the time-weighted count the
    interval table shares (one group's, of several: `_BusyEach`)."""
    to_edges = visits.busy_seconds_to(interval_edges(log, model.calendar.interval_s))
    return float(to_edges[-1] - to_edges[0])


def _busy_seconds_each(log: EventLog, visits: VisitOutcomes, groups: int) -> list[float]:
    """Busy agent-seconds in the measured period of each group: the sum over its handlings, in row
    order, of each one's overlap with the period times its load (no sorting: a group's row needs the
    total, not the curve). Read a block of rows at a time (blocks.py)."""
    handlings = Parts(len(log), lambda block: _Handlings(log, visits, block))
    count = sum(np.bincount(part.group, minlength=groups) for part in handlings)
    return [float(seconds.sum()) for seconds in gathered_by(count, ((part.group, part.seconds) for part in handlings))]


class _Handlings:
    """The handlings of a block of rows: the group that did each and its busy seconds in the period."""

    def __init__(self, log: EventLog, visits: VisitOutcomes, block: slice):
        self.log, self.rows = log, rows_of(block, visits.answered[block])
        self.group = log.roster.agent_group[log.agent[self.rows]]

    @cached_property
    def seconds(self) -> np.ndarray:
        log, rows = self.log, self.rows
        overlap = (np.minimum(log.agent_done_at(rows), log.measure_to_s)
                   - np.maximum(log.answered_s[rows], log.measure_from_s))  # agent_done_s − answered_s, clipped
        return overlap.clip(min=0) * log.agent_share_at(rows)


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
