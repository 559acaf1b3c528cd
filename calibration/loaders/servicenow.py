"""ServiceNow incident audit logs (UCI #498): several rows per incident -> one contact per incident.

Each row is the incident as it stood after one update. Decisions, and why:

- Rows are put in `sys_mod_count` order, ties (a handful of incidents repeat a count, or list a
  later count first) broken by `sys_updated_at` then file order; those incidents are noted.
- The last row is the incident's final state: priority, contact type, resolution and closing
  time, reassignment and reopen counts come from it. The group is the *first* non-missing
  `assignment_group` (where the ticket landed), the agent the last `assigned_to`.
- First touch (`answered_at`) is the first update in state `Active`; the wait is opened -> first
  touch. No handle time and no abandonment exist in this source (NaN / False).
- `?` means missing. An incident closed with no `resolved_at` is kept with `resolved_at` NaT (its
  `ended_at` is the closing time), noted, so resolution-time fits can treat it as they see fit.
- Incidents resolved or closed before they were opened, or with an unreadable opening time,
  are rejected (with all their rows).
"""
from __future__ import annotations

import pandas as pd

from calibration.history import History, normalise_contacts
from calibration.loaders.common import (CaseScreen, Screen, finish, is_missing, load_each,
                                        number_in_label, parse_wall_clock, read_rows,
                                        require_columns, start_account)
from calibration.loaders.dates import check_date_format, resolve_date_format

SERVICENOW_TIME_FORMAT = "%d/%m/%Y %H:%M"
TIME_COLUMNS = ("sys_updated_at", "opened_at", "resolved_at", "closed_at")
USED_COLUMNS = ("number", "incident_state", "sys_mod_count", "sys_updated_at", "opened_at",
                "resolved_at", "closed_at", "reassignment_count", "reopen_count", "priority",
                "assignment_group", "assigned_to", "caller_id")


def load_servicenow(paths, *, contact_type: str = "category",
                    time_format: str = SERVICENOW_TIME_FORMAT) -> History:
    """Incidents of one or more audit-log exports (`.csv` or `.csv.gz`).

    `contact_type` names the column that becomes the contact type (`category`, `contact_type`
    for the channel, `subcategory`, ...). `time_format`: the export's date pattern, or a
    convention of `calibration.loaders.dates` (`auto` tells day-first from month-first).
    """
    return load_each(paths, _load_export, contact_type=contact_type, time_format=check_date_format(time_format))


def _load_export(path, contact_type: str, time_format: str) -> History:
    rows = read_rows(path)
    require_columns(rows.rows, USED_COLUMNS + (contact_type,), path)
    time_format = resolve_date_format({name: rows.rows[name] for name in TIME_COLUMNS}, time_format, path.name)
    _screen_rows(rows, time_format)
    cases = _incidents(rows, contact_type, time_format, path.name)
    _screen_incidents(cases)
    contacts = normalise_contacts(_as_contacts(cases.rows), path.name)
    return finish(contacts, [rows.account, cases.account], path)


def _screen_rows(rows: Screen, time_format: str) -> None:
    """Row-level faults: no incident number, exact repeats, unreadable order keys."""
    rows.reject(is_missing(rows.rows["number"]), "no incident number")
    rows.reject(rows.rows.drop(columns="line").duplicated(), "duplicate row")
    order = pd.to_numeric(rows.rows["sys_mod_count"], errors="coerce")
    updated, bad_update = parse_wall_clock(rows.rows["sys_updated_at"], time_format)
    rows.rows = rows.rows.assign(order=order, updated=updated)
    rows.reject(order.isna(), "unparsable sys_mod_count")
    rows.reject(bad_update, "unparsable time (sys_updated_at)")


def _incidents(rows: Screen, contact_type: str, time_format: str, source: str) -> CaseScreen:
    """One line per incident: final state from the last row, landing group from the first."""
    ordered = rows.rows.sort_values(["number", "order", "updated", "line"], kind="stable")
    by_incident = ordered.groupby("number", sort=False)
    last = by_incident.tail(1).set_index("number")
    first_line = by_incident["line"].min()
    same_incident = ordered["number"].eq(ordered["number"].shift())
    backwards = same_incident & ordered["line"].lt(ordered["line"].shift())
    disordered = (backwards | ordered.duplicated(["number", "order"])).groupby(ordered["number"]).any()
    group = ordered[~is_missing(ordered["assignment_group"])].groupby("number")["assignment_group"]
    touched = ordered[ordered["incident_state"].eq("Active")].groupby("number")["updated"].min()
    cases = pd.DataFrame({
        "number": last.index, "line": first_line.reindex(last.index).to_numpy(),
        "rows": by_incident.size().reindex(last.index).to_numpy(),
        "out_of_order": disordered.reindex(last.index).to_numpy(),
        "first_group": group.first().reindex(last.index).to_numpy(),
        "first_touch": touched.reindex(last.index).to_numpy(),
        "contact_type": last[contact_type].to_numpy(),
    }, index=last.index)
    for name in USED_COLUMNS[2:]:
        cases[f"last_{name}"] = last[name].to_numpy()
    account = start_account(source, "case", len(cases))
    screen = CaseScreen(cases.reset_index(drop=True), account, rows, "number")
    times = _parsed_times(screen, time_format)  # rejects first, so assign to what is left
    screen.rows = screen.rows.assign(**times)
    return screen


def _parsed_times(cases: CaseScreen, time_format: str) -> dict:
    """Opening, resolution and closing times; unreadable ones reject the incident."""
    parsed = {}
    for name in ("opened_at", "resolved_at", "closed_at"):
        values, unreadable = parse_wall_clock(cases.rows[f"last_{name}"], time_format)
        cases.reject(unreadable, f"unparsable time ({name})")
        parsed[name] = values
    return {name: values.reindex(cases.rows.index) for name, values in parsed.items()}


def _screen_incidents(cases: CaseScreen) -> None:
    """Incident-level faults and the interpretations that keep an incident."""
    rows = cases.rows
    cases.reject(rows["opened_at"].isna(), "no opening time")
    cases.reject(cases.rows["resolved_at"] < cases.rows["opened_at"], "resolved before opened")
    cases.reject(cases.rows["closed_at"] < cases.rows["opened_at"], "closed before opened")
    counts = {name: pd.to_numeric(cases.rows[f"last_{name}"], errors="coerce")
              for name in ("reassignment_count", "reopen_count")}
    cases.rows = cases.rows.assign(**counts, priority=number_in_label(cases.rows["last_priority"]))
    cases.reject(cases.rows[list(counts)].isna().any(axis=1) |
                 (cases.rows[list(counts)] < 0).any(axis=1), "unparsable count")
    rows = cases.rows
    cases.note(rows["out_of_order"], "audit rows out of order or sys_mod_count repeated (re-sorted)")
    cases.note(rows["resolved_at"].isna(), "no resolved_at (kept; ended_at = closed_at)")
    cases.note(rows["priority"].isna(), "priority unreadable (kept as unknown)")
    early_touch = rows["first_touch"] < rows["opened_at"]
    cases.note(early_touch, "first touch before opened (first touch dropped)")
    cases.rows = rows.assign(first_touch=rows["first_touch"].where(~early_touch))


def _as_contacts(cases: pd.DataFrame) -> pd.DataFrame:
    """The normalised contact columns of kept incidents."""
    answered = pd.to_datetime(cases["first_touch"])
    return pd.DataFrame({
        "contact_id": cases["number"],
        "arrived_at": cases["opened_at"],
        "contact_type": cases["contact_type"].where(~is_missing(cases["contact_type"]), None),
        "priority": cases["priority"].astype("Int64"),
        "answered_at": answered,
        "ended_at": cases["closed_at"],
        "wait_s": (answered - cases["opened_at"]).dt.total_seconds(),
        "resolved_at": cases["resolved_at"],
        "agent": _known(cases["last_assigned_to"]),
        "customer_id": _known(cases["last_caller_id"]),
        "escalation_count": cases["reassignment_count"].astype(int),
        "reopen_count": cases["reopen_count"].astype(int),
        "group": _known(cases["first_group"]),
        "source_line": cases["line"],
        "source_rows": cases["rows"],
    })


def _known(values: pd.Series) -> pd.Series:
    return values.where(~is_missing(values), None)
