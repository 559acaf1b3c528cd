"""A plain CSV with one row per contact (any ticketing or telephony export), columns mapped by name.

`mapping` is {field: column}. Fields whose column already carries the field's own name need no
entry, so a file in the project's contact schema loads with no mapping at all. Only `arrived_at` is
required. Decisions, and why:

- A value that is present but unreadable (time, number, yes/no flag) rejects the row, naming the
  field: guessing would bias the fit, and the books show how many rows it cost.
- Handle time comes from its column (seconds, or `H:MM:SS`), else ended - answered; ended from
  its column, else answered + handle. Wait comes from its column, else answered (or, for an
  abandoned contact, ended) - arrived.
- Contacts answered, ended or resolved before they arrived, negative durations and repeated
  contact ids are rejected.
- Dates are ISO 8601, or numeric day-first or month-first dates told apart by a day above 12 in
  any time column, and refused when nothing tells them apart (`date_format`, see `dates`).
"""
from __future__ import annotations

import pandas as pd

from calibration.history import History, HistoryError, normalise_contacts
from calibration.loaders.common import (Screen, finish, is_missing, load_each, number_in_label,
                                        parse_wall_clock, read_rows, require_columns)
from calibration.loaders.dates import check_date_format, resolve_date_format

TIME_FIELDS = ("arrived_at", "answered_at", "ended_at", "resolved_at")
DURATION_FIELDS = ("handle_time_s", "wait_s")
FLAG_FIELDS = ("abandoned", "escalated", "reopened")
COUNT_FIELDS = ("escalation_count", "reopen_count")
TEXT_FIELDS = ("contact_id", "contact_type", "agent", "customer_id", "group")
CSV_FIELDS = TIME_FIELDS + DURATION_FIELDS + FLAG_FIELDS + COUNT_FIELDS + TEXT_FIELDS + ("priority",)
ALIASES = {"handle_time": "handle_time_s", "wait": "wait_s", "customer": "customer_id"}
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}


def load_csv(paths, mapping: dict | None = None, *, sep: str = ",", date_format: str = "auto",
             timezone: str | None = None) -> History:
    """Contacts of one or more one-row-per-contact CSV files (`.csv` or `.csv.gz`); `date_format`:
    see `calibration.loaders.dates` (`auto` tells day-first from month-first dates where it can)."""
    mapping = _checked_mapping(mapping)
    return load_each(paths, _load_table, mapping=mapping, sep=sep, date_format=check_date_format(date_format),
                     timezone=timezone)


def _checked_mapping(mapping) -> dict:
    chosen = {ALIASES.get(name, name): column for name, column in (mapping or {}).items()}
    unknown = sorted(set(chosen) - set(CSV_FIELDS))
    if unknown:
        raise HistoryError(f"unknown contact field(s) in mapping: {', '.join(unknown)}; "
                           f"known: {', '.join(CSV_FIELDS)}")
    return chosen


def _load_table(path, mapping, sep, date_format, timezone) -> History:
    screen = read_rows(path, sep=sep)
    table = screen.rows
    columns = {name: name for name in CSV_FIELDS if name in table.columns} | mapping
    require_columns(table, [columns.get("arrived_at", "arrived_at")], path)
    require_columns(table, list(mapping.values()), path, "the mapping")
    values = {name: screen.rows[column] for name, column in columns.items()}
    screen.reject(is_missing(values["arrived_at"]), "no arrival time")
    times = {f"{columns[name]}": values[name].reindex(screen.rows.index) for name in TIME_FIELDS if name in values}
    time_format = resolve_date_format(times, date_format, path.name)
    parsed = _read_values(screen, values, time_format, timezone)
    contacts = _derive(screen, parsed, path.stem)
    return finish(normalise_contacts(contacts, path.name), [screen.account], path)


def _read_values(screen: Screen, values: dict, time_format, timezone) -> pd.DataFrame:
    """Each mapped field parsed to its type; unreadable values reject their row."""
    parsed = {}
    for name, raw in values.items():
        raw = raw.reindex(screen.rows.index)
        if name in TIME_FIELDS:
            parsed[name], bad = parse_wall_clock(raw, time_format, timezone=timezone)
        elif name in DURATION_FIELDS + COUNT_FIELDS:
            parsed[name], bad = _seconds_or_number(raw)
        elif name in FLAG_FIELDS:
            parsed[name], bad = _flag(raw)
        elif name == "priority":
            parsed[name], bad = number_in_label(raw), pd.Series(False, index=raw.index)
            screen.note(parsed[name].isna() & ~is_missing(raw), "priority unreadable (kept as unknown)")
        else:
            parsed[name] = raw.where(~is_missing(raw), None)
            bad = pd.Series(False, index=raw.index)
        kind = "time" if name in TIME_FIELDS else "flag" if name in FLAG_FIELDS else "number"
        screen.reject(bad, f"unparsable {kind} ({name})")
    frame = pd.DataFrame(parsed).reindex(screen.rows.index)
    return frame.assign(source_line=screen.rows["line"])


def _seconds_or_number(raw: pd.Series):
    """Plain numbers, or `H:MM:SS` / `5min`-style durations as seconds."""
    absent = is_missing(raw)
    number = pd.to_numeric(raw.where(~absent), errors="coerce")
    clock = pd.to_timedelta(raw.where(~absent & number.isna()), errors="coerce").dt.total_seconds()
    value = number.fillna(clock)
    return value, value.isna() & ~absent


def _flag(raw: pd.Series):
    words = raw.astype(str).str.strip().str.lower()
    value = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    value[words.isin(TRUE_WORDS)] = True
    value[words.isin(FALSE_WORDS)] = False
    return value.fillna(False).astype(bool), value.isna() & ~is_missing(raw)


def _derive(screen: Screen, parsed: pd.DataFrame, file_stem: str) -> pd.DataFrame:
    """Fill what can be computed from the rest, then reject contacts that contradict themselves."""
    frame = parsed.reindex(screen.rows.index)
    for name in TIME_FIELDS + DURATION_FIELDS:
        if name not in frame:
            frame[name] = pd.NaT if name in TIME_FIELDS else float("nan")
    served = (frame["ended_at"] - frame["answered_at"]).dt.total_seconds()
    frame["handle_time_s"] = frame["handle_time_s"].fillna(served)
    frame["ended_at"] = frame["ended_at"].fillna(
        frame["answered_at"] + pd.to_timedelta(frame["handle_time_s"], unit="s"))
    abandoned = frame["abandoned"] if "abandoned" in frame else pd.Series(False, frame.index)
    left = frame["ended_at"].where(abandoned, frame["answered_at"])
    frame["wait_s"] = frame["wait_s"].fillna((left - frame["arrived_at"]).dt.total_seconds())
    arrived = frame["arrived_at"]
    screen.reject(frame["answered_at"] < arrived, "answered before arrival")
    screen.reject(frame["ended_at"] < arrived, "ended before arrival")
    screen.reject(frame["resolved_at"] < arrived, "resolved before opened")
    screen.reject((frame[list(DURATION_FIELDS)] < 0).any(axis=1), "negative duration")
    if "contact_id" in frame:
        frame = frame.reindex(screen.rows.index)
        screen.reject(frame["contact_id"].notna() & frame["contact_id"].duplicated(), "duplicate")
    frame = frame.reindex(screen.rows.index)
    by_line = file_stem + "-" + frame["source_line"].astype(str)
    frame["contact_id"] = frame["contact_id"].fillna(by_line) if "contact_id" in frame else by_line
    frame["contact_type"] = frame.get("contact_type", pd.Series("contact", index=frame.index))
    frame["contact_type"] = frame["contact_type"].fillna("contact")
    return frame
