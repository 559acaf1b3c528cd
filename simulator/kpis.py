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

from .config import CHANNELS, ModelConfig
from .eventlog import AUTO_RESOLVED, DEFLECTED, ESCALATED, LOST, EventLog
from .outcomes import ContactOutcomes, Rows, VisitOutcomes, contact_outcomes, offered_visits, visit_outcomes
from .sla import business_clock, sla_met, sla_overtaken, sla_status
from .stats import mean, percentile, ratio
from .agent_kpis import agent_kpis
from .table import Table

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
    """A row of the KPI table: which front-line visits and which contacts it counts (those whose
    `column` is `value`: a contact type, a channel or a priority; all when `column` is None), and what
    the contact types in it model (so KPIs of mechanisms they lack stay empty)."""

    name: str
    column: str | None
    value: int
    types: tuple

    @property
    def holds(self) -> tuple:
        return holds(self.name, self.types)

    def pick(self, table) -> np.ndarray | None:
        """Which of a table's visits or contacts (it has the column) the row counts; None: all of them."""
        return None if self.column is None else getattr(table, self.column) == self.value


def holds(name: str, types: tuple) -> tuple:
    """What a row counts: whole contact types (each with all its tiers), or a priority's share of
    them; two rows holding the same have the same KPIs."""
    whole = not name.startswith("priority:") or all(len(c.tiers) == 1 for c in types)
    return tuple(c.name for c in types) + (() if whole else (name,))


def counted_contacts(contacts: ContactOutcomes, model: ModelConfig, clock) -> Rows:
    """The contacts the contact KPIs count (first arrival in the measured period), with the times and
    flags every row reads: time to first response and to resolution (wall clock, and business hours
    when the calendar has them), lost, could have been lost, deflected, auto-resolved, FCR."""
    counted = Rows(contacts.measured, contacts)
    arrival, final = counted.arrival_s, counted.final
    counted.response_s = counted.first_response_s - arrival
    counted.responded = ~np.isnan(counted.response_s)
    counted.resolved = ~np.isnan(counted.resolved_s)
    counted.resolution_h = (counted.resolved_s - arrival) / 3600.0
    counted.lost = np.isin(final, LOST)
    impatient = np.array([can_abandon(c) for c in model.contacts])[counted.contact_type]
    counted.could_be_lost = ~np.isin(final, (DEFLECTED, AUTO_RESOLVED)) & impatient
    counted.deflected, counted.auto_resolved = final == DEFLECTED, final == AUTO_RESOLVED
    counted.first_contact_resolved = contacts.first_contact_resolved[counted.rows]
    if clock is not None and model.calendar.business_hours is not None:
        counted.business_response_s = clock.between(arrival, counted.first_response_s)
        counted.business_resolution_h = clock.between(arrival, counted.resolved_s) / 3600.0
    return counted


def replication_kpis(log: EventLog, model: ModelConfig, visits: VisitOutcomes | None = None):
    """`replication_kpi_table` as a pandas DataFrame."""
    return replication_kpi_table(log, model, visits).to_pandas()


def replication_kpi_table(log: EventLog, model: ModelConfig, visits: VisitOutcomes | None = None) -> Table:
    """One row per segment (`contact_type` holds its name), KPI_COLUMNS, for one replication."""
    visits = visits or visit_outcomes(log)
    agents = agent_kpis(log, visits, model)  # first: its sorts peak before the rows' arrays are made
    first = {}  # the first segment of each set of contacts a row can hold: a later row holding the same is a copy
    for segment in segments(model):
        first.setdefault(segment.holds, segment)
    found = {holds: {} for holds in first}
    # one kind of per-replication arrays at a time, each let go of before the next: their peaks do not stack
    costs = _contact_rows(log, visits, model, first, found)
    _queue_rows(visits, model, first, found)
    _in_line_rows(visits, first, found)
    rows = []
    for segment in segments(model):
        row = {"contact_type": segment.name, **found[segment.holds]}
        if segment.name == ALL:
            row.update(agents)
            row.update(costs)
            parts = [row["cost"], row["self_service_cost"], row["automation_cost"]]
            row["cost"] = np.nansum(parts) if not np.isnan(parts).all() else np.nan  # empty when nothing costs
            row["cost_per_resolved"] = ratio(row["cost"], row["resolved"] + np.nansum(
                [row["deflected"], row["auto_resolved"]]))
        rows.append(row)
    return Table.from_rows(rows, ["contact_type"] + KPI_COLUMNS)


def _contact_rows(log: EventLog, visits: VisitOutcomes, model: ModelConfig, first: dict, found: dict) -> dict:
    """Each segment's contact KPIs into `found`; returns the levers' costs. The SLA status is worked out
    before the counted contacts' arrays, so its temporaries do not peak on top of them."""
    contacts = contact_outcomes(log, visits)
    clock = business_clock(model, log)
    status = sla_status(contacts, model, clock)
    counted = counted_contacts(contacts, model, clock)
    sla = status.at(counted.rows) if status is not None else None
    del status
    for holds, segment in first.items():
        found[holds].update(contact_kpis(contacts, segment, model, counted, sla, clock))
    return lever_costs(contacts, model)


def _queue_rows(visits: VisitOutcomes, model: ModelConfig, first: dict, found: dict) -> None:
    """Each segment's queue KPIs into `found`, from the offered visits and their flags (made once)."""
    offered = offered_visits(visits)
    queue_flags(offered, model)
    for holds, segment in first.items():
        found[holds].update(queue_kpis(segment, model, offered))


def _in_line_rows(visits: VisitOutcomes, first: dict, found: dict) -> None:
    """Each segment's mean queue length: ∫ (its visits in line) dt over the measured period, per second."""
    waited = in_line(visits)
    for holds, segment in first.items():
        found[holds]["queue_len_mean"] = float(_values(waited.in_window_s, segment.pick(waited)).sum()) / \
            window(visits.log)


def segments(model: ModelConfig) -> list[Segment]:
    """Each contact type; each channel if there are several; each priority if there are several
    (tiers included); then `all`. Channel and priority rows are always there when they can differ,
    so scripts find them whatever the mix of types (`repeats_an_earlier_row` tells which say nothing new)."""
    types = model.contacts
    result = [Segment(c.name, "contact_type", k, (c,)) for k, c in enumerate(types)]
    channels = sorted({c.channel for c in types}, key=CHANNELS.index)
    if len(channels) > 1:
        for channel in channels:
            code = CHANNELS.index(channel)
            result.append(Segment(f"channel:{channel}", "channel", code,
                                  tuple(c for c in types if c.channel == channel)))
    priorities = sorted({tier.priority for c in types for tier in c.tiers}, reverse=True)
    if len(priorities) > 1:
        for priority in priorities:
            result.append(Segment(f"priority:{priority}", "priority", priority,
                                  tuple(c for c in types if any(t.priority == priority for t in c.tiers))))
    result.append(Segment(ALL, None, 0, tuple(types)))
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


def can_escalate(contact) -> bool:
    return contact.resolution is not None and contact.resolution.escalate_to is not None


def can_repeat(contact) -> bool:
    return contact.repeat is not None


def queue_kpis(segment: Segment, model: ModelConfig, offered: Rows) -> dict:
    """Counts, waits and service level of the segment's front-line visits in the measured period
    (`offered`: from `offered_visits`, with `queue_flags`)."""
    settings = model.kpis
    mine = segment.pick(offered)
    count = len(offered) if mine is None else np.count_nonzero(mine)
    wait = _values(offered.wait_s, mine)
    answered, abandoned, short = (_count(flags, mine) for flags in (offered.answered, offered.abandoned,
                                                                      offered.short))
    handled = _count(offered.handled, mine)
    could = _count(offered.impatient, mine)  # offered visits of types that can abandon
    excluded = {"exclude": abandoned, "exclude_short": short}.get(settings.service_level_abandoned, 0)
    abandonment = _uses(segment, can_abandon)
    return {
        "offered": count, "answered": answered, "abandoned": abandoned,
        "short_abandoned": short, "still_waiting": _count(offered.waiting, mine),
        "abandon_rate": ratio(abandoned, could) if abandonment else np.nan,
        "abandon_rate_net": ratio(abandoned - short, could - short) if abandonment else np.nan,
        "service_level": ratio(_count(offered.within, mine), count - excluded),
        "asa_s": mean(_values(offered.wait_s, mine, offered.answered)),
        "p_wait": ratio(_count(offered.waited, mine), count), **wait_percentiles(wait),
        "aht_s": mean(_values(offered.handling_s, mine, offered.handled)),
        "escalation_rate": ratio(_count(offered.escalated, mine), handled) if _uses(segment, can_escalate) else np.nan,
        "repeat_rate": ratio(_count(offered.repeat_call, mine), count) if _uses(segment, can_repeat) else np.nan,
        **_callback_kpis(offered, mine, model, segment),
    }


def queue_flags(offered: Rows, model: ModelConfig) -> None:
    """Flags of the offered visits every row counts, set once per replication: short abandons, answers
    within the threshold, waits at all, escalations, repeat calls, call-back offers and acceptances."""
    settings, wait = model.kpis, offered.wait_s
    offered.short = offered.abandoned & (wait < settings.short_abandon_s)
    offered.within = offered.answered & (wait <= settings.service_level_threshold_s)
    offered.waited = wait > 0
    offered.escalated = offered.outcome == ESCALATED
    offered.repeat_call = (offered.repeat > 0) & (offered.attempt == 0)  # a repeat's first try
    offered.callback_offered = offered.callback >= 1
    offered.callback_accepted = offered.callback == 2
    # visits of types that can abandon: abandonment rates are shares of these only (email tickets in
    # the same row do not dilute them)
    offered.impatient = np.array([can_abandon(c) for c in model.contacts])[offered.contact_type]


def _count(flags: np.ndarray, mine: np.ndarray | None) -> int:
    """How many of the row's visits (or contacts; `mine`, all: None) have the flag."""
    return int(np.count_nonzero(flags if mine is None else flags & mine))


def _values(column: np.ndarray, mine: np.ndarray | None, flags: np.ndarray | None = None) -> np.ndarray:
    """The column at the row's visits (or contacts) that have the flags (all: None), in row order: by
    index, which numpy gathers faster than by a scattered boolean mask."""
    chosen = flags if mine is None else mine if flags is None else mine & flags
    return column if chosen is None else column[np.flatnonzero(chosen)]


def contact_kpis(contacts: ContactOutcomes, segment: Segment, model: ModelConfig, counted: Rows, sla, clock) -> dict:
    """First response, resolution, FCR, loss and SLA of the segment's contacts that arrived in the period
    (`counted`: from `counted_contacts`; `sla`: their SLA status, None without SLAs)."""
    mine = segment.pick(counted)
    resolved = _count(counted.resolved, mine)
    to_resolve_h = _values(counted.resolution_h, mine, counted.resolved)
    business = clock is not None and model.calendar.business_hours is not None
    lifecycle = _uses(segment, can_escalate) or _uses(segment, can_repeat)
    portal, bots = _front_door_types(model)
    open_at_end = contacts.open_at_end if segment.column is None else contacts.open_at_end & segment.pick(contacts)
    return {
        "contacts": len(counted) if mine is None else np.count_nonzero(mine), "resolved": resolved,
        "deflected": _count(counted.deflected, mine) if _uses(segment, portal) else np.nan,
        "auto_resolved": _count(counted.auto_resolved, mine) if _uses(segment, bots) else np.nan,
        "first_response_s": mean(_values(counted.response_s, mine, counted.responded)),
        "first_response_business_s": mean(_defined(counted.business_response_s, mine)) if business else np.nan,
        "resolution_time_h": mean(to_resolve_h), "resolution_p90_h": percentile(to_resolve_h, 90),
        "resolution_time_business_h": mean(_defined(counted.business_resolution_h, mine)) if business else np.nan,
        "fcr_rate": ratio(_count(counted.first_contact_resolved, mine), resolved) if lifecycle else np.nan,
        "lost_rate": ratio(_count(counted.lost, mine), _count(counted.could_be_lost, mine))
        if _uses(segment, can_abandon) else np.nan,
        "sla_met_rate": sla_met(sla, True if mine is None else mine),
        "sla_overtaken_rate": sla_overtaken(sla, True if mine is None else mine),
        "backlog_end": np.count_nonzero(open_at_end),
    }


def _defined(column: np.ndarray, mine: np.ndarray | None) -> np.ndarray:
    """The column at the row's contacts, where it is not NaN."""
    return _values(column, mine, ~np.isnan(column))


def _callback_kpis(offered: Rows, mine: np.ndarray | None, model: ModelConfig, segment: Segment) -> dict:
    """Offers, acceptances, call backs that missed the customer, and the delay to the call back."""
    policy = model.policies.callback
    if policy is None or not _uses(segment, lambda c: c.channel == "phone" and (
            not policy.applies_to or c.name in policy.applies_to)):
        return {"callbacks_offered": np.nan, "callbacks_accepted": np.nan, "callbacks_missed": np.nan,
                "callback_delay_s": np.nan}
    return {"callbacks_offered": _count(offered.callback_offered, mine),
            "callbacks_accepted": _count(offered.callback_accepted, mine),
            "callbacks_missed": _count(offered.missed, mine),
            "callback_delay_s": mean(_values(offered.wait_s, mine, offered.callback_accepted & offered.answered))}


def _front_door_types(model: ModelConfig):
    """Tests: does a contact type go through the self-service portal; can a bot resolve it."""
    portal, automation = model.policies.self_service, model.policies.automation
    bot_types = {name for name, share in automation.auto_resolve if share > 0} if automation else set()
    return (lambda c: portal is not None and c.name in portal.applies_to), (lambda c: c.name in bot_types)


def lever_costs(contacts: ContactOutcomes, model: ModelConfig) -> dict:
    """What the portal's sessions and the automation's contacts cost in the period (empty if unused)."""
    portal, automation = model.policies.self_service, model.policies.automation
    measured = contacts.measured
    sessions = (contacts.log.tried_self_service[:contacts.log.contacts] & measured).sum()
    automated = (measured & np.isin(contacts.contact_type, [k for k, c in enumerate(model.contacts)
                                                            if c.name in automation.types])).sum() if automation else 0
    return {"self_service_cost": sessions * portal.cost_per_session if portal else np.nan,
            "automation_cost": automated * automation.cost_per_contact if automation else np.nan}


def in_line(visits: VisitOutcomes) -> Rows:
    """The visits that stood in a line (`on_hold`, whenever they arrived), with `in_window_s`: the seconds
    each waited inside the measured period, whose sum over a row's visits is ∫ (queue length) dt. Their
    arrivals and waits are read for it, not kept."""
    log = visits.log
    waited = Rows(visits.on_hold, visits, log)
    arrival = log.arrival_s[waited.rows]
    ends = arrival + visits.wait_s[waited.rows]
    np.minimum(ends, log.measure_to_s, out=ends)
    starts = np.maximum(arrival, log.measure_from_s)
    del arrival
    np.subtract(ends, starts, out=ends)
    del starts
    waited.in_window_s = ends.clip(min=0, out=ends)
    return waited


def wait_percentiles(wait: np.ndarray) -> dict:
    p50, p90, p95 = np.percentile(wait, [50, 90, 95]) if len(wait) else (np.nan,) * 3
    return {"mean_wait_s": mean(wait), "wait_p50_s": float(p50), "wait_p90_s": float(p90), "wait_p95_s": float(p95)}


def window(log: EventLog) -> float:
    return log.measure_to_s - log.measure_from_s
