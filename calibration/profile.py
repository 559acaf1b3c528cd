"""History → CalibrationProfile: what arrives when, how long it takes, how long callers wait, per type.

The profile's `contacts` section is written in the scenario format itself, so `demand.profile` in a
scenario simply starts from it; fit statistics sit beside it under `diagnostics`, and the sources'
row accounting under `sources`, so a planner can judge every number.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .atomic import write_atomically
from .fit_arrivals import ArrivalFit, fit_arrivals
from .fit_durations import DurationFit, fit_durations
from .fit_patience import AbandonVsWait, PatienceFit, abandon_vs_wait, fit_patience
from .flows import contact_flows
from .history import History
from .observed import observed_intervals
from .profile_document import profile_comments, profile_document
from .progress import Steps

PROFILE_VERSION = 1
OTHER = "other"
RECORDED_RESOLUTION_S = 1.0  # histories record times to the second (or coarser: minutes in ticket logs)
PATIENCE_RESAMPLES = 1000  # percentile endpoints of the patience intervals settle to ~1-3 % of their width
STEPS_PER_TYPE = 3  # arrivals, handle time, patience


@dataclass(frozen=True)
class FitOptions:
    """How each contact type is fitted (see `calibrate`)."""

    interval_s: float = 1800.0
    bootstrap: int = 100
    resamples: int = PATIENCE_RESAMPLES
    short_calls_below: float = 10.0


@dataclass
class ContactCalibration:
    name: str
    contacts: pd.DataFrame = field(repr=False)
    arrivals: ArrivalFit
    handle: DurationFit | None
    patience: PatienceFit | None
    flows: dict
    pooled_from: tuple = ()
    abandon_check: AbandonVsWait | None = None


@dataclass
class CalibrationProfile:
    sources: list
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    skip_dates: tuple
    interval_s: float
    contacts: list
    observed: pd.DataFrame | None  # None: the history shows no answered contacts
    accounting: pd.DataFrame = field(repr=False)

    def to_document(self) -> dict:
        return profile_document(self)

    def write(self, path: Path) -> None:
        """Written to a temporary file first, so a failure never leaves half a profile (and one that a
        killed process left is swept by the next write)."""
        write_yaml_atomically(self.to_document(), Path(path), profile_comments(self))


def calibrate(history: History, rng: np.random.Generator, interval_s: float = 1800.0, bootstrap: int = 100,
              min_contacts: int = 100, short_calls_below: float = 10.0, sources: list | None = None,
              resamples: int = PATIENCE_RESAMPLES, progress=None) -> CalibrationProfile:
    """Fit every contact type with at least `min_contacts` contacts; pool the rest as `other`.

    `bootstrap`: parametric-bootstrap samples per handle-time candidate (goodness-of-fit p-values);
    `resamples`: resamples of calls for the patience intervals; 0 skips either. `progress`: see
    `calibration.progress`.
    """
    contacts = history.contacts
    start, end = contacts["arrived_at"].min().normalize(), contacts["arrived_at"].max().normalize()
    skip = _days_without_data(contacts, start, end)
    groups = _type_groups(contacts, min_contacts)
    options = FitOptions(interval_s, bootstrap, resamples, short_calls_below)
    steps = Steps(progress, STEPS_PER_TYPE * len(groups) + 1)
    fitted = [_calibrate_type(name, members, contacts, rng, options, (start, end, skip), steps)
              for name, members in groups]
    steps.start("observed KPIs")
    observed = _observed_or_none(history, interval_s)
    steps.finish()
    return CalibrationProfile(sources or [], start, end, skip, interval_s, fitted, observed, history.summary())


def _observed_or_none(history: History, interval_s: float) -> pd.DataFrame | None:
    """The history's own KPIs per interval, or None when nothing was answered (arrival-only exports)."""
    if not history.contacts["answered_at"].notna().any():
        return None
    return observed_intervals(history, interval_s)


def _days_without_data(contacts: pd.DataFrame, start, end) -> tuple:
    """Dates inside the period with no contact at all: gaps in the export, not quiet days."""
    seen = set(contacts["arrived_at"].dt.normalize())
    return tuple(day for day in pd.date_range(start, end, freq="D") if day not in seen)


def _type_groups(contacts: pd.DataFrame, min_contacts: int) -> list[tuple[str, tuple]]:
    counts = contacts["contact_type"].fillna(OTHER).value_counts()
    large = [name for name, count in counts.items() if count >= min_contacts]
    small = tuple(sorted(name for name in counts.index if name not in large))
    groups = [(str(name), (name,)) for name in large]
    if small:
        groups.append((OTHER if OTHER not in large else f"{OTHER}_pooled", small))
    if not large and not small:
        raise ValueError("the history has no contacts to calibrate")
    return groups


def _calibrate_type(name, members, contacts, rng, options: FitOptions, period, steps: Steps):
    start, end, skip = period
    rows = contacts[contacts["contact_type"].fillna(OTHER).isin(members)]
    steps.start(f"{name}: arrivals")
    arrivals = fit_arrivals(rows["arrived_at"], int(options.interval_s), start, end, skip, resolution_s=1.0, rng=rng)
    steps.start(f"{name}: handle time")
    handle = _handle_fit(rows, rng, options)
    steps.start(f"{name}: patience")
    patience = _patience_fit(rows, rng, options.resamples)
    return ContactCalibration(name, rows, arrivals, handle, patience, contact_flows(rows),
                              members if len(members) > 1 or members[0] != name else (),
                              _abandon_check(rows, options.interval_s))


def _handle_fit(rows: pd.DataFrame, rng, options: FitOptions) -> DurationFit | None:
    handle = rows["handle_time_s"].dropna().to_numpy(dtype=float)
    if (handle > 0).sum() < 10:
        return None  # no handle times in this history (ticket logs): the scenario must give one
    if len(np.unique(handle[handle > 0])) == 1:
        return None  # all the same (an export rounded to the minute): no spread to fit; `calibrate` says so
    return fit_durations(handle, rng, bootstrap=options.bootstrap, short_calls_below=options.short_calls_below,
                         resolution_s=1.0)


def _patience_fit(rows: pd.DataFrame, rng, resamples: int) -> PatienceFit | None:
    queued = rows[rows["wait_s"].notna()]
    if not queued["abandoned"].any():
        return None  # nobody abandoned (or no queue data): patience cannot be estimated
    return fit_patience(queued["wait_s"].to_numpy(float), queued["abandoned"].to_numpy(bool), rng,
                        bootstrap=resamples, resolution_s=RECORDED_RESOLUTION_S)


def _abandon_check(rows: pd.DataFrame, interval_s: float) -> AbandonVsWait | None:
    """Share abandoned against mean wait per interval: a check on the patience fit (Brown et al.)."""
    queued = rows[rows["wait_s"].notna()]
    if not queued["abandoned"].any():
        return None
    labels = queued["arrived_at"].dt.floor(pd.Timedelta(seconds=interval_s))
    try:
        return abandon_vs_wait(queued["wait_s"], queued["abandoned"], labels)
    except ValueError:
        return None  # no interval with enough queued calls to draw the line


def write_yaml_atomically(document: dict, path: Path, comments: dict | None = None) -> None:
    """The YAML of `document` (see `dump_commented`) written whole: dumped first, then written beside
    `path` under this process's id and renamed over it (`calibration.atomic`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    dump_commented(document, text, comments or {})
    write_atomically(path, text.getvalue())


def dump_commented(document: dict, stream, comments: dict) -> None:
    """YAML of `document` with `comments`: {"header": [lines], "contacts": {name: {key: [lines]}}}, the
    lines of a contact's key written just above that key (PyYAML writes no comments itself)."""
    options = {"Dumper": _ReadableDumper, "sort_keys": False, "allow_unicode": True, "width": 120}
    stream.writelines(f"# {line}\n" for line in comments.get("header", ()))
    by_contact = comments.get("contacts") or {}
    if not by_contact:
        yaml.dump(document, stream, **options)
        return
    for key, value in document.items():
        if key != "contacts":
            yaml.dump({key: value}, stream, **options)
            continue
        stream.write("contacts:\n")
        for entry in value:
            text = yaml.dump([entry], **options)
            stream.write(_above_keys(text, by_contact.get(entry.get("name"), {})))


def _above_keys(entry_text: str, comments: dict) -> str:
    """Comment lines inserted above the entry's own keys (lines `  key:`, two spaces in)."""
    lines = []
    for line in entry_text.splitlines(keepends=True):
        key = line[2:].split(":", 1)[0] if line.startswith("  ") and not line.startswith("   ") else None
        lines += [f"  # {comment}\n" for comment in comments.get(key, ())]
        lines.append(line)
    return "".join(lines)


class _ReadableDumper(yaml.SafeDumper):
    """Lists of plain numbers or words on one line (a day of rates is one row, not 48)."""


def _represent_list(dumper, items):
    flat = all(isinstance(item, (int, float, str, type(None))) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat and len(items) > 1)


_ReadableDumper.add_representer(list, _represent_list)
