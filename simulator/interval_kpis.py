"""KPIs per reporting interval and contact type: the planner's intraday view.

By arrival interval (a front-line visit counts in the interval it joined its queue): offered,
answered, abandoned, abandon_rate, service_level, asa_s, mean_wait_s, aht_s — binned with
`bincount`. By clock time (what was going on during the interval): occupancy, agents_on_shift_mean
and queue_len_mean — exact time-weighted integrals over each interval. On a contact type's row,
agents_on_shift_mean counts the agents of the groups that serve its first queue (who could answer it).
"""
from __future__ import annotations

import numpy as np

from .blocks import row_blocks
from .config import ModelConfig
from .eventlog import EventLog
from .kpis import ALL, INTERVAL_COLUMNS, can_abandon
from .outcomes import VisitOutcomes, offered_visits, visit_outcomes
from .group_interval_kpis import clock_times, interval_edges, on_duty_per_interval
from .table import Table


def interval_kpis(log: EventLog, model: ModelConfig, result: VisitOutcomes | None = None):
    """`interval_kpi_table` as a pandas DataFrame."""
    return interval_kpi_table(log, model, result).to_pandas()


def interval_kpi_table(log: EventLog, model: ModelConfig, result: VisitOutcomes | None = None) -> Table:
    """Rows: interval × (each contact type, then `all`); columns: interval_start, contact_type, INTERVAL_COLUMNS."""
    result = result or visit_outcomes(log)
    edges = interval_edges(log, model.calendar.interval_s)
    on_duty = on_duty_per_interval(log, len(model.groups), edges)
    counts, sums = _by_arrival(result, model, edges)
    waiting = result.waiting_to(edges)
    frames = []
    for index, contact in enumerate(model.contacts):
        frame = _frame(edges, contact.name, {name: c[index] for name, c in counts.items()},
                       {name: s[index] for name, s in sums.items()}, waiting.seconds_to_edges(index, edges), model,
                       can_abandon(contact))
        frame["agents_on_shift_mean"] = on_duty[_front_line_groups(model, index)].sum(axis=0) / np.diff(edges)
        frames.append(frame)
    if len(frames) == 1:  # one contact type: `all` holds the same visits
        everything = {**frames[0], "contact_type": np.full(len(edges) - 1, ALL, dtype=object)}
    else:
        everything = _frame(edges, ALL, {name: c[-1] for name, c in counts.items()},
                            {name: s[-1] for name, s in sums.items()}, waiting.seconds_to_edges(None, edges), model,
                            any(map(can_abandon, model.contacts)))
    busy, available = np.diff(result.busy_seconds_to(edges)), result.on_duty.per_interval(edges)
    everything["occupancy"] = np.divide(busy, available, out=np.full(len(busy), np.nan), where=available > 0)
    everything["agents_on_shift_mean"] = available / np.diff(edges)
    frames.append(everything)
    # interval by interval, each interval's rows in the frames' order
    columns = {"interval_start": np.repeat(clock_times(model.calendar.start, edges[:-1]), len(frames))}
    columns.update((name, np.stack([frame[name] for frame in frames], axis=1).ravel())
                   for name in ["contact_type"] + INTERVAL_COLUMNS)
    return Table(columns)


def _front_line_groups(model: ModelConfig, contact: int) -> list[int]:
    """The groups that serve a contact type's first queue (the agents who can answer it)."""
    return [group for _, group in model.network.served_by[model.network.type_queue(contact)]]


def _by_arrival(result: VisitOutcomes, model: ModelConfig, edges: np.ndarray) -> tuple[dict, dict]:
    """Counts and sums of waits and handling times of the offered visits by arrival interval: arrays of
    contact types (rows; the last one `all`) × intervals. Counts come from a bincount over (type,
    interval) cells; a sum is added into the cells and into the intervals (`all`) a visit at a time in
    row order, as a bincount of one type's visits would, so a block of rows at a time (blocks.py)."""
    types, size = len(model.contacts), len(edges) - 1
    counts = {name: np.zeros(types * size, np.int64) for name in _COUNTED}
    sums = {name: (np.zeros(types * size), np.zeros(size)) for name in _SUMMED}
    for block in row_blocks(len(result.log)):
        offered = offered_visits(result, block)
        bins = np.searchsorted(edges, offered.arrival_s, side="right") - 1
        cells = offered.contact_type.astype(np.int64) * size + bins
        for name, flags in _counted(offered, model).items():
            counts[name] += np.bincount(cells, minlength=types * size) if flags is None else \
                np.bincount(cells * 2 + flags, minlength=2 * types * size)[1::2]  # cells with the flag set
        for name, (values, flags) in _summed(offered).items():
            chosen = slice(None) if flags is None else np.flatnonzero(flags)
            values = values[chosen]
            for total, index in zip(sums[name], (cells, bins)):
                np.add.at(total, index[chosen], values)
    by_type = lambda cells: cells.reshape(types, size)
    return ({name: np.vstack([by_type(count), by_type(count).sum(axis=0)]) for name, count in counts.items()},
            {name: np.vstack([by_type(by_cell), by_interval]) for name, (by_cell, by_interval) in sums.items()})


_COUNTED = ("offered", "answered", "abandoned", "could", "within", "short", "resolved")
_SUMMED = ("wait", "answered_wait", "handling")


def _counted(offered, model: ModelConfig) -> dict:
    """The offered visits each count counts (None: all of them)."""
    settings, wait, answered, abandoned = model.kpis, offered.wait_s, offered.answered, offered.abandoned
    return {"offered": None, "answered": answered, "abandoned": abandoned,
            "could": np.array([can_abandon(c) for c in model.contacts])[offered.contact_type],
            "within": answered & (wait <= settings.service_level_threshold_s),
            "short": abandoned & (wait < settings.short_abandon_s), "resolved": offered.handled}


def _summed(offered) -> dict:
    """The values each sum adds, and the offered visits it adds them for (None: all)."""
    return {"wait": (offered.wait_s, None), "answered_wait": (offered.wait_s, offered.answered),
            "handling": (offered.handling_s, offered.handled)}


def _frame(edges: np.ndarray, name: str, count: dict, total: dict, waiting_to: np.ndarray, model: ModelConfig,
           abandonment: bool) -> dict:
    """One row's columns from its counts and sums by arrival interval (`_by_arrival`) and the integral of
    its visits in line up to each edge (`VisitOutcomes.waiting_to`)."""
    settings, size = model.kpis, len(edges) - 1
    excluded = {"exclude": count["abandoned"], "exclude_short": count["short"]}.get(settings.service_level_abandoned, 0)
    return {
        "contact_type": np.full(size, name, dtype=object), "offered": count["offered"], "answered": count["answered"],
        "abandoned": count["abandoned"],
        "abandon_rate": _divide(count["abandoned"], count["could"]) if abandonment else np.full(size, np.nan),
        "service_level": _divide(count["within"], count["offered"] - excluded),
        "asa_s": _divide(total["answered_wait"], count["answered"]),
        "mean_wait_s": _divide(total["wait"], count["offered"]),
        "aht_s": _divide(total["handling"], count["resolved"]), "occupancy": np.full(size, np.nan),
        "agents_on_shift_mean": np.full(size, np.nan), "queue_len_mean": np.diff(waiting_to) / np.diff(edges)}


def _divide(numerator, denominator) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.full(len(numerator), np.nan), where=denominator > 0)
