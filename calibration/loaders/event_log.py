"""Process-mining event logs (one row per event of a case) -> one contact per case (ticket).

Which activities mean first touch, escalation, resolution and closing differs per helpdesk, so it
comes from an `EventLogMapping`: a preset (`helpdesk_italy`, `bpic13`), a dict, or a YAML/JSON file,
each field overridable. Decisions shared by all logs, and why:

- Arrival is the case's first event; first touch the first `answered` activity (its resource is
  the agent); resolution the *last* `resolved` activity (the one that stuck); end the last
  `ended` activity (closing). Resolved more than once = reopened (`reopen_count` = resolutions - 1).
- Escalations = `escalated` activities, plus changes of support group if the mapping says so.
- Exact repeats of an event (same case, activity, resource, time...) are rejected as duplicates:
  in the Italian log 88 of them are second "Resolve ticket" rows that would fake reopens.
- An event with no case id, no or an unreadable timestamp is rejected on its own; its case keeps
  its other events. A case whose events were all rejected is rejected as "no usable events".
- A written UTC offset is dropped and the wall clock kept (the Italian `+00:00` is really
  Europe/Rome wall clock), unless `timezone` is given and the mapping trusts offsets.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import pandas as pd
import yaml

from calibration.history import History, HistoryError, normalise_contacts
from calibration.loaders.common import (UTC_OFFSET, Screen, finish, is_missing, load_each,
                                        number_in_label, parse_wall_clock, read_rows,
                                        require_columns, start_account)
from calibration.loaders.dates import check_date_format, resolve_date_format


@dataclass(frozen=True)
class EventLogMapping:
    """Where an event log keeps each fact, and which activities mean what for a helpdesk."""

    case: str = "case:concept:name"
    activity: tuple = ("concept:name",)   # columns joined with "/" into an activity name
    timestamp: str = "time:timestamp"
    resource: str | None = "org:resource"
    group: str | None = None
    answered: tuple = ()
    escalated: tuple = ()
    resolved: tuple = ()
    ended: tuple = ()
    group_change_is_escalation: bool = False
    offset_is_wall_clock: bool = False
    contact_type: str | None = None        # column; None -> `default_contact_type`
    default_contact_type: str = "ticket"
    priority: str | None = None            # column
    priority_levels: dict = field(default_factory=dict)  # label -> number; else leading digits
    customer: str | None = None
    time_format: str | None = None         # None -> `auto` (see dates.py): ISO 8601 or told apart

    def columns(self) -> list[str]:
        optional = (self.resource, self.group, self.contact_type, self.priority, self.customer)
        return [self.case, *self.activity, self.timestamp, *[c for c in optional if c]]


PRESETS = {
    "helpdesk_italy": EventLogMapping(
        answered=("Take in charge ticket",), escalated=("Require upgrade",),
        resolved=("Resolve ticket",), ended=("Closed",), offset_is_wall_clock=True),
    "bpic13": EventLogMapping(
        case="case_id", activity=("concept:name", "lifecycle:transition"),
        group="org:group", answered=("Accepted/In Progress",),
        resolved=("Completed/Resolved", "Completed/In Call"),
        ended=("Completed/Closed", "Completed/Cancelled"), group_change_is_escalation=True,
        default_contact_type="incident", priority="impact",
        priority_levels={"Major": 1, "High": 2, "Medium": 3, "Low": 4}),
}


def event_log_mapping(preset: str | None = None, mapping=None) -> EventLogMapping:
    """A mapping from a preset name, overridden by a dict or a YAML/JSON file (which may name
    its own `preset`)."""
    overrides = dict(_read_mapping(mapping))
    preset = overrides.pop("preset", preset)
    if preset is not None and preset not in PRESETS:
        raise HistoryError(f"unknown event-log preset {preset!r}; known: {', '.join(PRESETS)}")
    base = PRESETS[preset] if preset else EventLogMapping()
    known = {f.name for f in fields(EventLogMapping)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise HistoryError(f"unknown event-log mapping key(s): {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(known))}")
    for name in ("activity", "answered", "escalated", "resolved", "ended"):
        if isinstance(overrides.get(name), str):
            overrides[name] = (overrides[name],)
        elif name in overrides:
            overrides[name] = tuple(overrides[name])
    return replace(base, **overrides)


def _read_mapping(mapping) -> dict:
    if mapping is None:
        return {}
    if isinstance(mapping, EventLogMapping):
        return {f.name: getattr(mapping, f.name) for f in fields(mapping)}
    if isinstance(mapping, dict):
        return mapping
    path = Path(mapping)
    if not path.is_file():
        raise HistoryError(f"event-log mapping file not found: {path}")
    text = path.read_text()
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise HistoryError(f"{path.name}: an event-log mapping must be a set of key: value pairs")
    return loaded


def load_event_log(paths, *, preset: str | None = None, mapping=None,
                   timezone: str | None = None, date_format: str | None = None) -> History:
    """Tickets of one or more event-log CSV files (`.csv` or `.csv.gz`); `date_format` replaces the
    mapping's `time_format` (see `calibration.loaders.dates`)."""
    resolved_mapping = event_log_mapping(preset, mapping)
    if date_format is not None:
        resolved_mapping = replace(resolved_mapping, time_format=check_date_format(date_format))
    return load_each(paths, _load_log, mapping=resolved_mapping, timezone=timezone)


def _load_log(path, mapping: EventLogMapping, timezone) -> History:
    events = read_rows(path)
    table = events.rows
    require_columns(table, mapping.columns(), path, "this event-log mapping")
    case_ids = set(table.loc[~is_missing(table[mapping.case]), mapping.case])
    cases = start_account(path.name, "case", len(case_ids))
    _screen_events(events, mapping, timezone, path.name)
    lost = case_ids - set(events.rows[mapping.case])
    lines = table.loc[table[mapping.case].isin(lost)].groupby(mapping.case)["line"].min()
    cases.reject("no usable events", len(lost), sorted(lines))
    contacts = _tickets(events.rows, mapping)
    _note_cases(cases, contacts)
    return finish(normalise_contacts(contacts, path.name), [events.account, cases], path)


def _screen_events(events: Screen, mapping: EventLogMapping, timezone, source: str) -> None:
    events.reject(is_missing(events.rows[mapping.case]), "no case id")
    events.reject(is_missing(events.rows[mapping.timestamp]), "no timestamp")
    stamps = events.rows[mapping.timestamp]
    time_format = resolve_date_format({mapping.timestamp: stamps}, mapping.time_format or "auto", source)
    when, unreadable = parse_wall_clock(stamps, time_format, timezone=timezone,
                                        offset_is_wall_clock=mapping.offset_is_wall_clock)
    events.rows = events.rows.assign(when=when)
    events.reject(unreadable, f"unparsable time ({mapping.timestamp})")
    events.reject(events.rows.drop(columns=["line", "when"]).duplicated(), "duplicate event")
    has_offset = events.rows[mapping.timestamp].astype(str).str.strip().str.contains(UTC_OFFSET)
    kept_clock = "dropped, wall clock kept" if not timezone or mapping.offset_is_wall_clock \
        else f"converted to {timezone}"
    events.note(has_offset, f"UTC offset {kept_clock}")
    parts = [events.rows[column].astype(str) for column in mapping.activity]
    activity = functools.reduce(lambda joined, part: joined + "/" + part, parts)  # agg("/".join) fails on no rows
    events.rows = events.rows.assign(activity=activity)


def _tickets(events: pd.DataFrame, mapping: EventLogMapping) -> pd.DataFrame:
    """One row per case from its time-ordered events."""
    ordered = events.sort_values([mapping.case, "when", "line"], kind="stable")
    by_case = ordered.groupby(mapping.case, sort=True)
    first = by_case.head(1).set_index(mapping.case)
    tickets = pd.DataFrame(index=first.index)
    tickets["contact_id"] = first.index.astype(str)
    tickets["arrived_at"] = first["when"]
    tickets["source_line"] = by_case["line"].min()
    tickets["source_rows"] = by_case.size()
    answers = ordered[ordered["activity"].isin(mapping.answered)].groupby(mapping.case).head(1)
    answers = answers.set_index(mapping.case)
    tickets["answered_at"] = answers["when"]
    if mapping.resource:
        tickets["agent"] = answers[mapping.resource].where(~is_missing(answers[mapping.resource]))
    resolutions = ordered[ordered["activity"].isin(mapping.resolved)].groupby(mapping.case)["when"]
    tickets["resolved_at"] = resolutions.max()
    tickets["reopen_count"] = (resolutions.size() - 1).clip(lower=0)
    tickets["ended_at"] = ordered[ordered["activity"].isin(mapping.ended)] \
        .groupby(mapping.case)["when"].max()
    tickets["escalation_count"] = _escalations(ordered, mapping)
    tickets["wait_s"] = (tickets["answered_at"] - tickets["arrived_at"]).dt.total_seconds()
    _case_attributes(tickets, first, ordered, mapping)
    counts = ["reopen_count", "escalation_count"]
    tickets[counts] = tickets[counts].fillna(0).astype(int)
    return tickets.reset_index(drop=True)


def _escalations(ordered: pd.DataFrame, mapping: EventLogMapping) -> pd.Series:
    """Escalation activities, plus moves between known support groups when they count."""
    case = ordered[mapping.case]
    count = ordered["activity"].isin(mapping.escalated).groupby(case).sum()
    if mapping.group_change_is_escalation and mapping.group:
        group = ordered[mapping.group].where(~is_missing(ordered[mapping.group]))
        known = group.notna()
        previous = group[known].groupby(case[known]).shift()
        moved = previous.notna() & group[known].ne(previous)
        count = count.add(moved.groupby(case[known]).sum(), fill_value=0)
    return count


def _case_attributes(tickets, first, ordered, mapping: EventLogMapping) -> None:
    """Group, contact type, priority and customer as first recorded on the case."""
    by_case = ordered.groupby(mapping.case)
    if mapping.group:
        known = ordered[~is_missing(ordered[mapping.group])]
        tickets["group"] = known.groupby(mapping.case)[mapping.group].first()
    tickets["contact_type"] = (first[mapping.contact_type].where(~is_missing(first[
        mapping.contact_type]), mapping.default_contact_type) if mapping.contact_type
        else mapping.default_contact_type)
    if mapping.priority:
        labels = by_case[mapping.priority].first()
        levels = labels.map(mapping.priority_levels) if mapping.priority_levels else None
        tickets["priority"] = levels if levels is not None else number_in_label(labels)
    if mapping.customer:
        tickets["customer_id"] = first[mapping.customer].where(~is_missing(first[mapping.customer]))


def _note_cases(cases, tickets: pd.DataFrame) -> None:
    """Count tickets whose story is incomplete; they stay, censored or partial."""
    lines = tickets["source_line"]
    cases.note("never taken in charge (no first touch)", tickets["answered_at"].isna().sum(),
               lines[tickets["answered_at"].isna()])
    cases.note("never resolved", tickets["resolved_at"].isna().sum(),
               lines[tickets["resolved_at"].isna()])
    cases.note("never closed", tickets["ended_at"].isna().sum(), lines[tickets["ended_at"].isna()])
    reopened = tickets["reopen_count"] > 0
    cases.note("resolved more than once (reopened)", reopened.sum(), lines[reopened])
    if "priority" in tickets:
        unknown = tickets["priority"].isna()
        cases.note("priority unreadable (kept as unknown)", unknown.sum(), lines[unknown])
