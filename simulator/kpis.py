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

from .blocks import Parts
from .config import CHANNELS, ModelConfig
from .counted import QUEUE_FLAGS, CountedContacts, QueueVisits, gathered_values, row_counts
from .eventlog import EventLog
from .outcomes import ContactOutcomes, Rows, VisitOutcomes, contact_outcomes, visit_outcomes
from .sla import SLA_COUNTS, business_clock, sla_met, sla_overtaken, sla_status
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
    before the counted contacts are read, so its temporaries do not peak on top of theirs, and let go
    of once counted, before the values of the means are gathered."""
    contacts = contact_outcomes(log, visits)
    clock = business_clock(model, log)
    sla = sla_status(contacts, model, clock)
    with_sla, business = sla is not None, clock is not None and model.calendar.business_hours is not None
    counted = Parts(log.contacts, lambda block: CountedContacts(contacts, block, impatient(model), clock, sla))
    flags = _CONTACT_FLAGS + (("business_responded", "business_resolved") if business else ()) + \
        (SLA_COUNTS if with_sla else ())
    counts = row_counts(counted, first.values(), flags)
    sla = None  # the parts made from here on have no SLA status (a part kept whole keeps its own)
    for (holds, segment), counted_here in zip(first.items(), counts):
        found[holds].update(contact_kpis(contacts, segment, model, counted, counted_here, with_sla, business))
    return lever_costs(contacts, model)


_CONTACT_FLAGS = ("resolved", "responded", "deflected", "auto_resolved", "first_contact_resolved", "lost",
                  "could_be_lost")


def _queue_rows(visits: VisitOutcomes, model: ModelConfig, first: dict, found: dict) -> None:
    """Each segment's queue KPIs into `found`, from the offered visits and their flags (a block at a time)."""
    offered = Parts(len(visits.log), lambda block: QueueVisits(visits, model.kpis, impatient(model), block))
    for (holds, segment), counts in zip(first.items(), row_counts(offered, first.values(), QUEUE_FLAGS)):
        found[holds].update(queue_kpis(segment, model, offered, counts))


def _in_line_rows(visits: VisitOutcomes, first: dict, found: dict) -> None:
    """Each segment's mean queue length: ∫ (its visits in line) dt over the measured period, per second."""
    waited = Parts(len(visits.log), lambda block: in_line(visits, block))
    for (holds, segment), counts in zip(first.items(), row_counts(waited, first.values(), ())):
        in_window_s = gathered_values(waited, segment, "in_window_s", None, counts["rows"])
        found[holds]["queue_len_mean"] = float(in_window_s.sum()) / window(visits.log)


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


def impatient(model: ModelConfig) -> np.ndarray:
    """Per contact type: can its callers abandon?"""
    return np.array([can_abandon(c) for c in model.contacts])


def can_escalate(contact) -> bool:
    return contact.resolution is not None and contact.resolution.escalate_to is not None


def can_repeat(contact) -> bool:
    return contact.repeat is not None


def queue_kpis(segment: Segment, model: ModelConfig, offered: Parts, counts: dict) -> dict:
    """Counts, waits and service level of the segment's front-line visits in the measured period
    (`offered`: QueueVisits, a block at a time; `counts`: how many of them have each of QUEUE_FLAGS).
    Each mean's values are gathered (and let go of) one after another."""
    settings, count = model.kpis, counts["rows"]
    answered, abandoned, short, could = (counts[name] for name in ("answered", "abandoned", "short", "impatient"))
    excluded = {"exclude": abandoned, "exclude_short": short}.get(settings.service_level_abandoned, 0)
    abandonment = _uses(segment, can_abandon)
    return {
        "offered": count, "answered": answered, "abandoned": abandoned,
        "short_abandoned": short, "still_waiting": counts["waiting"],
        "abandon_rate": ratio(abandoned, could) if abandonment else np.nan,
        "abandon_rate_net": ratio(abandoned - short, could - short) if abandonment else np.nan,
        "service_level": ratio(counts["within"], count - excluded),
        "asa_s": mean(gathered_values(offered, segment, "wait_s", "answered", answered)),
        "p_wait": ratio(counts["waited"], count),
        **wait_percentiles(gathered_values(offered, segment, "wait_s", None, count)),
        "aht_s": mean(gathered_values(offered, segment, "handling_s", "handled", counts["handled"])),
        "escalation_rate": ratio(counts["escalated"], counts["handled"]) if _uses(segment, can_escalate) else np.nan,
        "repeat_rate": ratio(counts["repeat_call"], count) if _uses(segment, can_repeat) else np.nan,
        **_callback_kpis(offered, segment, model, counts),
    }


def contact_kpis(contacts: ContactOutcomes, segment: Segment, model: ModelConfig, counted: Parts, counts: dict,
                 sla: bool, business: bool) -> dict:
    """First response, resolution, FCR, loss and SLA of the segment's contacts that arrived in the period
    (`counted`: CountedContacts, a block at a time; `counts`: how many of them have each flag; `sla`,
    `business`: SLAs, business hours modelled). Each mean's values are gathered (and let go of) one after
    another; the resolution times' percentile reorders their gathered copy, after their mean."""
    resolved = counts["resolved"]
    lifecycle = _uses(segment, can_escalate) or _uses(segment, can_repeat)
    portal, bots = _front_door_types(model)
    open_at_end = contacts.open_at_end if segment.column is None else contacts.open_at_end & segment.pick(contacts)
    kpis = {
        "contacts": counts["rows"], "resolved": resolved,
        "deflected": counts["deflected"] if _uses(segment, portal) else np.nan,
        "auto_resolved": counts["auto_resolved"] if _uses(segment, bots) else np.nan,
        "first_response_s": mean(gathered_values(counted, segment, "response_s", "responded", counts["responded"])),
        "first_response_business_s": mean(gathered_values(
            counted, segment, "business_response_s", "business_responded", counts["business_responded"]))
        if business else np.nan}
    to_resolve_h = gathered_values(counted, segment, "resolution_h", "resolved", resolved)
    kpis["resolution_time_h"] = mean(to_resolve_h)
    kpis["resolution_p90_h"] = percentile(to_resolve_h, 90, scratch=True)
    del to_resolve_h
    return {**kpis,
            "resolution_time_business_h": mean(gathered_values(
                counted, segment, "business_resolution_h", "business_resolved", counts["business_resolved"]))
            if business else np.nan,
            "fcr_rate": ratio(counts["first_contact_resolved"], resolved) if lifecycle else np.nan,
            "lost_rate": ratio(counts["lost"], counts["could_be_lost"]) if _uses(segment, can_abandon) else np.nan,
            "sla_met_rate": sla_met(counts if sla else None),
            "sla_overtaken_rate": sla_overtaken(counts if sla else None),
            "backlog_end": np.count_nonzero(open_at_end)}


def _callback_kpis(offered: Parts, segment: Segment, model: ModelConfig, counts: dict) -> dict:
    """Offers, acceptances, call backs that missed the customer, and the delay to the call back."""
    policy = model.policies.callback
    if policy is None or not _uses(segment, lambda c: c.channel == "phone" and (
            not policy.applies_to or c.name in policy.applies_to)):
        return {"callbacks_offered": np.nan, "callbacks_accepted": np.nan, "callbacks_missed": np.nan,
                "callback_delay_s": np.nan}
    return {"callbacks_offered": counts["callback_offered"], "callbacks_accepted": counts["callback_accepted"],
            "callbacks_missed": counts["missed"],
            "callback_delay_s": mean(gathered_values(offered, segment, "wait_s", "callback_answered",
                                               counts["callback_answered"]))}


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


def in_line(visits: VisitOutcomes, block: slice = slice(None)) -> Rows:
    """The visits that stood in a line (`on_hold`, whenever they arrived; those of a block of rows, if
    given), with `in_window_s`: the seconds each waited inside the measured period, whose sum over a
    row's visits is ∫ (queue length) dt. Their arrivals and waits are read for it, not kept."""
    log = visits.log
    waited = Rows(visits.on_hold[block], visits, log, first=block.start or 0)
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
    """Mean and percentiles of the waits (a gathered copy: the percentiles reorder it, after the mean)."""
    average = mean(wait)
    p50, p90, p95 = np.percentile(wait, [50, 90, 95], overwrite_input=True) if len(wait) else (np.nan,) * 3
    return {"mean_wait_s": average, "wait_p50_s": float(p50), "wait_p90_s": float(p90), "wait_p95_s": float(p95)}


def window(log: EventLog) -> float:
    return log.measure_to_s - log.measure_from_s
