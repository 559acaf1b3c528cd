"""Staffing against workload per agent group and reporting interval (`group_intervals.csv`).

Per group × interval: `agents_on_shift_mean` (available agents, time-weighted), `busy_agents_mean`
(agents' worth of work in hand), `occupancy`, and `offered_load`: the agents' worth of work that
joined the group's queues in the interval (Erlangs), so an interval whose load exceeds the agents
on shift shows as over capacity whether the excess was answered late, abandoned or still waiting.
A handled visit brings its group's mean agent time for its queue in the replication (after-call work
included, a chat 1/concurrency: λ·E[S], not the visit's own draw, so the figure is the Erlang offered
load); a visit never handled (abandoned, still waiting, a missed call back) brings its queue's mean
agent time, shared among the groups that serve the queue by the work each did there.
`infinite_server_load` is the same work spread over the time it would take if every visit were
answered the moment it joined (Erlangs in progress, the M(t)/G/∞ load): what staffing must cover
when demand changes within the day, because work that arrives in a peak is still in hand after it.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np

from .config import ModelConfig
from .eventlog import EventLog
from .outcomes import VisitOutcomes
from .table import Table
from .timeweighted import StepCount

GROUP_INTERVAL_COLUMNS = ["agents_on_shift_mean", "busy_agents_mean", "offered_load", "infinite_server_load",
                          "occupancy"]


def interval_edges(log: EventLog, interval_s: float) -> np.ndarray:
    """Reporting interval edges over the measured period (the last one may be shorter)."""
    edges = np.arange(log.measure_from_s, log.measure_to_s, interval_s)
    return np.append(edges, log.measure_to_s)


def clock_times(start: datetime, seconds: np.ndarray) -> np.ndarray:
    """`start` (the calendar's) plus `seconds`, to the microsecond: the `interval_start` column."""
    offsets = np.round(np.asarray(seconds, dtype=float) * 1e6).astype(np.int64).astype("timedelta64[us]")
    return np.datetime64(start, "us") + offsets


def on_duty_per_interval(log: EventLog, groups: int, edges: np.ndarray) -> np.ndarray:
    """Available agent-seconds per group (rows) and interval (columns)."""
    return np.array([StepCount(log.availability_time_s[log.availability_group == g],
                               log.availability_change[log.availability_group == g]).per_interval(edges)
                     for g in range(groups)]).reshape(groups, len(edges) - 1)


def group_interval_kpis(log: EventLog, visits: VisitOutcomes, model: ModelConfig):
    """`group_interval_kpi_table` as a pandas DataFrame."""
    return group_interval_kpi_table(log, visits, model).to_pandas()


def group_interval_kpi_table(log: EventLog, visits: VisitOutcomes, model: ModelConfig) -> Table:
    """Rows: interval × group (groups in order within an interval); columns: interval_start, group,
    GROUP_INTERVAL_COLUMNS."""
    edges = interval_edges(log, model.calendar.interval_s)
    lengths = np.diff(edges)
    count = len(model.groups)
    available = on_duty_per_interval(log, count, edges)
    busy, load, in_progress = _busy_and_load(log, visits, model, edges)
    names = np.array([group.name for group in model.groups], dtype=object)
    # group × interval arrays, read interval by interval (transposed): each interval's groups in order
    return Table({
        "interval_start": np.repeat(clock_times(model.calendar.start, edges[:-1]), count), "group": np.tile(names, len(lengths)),
        "agents_on_shift_mean": (available / lengths).T.ravel(), "busy_agents_mean": (busy / lengths).T.ravel(),
        "offered_load": (load / lengths).T.ravel(), "infinite_server_load": (in_progress / lengths).T.ravel(),
        "occupancy": np.divide(busy, available, out=np.full(available.shape, np.nan), where=available > 0).T.ravel()})


def _busy_and_load(log: EventLog, visits: VisitOutcomes, model: ModelConfig, edges: np.ndarray):
    """Busy agent-seconds per group and interval (clock time), the work that arrived (by arrival), and
    that work in progress from each arrival (agent-seconds per interval, every visit answered at once).
    Each is worked out on just the visits it reads (answered, joined in the period, carried into it)."""
    groups, size = len(model.groups), len(edges) - 1
    answered = np.flatnonzero(visits.answered)
    agent_group, queue = log.roster.agent_group[log.agent[answered]], log.queue[answered]
    share, done = log.agent_share_at(answered), log.agent_done_at(answered)
    start = log.answered_s[answered]
    del answered
    busy = span_seconds(start, done, share, agent_group, groups, edges)
    work = np.subtract(done, start, out=done)
    del start
    expected, mean_work = _expected_work(queue, agent_group, np.multiply(work, share, out=work), groups,
                                         len(model.network.queue_names))
    del agent_group, queue, share, done, work
    joined = np.flatnonzero(visits.measured & ~visits.deflected)
    bins = np.searchsorted(edges, log.arrival_s[joined], side="right") - 1
    group, queue = _group(log, visits, joined), log.queue[joined]
    handled = group >= 0
    typical = mean_work[group[handled], queue[handled]]  # λ·E[S]: not this visit's own draw
    load = np.bincount(group[handled] * size + bins[handled], weights=typical,
                       minlength=groups * size).reshape(groups, size).astype(float)  # empty: int zeros
    unhandled = ~handled
    for g in range(groups):
        load[g] += np.bincount(bins[unhandled], weights=expected[g, queue[unhandled]], minlength=size)
    del joined, bins, group, queue, handled, typical, unhandled
    return busy, load, _in_progress(log, visits, expected, edges)


def _group(log: EventLog, visits: VisitOutcomes, rows: np.ndarray) -> np.ndarray:
    """The group that answered each visit in `rows`; -1: not answered."""
    return np.where(visits.answered[rows], log.roster.agent_group[np.maximum(log.agent[rows], 0)], -1)


def _in_progress(log: EventLog, visits: VisitOutcomes, expected: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Agent-seconds per group and interval of the work of each visit that arrived before the period's
    end (the warm-up's work runs on), taken from its arrival on: a handled visit's own work for its
    group, an unhandled one's expected work shared among the groups (`expected`: groups × queues).
    Only spans with work count; each part is cut to those as it is made, so no whole copy is held."""
    carried = np.flatnonzero(~visits.deflected & (log.arrival_s < log.measure_to_s))
    group = _group(log, visits, carried)
    handled = group >= 0
    rows, keys, unhandled = carried[handled], group[handled], carried[~handled]
    del carried, group, handled
    work = log.handling_at(rows) * log.agent_share_at(rows)
    parts = [_with_work(log.arrival_s[rows], work, keys)]  # handled: their own work
    del rows, keys, work
    arrivals, queue = log.arrival_s[unhandled], log.queue[unhandled]
    parts += [_with_work(arrivals, expected[g, queue], g) for g in range(len(expected))]  # then each group's share
    del unhandled, arrivals, queue
    starts, ends, keys = (np.concatenate(column) for column in zip(*parts))
    del parts
    return span_seconds(starts, ends, None, keys, len(expected), edges)


def _with_work(starts: np.ndarray, work: np.ndarray, key) -> tuple:
    """(start, end, key) of the spans with work (> 0), in order; `key`: one per span, or one for all."""
    chosen = np.flatnonzero(work > 0)
    starts = starts[chosen]
    keys = key[chosen] if isinstance(key, np.ndarray) else np.full(len(chosen), key, dtype=np.int64)
    return starts, starts + work[chosen], keys


def span_seconds(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | None, keys: np.ndarray, key_count: int,
                 edges: np.ndarray) -> np.ndarray:
    """Weighted seconds of the spans [start, end) inside each interval, per key (keys × intervals),
    without sorting: the integral up to edge e is Σ w·((e − start)⁺ − (e − end)⁺), and each sum over
    the times before e is a cumulative bincount by the edge that follows the time. `weights` None: one
    each (counted, not summed as ones: the same values without an array of ones)."""
    width = len(edges)

    def before_each_edge(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ w and Σ w·time over the spans' `times` before each edge (one search for both)."""
        index = keys * (width + 1)
        index += np.searchsorted(edges, times, side="right")
        sums = [np.bincount(index, minlength=key_count * (width + 1)) if weights is None else
                np.bincount(index, weights=weights, minlength=key_count * (width + 1)),
                np.bincount(index, weights=times if weights is None else weights * times,
                            minlength=key_count * (width + 1))]
        return tuple(np.cumsum(total.reshape(key_count, width + 1), axis=1)[:, :width] for total in sums)

    (weight_from, moment_from), (weight_to, moment_to) = before_each_edge(starts), before_each_edge(ends)
    weight, moments = weight_from - weight_to, moment_from - moment_to
    return np.diff(edges * weight - moments, axis=1)


def _expected_work(queue: np.ndarray, group: np.ndarray, work: np.ndarray, groups: int, size: int):
    """(groups × queues) twice: the mean agent time per visit of each queue times each group's share of
    the visits handled there (a queue nobody handled brings no load: its visits show in the queue
    KPIs); and each group's own mean agent time per visit of each queue."""
    cell = group * size + queue
    handled = np.bincount(cell, minlength=groups * size).reshape(groups, size).astype(float)
    time = np.bincount(cell, weights=work, minlength=groups * size).reshape(groups, size).astype(float)
    visits = handled.sum(axis=0)
    mean = np.divide(time.sum(axis=0), visits, out=np.zeros(size), where=visits > 0)
    shared = np.divide(handled, visits, out=np.zeros_like(handled), where=visits > 0) * mean
    return shared, np.divide(time, handled, out=np.zeros_like(time), where=handled > 0)
