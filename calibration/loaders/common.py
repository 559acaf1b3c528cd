"""What every loader shares: opening files, reading wall-clock times, and keeping the books.

The rule all loaders follow: every row read starts as kept; a row leaves only through
`Screen.reject` (or `CaseScreen.reject`) with a reason, which moves it to the rejected column of its
source account. So the books balance by construction and no row disappears silently.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.history import Accounting, History, HistoryError, SourceAccount
from calibration.loaders.dates import parse_dates

MISSING_TOKENS = ("", "?", "NULL", "null", "NaN", "nan", "None")
UTC_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"
NOT_UTF8 = "not UTF-8: read as Latin-1"


def as_paths(paths) -> list[Path]:
    """One path or several, each checked to exist, so a typo fails before any parsing."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found = [Path(p) for p in paths]
    if not found:
        raise HistoryError("no history file given")
    for path in found:
        if not path.is_file():
            raise HistoryError(f"history file not found: {path}")
    return found


def read_text(path: Path) -> tuple[str, list[int]]:
    """The whole file as text (gzip or plain), and the numbers of its lines that are not UTF-8.

    UTF-8 (with or without the BOM spreadsheet tools write), else Latin-1, which never fails; the
    lines that needed it are returned so the loader can note them. An empty file is an error, not an
    empty history, and so is one holding NUL bytes (UTF-16 text, a spreadsheet, a binary), which
    Latin-1 would turn into columns of garbage.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as problem:  # not gzip at all, or cut short
        raise HistoryError(f"{path.name}: not a complete gzip file ({problem or 'it ends early'}); "
                           f"a plain text file must not end in .gz") from None
    if not raw.strip():
        raise HistoryError(f"{path.name}: the file is empty")
    if b"\0" in raw:
        kind = "UTF-16 text" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "NUL bytes"
        raise HistoryError(f"{path.name}: not a text file ({kind}, as from a spreadsheet); save it as CSV in UTF-8")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return raw.decode("latin-1"), [n for n, line in enumerate(raw.split(b"\n"), 1) if not line.isascii()]


def note_not_utf8(screen: Screen, lines: list[int]) -> None:
    """Rows read as Latin-1 are counted, so names and labels that may have come out wrong are said."""
    screen.note(screen.rows["line"].isin(lines), NOT_UTF8)


def read_rows(path: Path, sep: str = ",") -> Screen:
    """A delimited file as string rows under a fresh account, `line` = file line of each row.

    Blank lines and lines with more or fewer fields than the header are booked as rejected here,
    each under its own line number, instead of failing the file or being padded silently.
    """
    text, not_utf8 = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        screen = _screen_rows(reader, path)
    except csv.Error as problem:  # e.g. a field over the csv module's size limit: the file is not a table
        raise HistoryError(f"{path.name}, line {reader.line_num}: unreadable as CSV ({problem})") from None
    note_not_utf8(screen, not_utf8)
    return screen


def _screen_rows(reader, path: Path) -> Screen:
    header = [name.strip() for name in next(reader)]
    records, lines, blank, wrong_width = [], [], [], []
    previous = reader.line_num
    for fields in reader:
        first_line, previous = previous + 1, reader.line_num
        if not any(field.strip() for field in fields):
            blank.append(first_line)
        elif len(fields) != len(header):
            wrong_width.append(first_line)
        else:
            records.append(fields)
            lines.append(first_line)
    read = len(records) + len(blank) + len(wrong_width)
    if read == 0:
        raise HistoryError(f"{path.name}: has a header but no rows")
    account = start_account(path.name, "row", read)
    account.reject("blank line", len(blank), blank)
    account.reject(f"wrong number of fields (not {len(header)})", len(wrong_width), wrong_width)
    table = pd.DataFrame(records, columns=header, dtype=object)
    return Screen(table.assign(line=np.array(lines, dtype=np.int64)), account)


def require_columns(table: pd.DataFrame, needed, path: Path, what: str = "") -> None:
    """Name every missing column at once, with what the file does have."""
    missing = [column for column in needed if column and column not in table.columns]
    if missing:
        have = ", ".join(c for c in table.columns if c != "line")
        kind = f" for {what}" if what else ""
        raise HistoryError(f"{path.name}: missing required column(s){kind}: "
                           f"{', '.join(missing)} (the file has: {have})")


def is_missing(values: pd.Series) -> pd.Series:
    """Blank and the export tools' placeholders (`?` in ServiceNow) mean 'not recorded'."""
    return values.isna() | values.astype(str).str.strip().isin(MISSING_TOKENS)


def parse_wall_clock(values: pd.Series, time_format=None, *, timezone=None, offset_is_wall_clock=False):
    """Local wall-clock datetimes (naive) and a mask of values present but unparsable.

    `time_format`: a resolved convention of `dates` (`iso`, the default, `day-first`, `month-first`
    or a strftime pattern). A written offset is dropped and the clock kept as written, unless
    `timezone` is given and the offset is trustworthy: then times are converted to that zone's wall
    clock. Hour-of-day patterns are what staffing follows, so the local clock is what calibration needs.
    """
    absent = is_missing(values)
    text = values.astype(str).str.strip()
    has_offset = text.str.contains(UTC_OFFSET, regex=True) & ~absent
    if timezone and not offset_is_wall_clock and has_offset.any():
        aware = pd.to_datetime(text.where(has_offset), errors="coerce", utc=True, format="ISO8601")
        parsed = aware.dt.tz_convert(timezone).dt.tz_localize(None)
        naive = parse_dates(text.where(~has_offset & ~absent), time_format or "iso")
        parsed = parsed.where(has_offset, naive)
    else:
        stripped = text.str.replace(UTC_OFFSET, "", regex=True).where(~absent)
        parsed = parse_dates(stripped, time_format or "iso")
    parsed = parsed.astype("datetime64[ns]")
    return parsed, parsed.isna() & ~absent


def number_in_label(values: pd.Series) -> pd.Series:
    """The first whole number in a label ('3 - Moderate' -> 3, 'P2' -> 2); NaN when there is none."""
    digits = values.astype(str).str.extract(r"(\d+)", expand=False)
    return pd.to_numeric(digits, errors="coerce")


class Screen:
    """Rows of one source under inspection; rows leave only with a reason, in the books."""

    def __init__(self, rows: pd.DataFrame, account: SourceAccount):
        self.rows = rows
        self.account = account

    def reject(self, mask, reason: str) -> None:
        mask = self._aligned(mask)
        self.account.reject(reason, int(mask.sum()), self.rows.loc[mask, "line"])
        self.rows = self.rows[~mask]

    def note(self, mask, reason: str) -> None:
        mask = self._aligned(mask)
        self.account.note(reason, int(mask.sum()), self.rows.loc[mask, "line"])

    def _aligned(self, mask) -> pd.Series:
        mask = pd.Series(mask, index=self.rows.index) if not isinstance(mask, pd.Series) else mask
        return mask.reindex(self.rows.index).fillna(False).astype(bool)


class CaseScreen(Screen):
    """Cases (incidents, tickets) built from many rows: rejecting a case books its rows too."""

    def __init__(self, cases: pd.DataFrame, case_account: SourceAccount, row_screen: Screen,
                 case_column: str):
        super().__init__(cases, case_account)
        self.row_screen = row_screen
        self.case_column = case_column

    def reject(self, mask, reason: str) -> None:
        mask = self._aligned(mask)
        doomed = set(self.rows.loc[mask, self.case_column])
        self.account.reject(reason, int(mask.sum()), self.rows.loc[mask, "line"])
        self.rows = self.rows[~mask]
        if doomed:
            rows = self.row_screen.rows
            self.row_screen.reject(rows[self.case_column].isin(doomed), reason)


def start_account(source: str, level: str, read: int) -> SourceAccount:
    """Books opened with every row counted as kept until a reason says otherwise."""
    return SourceAccount(source=source, level=level, read=read, kept=read)


FAR_GAP = pd.Timedelta(days=366)  # a year with no contact at all splits a history into separate spans
STRAY_SHARE = 0.05  # a span holding at most this share of the contacts is a typo, not a second history


def reject_stray_dates(contacts: pd.DataFrame, account: SourceAccount) -> pd.DataFrame:
    """Contacts dated in the future, or in a small span a year or more away from the rest (a typed
    2250 for 1999), are rejected and counted: kept, they add empty days and dilute every weekday."""
    arrived = contacts["arrived_at"]
    future = arrived > pd.Timestamp.now() + pd.Timedelta(days=1)
    account.reject("dated in the future", int(future.sum()), contacts.loc[future, "source_line"])
    kept = contacts[~future]
    days = np.sort(kept["arrived_at"].dt.normalize().unique())
    if len(days) < 2:
        return kept
    span = np.concatenate(([0], np.cumsum(np.diff(days) > FAR_GAP.to_timedelta64())))
    span_of = pd.Series(span, index=days).reindex(kept["arrived_at"].dt.normalize()).to_numpy()
    sizes = np.bincount(span_of)
    stray = (sizes[span_of] <= STRAY_SHARE * len(kept)) & (span_of != sizes.argmax())
    account.reject(f"dated a year or more away from the rest of the history ({_span(kept[~stray])})",
                   int(stray.sum()), kept.loc[stray, "source_line"])
    return kept[~stray]


def _span(contacts: pd.DataFrame) -> str:
    arrived = contacts["arrived_at"]
    return f"{arrived.min():%Y-%m-%d} to {arrived.max():%Y-%m-%d}"


def finish(contacts: pd.DataFrame, accounts: list[SourceAccount], path: Path) -> History:
    """One file's history; a file where nothing survived is an error that shows why."""
    if not contacts.empty and "source_line" in contacts:
        contacts = reject_stray_dates(contacts.reset_index(drop=True), accounts[-1]).reset_index(drop=True)
    accounting = Accounting(accounts)
    accounting.check()
    if contacts.empty:
        raise HistoryError(f"{path.name}: {_why_none_kept(accounts)}; is this the right format?")
    if len(contacts) != accounts[-1].kept:
        raise AssertionError(f"{path.name}: {len(contacts)} contacts but {accounts[-1].kept} kept")
    return History(contacts, accounting)


def _why_none_kept(accounts: list[SourceAccount]) -> str:
    """The reasons of every level: cases that lost all their rows say only `no usable events`, the rows say why."""
    def reasons(account):
        return ", ".join(f"{count} {reason}" for reason, count in account.rejected.most_common())
    last = accounts[-1]
    said = [reasons(last)] if last.read else []
    said += [f"its {acc.read} {acc.level}s: {reasons(acc)}" for acc in accounts[:-1] if acc.rejected]
    counted = f"{last.read} " if last.read else ""
    return f"all {counted}{last.level}s were rejected ({'; '.join(said)})"


def load_each(paths, load_one, **options) -> History:
    """Load every file with `load_one(path, **options)` and combine them into one history."""
    return History.combine(_load_named(load_one, path, options) for path in as_paths(paths))


def _load_named(load_one, path: Path, options: dict) -> History:
    """A fault the loader did not foresee still names the file: the CLI prints a ValueError's text
    alone, so pandas' own words would reach the user with no file at all."""
    try:
        return load_one(path, **options)
    except HistoryError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as problem:
        raise HistoryError(f"{path.name}: could not be read ({type(problem).__name__}: {problem}); a loader "
                           f"bug: please report it with the file and what HELPDESK_SIM_TRACEBACK=1 prints") \
            from problem
