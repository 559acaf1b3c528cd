"""KPIs as pure functions of an event log (definitions and column names: design/KPIS.md, docs/kpis.md).

Rows: one per contact type, per channel and per priority (when a scenario has more than one), and
`all`. Queue KPIs (offered, answered, waits, service level) count front-line visits (first contacts,
retrials, repeats) that joined their queue in the measured period; contact KPIs (first response,
resolution, FCR, SLA) count contacts that first arrived in it, followed through all their visits.
A KPI of a mechanism the scenario does not use (abandonment, escalation, repeats, SLAs, business
hours) is empty (NaN), never a placeholder.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import CHANNELS, ModelConfig
from .eventlog import AUTO_RESOLVED, DEFLECTED, ESCALATED, LOST, EventLog
from .outcomes import ContactOutcomes, VisitOutcomes, contact_outcomes, visit_outcomes
from .sla import business_clock, sla_met, sla_overtaken, sla_status
from .stats import defined, mean, percentile, ratio
from .agent_kpis import agent_kpis

ALL = "all"
KPI_COLUMNS = [
    "offered", "deflected", "auto_resolved", "answered", "abandoned", "short_abandoned", "still_waiting", "abandon_rate",
    "abandon_rate_net", "lost_rate", "service_level", "asa_s", "p_wait", "mean_wait_s", "wait_p50_s",
    "wait_p90_s", "wait_p95_s", "aht_s", "contacts", "first_response_s", "first_response_business_s", "resolved",
    "resolution_time_h", "resolution_p90_h", "resolution_time_business_h", "fcr_rate", "escalation_rate",
    "repeat_rate", "callbacks_offered", "callbacks_accepted", "callbacks_missed", "callback_delay_s",
    "sla_met_rate", "sla_overtaken_rate", "occupancy",
    "utilization", "agents_on_shift_mean", "agents_staffed_mean", "queue_len_mean", "queue_len_max", "backlog_end",
    "agent_hours", "self_service_cost", "automation_cost", "cost", "cost_per_resolved",
]
INTERVAL_COLUMNS = ["offered", "answered", "abandoned", "abandon_rate", "service_level", "asa_s", "mean_wait_s",
                    "aht_s", "occupancy", "agents_on_shift_mean", "queue_len_mean"]


@dataclass(frozen=True)
class Segment:
    """A row of the KPI table: which front-line visits and which contacts it counts, and what the
    contact types in it model (so KPIs of mechanisms they lack stay empty)."""

    name: str
    visits: np.ndarray
    contacts: np.ndarray
    types: tuple

    @property
    def holds(self) -> tuple:
        return holds(self.name, self.types)


def holds(name: str, types: tuple) -> tuple:
    """What a row counts: whole contact types (each with all its tiers), or a priority's share of
    them; two rows holding the same have the same KPIs."""
    whole = not name.startswith("priority:") or all(len(c.tiers) == 1 for c in types)
    return tuple(c.name for c in types) + (() if whole else (name,))


class Shared:
    """Per-replication arrays every row reads (worked out once, not once per row)."""

    def __init__(self, visits: VisitOutcomes, contacts: ContactOutcomes, model: ModelConfig, clock):
        self.clock = clock
        self.impatient = impatient_visits(visits.log, model)
        self.sla = sla_status(contacts, model, clock)
        self.lost = np.isin(contacts.final, LOST)
        self.reached_desk = ~np.isin(contacts.final, (DEFLECTED, AUTO_RESOLVED))
        self.deflected, self.auto_resolved = contacts.final == DEFLECTED, contacts.final == AUTO_RESOLVED


def replication_kpis(log: EventLog, model: ModelConfig, visits: VisitOutcomes | None = None) -> pd.DataFrame:
    """One row per segment (`contact_type` holds its name), KPI_COLUMNS, for one replication."""
    visits = visits or visit_outcomes(log)
    contacts = contact_outcomes(log, visits)
    shared = Shared(visits, contacts, model, business_clock(model, log))
    rows, by_types = [], {}
    for segment in segments(log, contacts, model):
        same = by_types.get(segment.holds)
        if same is not None:  # the same contacts under another name (a type, its channel…): copied
            row = {**same, "contact_type": segment.name}
        else:
            row = {"contact_type": segment.name, **queue_kpis(visits, segment, model, shared),
                   **contact_kpis(contacts, segment, model, shared)}
            by_types[segment.holds] = row
        if segment.name == ALL:
            row.update(agent_kpis(log, visits, model))
            row.update(lever_costs(contacts, model))
            parts = [row["cost"], row["self_service_cost"], row["automation_cost"]]
            row["cost"] = np.nansum(parts) if not np.isnan(parts).all() else np.nan  # empty when nothing costs
            row["cost_per_resolved"] = ratio(row["cost"], row["resolved"] + np.nansum(
                [row["deflected"], row["auto_resolved"]]))
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["contact_type"] + KPI_COLUMNS)


def segments(log: EventLog, contacts: ContactOutcomes, model: ModelConfig) -> list[Segment]:
    """Each contact type; each channel if there are several; each priority if there are several
    (tiers included); then `all`. Channel and priority rows are always there when they can differ,
    so scripts find them whatever the mix of types (`repeats_an_earlier_row` tells which say nothing new)."""
    types = model.contacts
    result = [Segment(c.name, log.contact_type == k, contacts.contact_type == k, (c,)) for k, c in enumerate(types)]
    channels = sorted({c.channel for c in types}, key=CHANNELS.index)
    if len(channels) > 1:
        for channel in channels:
            code = CHANNELS.index(channel)
            result.append(Segment(f"channel:{channel}", log.channel == code, contacts.channel == code,
                                  tuple(c for c in types if c.channel == channel)))
    priorities = sorted({tier.priority for c in types for tier in c.tiers}, reverse=True)
    if len(priorities) > 1:
        for priority in priorities:
            result.append(Segment(f"priority:{priority}", log.priority == priority, contacts.priority == priority,
                                  tuple(c for c in types if any(t.priority == priority for t in c.tiers))))
    result.append(Segment(ALL, np.ones(len(log), bool), np.ones(log.contacts, bool), tuple(types)))
    return result


def row_names(model: ModelConfig) -> list[str]:
    """The row keys `segments` makes for this model, in the same order (known before any run)."""
    types = model.contacts
    channels = sorted({c.channel for c in types}, key=CHANNELS.index)
    priorities = sorted({tier.priority for c in types for tier in c.tiers}, reverse=True)
    return ([c.name for c in types] + ([f"channel:{ch}" for ch in channels] if len(channels) > 1 else [])
            + ([f"priority:{p}" for p in priorities] if len(priorities) > 1 else []) + [ALL])


def row_types(name: str, model: ModelConfig) -> tuple:
    """The contact types a row (by its name, as `row_names` makes them) counts."""
    kind, _, value = name.partition(":")
    if kind == "channel":
        return tuple(c for c in model.contacts if c.channel == value)
    if kind == "priority":
        return tuple(c for c in model.contacts if any(str(t.priority) == value for t in c.tiers))
    return tuple(model.contacts) if name == ALL else tuple(c for c in model.contacts if c.name == name)


def repeats_an_earlier_row(name: str, model: ModelConfig) -> bool:
    """True for a channel or priority row that holds exactly what an earlier row holds (its KPIs
    are a copy: the console leaves it out, the CSVs keep it). `all` stays: it has the agent KPIs."""
    names = row_names(model)
    mine = holds(name, row_types(name, model))
    return name != ALL and name not in model.contact_names and any(
        holds(other, row_types(other, model)) == mine for other in names[:names.index(name)])


def _uses(segment: Segment, mechanism) -> bool:
    return any(mechanism(contact) for contact in segment.types)


def can_abandon(contact) -> bool:
    return contact.patience is not None


def impatient_visits(log: EventLog, model: ModelConfig) -> np.ndarray:
    """Visits of contact types that can abandon: abandonment rates are shares of these only, so
    email tickets in the same row do not dilute them."""
    return np.array([can_abandon(c) for c in model.contacts])[log.contact_type]


def can_escalate(contact) -> bool:
    return contact.resolution is not None and contact.resolution.escalate_to is not None


def can_repeat(contact) -> bool:
    return contact.repeat is not None


def queue_kpis(visits: VisitOutcomes, segment: Segment, model: ModelConfig, shared: Shared) -> dict:
    """Counts, waits and service level of the segment's front-line visits in the measured period."""
    settings, log = model.kpis, visits.log
    mask = visits.measured & visits.front_line & segment.visits
    wait, answered, abandoned = visits.wait_s[mask], visits.answered[mask], visits.abandoned[mask]
    offered = int(mask.sum())
    short = abandoned & (wait < settings.short_abandon_s)
    within = answered & (wait <= settings.service_level_threshold_s)
    handled = visits.handled[mask]
    could = int((mask & shared.impatient).sum())  # offered visits of types that can abandon
    abandonment = _uses(segment, can_abandon)
    return {
        "offered": offered, "answered": int(answered.sum()), "abandoned": int(abandoned.sum()),
        "short_abandoned": int(short.sum()), "still_waiting": int(visits.waiting[mask].sum()),
        "abandon_rate": ratio(abandoned.sum(), could) if abandonment else np.nan,
        "abandon_rate_net": ratio(abandoned.sum() - short.sum(), could - short.sum()) if abandonment else np.nan,
        "service_level": ratio(within.sum(), offered - _excluded(settings, abandoned, short)),
        "asa_s": mean(wait[answered]), "p_wait": ratio((wait > 0).sum(), offered), **wait_percentiles(wait),
        "aht_s": mean(log.handling_s[mask][handled]),
        "escalation_rate": ratio((log.outcome[mask] == ESCALATED).sum(), handled.sum())
        if _uses(segment, can_escalate) else np.nan,
        "repeat_rate": ratio(((log.repeat[mask] > 0) & (log.attempt[mask] == 0)).sum(), offered)
        if _uses(segment, can_repeat) else np.nan,
        **_callback_kpis(visits, mask, model, segment),
        "queue_len_mean": waiting_integral(visits, visits.on_hold & segment.visits) / window(log),
    }


def contact_kpis(contacts: ContactOutcomes, segment: Segment, model: ModelConfig, shared: Shared) -> dict:
    """First response, resolution, FCR, loss and SLA of the segment's contacts that arrived in the period."""
    mask = contacts.measured & segment.contacts
    arrival, responded = contacts.arrival_s[mask], contacts.first_response_s[mask]
    resolved = contacts.resolved_s[mask]
    done = ~np.isnan(resolved)
    to_resolve_h = (resolved[done] - arrival[done]) / 3600.0
    clock = shared.clock
    business = clock is not None and model.calendar.business_hours is not None
    lifecycle = _uses(segment, can_escalate) or _uses(segment, can_repeat)
    portal, bots = _front_door_types(model)
    return {
        "contacts": int(mask.sum()), "resolved": int(done.sum()),
        "deflected": int((shared.deflected & mask).sum()) if _uses(segment, portal) else np.nan,
        "auto_resolved": int((shared.auto_resolved & mask).sum()) if _uses(segment, bots) else np.nan,
        "first_response_s": mean(defined(responded - arrival)),
        "first_response_business_s": mean(_business(clock, arrival, responded)) if business else np.nan,
        "resolution_time_h": mean(to_resolve_h), "resolution_p90_h": percentile(to_resolve_h, 90),
        "resolution_time_business_h": mean(_business(clock, arrival[done], resolved[done]) / 3600.0)
        if business else np.nan,
        "fcr_rate": ratio(contacts.first_contact_resolved[mask].sum(), done.sum()) if lifecycle else np.nan,
        "lost_rate": ratio((shared.lost & mask).sum(), (mask & shared.reached_desk
                                                        & shared.impatient[:contacts.log.contacts]).sum())
        if _uses(segment, can_abandon) else np.nan,
        "sla_met_rate": sla_met(shared.sla, mask),
        "sla_overtaken_rate": sla_overtaken(shared.sla, mask),
        "backlog_end": int((contacts.open_at_end & segment.contacts).sum()),
    }


def _callback_kpis(visits: VisitOutcomes, mask: np.ndarray, model: ModelConfig, segment: Segment) -> dict:
    """Offers, acceptances, call backs that missed the customer, and the delay to the call back."""
    policy = model.policies.callback
    if policy is None or not _uses(segment, lambda c: c.channel == "phone" and (
            not policy.applies_to or c.name in policy.applies_to)):
        return {"callbacks_offered": np.nan, "callbacks_accepted": np.nan, "callbacks_missed": np.nan,
                "callback_delay_s": np.nan}
    log = visits.log
    offer, accepted = log.callback[mask], log.callback[mask] == 2
    return {"callbacks_offered": int((offer >= 1).sum()), "callbacks_accepted": int(accepted.sum()),
            "callbacks_missed": int(visits.missed[mask].sum()),
            "callback_delay_s": mean(visits.wait_s[mask][accepted & visits.answered[mask]])}


def _front_door_types(model: ModelConfig):
    """Tests: does a contact type go through the self-service portal; can a bot resolve it."""
    portal, automation = model.policies.self_service, model.policies.automation
    bot_types = {name for name, share in automation.auto_resolve if share > 0} if automation else set()
    return (lambda c: portal is not None and c.name in portal.applies_to), (lambda c: c.name in bot_types)


def lever_costs(contacts: ContactOutcomes, model: ModelConfig) -> dict:
    """What the portal's sessions and the automation's contacts cost in the period (empty if unused)."""
    portal, automation = model.policies.self_service, model.policies.automation
    names = np.array([c.name for c in model.contacts])[contacts.contact_type]
    measured = contacts.measured
    sessions = (contacts.log.tried_self_service[:contacts.log.contacts] & measured).sum()
    automated = (measured & np.isin(names, sorted(automation.types))).sum() if automation else 0
    return {"self_service_cost": sessions * portal.cost_per_session if portal else np.nan,
            "automation_cost": automated * automation.cost_per_contact if automation else np.nan}


def _business(clock, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return defined(clock.between(start, end))


def waiting_integral(visits: VisitOutcomes, selected: np.ndarray) -> float:
    """∫ (selected visits waiting) dt over the measured period."""
    log = visits.log
    starts = np.maximum(log.arrival_s[selected], log.measure_from_s)
    ends = np.minimum(log.arrival_s[selected] + visits.wait_s[selected], log.measure_to_s)
    return float((ends - starts).clip(min=0).sum())


def _excluded(settings, abandoned: np.ndarray, short: np.ndarray) -> int:
    variant = settings.service_level_abandoned
    if variant == "exclude":
        return int(abandoned.sum())
    return int(short.sum()) if variant == "exclude_short" else 0


def wait_percentiles(wait: np.ndarray) -> dict:
    p50, p90, p95 = np.percentile(wait, [50, 90, 95]) if len(wait) else (np.nan,) * 3
    return {"mean_wait_s": mean(wait), "wait_p50_s": float(p50), "wait_p90_s": float(p90), "wait_p95_s": float(p95)}


def window(log: EventLog) -> float:
    return log.measure_to_s - log.measure_from_s
