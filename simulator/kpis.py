"""KPIs as pure functions of an event log (definitions and column names: design/KPIS.md).

Counted over the measured period (after warm-up) by arrival time: a contact offered in the window is
answered, abandoned or still waiting at its end, and that conservation is asserted here. Agent-time
KPIs (occupancy, cost) are time-weighted over the same window.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import ModelConfig
from .eventlog import EventLog
from .timeweighted import StepCount

ALL = "all"
COUNT_COLUMNS = ["offered", "deflected", "answered", "abandoned", "short_abandoned", "still_waiting",
                 "resolved", "callbacks_offered", "callbacks_accepted", "backlog_end"]
KPI_COLUMNS = [
    "offered", "deflected", "answered", "abandoned", "short_abandoned", "still_waiting", "abandon_rate",
    "abandon_rate_net", "service_level", "asa_s", "mean_wait_s", "wait_p50_s", "wait_p90_s", "wait_p95_s",
    "first_response_s", "aht_s", "resolved", "resolution_time_h", "resolution_p90_h", "fcr_rate",
    "escalation_rate", "repeat_rate", "callbacks_offered", "callbacks_accepted", "callback_delay_s",
    "sla_met_rate", "occupancy", "utilization", "agents_on_shift_mean", "queue_len_mean", "queue_len_max",
    "backlog_end", "agent_hours", "cost", "cost_per_resolved",
]
INTERVAL_COLUMNS = ["offered", "answered", "abandoned", "abandon_rate", "service_level", "asa_s", "mean_wait_s",
                    "aht_s", "occupancy", "agents_on_shift_mean", "queue_len_mean"]


class ConservationError(AssertionError):
    """A contact that is in no terminal state, or in two: a bug in the engine, never in the input."""


@dataclass(frozen=True)
class Outcomes:
    """Per contact (all attempts): what happened by the end of the measured window."""

    log: EventLog
    measured: np.ndarray  # arrived inside the window
    answered: np.ndarray
    abandoned: np.ndarray
    waiting: np.ndarray  # still in line at the window's end
    wait_s: np.ndarray  # until answer, abandonment, or the window's end
    resolved: np.ndarray  # handling finished inside the window
    open_at_end: np.ndarray  # waiting or being handled at the window's end


def outcomes(log: EventLog) -> Outcomes:
    end = log.measure_to_s
    arrived = log.arrival_s < end
    answered = ~np.isnan(log.answered_s) & (log.answered_s < end)
    abandoned = ~np.isnan(log.abandoned_s) & (log.abandoned_s < end)
    waiting = arrived & ~answered & ~abandoned
    stop = np.where(answered, log.answered_s, np.where(abandoned, log.abandoned_s, end))
    resolved = answered & (log.ended_s <= end)
    measured = arrived & (log.arrival_s >= log.measure_from_s)
    result = Outcomes(log, measured, answered, abandoned, waiting, stop - log.arrival_s, resolved,
                      waiting | (answered & ~resolved))
    check_conservation(result)
    return result


def check_conservation(result: Outcomes) -> None:
    """Every offered contact ends in exactly one state: answered, abandoned or still waiting."""
    states = result.answered.astype(int) + result.abandoned + result.waiting
    bad = result.measured & (states != 1)
    if bad.any():
        raise ConservationError(f"{int(bad.sum())} contacts are in {sorted(set(states[bad]))} terminal states")


def replication_kpis(log: EventLog, model: ModelConfig) -> pd.DataFrame:
    """One row per contact type and one for `all`, KPI_COLUMNS, for one replication."""
    result = outcomes(log)
    rows = []
    for index, contact in enumerate(model.contacts):
        selected = log.contact_type == index
        rows.append({"contact_type": contact.name, **contact_kpis(result, selected, model)})
    everything = np.ones(len(log), dtype=bool)
    rows.append({"contact_type": ALL, **contact_kpis(result, everything, model), **agent_kpis(result, model)})
    frame = pd.DataFrame(rows)
    return frame.reindex(columns=["contact_type"] + KPI_COLUMNS)


def contact_kpis(result: Outcomes, selected: np.ndarray, model: ModelConfig) -> dict:
    """Counts, waits, service level and resolution for the selected contacts offered in the window."""
    settings = model.kpis
    mask = result.measured & selected
    wait, answered, abandoned = result.wait_s[mask], result.answered[mask], result.abandoned[mask]
    offered = int(mask.sum())
    short = abandoned & (wait < settings.short_abandon_s)
    within = answered & (wait <= settings.service_level_threshold_s)
    kpis = {
        "offered": offered, "deflected": 0, "answered": int(answered.sum()), "abandoned": int(abandoned.sum()),
        "short_abandoned": int(short.sum()), "still_waiting": int(result.waiting[mask].sum()),
        "abandon_rate": _ratio(abandoned.sum(), offered),
        "abandon_rate_net": _ratio(abandoned.sum() - short.sum(), offered - short.sum()),
        "service_level": _ratio(within.sum(), offered - _excluded(settings, abandoned, short)),
        "asa_s": _mean(wait[answered]), "first_response_s": _mean(wait[answered]),
        **_wait_percentiles(wait),
        "escalation_rate": _ratio(0, answered.sum()), "repeat_rate": _ratio(0, offered),
        "callbacks_offered": 0, "callbacks_accepted": 0, "callback_delay_s": np.nan,
        "backlog_end": int((result.open_at_end & selected).sum()),
        "queue_len_mean": _waiting_integral(result, selected) / _window(result.log),
    }
    kpis.update(_resolution_kpis(result, mask, model))
    return kpis


def _resolution_kpis(result: Outcomes, mask: np.ndarray, model: ModelConfig) -> dict:
    log = result.log
    resolved = mask & result.resolved
    handle = (log.ended_s - log.answered_s)[resolved]
    to_resolve_h = (log.ended_s - log.arrival_s)[resolved] / 3600.0
    return {"resolved": int(resolved.sum()), "aht_s": _mean(handle), "resolution_time_h": _mean(to_resolve_h),
            "resolution_p90_h": _percentile(to_resolve_h, 90),
            "fcr_rate": _ratio(resolved.sum(), resolved.sum()),  # no escalation or repeats modelled yet
            "sla_met_rate": _sla_met_rate(result, mask, model)}


def _sla_met_rate(result: Outcomes, mask: np.ndarray, model: ModelConfig) -> float:
    log = result.log
    answer_within = np.array([c.sla.answer_within_s if c.sla else np.nan for c in model.contacts])
    resolve_within = np.array([c.sla.resolve_within_s if c.sla else np.nan for c in model.contacts])
    with_sla = mask & ~np.isnan(answer_within[log.contact_type])
    if not with_sla.any():
        return np.nan
    kinds = log.contact_type[with_sla]
    met = (result.answered[with_sla] & (result.wait_s[with_sla] <= answer_within[kinds])
           & result.resolved[with_sla]
           & ((log.ended_s - log.arrival_s)[with_sla] <= resolve_within[kinds]))
    return float(met.mean())


def agent_kpis(result: Outcomes, model: ModelConfig) -> dict:
    """Occupancy, utilisation, staffing and cost over the window (all groups together)."""
    log = result.log
    start, end = log.measure_from_s, log.measure_to_s
    busy = busy_agents(log).integral(start, end)
    available = StepCount(log.availability_time_s, log.availability_change).integral(start, end)
    paid_by_group = _paid_seconds_by_group(log, model)
    paid = float(sum(paid_by_group))
    cost = float(sum(seconds / 3600.0 * group.cost_per_hour for seconds, group in zip(paid_by_group, model.groups)))
    waited = result.wait_s > 0  # a contact answered on arrival never stands in line
    waiting = StepCount.from_spans(log.arrival_s[waited], (log.arrival_s + result.wait_s)[waited])
    return {"occupancy": _ratio(busy, available), "utilization": _ratio(busy, paid),
            "agents_on_shift_mean": available / _window(log), "queue_len_max": waiting.maximum(start, end),
            "agent_hours": paid / 3600.0, "cost": cost,
            "cost_per_resolved": _ratio(cost, (result.resolved & result.measured).sum())}


def busy_agents(log: EventLog) -> StepCount:
    """Agents' worth of work in hand: a handling counts 1/concurrency of its agent (1 of 2 chats = half)."""
    handled = ~np.isnan(log.answered_s)
    share = 1.0 / log.roster.agent_concurrency[log.agent[handled]]
    return StepCount.from_spans(log.answered_s[handled], log.ended_s[handled], share)


def _paid_seconds_by_group(log: EventLog, model: ModelConfig) -> list[float]:
    roster = log.roster
    overlap = (np.minimum(roster.shift_end_s, log.measure_to_s)
               - np.maximum(roster.shift_start_s, log.measure_from_s)).clip(min=0)
    group = roster.agent_group[roster.shift_agent]
    return [float(overlap[group == index].sum()) for index in range(len(model.groups))]


def _waiting_integral(result: Outcomes, selected: np.ndarray) -> float:
    log = result.log
    starts = np.maximum(log.arrival_s[selected], log.measure_from_s)
    ends = np.minimum(log.arrival_s[selected] + result.wait_s[selected], log.measure_to_s)
    return float((ends - starts).clip(min=0).sum())


def _excluded(settings, abandoned: np.ndarray, short: np.ndarray) -> int:
    variant = settings.service_level_abandoned
    if variant == "exclude":
        return int(abandoned.sum())
    return int(short.sum()) if variant == "exclude_short" else 0


def _wait_percentiles(wait: np.ndarray) -> dict:
    return {"mean_wait_s": _mean(wait), "wait_p50_s": _percentile(wait, 50),
            "wait_p90_s": _percentile(wait, 90), "wait_p95_s": _percentile(wait, 95)}


def _window(log: EventLog) -> float:
    return log.measure_to_s - log.measure_from_s


def _ratio(numerator, denominator) -> float:
    return float(numerator) / float(denominator) if denominator > 0 else np.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else np.nan


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else np.nan
