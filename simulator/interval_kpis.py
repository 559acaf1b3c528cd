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
from .kpis import ALL, INTERVAL_COLUMNS, can_abandon, impatient_visits
from .outcomes import VisitOutcomes, visit_outcomes
from .group_interval_kpis import interval_edges, on_duty_per_interval
from .timeweighted import StepCount


def interval_kpis(log: EventLog, model: ModelConfig, result: VisitOutcomes | None = None) -> pd.DataFrame:
    """Rows: interval × (each contact type, then `all`); columns: interval_start, contact_type, INTERVAL_COLUMNS."""
    result = result or visit_outcomes(log)
    edges = interval_edges(log, model.calendar.interval_s)
    on_duty = on_duty_per_interval(log, len(model.groups), edges)
    frames = []
    for index, contact in enumerate(model.contacts):
        frame = _type_frame(result, log.contact_type == index, edges, model, contact.name, can_abandon(contact))
        frame["agents_on_shift_mean"] = on_duty[_front_line_groups(model, index)].sum(axis=0) / np.diff(edges)
        frames.append(frame)
    if len(frames) == 1:  # one contact type: `all` holds the same visits
        everything = frames[0].assign(contact_type=ALL)
    else:
        everything = _type_frame(result, np.ones(len(log), dtype=bool), edges, model, ALL,
                                 any(map(can_abandon, model.contacts)))
    busy, available = result.busy.per_interval(edges), result.on_duty.per_interval(edges)
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


def _type_frame(result: VisitOutcomes, selected: np.ndarray, edges: np.ndarray, model: ModelConfig, name: str,
                abandonment: bool):
    log, settings = result.log, model.kpis
    selected = selected & result.front_line
    mask = result.measured & selected
    bins = np.searchsorted(edges, log.arrival_s[mask], side="right") - 1
    size = len(edges) - 1

    def count(flags=None, weights=None):
        chosen = bins if flags is None else bins[flags]
        weights = weights if weights is None or flags is None else weights[flags]
        return np.bincount(chosen, weights=weights, minlength=size)

    wait, answered, abandoned = result.wait_s[mask], result.answered[mask], result.abandoned[mask]
    resolved = result.handled[mask]
    handle = log.handling_s[mask]
    offered = np.bincount(bins, minlength=size)
    n_answered, n_abandoned = count(answered), count(abandoned)
    could = count(impatient_visits(log, model)[mask])  # offered visits of types that can abandon
    within = count(answered & (wait <= settings.service_level_threshold_s))
    short = count(abandoned & (wait < settings.short_abandon_s))
    excluded = {"exclude": n_abandoned, "exclude_short": short}.get(settings.service_level_abandoned, 0)
    waiting = _waiting_spans(result, selected & result.on_hold).per_interval(edges)
    return pd.DataFrame({
        "_start_s": edges[:-1], "contact_type": name, "offered": offered, "answered": n_answered,
        "abandoned": n_abandoned,
        "abandon_rate": _divide(n_abandoned, could) if abandonment else np.full(size, np.nan),
        "service_level": _divide(within, offered - excluded),
        "asa_s": _divide(count(answered, wait), n_answered), "mean_wait_s": _divide(count(None, wait), offered),
        "aht_s": _divide(count(resolved, handle), count(resolved)), "occupancy": np.nan,
        "agents_on_shift_mean": np.nan, "queue_len_mean": waiting / np.diff(edges),
    }).reindex(columns=["_start_s", "contact_type"] + INTERVAL_COLUMNS)


def _waiting_spans(result: VisitOutcomes, selected: np.ndarray) -> StepCount:
    arrival = result.log.arrival_s[selected]
    return StepCount.from_spans(arrival, arrival + result.wait_s[selected])


def _divide(numerator, denominator) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.full(len(numerator), np.nan), where=denominator > 0)
