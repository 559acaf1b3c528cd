"""Issue 13 at the command line, for every history format: a hostile history ends in exit 2, no
traceback, one `error:` line naming the file (or the option) and the column, and nothing written; or,
where only some rows are bad, it is calibrated with those rows rejected and counted on the console.

Each case corrupts a copy of a real slice from calibration/data (the csv format's template is the
bank slice written as a contact table), so every format meets the same faults.
"""
from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from calibration.loaders import load_history

from .helpers import invoke, no_traceback, snapshot

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "calibration" / "data"
PROFILE = ROOT / "scenarios" / "library" / "profiles" / "bank-1999-01-week.yaml"
COMMANDS = ("calibrate", "backtest")  # every command that reads a history
FAST = ("--bootstrap", "0", "--resamples", "0")
CSV_COLUMNS = ["contact_id", "arrived_at", "answered_at", "handle_time_s", "wait_s", "abandoned", "contact_type",
               "agent"]


def _iso_2250(value: str) -> str:
    return re.sub(r"^\d{4}-", "2250-", value)


@dataclass(frozen=True)
class Format:
    name: str                       # --format
    template: str | None            # a slice in calibration/data; None: the csv template made below
    required: str                   # a column the loader cannot do without
    dates: tuple[str, ...]          # date columns, the first the one corrupted
    impossible: str                 # 2024-13-45 (or month 13) as this format writes dates
    future: Callable[[str], str]    # a date moved to 2250 (2016: to 2252, a leap year too; the bank: 2050)
    text: str                       # a free-text column (an agent, a caller)
    case: str | None = None         # the column whose rows make one contact (None: one row each)
    date_level: str = "row"         # where an unreadable first date column rejects: "row" or "case"
    handle: str | None = None       # the handle-time column, for formats that record one
    sep: str = ","

    @property
    def level(self) -> str:
        return "case" if self.case else "row"

    @property
    def unparsable(self) -> str:
        """The accounting reason of an unreadable value in the first date column."""
        return f"unparsable {'date' if self.name == 'anonymous-bank' else 'time'} ({self.dates[0]})"

    def __str__(self) -> str:
        return self.name


ISO = dict(impossible="2024-13-45 10:00:00", future=_iso_2250)
FORMATS = [
    Format("anonymous-bank", "bank_1999-02_slice.txt", "q_time", ("date",), "991345",
           lambda value: "50" + value[2:], "server", handle="ser_time", sep="\t"),
    Format("servicenow", "servicenow_incidents_slice.csv.gz", "opened_at",
           ("opened_at", "resolved_at", "closed_at", "sys_updated_at"), "45/13/2016 10:00",
           lambda value: re.sub(r"/\d{4} ", "/2252 ", value), "caller_id", case="number", date_level="case"),
    Format("bpic13", "bpic13_slice.csv", "case_id", ("time:timestamp",), text="org:resource", case="case_id", **ISO),
    Format("helpdesk_italy", "helpdesk_italy_slice.csv", "case:concept:name", ("time:timestamp",),
           text="org:resource", case="case:concept:name", **ISO),
    Format("event-log", "helpdesk_italy_slice.csv", "time:timestamp", ("time:timestamp",), text="org:resource",
           case="case:concept:name", **ISO),
    Format("csv", None, "arrived_at", ("arrived_at", "answered_at"), text="agent", handle="handle_time_s", **ISO),
]
CSV_BASED = [f for f in FORMATS if f.sep == ","]


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    """Each format's template file; the csv one is the bank slice as a one-row-per-contact table."""
    path = tmp_path_factory.mktemp("templates") / "contacts.csv"
    contacts = load_history(DATA / "bank_1999-02_slice.txt", "anonymous-bank").contacts
    contacts[CSV_COLUMNS].to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return {f.name: DATA / f.template if f.template else path for f in FORMATS}


class Table:
    """A template's header and rows, to corrupt and write back in the format's own layout."""

    def __init__(self, fmt: Format, path: Path):
        self.fmt = fmt
        text = (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8", newline="").read()
        if fmt.sep == "\t":
            self.header, *self.rows = [line.split("\t") for line in text.splitlines()]
        else:
            self.header, *self.rows = list(csv.reader(io.StringIO(text)))

    def column(self, name: str) -> int:
        return self.header.index(name)

    def case_rows(self, number: int) -> list[int]:
        """Row indices of the `number`-th contact (its case's rows, or one row)."""
        if self.fmt.case is None:
            return [number]
        at = self.column(self.fmt.case)
        cases = list(dict.fromkeys(row[at] for row in self.rows))
        return [i for i, row in enumerate(self.rows) if row[at] == cases[number]]

    def set(self, rows, column: str, change: Callable[[str], str]) -> "Table":
        at = self.column(column)
        for i in rows:
            self.rows[i][at] = change(self.rows[i][at])
        return self

    def drop(self, column: str) -> "Table":
        at = self.column(column)
        self.header.pop(at)
        for row in self.rows:
            row.pop(at)
        return self

    def text(self, rows=None) -> str:
        lines = [self.header, *(self.rows if rows is None else rows)]
        if self.fmt.sep == "\t":
            return "".join("\t".join(line) + "\n" for line in lines)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(lines)
        return out.getvalue()


@pytest.fixture(params=COMMANDS)
def command(request) -> str:
    """The refusals below hold for every command that reads a history."""
    return request.param


def history_file(folder: Path, content: str | bytes, name: str = "history.csv") -> Path:
    path = folder / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def calibrate(fmt: Format, *args):
    return invoke("calibrate", *args, "--format", fmt.name, *FAST)


def read_by(command: str, tmp_path: Path, history: Path, fmt: Format, *args):
    """`command` (calibrate, or backtest with the bundled profile) reading `history`, writing below tmp_path."""
    if command == "calibrate":
        return calibrate(fmt, history, *args, "--out", tmp_path / "out" / "profile.yaml", "--report",
                         tmp_path / "report")
    return invoke("backtest", PROFILE, "--history", history, "--format", fmt.name, *args, "--out",
                  tmp_path / "backtest")


def refused(tmp_path: Path, history: Path, fmt: Format, *args, says: tuple[str, ...], command="calibrate") -> str:
    """The command exits 2 with one error naming `says`, no traceback, and nothing written anywhere."""
    before = snapshot(tmp_path)
    result = read_by(command, tmp_path, history, fmt, *args)
    assert result.exit_code == 2, result.output
    assert no_traceback(result), result.output
    message = result.stderr
    assert message.startswith("error:") and message.count("\n") == 1 or "Error:" in message, message
    for fragment in says:
        assert fragment in message, f"{fragment!r} not in {message}"
    assert result.stdout == ""
    assert snapshot(tmp_path) == before, f"a refused {command} wrote, changed or left something"
    return message


def accepted(tmp_path: Path, history: Path, fmt: Format):
    """calibrate succeeds, writes the profile, and leaves no hidden temporary behind."""
    out = tmp_path / "out" / "profile.yaml"
    result = calibrate(fmt, history, "--out", out)
    assert result.exit_code == 0, result.output
    assert no_traceback(result), result.output
    assert out.is_file() and not [p for p in tmp_path.rglob(".*")], sorted(tmp_path.rglob("*"))
    return result, yaml.safe_load(out.read_text(encoding="utf-8"))


def accounted(stderr: str, source: str, level: str, status: str, reason: str) -> tuple[int, str]:
    """The count and example lines of one reason in the accounting table printed on stderr."""
    pattern = rf"^\s*{re.escape(source)}\s+{level}\s+{status}\s+{re.escape(reason)}\s+(\d+)\s*(.*)$"
    found = re.search(pattern, stderr, re.MULTILINE)
    assert found, f"no `{status} {reason}` for {source} in:\n{stderr}"
    return int(found.group(1)), found.group(2)


# --- refused: the file cannot be read as this format --------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_a_missing_column_is_named_with_the_file(command, tmp_path, templates, fmt):
    history = history_file(tmp_path, Table(fmt, templates[fmt.name]).drop(fmt.required).text())
    refused(tmp_path, history, fmt, says=("history.csv", "missing required column", fmt.required),
            command=command)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_a_date_column_that_never_parses_is_named_with_the_file(command, tmp_path, templates, fmt):
    table = Table(fmt, templates[fmt.name])
    column = fmt.dates[0]
    history = history_file(tmp_path, table.set(range(len(table.rows)), column, lambda _: fmt.impossible).text())
    refused(tmp_path, history, fmt, says=("history.csv", "rejected", fmt.unparsable), command=command)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("content, says", [
    (lambda table: "", ("the file is empty",)),
    (lambda table: " \n\n", ("the file is empty",)),
    (lambda table: table.text(rows=[]), ("has a header but no rows",)),
    (lambda table: table.text().encode("utf-16"), ("not a text file", "UTF-16")),
    (lambda table: b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 4, ("not a text file",)),
], ids=["empty", "blank-lines", "header-only", "utf-16", "a-spreadsheet"])
def test_a_file_without_rows_or_text_is_named(command, tmp_path, templates, fmt, content, says):
    history = history_file(tmp_path, content(Table(fmt, templates[fmt.name])))
    refused(tmp_path, history, fmt, says=("history.csv:",) + says, command=command)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("compress", [lambda data: data, lambda data: gzip.compress(data)[:-len(data) // 100]],
                         ids=["plain-text", "truncated"])
def test_a_broken_gzip_is_named(command, tmp_path, templates, fmt, compress):
    history = history_file(tmp_path, compress(Table(fmt, templates[fmt.name]).text().encode()), "history.csv.gz")
    refused(tmp_path, history, fmt, says=("history.csv.gz: not a complete gzip file",), command=command)


@pytest.mark.parametrize("fmt", CSV_BASED, ids=str)
def test_a_field_over_the_csv_size_limit_names_the_file_and_line(command, tmp_path, templates, fmt):
    table = Table(fmt, templates[fmt.name])
    history = history_file(tmp_path, table.set([3], table.header[-1], lambda _: "x" * 200_000).text())
    refused(tmp_path, history, fmt, says=("history.csv, line 5: unreadable as CSV", "field larger than field limit"),
            command=command)


# --- refused: the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_an_unknown_timezone_is_named(tmp_path, templates, fmt):
    refused(tmp_path, templates[fmt.name], fmt, "--timezone", "Mars/Olympus",
            says=("--timezone", "'Mars/Olympus'", "IANA"))


def test_an_unknown_format_is_named(command, tmp_path, templates):
    excel = dataclasses.replace(FORMATS[-1], name="excel")
    refused(tmp_path, templates["csv"], excel, says=("'--format'", "'excel'", "anonymous-bank"), command=command)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_a_missing_file_or_a_folder_is_named(command, tmp_path, fmt):
    refused(tmp_path, tmp_path / "nowhere.csv", fmt, says=("nowhere.csv", "not found"), command=command)
    folder = tmp_path / "exports"
    folder.mkdir()
    refused(tmp_path, folder, fmt, says=("exports", "is a directory"), command=command)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_outputs_over_the_history_are_refused_and_it_is_unchanged(tmp_path, templates, fmt):
    history = history_file(tmp_path, templates[fmt.name].read_bytes(), templates[fmt.name].name)
    original = history.read_bytes()
    for option, target, says in (("--out", history, "is the history being read"),
                                 ("--report", history.parent, "holds the history"),
                                 ("--report", tmp_path, "holds the history")):
        before = snapshot(tmp_path)
        result = calibrate(fmt, history, "--out", tmp_path / "p.yaml", option, target)
        assert result.exit_code == 2 and no_traceback(result), result.output
        assert option in result.stderr and says in result.stderr, result.stderr
        assert snapshot(tmp_path) == before and history.read_bytes() == original


# --- accepted: a few bad rows are rejected and counted, the rest calibrated -------------------------------

@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_an_impossible_date_rejects_its_contact_naming_the_line_and_column(tmp_path, templates, fmt):
    table = Table(fmt, templates[fmt.name])
    rows = table.case_rows(3)
    history = history_file(tmp_path, table.set(rows, fmt.dates[0], lambda _: fmt.impossible).text())
    result, _ = accepted(tmp_path, history, fmt)
    count, lines = accounted(result.stderr, "history.csv", fmt.date_level, "rejected", fmt.unparsable)
    assert count == (len(rows) if fmt.date_level == "row" else 1)
    assert str(rows[0] + 2) in lines.split(", "), lines


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_contacts_dated_in_2250_are_rejected_and_counted(tmp_path, templates, fmt):
    """A typed 2250 among real dates once added centuries of empty days; now the rows are counted out."""
    table = Table(fmt, templates[fmt.name])
    moved = [i for number in (2, 5, 9) for i in table.case_rows(number)]
    for column in fmt.dates:
        table.set(moved, column, fmt.future)
    result, profile = accepted(tmp_path, history_file(tmp_path, table.text()), fmt)
    count, _ = accounted(result.stderr, "history.csv", fmt.level, "rejected", "dated in the future")
    kept = [row["count"] for row in profile["accounting"] if row["reason"] == "dated in the future"]
    assert count == 3 and kept == [3], "counted on the console and in the profile (which the report shows)"
    assert str(profile["period"]["end"]) < "2030", profile["period"]


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_bytes_that_are_not_utf8_are_read_as_latin1_and_said(tmp_path, templates, fmt):
    """One Latin-1 byte makes the whole file Latin-1: its non-ASCII rows (the UTF-8 ones turn to mojibake)."""
    table = Table(fmt, templates[fmt.name]).set([6], fmt.text, lambda name: name + "\udce9")  # é in Latin-1
    history = history_file(tmp_path, table.text().encode("utf-8", "surrogateescape"))
    result, _ = accepted(tmp_path, history, fmt)
    count, lines = accounted(result.stderr, "history.csv", "row", "note", "not UTF-8: read as Latin-1")
    assert count == sum(not "".join(row).isascii() for row in table.rows) and lines.startswith("8"), lines


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.handle], ids=str)
def test_identical_handle_times_are_left_unfitted_with_the_reason_and_the_rest_fitted(tmp_path, templates, fmt):
    """An export rounded to the minute has no spread to fit: the profile says so instead of failing."""
    table = Table(fmt, templates[fmt.name])
    recorded = [i for i, row in enumerate(table.rows) if float(row[table.column(fmt.handle)] or 0) > 0]
    history = history_file(tmp_path, table.set(recorded, fmt.handle, lambda _: "120").text())
    result, profile = accepted(tmp_path, history, fmt)
    assert re.search(r"handle time of \w+ not fitted: all \d+ recorded handle times are 120 s", result.stdout)
    assert all(contact.get("arrivals") for contact in profile["contacts"])
    assert any(contact.get("patience") for contact in profile["contacts"])


@pytest.mark.parametrize("asked", [False, True])
def test_a_loader_bug_prints_its_traceback_only_when_asked(tmp_path, monkeypatch, templates, asked):
    """A fault the loader did not foresee ends as one `error:` line naming the file; its report needs the
    traceback, which HELPDESK_SIM_TRACEBACK=1 prints above it."""
    def trip(*args, **kwargs):
        raise ValueError("Cannot set a DataFrame with multiple columns to the single column activity")
    monkeypatch.setattr("calibration.loaders.contact_table._derive", trip)
    if asked:
        monkeypatch.setenv("HELPDESK_SIM_TRACEBACK", "1")
    result = invoke("calibrate", templates["csv"], "--format", "csv", "--out", tmp_path / "p.yaml", *FAST)
    assert result.exit_code == 2 and "contacts.csv: could not be read" in result.stderr, result.output
    assert ("Traceback" in result.stderr) == asked
    if asked:
        assert "in trip" in result.stderr  # down to the frame that raised
    assert not (tmp_path / "p.yaml").exists()
