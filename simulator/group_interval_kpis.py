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

from .blocks import row_blocks, rows_of
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
    Each is worked out on just the visits it reads (answered, joined in the period, carried into it), a
    block of rows at a time (blocks.py)."""
    groups, queues = len(model.groups), len(model.network.queue_names)
    busy, work = SpanSeconds(groups, edges, weighted=True), WorkDone(groups, queues)
    for block in row_blocks(len(log)):
        answered = rows_of(block, visits.answered[block])
        agent_group, share, done = log.roster.agent_group[log.agent[answered]], log.agent_share_at(answered), \
            log.agent_done_at(answered)
        start = log.answered_s[answered]
        busy.add(start, done, share, agent_group)
        worked = np.subtract(done, start, out=done)
        work.add(log.queue[answered], agent_group, np.multiply(worked, share, out=worked))
    expected, mean_work = work.expected()
    return busy.seconds(), _load(log, visits, edges, expected, mean_work), _in_progress(log, visits, expected, edges)


def _load(log: EventLog, visits: VisitOutcomes, edges: np.ndarray, expected: np.ndarray,
          mean_work: np.ndarray) -> np.ndarray:
    """Agent-seconds of the work that joined each group's queues per interval: a handled visit brings
    its group's mean work for its queue (`mean_work`), an unhandled one its queue's expected work,
    shared among the groups (`expected`); each group's unhandled sum is added to its handled one."""
    groups, size = len(expected), len(edges) - 1
    handled_load, unhandled_load = np.zeros(groups * size), np.zeros((groups, size))
    for block in row_blocks(len(log)):
        joined = rows_of(block, visits.measured[block] & ~visits.deflected[block])
        bins = np.searchsorted(edges, log.arrival_s[joined], side="right") - 1
        group, queue = _group(log, visits, joined), log.queue[joined]
        handled = group >= 0
        typical = mean_work[group[handled], queue[handled]]  # λ·E[S]: not this visit's own draw
        np.add.at(handled_load, group[handled] * size + bins[handled], typical)
        unhandled = np.flatnonzero(~handled)
        bins, queue = bins[unhandled], queue[unhandled]
        for g in range(groups):
            np.add.at(unhandled_load[g], bins, expected[g, queue])
    load = handled_load.reshape(groups, size)
    load += unhandled_load
    return load


def _group(log: EventLog, visits: VisitOutcomes, rows: np.ndarray) -> np.ndarray:
    """The group that answered each visit in `rows`; -1: not answered."""
    return np.where(visits.answered[rows], log.roster.agent_group[np.maximum(log.agent[rows], 0)], -1)


def _in_progress(log: EventLog, visits: VisitOutcomes, expected: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Agent-seconds per group and interval of the work of each visit that arrived before the period's
    end (the warm-up's work runs on), taken from its arrival on: a handled visit's own work for its
    group, then an unhandled one's expected work shared among the groups (`expected`: groups × queues;
    each group's share adds to its own cells only, so the groups' shares may come block by block, each
    after all the handled work). Only spans with work count."""
    in_progress = SpanSeconds(len(expected), edges, weighted=False)
    for block in row_blocks(len(log)):
        rows = _carried(log, visits, block, answered=True)
        work = log.handling_at(rows) * log.agent_share_at(rows)
        in_progress.add(*_with_work(log.arrival_s[rows], work, log.roster.agent_group[log.agent[rows]]))
    for block in row_blocks(len(log)):
        rows = _carried(log, visits, block, answered=False)
        arrivals, queue = log.arrival_s[rows], log.queue[rows]
        for g in range(len(expected)):
            in_progress.add(*_with_work(arrivals, expected[g, queue], g))
    return in_progress.seconds()


def _carried(log: EventLog, visits: VisitOutcomes, block: slice, answered: bool) -> np.ndarray:
    """The block's visits that arrived before the period's end, answered (or not)."""
    flags = ~visits.deflected[block] & (log.arrival_s[block] < log.measure_to_s)
    flags &= visits.answered[block] if answered else ~visits.answered[block]
    return rows_of(block, flags)


def _with_work(starts: np.ndarray, work: np.ndarray, key) -> tuple:
    """(start, end, weights: None, key) of the spans with work (> 0), in order; `key`: one per span, or
    one for all."""
    chosen = np.flatnonzero(work > 0)
    starts = starts[chosen]
    keys = key[chosen] if isinstance(key, np.ndarray) else np.full(len(chosen), key, dtype=np.int64)
    return starts, starts + work[chosen], None, keys


class SpanSeconds:
    """Weighted seconds of spans [start, end) inside each interval, per key (keys × intervals), the
    spans added part after part, without sorting: the integral up to edge e is Σ w·((e − start)⁺ −
    (e − end)⁺), and each sum over the times before e is a cumulative sum of the totals by the edge
    that follows each time. The totals are added span after span (np.add.at: the additions of one
    bincount over all the parts). Unweighted (`weighted` False), each span counts one: counted, not
    summed as ones (the same values without an array of ones)."""

    def __init__(self, key_count: int, edges: np.ndarray, weighted: bool):
        self.edges, self.key_count, self.weighted = edges, key_count, weighted
        cells = key_count * (len(edges) + 1)
        self.totals = [(np.zeros(cells) if weighted else np.zeros(cells, np.int64), np.zeros(cells)) for _ in range(2)]

    def add(self, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | None, keys: np.ndarray) -> None:
        for times, (weight, moment) in zip((starts, ends), self.totals):
            index = keys * (len(self.edges) + 1)
            index += np.searchsorted(self.edges, times, side="right")
            if self.weighted:
                np.add.at(weight, index, weights)
                np.add.at(moment, index, weights * times)
            else:
                weight += np.bincount(index, minlength=len(weight))
                np.add.at(moment, index, times)

    def seconds(self) -> np.ndarray:
        width = len(self.edges)
        (weight_from, moment_from), (weight_to, moment_to) = (
            tuple(np.cumsum(total.reshape(self.key_count, width + 1), axis=1)[:, :width] for total in totals)
            for totals in self.totals)
        weight, moments = weight_from - weight_to, moment_from - moment_to
        return np.diff(self.edges * weight - moments, axis=1)


class WorkDone:
    """Handled visits and their agent time per group and queue, added a part at a time (np.add.at:
    the additions of one bincount)."""

    def __init__(self, groups: int, queues: int):
        self.shape = (groups, queues)
        self.handled, self.time = np.zeros(groups * queues, np.int64), np.zeros(groups * queues)

    def add(self, queue: np.ndarray, group: np.ndarray, work: np.ndarray) -> None:
        cell = group * self.shape[1] + queue
        self.handled += np.bincount(cell, minlength=len(self.handled))
        np.add.at(self.time, cell, work)

    def expected(self) -> tuple[np.ndarray, np.ndarray]:
        """(groups × queues) twice: the mean agent time per visit of each queue times each group's share
        of the visits handled there (a queue nobody handled brings no load: its visits show in the queue
        KPIs); and each group's own mean agent time per visit of each queue."""
        size = self.shape[1]
        handled, time = self.handled.reshape(self.shape).astype(float), self.time.reshape(self.shape)
        visits = handled.sum(axis=0)
        mean = np.divide(time.sum(axis=0), visits, out=np.zeros(size), where=visits > 0)
        shared = np.divide(handled, visits, out=np.zeros_like(handled), where=visits > 0) * mean
        return shared, np.divide(time, handled, out=np.zeros_like(time), where=handled > 0)
