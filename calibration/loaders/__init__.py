"""Load helpdesk histories of any supported format into a `History` with full accounting.

    load_history(paths, "anonymous-bank")                  # several months at once: a list
    load_history(path, "servicenow", mapping={"contact_type": "contact_type"})
    load_history(path, "event-log", mapping="bpic13")       # a preset, a dict or a YAML file
    load_history(path, "csv", mapping={"arrived_at": "Created", "agent": "Owner"})

`timezone` only matters for timestamps written with a UTC offset (event logs, CSV): they are
converted to that zone's wall clock. Without it, and for formats written in local time (bank,
ServiceNow), the wall clock is kept as written.
"""
from __future__ import annotations

import inspect

from calibration.history import History, HistoryError
from calibration.loaders.bank import load_anonymous_bank
from calibration.loaders.common import as_paths
from calibration.loaders.contact_table import load_csv
from calibration.loaders.event_log import PRESETS, EventLogMapping, event_log_mapping, load_event_log
from calibration.loaders.servicenow import load_servicenow

FORMATS = ("anonymous-bank", "servicenow", "event-log", "csv", *PRESETS)
"""Known formats; the event-log preset names are accepted as formats of their own."""


def load_history(paths, format: str, mapping=None, timezone: str | None = None,
                 date_format: str | None = None, **options) -> History:
    """Read one or more history files of one format; raises `HistoryError` with the reason.

    `mapping` means, per format: `csv` {field: column}; `event-log` a preset name, a dict or a
    YAML/JSON file; `anonymous-bank` and `servicenow` a dict of loader options. `date_format`: how
    dates are written (see `calibration.loaders.dates`; the bank's are fixed). Extra keyword
    `options` go to the format's loader (see `load_<format>`).
    """
    if format not in FORMATS:
        raise HistoryError(f"unknown history format {format!r}; known formats: {', '.join(FORMATS)}")
    paths = as_paths(paths)
    _check_timezone(timezone)
    loader = _LOADERS.get(format, load_event_log)
    if loader is load_csv:
        options.update(mapping=mapping, timezone=timezone)
    elif loader is load_event_log:
        preset = format if format in PRESETS else None
        if isinstance(mapping, str) and mapping in PRESETS:
            preset, mapping = mapping, None
        options.update(preset=preset, mapping=mapping, timezone=timezone)
    else:
        options = {**_as_options(mapping, format), **options}
    if date_format is not None:
        options.update(_date_option(loader, date_format, format))
    _check_options(loader, options, format)
    return loader(paths, **options)


def _check_timezone(timezone: str | None) -> None:
    """An unknown zone is named before any file is read (pandas failed deep in a conversion)."""
    if timezone is None:
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HistoryError(f"unknown --timezone {timezone!r}; give an IANA zone such as Europe/Rome or "
                           f"America/New_York") from None


def _check_options(loader, options: dict, format: str) -> None:
    """Name unknown options in a HistoryError rather than a bare TypeError."""
    allowed = list(inspect.signature(loader).parameters)[1:]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise HistoryError(f"unknown option(s) for {format!r}: {', '.join(unknown)}; "
                           f"known: {', '.join(allowed) or 'none'}")


def _date_option(loader, date_format: str, format: str) -> dict:
    if loader is load_anonymous_bank:
        raise HistoryError(f"--date-format does not apply to {format!r}: its dates are fixed (yymmdd)")
    return {"time_format" if loader is load_servicenow else "date_format": date_format}


_LOADERS = {"anonymous-bank": load_anonymous_bank, "servicenow": load_servicenow, "csv": load_csv,
            "event-log": load_event_log}


def _as_options(mapping, format: str) -> dict:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise HistoryError(f"for {format!r} the mapping must be a dict of loader options, "
                           f"got {type(mapping).__name__}")
    return mapping


__all__ = ["FORMATS", "EventLogMapping", "History", "HistoryError", "event_log_mapping",
           "load_anonymous_bank", "load_csv", "load_event_log", "load_history", "load_servicenow"]
