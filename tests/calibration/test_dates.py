"""Dates as histories write them (calibration/loaders/dates.py): ISO 8601, day-first, month-first or a
pattern; `auto` tells day-first from month-first only where a day above 12 does, and refuses otherwise."""
import pandas as pd
import pytest

from calibration.history import HistoryError
from calibration.loaders import load_history
from calibration.loaders.dates import check_date_format, parse_dates, resolve_date_format


def stamps(*values) -> pd.Series:
    return pd.Series(values, dtype=object)


@pytest.mark.parametrize("text, date_format, expected", [
    ("13/03/2024 09:05", "day-first", "2024-03-13 09:05"),
    ("1.3.2024 9:05", "day-first", "2024-03-01 09:05"),
    ("13-03-2024", "day-first", "2024-03-13 00:00"),
    ("03/13/2024 09:05:33", "month-first", "2024-03-13 09:05:33"),
    ("2024-03-13T09:05", "day-first", "2024-03-13 09:05"),  # ISO stays ISO whatever the convention
    ("13.03.24 09:05", "%d.%m.%y %H:%M", "2024-03-13 09:05"),
    ("2024-03-13 09:05", "iso", "2024-03-13 09:05"),
])
def test_each_convention_reads_its_dates(text, date_format, expected):
    assert parse_dates(stamps(text), date_format).iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text, date_format", [
    ("05/13/2024 09:05", "day-first"),  # month 13: unparsable, never read as 13 May
    ("13/05/2024 09:05", "month-first"),
    ("13/03/24 09:05", "day-first"),  # two-digit year: give a pattern
    ("13/03/2024 09:05", "iso"),
])
def test_a_date_that_does_not_fit_is_unparsable_not_read_the_other_way(text, date_format):
    assert pd.isna(parse_dates(stamps(text), date_format).iloc[0])


def test_auto_is_iso_without_numeric_dates():
    assert resolve_date_format({"Opened": stamps("2024-03-01 09:00", None, "?")}, "auto", "t.csv") == "iso"


def test_auto_reads_day_first_when_some_day_is_above_12_in_any_column():
    columns = {"Opened": stamps("01/03/2024 09:00", "02/03/2024 10:00"),
               "Closed": stamps("01/03/2024 09:10", "13/03/2024 10:00")}
    assert resolve_date_format(columns, "auto", "t.csv") == "day-first"
    assert resolve_date_format({"Opened": stamps("03/13/2024 09:00", "03/01/2024")}, "auto", "t.csv") == "month-first"


def test_auto_refuses_ambiguous_dates_naming_the_columns():
    columns = {"Opened": stamps("01/03/2024 09:00", "02/03/2024"), "Note": stamps("x")}
    with pytest.raises(HistoryError) as error:
        resolve_date_format(columns, "auto", "t.csv")
    message = str(error.value)
    assert message.startswith("t.csv: column `Opened`: dates such as 01/03/2024 09:00 could be day-first or "
                              "month-first")
    assert "--date-format day-first or month-first" in message and "`Note`" not in message


def test_auto_refuses_mixed_conventions():
    with pytest.raises(HistoryError, match=r"column `Opened`: dates mix day-first \(13/03/2024\) and month-first "
                                           r"\(03/13/2024\)"):
        resolve_date_format({"Opened": stamps("13/03/2024", "03/13/2024")}, "auto", "t.csv")


def test_given_formats_are_kept_and_unknown_ones_refused():
    ambiguous = {"Opened": stamps("01/03/2024")}
    assert resolve_date_format(ambiguous, "month-first", "t.csv") == "month-first"
    assert check_date_format("%d/%m/%Y") == "%d/%m/%Y"
    with pytest.raises(HistoryError, match="unknown date format 'dd/mm/yyyy'; use auto, iso, day-first"):
        check_date_format("dd/mm/yyyy")


# --- through the loaders ------------------------------------------------------------------------

DAY_FIRST_CSV = ("Opened,Picked up,Closed\n"
                 "01/03/2024 09:00,01/03/2024 09:01,01/03/2024 09:06\n"
                 "13/03/2024 10:00,13/03/2024 10:02,13/03/2024 10:09\n")
MAPPING = {"arrived_at": "Opened", "answered_at": "Picked up", "ended_at": "Closed"}


def test_csv_with_day_first_dates_loads_every_row(write_text):
    """The bug: every dd/mm/yyyy row was rejected as unparsable."""
    history = load_history(write_text("t.csv", DAY_FIRST_CSV), "csv", mapping=MAPPING)
    assert list(history.contacts["arrived_at"]) == [pd.Timestamp("2024-03-01 09:00"), pd.Timestamp("2024-03-13 10:00")]
    assert list(history.contacts["handle_time_s"]) == [300, 420]
    assert history.accounting.get("t.csv").rejected == {}


def test_csv_with_ambiguous_dates_is_refused_unless_told(write_text):
    path = write_text("t.csv", DAY_FIRST_CSV.replace("13/03", "12/03"))
    with pytest.raises(HistoryError, match="columns `Opened`, `Picked up`, `Closed`: dates such as 01/03/2024 09:00"):
        load_history(path, "csv", mapping=MAPPING)
    told = load_history(path, "csv", mapping=MAPPING, date_format="month-first")
    assert told.contacts["arrived_at"].iloc[1] == pd.Timestamp("2024-12-03 10:00")


def test_event_log_and_servicenow_take_a_date_format(write_text, bundled):
    log = write_text("log.csv", "case,activity,when,who\nT1,open,04/02/2024 09:00,ann\nT1,done,04/02/2024 10:00,ann\n")
    mapping = {"case": "case", "activity": "activity", "timestamp": "when", "resource": "who", "resolved": "done"}
    with pytest.raises(HistoryError, match="column `when`"):
        load_history(log, "event-log", mapping=mapping)
    history = load_history(log, "event-log", mapping=mapping, date_format="month-first")
    assert history.contacts["arrived_at"].iloc[0] == pd.Timestamp("2024-04-02 09:00")
    fixed = load_history(bundled / "servicenow_incidents_slice.csv.gz", "servicenow")
    told = load_history(bundled / "servicenow_incidents_slice.csv.gz", "servicenow", date_format="auto")
    pd.testing.assert_series_equal(told.contacts["arrived_at"], fixed.contacts["arrived_at"])


def test_the_bank_log_refuses_a_date_format(bundled):
    with pytest.raises(HistoryError, match="--date-format does not apply to 'anonymous-bank'"):
        load_history(bundled / "bank_1999-02_slice.txt", "anonymous-bank", date_format="day-first")
