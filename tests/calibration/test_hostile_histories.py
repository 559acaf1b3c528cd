"""Histories a real export (or a careless hand) produces: each ends in a HistoryError naming the file
and the reason, or is loaded with the bad rows rejected and counted (issue 13, classes 5 and 6)."""
from __future__ import annotations

import gzip

import pytest

from calibration.history import HistoryError
from calibration.loaders import load_history

HEADER = "arrived_at,answered_at,handle_time_s,wait_s,abandoned,contact_type"


def rows(count: int, day: str = "2024-03-04") -> list[str]:
    return [f"{day} {8 + i // 60:02d}:{i % 60:02d}:00,{day} {8 + i // 60:02d}:{i % 60:02d}:05,{100 + i % 7},5,false,calls"
            for i in range(count)]


def write(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("\n".join([HEADER] + lines) + "\n")
    return path


def test_a_few_rows_dated_centuries_away_are_rejected_and_counted(tmp_path):
    """17 rows of 2250 among 1999's once halved a weekday's volume and added 82 543 empty days."""
    path = write(tmp_path, "typo.csv", rows(300) + rows(17, "2250-03-04"))
    history = load_history([path], "csv")
    assert len(history.contacts) == 300 and history.contacts["arrived_at"].dt.year.eq(2024).all()
    rejected = history.accounting.accounts[0].rejected
    assert sum(rejected.values()) == 17 and any("future" in reason for reason in rejected)


def test_a_small_span_a_year_away_is_rejected_but_two_real_years_are_kept(tmp_path):
    stray = write(tmp_path, "stray.csv", rows(400) + rows(5, "2019-03-04"))
    history = load_history([stray], "csv")
    assert len(history.contacts) == 400
    assert any("a year or more away" in reason for reason in history.accounting.accounts[0].rejected)
    both = write(tmp_path, "both.csv", rows(300) + rows(300, "2022-03-07"))
    assert len(load_history([both], "csv").contacts) == 600  # two spans of real size: nothing to reject


@pytest.mark.parametrize("content, reason", [
    (b"arrived_at\n2024-01-01 10:00:00\n", "not a complete gzip file"),  # plain text named .gz
    (gzip.compress(("\n".join([HEADER] + rows(400)) + "\n").encode())[:900], "not a complete gzip file"),
])
def test_a_broken_gzip_names_the_file(tmp_path, content, reason):
    path = tmp_path / "history.csv.gz"
    path.write_bytes(content)
    with pytest.raises(HistoryError, match=f"history.csv.gz: {reason}"):
        load_history([path], "csv")


def test_a_field_over_the_csv_size_limit_names_the_file_and_line(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("arrived_at,contact_type\n2024-01-01 10:00:00,calls\n2024-01-01 10:01:00,\"" + "x" * 200_000
                    + "\"\n")
    with pytest.raises(HistoryError, match=r"huge.csv, line 3: unreadable as CSV"):
        load_history([path], "csv")


def test_an_unknown_timezone_is_named_before_reading(tmp_path):
    with pytest.raises(HistoryError, match="unknown --timezone 'Mars/Olympus'"):
        load_history([write(tmp_path, "ok.csv", rows(20))], "csv", timezone="Mars/Olympus")


def test_identical_handle_times_leave_the_handle_time_unfitted_and_say_why(tmp_path):
    """All handle times equal (an export rounded to the minute) ended in a root-finder's message;
    now the rest is fitted, and the handle time is left for the scenario with the reason given."""
    import numpy as np
    from calibration.profile import calibrate
    lines = [line.replace(f",{100 + i % 7},", ",120,") for i, line in enumerate(rows(600))]
    history = load_history([write(tmp_path, "rounded.csv", lines)], "csv")
    profile = calibrate(history, np.random.default_rng(1), bootstrap=0, resamples=0)
    (calls,) = profile.contacts
    assert calls.handle is None and calls.arrivals is not None


def test_a_family_that_cannot_be_fitted_is_left_out_with_a_note():
    """Two distinct values: whatever family's estimator fails is noted, the others are ranked."""
    import numpy as np
    from calibration.fit_durations import fit_durations
    values = np.array([60.0] * 300 + [120.0] * 300)
    fit = fit_durations(values, np.random.default_rng(1), bootstrap=0)
    assert fit.n == 600 and len(fit.candidates) >= 2 and np.isfinite(fit.best.mean)


def test_nul_bytes_and_latin1_are_told_apart(tmp_path):
    """NUL bytes (UTF-16, a spreadsheet) are not text; Latin-1 is read, its rows noted."""
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(("\n".join([HEADER] + rows(5)) + "\n").encode("utf-16"))
    with pytest.raises(HistoryError, match="utf16.csv: not a text file \\(UTF-16 text"):
        load_history([utf16], "csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(("\n".join([HEADER] + rows(5)).replace(",calls", ",caf\xe9", 1) + "\n").encode("latin-1"))
    history = load_history([latin1], "csv")
    assert len(history) == 5 and "café" in set(history.contacts["contact_type"])
    assert history.accounting.accounts[0].examples["not UTF-8: read as Latin-1"] == [2]


def test_a_log_whose_rows_all_fail_says_why_not_only_that_no_case_was_left(tmp_path):
    """All timestamps unreadable read `all 5 cases were rejected (5 no usable events)` (in bpic13, a
    pandas error about an empty activity column), and no case ids `all 0 cases were rejected ()`."""
    path = tmp_path / "log.csv"
    header = "case:concept:name,concept:name,time:timestamp,org:resource\n"
    path.write_text(header + "".join(f"T{i},open,2024-13-45 10:00,ann\n" for i in range(5)))
    with pytest.raises(HistoryError, match=r"log.csv: all 5 cases were rejected \(5 no usable events; its 5 rows: "
                                           r"5 unparsable time \(time:timestamp\)\)"):
        load_history([path], "event-log")
    path.write_text(header + ",open,2024-03-04 10:00,ann\n" * 5)
    with pytest.raises(HistoryError, match=r"log.csv: all cases were rejected \(its 5 rows: 5 no case id\)"):
        load_history([path], "event-log")


def test_a_fault_the_loader_did_not_foresee_still_names_the_file(tmp_path, monkeypatch):
    """All events rejected once reached pandas as `Cannot set a DataFrame with multiple columns…`,
    printed by the CLI as the whole error: no file, no hint that it was the loader's fault."""
    def trip(*args, **kwargs):
        raise ValueError("Cannot set a DataFrame with multiple columns to the single column activity")
    monkeypatch.setattr("calibration.loaders.contact_table._derive", trip)
    with pytest.raises(HistoryError, match=r"ok.csv: could not be read \(ValueError: Cannot set .*loader bug"):
        load_history([write(tmp_path, "ok.csv", rows(20))], "csv")

