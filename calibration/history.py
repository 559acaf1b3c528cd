"""A helpdesk history: one normalised row per contact, plus the books on every input row.

Calibration is only as honest as its input. Every loader therefore hands back the contacts it kept
*and* an account, per source file, of every row it read: kept, or rejected for a named reason (with
example line numbers), so a planner can see that "31,599 rows read" really became "30,161 calls".
Interpretations that keep a row but change its meaning (a clock that wrapped past midnight, an
answered call with no agent name) are counted as notes, so nothing is changed silently either.
"""
from __future__ import annotations

from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from simulator.units import duration

CONTACT_COLUMNS = (
    "contact_id", "arrived_at", "contact_type", "priority", "answered_at", "ended_at",
    "handle_time_s", "wait_s", "abandoned", "resolved_at", "agent", "customer_id", "escalated",
    "escalation_count", "reopened", "reopen_count", "group", "source",
    "source_line", "source_rows",
)
"""Columns of `History.contacts`; the last two trace a contact back to its file (first line, row count)."""

_DTYPES = {
    "contact_id": "object", "arrived_at": "datetime64[ns]", "contact_type": "object",
    "priority": "Int64", "answered_at": "datetime64[ns]", "ended_at": "datetime64[ns]",
    "handle_time_s": "float64", "wait_s": "float64", "abandoned": "bool",
    "resolved_at": "datetime64[ns]", "agent": "object", "customer_id": "object",
    "escalated": "bool", "escalation_count": "int64", "reopened": "bool", "reopen_count": "int64",
    "group": "object", "source": "object", "source_line": "int64", "source_rows": "int64",
}
MAX_EXAMPLES = 5


class HistoryError(ValueError):
    """A history file that cannot be turned into contacts; the message says which file and why."""


@dataclass
class SourceAccount:
    """The books of one source file at one level: "row" (lines of the file) and, for logs where
    many rows make one contact, "case". Rejections are counted once, under the first reason that
    applies; notes are counted at the step that interprets the quirk (so a CRLF note covers every
    line, a note made after the phantom check covers only real calls)."""

    source: str
    level: str
    read: int = 0
    kept: int = 0
    rejected: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def reject(self, reason: str, count: int, lines=()) -> None:
        """Move `count` rows from kept to rejected, so the books always balance."""
        if count:
            self.rejected[reason] += int(count)
            self.kept -= int(count)
            self._remember(reason, lines)

    def note(self, reason: str, count: int, lines=()) -> None:
        """Count kept rows that needed an interpretation (they stay kept)."""
        if count:
            self.notes[reason] += int(count)
            self._remember(reason, lines)

    def _remember(self, reason: str, lines) -> None:
        known = self.examples.setdefault(reason, [])
        room = MAX_EXAMPLES - len(known)
        if room > 0:
            known.extend(sorted(int(line) for line in lines)[:room])

    @property
    def balanced(self) -> bool:
        return self.read == self.kept + sum(self.rejected.values())


class Accounting:
    """All source accounts of a history, in loading order; `table()` is what the docs print."""

    def __init__(self, accounts=()):
        self.accounts: list[SourceAccount] = list(accounts)

    def __iter__(self):
        return iter(self.accounts)

    def get(self, source: str, level: str = "row") -> SourceAccount:
        for account in self.accounts:
            if account.source == source and account.level == level:
                return account
        raise KeyError(f"no account for {source!r} at level {level!r}")

    def check(self) -> None:
        """Raise if any source lost or invented rows (a loader bug, never a data problem)."""
        for account in self.accounts:
            if not account.balanced:
                raise AssertionError(
                    f"{account.source} ({account.level}): read {account.read} != kept "
                    f"{account.kept} + rejected {sum(account.rejected.values())}")

    def table(self) -> pd.DataFrame:
        """Long table: per source and level, one `read`, one `kept`, one row per reject/note reason."""
        rows = []
        for acc in self.accounts:
            rows.append((acc.source, acc.level, "read", "", acc.read, ""))
            rows.append((acc.source, acc.level, "kept", "", acc.kept, ""))
            for status, counts in (("rejected", acc.rejected), ("note", acc.notes)):
                for reason, count in sorted(counts.items(), key=lambda item: -item[1]):
                    lines = ", ".join(str(n) for n in acc.examples.get(reason, []))
                    rows.append((acc.source, acc.level, status, reason, count, lines))
        return pd.DataFrame(rows, columns=["source", "level", "status", "reason", "count",
                                           "example_lines"])

    def __str__(self) -> str:
        return self.table().to_string(index=False)


class History:
    """Normalised contacts of one or more source files, with their accounting."""

    def __init__(self, contacts: pd.DataFrame, accounting: Accounting):
        self.contacts = contacts
        self.accounting = accounting

    def __len__(self) -> int:
        return len(self.contacts)

    def __repr__(self) -> str:
        sources = sorted({acc.source for acc in self.accounting})
        return f"History({len(self)} contacts from {', '.join(sources) or 'no source'})"

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(acc.source for acc in self.accounting))

    def summary(self) -> pd.DataFrame:
        """The accounting table (rows read, kept, rejected by reason, notes) of every source."""
        return self.accounting.table()

    @classmethod
    def combine(cls, histories) -> "History":
        """Several files as one history (e.g. three bank months).

        A contact id seen in an earlier file is rejected as `duplicate` in the later file's account,
        so overlapping exports are not double counted and the books still balance.
        """
        seen = Counter()
        histories = [_own_copy(history, seen) for history in histories]
        accounting = Accounting([acc for h in histories for acc in h.accounting])
        frames = [h.contacts for h in histories if len(h.contacts)]
        if not frames:
            return cls(empty_contacts(), accounting)
        contacts = pd.concat(frames, ignore_index=True)
        repeated = contacts["contact_id"].duplicated(keep="first")
        for source, dupes in contacts[repeated].groupby("source", sort=False):
            _reject_duplicates(accounting, source, dupes)
        return cls(contacts[~repeated].reset_index(drop=True), accounting)


def _own_copy(history: History, seen: Counter) -> History:
    """A copy whose books can be changed without touching the original, with unique source names:
    the same file twice, or jan.csv of two years, keep separate books (`jan.csv (2)`)."""
    names = {}
    for source in history.sources:
        seen[source] += 1
        names[source] = source if seen[source] == 1 else f"{source} ({seen[source]})"
    accounts = [replace(deepcopy(acc), source=names[acc.source]) for acc in history.accounting]
    contacts = history.contacts.assign(source=history.contacts["source"].map(names))
    return History(contacts, Accounting(accounts))


def _reject_duplicates(accounting: Accounting, source: str, dupes: pd.DataFrame) -> None:
    """Book contacts already loaded from another file as rejected at every level of their source."""
    levels = [acc for acc in accounting if acc.source == source]
    contact_level = levels[-1]
    contact_level.reject("duplicate (already loaded)", len(dupes), dupes["source_line"])
    if len(levels) > 1:
        levels[0].reject("duplicate (already loaded)", int(dupes["source_rows"].sum()),
                         dupes["source_line"])


def empty_contacts() -> pd.DataFrame:
    """A contacts frame with no rows but the right columns and dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in _DTYPES.items()})


def normalise_contacts(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Fill the columns a source lacks and fix dtypes, so every loader returns the same shape."""
    out = pd.DataFrame(index=frame.index)
    defaults = {"abandoned": False, "escalated": False, "reopened": False,
                "escalation_count": 0, "reopen_count": 0, "source_rows": 1}
    for name, dtype in _DTYPES.items():
        if name in frame:
            column = frame[name] if name not in defaults else frame[name].fillna(defaults[name])
        elif name in defaults:
            column = pd.Series(defaults[name], index=frame.index)
        else:
            column = pd.Series(None, index=frame.index, dtype=object)
        out[name] = _as_dtype(column, dtype)
    out["source"] = pd.Series(source, index=out.index, dtype=object)
    out["escalated"] = out["escalated"] | (out["escalation_count"] > 0)
    out["reopened"] = out["reopened"] | (out["reopen_count"] > 0)
    return out.reset_index(drop=True)


def _as_dtype(column: pd.Series, dtype: str) -> pd.Series:
    if dtype.startswith("datetime"):
        return pd.to_datetime(column).astype("datetime64[ns]")
    if dtype == "object":
        return column.astype(object).where(column.notna(), None)
    return column.astype(dtype)


def observed_agents_per_interval(history: History, interval_seconds=900) -> pd.DataFrame:
    """Distinct agents seen answering or serving in each interval: the staffing that was really there.

    An agent counts in every interval their calls overlap (answer to answer + handle time). Calls
    answered with no agent name (bank `NO_SERVER`) cannot be attributed; `unattributed_calls` says
    how many were answered in the interval, so a back-test knows where the count is a lower bound.
    The grid covers every day on which contacts arrived, from midnight, with 0 where nobody
    worked (closed hours matter to a back-test); days with no data at all are left out.
    """
    step = pd.Timedelta(seconds=duration(interval_seconds))
    answered = history.contacts[history.contacts["answered_at"].notna()]
    columns = ["interval_start", "agents", "unattributed_calls"]
    if answered.empty:
        return pd.DataFrame(columns=columns)
    start = answered["answered_at"]
    end = start + pd.to_timedelta(answered["handle_time_s"].fillna(0), unit="s")
    origin = start.min().normalize()
    first = ((start - origin) // step).to_numpy(dtype=np.int64)
    last = np.maximum(((end - origin) // step).to_numpy(dtype=np.int64), first)
    named = answered["agent"].notna().to_numpy()
    spans = last[named] - first[named] + 1
    slots = np.repeat(first[named], spans) + _ranges(spans)
    who = np.repeat(answered["agent"].to_numpy()[named], spans)
    busy = pd.DataFrame({"slot": slots, "agent": who}).drop_duplicates()
    grid = np.arange(0, last.max() + 1)
    starts = origin + grid * step
    data_days = set(history.contacts["arrived_at"].dt.normalize()) | set(start.dt.normalize())
    grid = grid[pd.DatetimeIndex(starts).normalize().isin(list(data_days))]
    agents = busy.groupby("slot")["agent"].size().reindex(grid, fill_value=0)
    unattributed = pd.Series(first[~named]).value_counts().reindex(grid, fill_value=0)
    return pd.DataFrame({"interval_start": origin + grid * step,
                         "agents": agents.to_numpy(), "unattributed_calls": unattributed.to_numpy()})


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenated 0..n-1 for each n in `lengths` (vectorised expansion of call spans)."""
    if len(lengths) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(lengths.sum()) - offsets
