"""The date conventions histories are exported in, and telling them apart without guessing.

`date_format` (`--date-format` on the command line) is one of:
- `auto`: ISO 8601 (`2024-03-13 09:05`, `2024-03-13T09:05:00+01:00`), or numeric dates with `/`, `.`
  or `-` (`13/03/2024 09:05`) read day-first when some first field is above 12 and month-first when
  some second field is; refused, naming the columns, when none is (ambiguous) or both are (mixed);
- `iso`, `day-first` (dd/mm/yyyy), `month-first` (mm/dd/yyyy);
- a strftime pattern, e.g. `%d.%m.%y %H:%M` (for two-digit years and anything else).
Day-first and month-first dates need four-digit years; a time after the date is read as ISO 8601
(`9:05`, `09:05:33`, `09:05:33.250`). A date that does not fit the convention is unparsable (its row
is rejected and counted), never read the other way round.
"""
from __future__ import annotations

import pandas as pd

from calibration.history import HistoryError

NAMED = ("auto", "iso", "day-first", "month-first")
NUMERIC_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?=$|[ T])(.*)$"
HINT = "give --date-format day-first or month-first (or a pattern such as %d/%m/%Y %H:%M)"


def check_date_format(date_format: str) -> str:
    if date_format in NAMED or "%" in str(date_format):
        return date_format
    raise HistoryError(f"unknown date format {date_format!r}; use {', '.join(NAMED)} or a strftime pattern "
                       "such as %d/%m/%Y %H:%M")


def resolve_date_format(columns: dict, date_format: str, source: str) -> str:
    """The convention `auto` stands for in `columns` ({column name: raw values}), judged on all of
    them together (one export, one convention); any other format is returned as given."""
    if check_date_format(date_format) != "auto":
        return date_format
    fields = {name: numeric_fields(values) for name, values in columns.items()}
    fields = {name: found for name, found in fields.items() if len(found)}
    if not fields:
        return "iso"
    day_first = {name: found for name, found in fields.items() if (found["first"] > 12).any()}
    month_first = {name: found for name, found in fields.items() if (found["second"] > 12).any()}
    if day_first and month_first:
        raise HistoryError(f"{source}: {_columns({**day_first, **month_first})}: dates mix day-first "
                           f"({_example(day_first, 'first')}) and month-first ({_example(month_first, 'second')}); "
                           f"{HINT}")
    if day_first or month_first:
        return "day-first" if day_first else "month-first"
    raise HistoryError(f"{source}: {_columns(fields)}: dates such as {_example(fields)} could be day-first or "
                       f"month-first (no day above 12 tells them apart); {HINT}")


def numeric_fields(values: pd.Series) -> pd.DataFrame:
    """The numeric dates among `values`: their first and second fields as numbers, and the text."""
    text = values.dropna().astype(str).str.strip()
    parts = text.str.extract(NUMERIC_DATE).dropna(subset=[0])
    return pd.DataFrame({"first": parts[0].astype(int), "second": parts[1].astype(int),
                         "text": text[parts.index]})


def parse_dates(text: pd.Series, date_format: str) -> pd.Series:
    """Naive datetimes in a resolved convention (not `auto`); NaT where a value does not fit it."""
    if date_format == "iso":
        return pd.to_datetime(text, errors="coerce", format="ISO8601")
    if date_format in ("day-first", "month-first"):
        day, month = (r"\1", r"\2") if date_format == "day-first" else (r"\2", r"\1")
        iso = text.astype("string").str.strip().str.replace(NUMERIC_DATE, rf"\3-{month}-{day}\4", regex=True)
        return pd.to_datetime(iso, errors="coerce", format="ISO8601")
    if date_format == "auto":
        raise ValueError("resolve `auto` with resolve_date_format before parsing")
    return pd.to_datetime(text, errors="coerce", format=check_date_format(date_format))


def _columns(fields: dict) -> str:
    return ("column " if len(fields) == 1 else "columns ") + ", ".join(f"`{name}`" for name in fields)


def _example(fields: dict, side: str | None = None) -> str:
    for found in fields.values():
        chosen = found[found[side] > 12] if side else found
        if len(chosen):
            return chosen["text"].iloc[0]
    return ""
