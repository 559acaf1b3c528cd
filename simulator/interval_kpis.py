"""KPIs per reporting interval and contact type: the planner's intraday view.

By arrival interval (a front-line visit counts in the interval it joined its queue): offered,
answered, abandoned, abandon_rate, service_level, asa_s, mean_wait_s, aht_s — binned with
`bincount`. By clock time (what was going on during the interval): occupancy, agents_on_shift_mean
and queue_len_mean — exact time-weighted integrals over each interval. On a contact type's row,
agents_on_shift_mean counts the agents of the groups that serve its first queue (who could answer it).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .config import ModelConfig
from .eventlog import EventLog
from .kpis import ALL, INTERVAL_COLUMNS, can_abandon
from .outcomes import Rows, VisitOutcomes, offered_visits, visit_outcomes
from .group_interval_kpis import interval_edges, on_duty_per_interval
from .timeweighted import SortedSpans, StepCount


def interval_kpis(log: EventLog, model: ModelConfig, result: VisitOutcomes | None = None) -> pd.DataFrame:
    """Rows: interval × (each contact type, then `all`); columns: interval_start, contact_type, INTERVAL_COLUMNS."""
    result = result or visit_outcomes(log)
    edges = interval_edges(log, model.calendar.interval_s)
    on_duty = on_duty_per_interval(log, len(model.groups), edges)
    offered = offered_visits(result)  # each type's row and `all` select among these
    offered.interval = np.searchsorted(edges, offered.arrival_s, side="right") - 1
    offered.impatient = np.array([can_abandon(c) for c in model.contacts])[offered.contact_type]
    waits = _waits(result)
    frames = []
    for index, contact in enumerate(model.contacts):
        frame = _type_frame(offered, offered.contact_type == index, waits.count(index), edges, model, contact.name,
                            can_abandon(contact))
        frame["agents_on_shift_mean"] = on_duty[_front_line_groups(model, index)].sum(axis=0) / np.diff(edges)
        frames.append(frame)
    if len(frames) == 1:  # one contact type: `all` holds the same visits
        everything = frames[0].assign(contact_type=ALL)
    else:
        everything = _type_frame(offered, None, waits.count(), edges, model, ALL, any(map(can_abandon, model.contacts)))
    busy, available = np.diff(result.busy_seconds_to(edges)), result.on_duty.per_interval(edges)
    everything["occupancy"] = np.divide(busy, available, out=np.full(len(busy), np.nan), where=available > 0)
    everything["agents_on_shift_mean"] = available / np.diff(edges)
    frames.append(everything)
    frame = pd.concat(frames, ignore_index=True)
    starts = pd.Timestamp(model.calendar.start) + pd.to_timedelta(frame.pop("_start_s"), unit="s")
    frame.insert(0, "interval_start", starts)
    return frame.sort_values(["interval_start"], kind="stable").reset_index(drop=True)


def _front_line_groups(model: ModelConfig, contact: int) -> list[int]:
    """The groups that serve a contact type's first queue (the agents who can answer it)."""
    return [group for _, group in model.network.served_by[model.network.type_queue(contact)]]


def _type_frame(offered: Rows, pick: np.ndarray | None, waiting: StepCount, edges: np.ndarray, model: ModelConfig,
                name: str, abandonment: bool):
    """One row's frame: its offered visits (`pick` of `offered`, all: None) and its waits (`waiting`)."""
    settings = model.kpis
    take = (lambda column: column) if pick is None else (lambda column: column[pick])
    bins = take(offered.interval)
    size = len(edges) - 1

    def count(flags=None, weights=None):
        chosen = bins if flags is None else bins[flags]
        weights = weights if weights is None or flags is None else weights[flags]
        return np.bincount(chosen, weights=weights, minlength=size)

    wait, answered, abandoned = take(offered.wait_s), take(offered.answered), take(offered.abandoned)
    resolved = take(offered.handled)
    handle = take(offered.handling_s)
    offered_count = np.bincount(bins, minlength=size)
    n_answered, n_abandoned = count(answered), count(abandoned)
    could = count(take(offered.impatient))  # offered visits of types that can abandon
    within = count(answered & (wait <= settings.service_level_threshold_s))
    short = count(abandoned & (wait < settings.short_abandon_s))
    excluded = {"exclude": n_abandoned, "exclude_short": short}.get(settings.service_level_abandoned, 0)
    return pd.DataFrame({
        "_start_s": edges[:-1], "contact_type": name, "offered": offered_count, "answered": n_answered,
        "abandoned": n_abandoned,
        "abandon_rate": _divide(n_abandoned, could) if abandonment else np.full(size, np.nan),
        "service_level": _divide(within, offered_count - excluded),
        "asa_s": _divide(count(answered, wait), n_answered), "mean_wait_s": _divide(count(None, wait), offered_count),
        "aht_s": _divide(count(resolved, handle), count(resolved)), "occupancy": np.nan,
        "agents_on_shift_mean": np.nan, "queue_len_mean": waiting.per_interval(edges) / np.diff(edges),
    }).reindex(columns=["_start_s", "contact_type"] + INTERVAL_COLUMNS)


def _waits(result: VisitOutcomes) -> SortedSpans:
    """The waits of the visits that stood in a line, by contact type, sorted once for every row."""
    log, held = result.log, np.flatnonzero(result.on_hold)
    arrival = log.arrival_s[held]
    return SortedSpans(arrival, arrival + result.wait_s[held], log.contact_type[held])


def _divide(numerator, denominator) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.full(len(numerator), np.nan), where=denominator > 0)
