"""History loaders: each format on its real slice (quirks included), books that balance, clear errors."""
import gzip

import numpy as np
import pandas as pd
import pytest

from calibration.history import CONTACT_COLUMNS, History, HistoryError, observed_agents_per_interval
from calibration.loaders import FORMATS, load_history
from calibration.loaders.bank import BANK_FIELDS
from calibration.loaders.servicenow import USED_COLUMNS


def rejected(history, reason_part, level="row"):
    """Rows (or cases) rejected for reasons containing `reason_part`, over all sources."""
    table = history.summary()
    hits = table[(table.status == "rejected") & (table.level == level)
                 & table.reason.str.contains(reason_part, regex=False)]
    return int(hits["count"].sum())


def noted(history, reason_part, level="row"):
    table = history.summary()
    hits = table[(table.status == "note") & (table.level == level)
                 & table.reason.str.contains(reason_part, regex=False)]
    return int(hits["count"].sum())


def assert_books_balance(history):
    table = history.summary()
    for (source, level), rows in table.groupby(["source", "level"]):
        read = rows.loc[rows.status == "read", "count"].item()
        kept = rows.loc[rows.status == "kept", "count"].item()
        assert read == kept + rows.loc[rows.status == "rejected", "count"].sum(), (source, level)
    contact_levels = table[table.status == "kept"].groupby("source").tail(1)
    assert contact_levels["count"].sum() == len(history)


def contact(history, contact_id):
    match = history.contacts[history.contacts.contact_id == contact_id]
    assert len(match) == 1, contact_id
    return match.iloc[0]


# --- anonymous bank ----------------------------------------------------------------------------

def test_bank_week_every_row_accounted_for(bank_week):
    assert_books_balance(bank_week)
    account = bank_week.accounting.get("bank_1999-01_week.txt")
    assert account.read == 7508
    assert account.rejected == {"phantom (not a call)": 59,
                                "VRU hang-up (never reached the agent queue)": 260}
    assert account.notes["CRLF line ending"] == 7508
    assert list(bank_week.contacts.columns) == list(CONTACT_COLUMNS)


def test_bank_week_calls_are_consistent(bank_week):
    calls = bank_week.contacts
    assert calls.arrived_at.min() >= pd.Timestamp("1999-01-18")
    assert calls.arrived_at.max() < pd.Timestamp("1999-01-25")
    answered = calls[~calls.abandoned]
    assert (answered.answered_at - answered.arrived_at).dt.total_seconds().eq(answered.wait_s).all()
    served = answered.dropna(subset=["handle_time_s"])
    assert (served.ended_at - served.answered_at).dt.total_seconds().eq(served.handle_time_s).all()
    abandoned = calls[calls.abandoned]
    assert abandoned.answered_at.isna().all() and abandoned.handle_time_s.isna().all()
    assert (calls.wait_s >= 0).all() and calls.priority.isin([0, 1, 2]).all()
    assert answered.agent.isna().sum() == 133  # AGENT with NO_SERVER: kept, agent unknown
    assert calls.customer_id.isna().any() and not (calls.customer_id == "0").any()


def test_bank_no_server_kept_or_rejected_on_request(bundled):
    path = bundled / "bank_1999-02_slice.txt"
    kept = load_history(path, "anonymous-bank")
    strict = load_history(path, "anonymous-bank", agent_without_server="reject")
    assert noted(kept, "NO_SERVER") == 7 and rejected(strict, "NO_SERVER") == 7
    assert len(kept) - len(strict) == 7
    assert_books_balance(strict)


def test_bank_call_queued_at_midnight(bundled):
    february = load_history(bundled / "bank_1999-02_slice.txt", "anonymous-bank")
    call = contact(february, "AA0102-31056")  # q_start 0:00:00 but q_time 27: it did queue
    assert call.arrived_at == pd.Timestamp("1999-02-16 00:00:00")
    assert call.wait_s == 27 and call.answered_at == pd.Timestamp("1999-02-16 00:00:27")


def test_bank_space_separated_lines_are_read(bundled):
    october = load_history(bundled / "bank_1999-10_spaces.txt", "anonymous-bank")
    account = october.accounting.get("bank_1999-10_spaces.txt")
    assert account.notes["fields separated by spaces, not tabs (split on whitespace)"] == 2
    assert account.examples["fields separated by spaces, not tabs (split on whitespace)"] == [7, 18]
    assert not any("fields" in reason for reason in account.rejected)  # both split into 17 fields
    assert account.examples["VRU hang-up (never reached the agent queue)"] == [7, 16, 18]


def test_bank_type_aa(bundled, write_bank):
    real = load_history(bundled / "bank_1999-01_type_aa.txt", "anonymous-bank")
    assert "AA" not in set(real.contacts.contact_type)  # both real AA calls hung up in the VRU
    queued = load_history(write_bank({"type": "AA"}), "anonymous-bank")
    assert contact(queued, "AA0101-1").contact_type == "AA" and noted(queued, "undocumented type") == 1


def test_bank_made_up_faults(write_bank):
    path = write_bank(
        {},                                                          # a clean call
        {"outcome": "PHANTOM"},
        {"q_start": "10:61:00"},                                     # unparsable clock
        {"q_time": "-5"},
        {"vru_exit": "9:59:20", "vru_time": "-40", "q_start": "9:59:20", "q_exit": "9:59:40"},
        {"outcome": "HANG", "q_start": "0:00:00", "q_exit": "0:00:00", "q_time": "0"},
        {"outcome": "HANG", "ser_start": "0:00:00", "ser_exit": "0:00:00", "ser_time": "0",
         "server": "NO_SERVER"},
        {"call_id": "1"},                                            # same id as the first call
        "AA0101\t9\t0\t0\tPS\t990118\t10:00:00",                     # too few fields
        "",
    )
    history = load_history(path, "anonymous-bank")
    assert_books_balance(history)
    account = history.accounting.get("bank.txt")
    assert account.read == 10 and account.kept == 3
    assert set(account.rejected) == {
        "phantom (not a call)", "unparsable time (q_start)", "negative duration (q_time or ser_time)",
        "VRU hang-up (never reached the agent queue)", "duplicate (same vru+line and call_id)",
        "wrong number of fields (not 17)", "blank line"}
    assert account.examples["unparsable time (q_start)"] == [4]
    negative_vru = contact(history, "AA0101-5")
    assert negative_vru.arrived_at == pd.Timestamp("1999-01-18 09:59:20") and not negative_vru.abandoned
    hung_up = contact(history, "AA0101-7")
    assert hung_up.abandoned and hung_up.wait_s == 20
    assert hung_up.ended_at == pd.Timestamp("1999-01-18 10:00:30")


def test_bank_times_past_midnight_move_to_next_day(write_bank):
    path = write_bank({"vru_entry": "23:59:40", "vru_exit": "23:59:50", "q_start": "23:59:50",
                       "q_exit": "0:00:20", "q_time": "30", "ser_start": "0:00:20",
                       "ser_exit": "0:02:00", "ser_time": "100"})
    call = contact(load_history(path, "anonymous-bank"), "AA0101-1")
    assert call.arrived_at == pd.Timestamp("1999-01-18 23:59:50")
    assert call.answered_at == pd.Timestamp("1999-01-19 00:00:20")
    assert call.ended_at == pd.Timestamp("1999-01-19 00:02:00")


def test_bank_months_combine_and_repeats_are_booked(bundled):
    months = [bundled / "bank_1999-02_slice.txt", bundled / "bank_1999-10_spaces.txt"]
    both = load_history(months, "anonymous-bank")
    assert len(both) == 288 + 19 and both.sources == [m.name for m in months]
    twice = load_history([months[1], months[1]], "anonymous-bank")
    assert len(twice) == 19 and rejected(twice, "duplicate") == 19
    assert_books_balance(twice)


def test_observed_agents_per_interval_on_the_week(bank_week):
    staffing = observed_agents_per_interval(bank_week, 900)
    assert list(staffing.columns) == ["interval_start", "agents", "unattributed_calls"]
    assert len(staffing) == 7 * 96 and staffing.interval_start.iloc[0] == pd.Timestamp("1999-01-18")
    assert 8 <= staffing.agents.max() <= 14  # 8 regular + 5 internet positions, plus handovers
    by_hour = staffing.groupby(staffing.interval_start.dt.hour).agents.mean()
    assert by_hour.loc[3] < 1 < by_hour.loc[10]
    assert staffing.unattributed_calls.sum() == 133


def test_observed_agents_counts_overlapping_calls():
    calls = pd.DataFrame({
        "answered_at": pd.to_datetime(["2024-01-01 09:05", "2024-01-01 09:10", "2024-01-01 09:20"]),
        "handle_time_s": [1200.0, 60.0, 60.0], "agent": ["ANA", "BEN", None],
        "arrived_at": pd.to_datetime(["2024-01-01 09:00"] * 3)})
    staffing = observed_agents_per_interval(History(calls, None), "15min").set_index("interval_start")
    assert staffing.loc["2024-01-01 09:00", "agents"] == 2   # ANA and BEN
    assert staffing.loc["2024-01-01 09:15", "agents"] == 1   # ANA still on her 20-min call
    assert staffing.loc["2024-01-01 09:15", "unattributed_calls"] == 1
    assert staffing.loc["2024-01-01 08:45", "agents"] == 0


# --- ServiceNow --------------------------------------------------------------------------------

def servicenow_file(write_text, rows, name="incidents.csv"):
    header = list(USED_COLUMNS) + ["category"]
    base = dict(number="INC1", incident_state="New", sys_mod_count="0",
                sys_updated_at="1/3/2016 09:00", opened_at="1/3/2016 09:00",
                resolved_at="2/3/2016 10:00", closed_at="7/3/2016 10:00", reassignment_count="0",
                reopen_count="0", priority="2 - High", assignment_group="Group 1",
                assigned_to="?", caller_id="Caller 9", category="Category 5")
    lines = [",".join(header)] + [",".join({**base, **row}[c] for c in header) for row in rows]
    return write_text(name, "\n".join(lines) + "\n")


def test_servicenow_slice(bundled):
    history = load_history(bundled / "servicenow_incidents_slice.csv.gz", "servicenow")
    assert_books_balance(history)
    rows = history.accounting.get("servicenow_incidents_slice.csv.gz", "row")
    cases = history.accounting.get("servicenow_incidents_slice.csv.gz", "case")
    assert (rows.read, cases.read, len(history)) == (458, 76, 76)
    assert cases.notes["audit rows out of order or sys_mod_count repeated (re-sorted)"] == 5
    reopened = contact(history, "INC0000102")
    assert (reopened.escalation_count, reopened.reopen_count) == (4, 1)
    assert reopened.escalated and reopened.reopened and reopened.source_rows == 19
    first = contact(history, "INC0000045")
    assert first.arrived_at == pd.Timestamp("2016-02-29 01:16") and first.priority == 3
    assert first.resolved_at == pd.Timestamp("2016-02-29 11:29") and first.agent is None
    assert first.group == "Group 56" and first.contact_type == "Category 55"
    assert history.contacts.abandoned.sum() == 0 and history.contacts.handle_time_s.isna().all()


def test_servicenow_contact_type_option(bundled):
    history = load_history(bundled / "servicenow_incidents_slice.csv.gz", "servicenow",
                           mapping={"contact_type": "contact_type"})
    assert set(history.contacts.contact_type) <= {"Phone", "Email", "Self service", "IVR"}


def test_servicenow_rejects_whole_incidents(write_text):
    path = servicenow_file(write_text, [
        {"number": "INC1"},
        {"number": "INC1", "sys_mod_count": "1", "incident_state": "Active",
         "sys_updated_at": "1/3/2016 09:30", "assigned_to": "Resolver 3"},
        {"number": "INC2", "resolved_at": "28/2/2016 10:00"},          # resolved before opened
        {"number": "INC2", "sys_mod_count": "1", "resolved_at": "28/2/2016 10:00"},
        {"number": "INC3", "opened_at": "31/31/2016 25:00"},            # unparsable
        {"number": "?"},
    ])
    history = load_history(path, "servicenow")
    assert_books_balance(history)
    assert rejected(history, "resolved before opened", "case") == 1
    assert rejected(history, "resolved before opened", "row") == 2
    assert rejected(history, "unparsable time (opened_at)", "case") == 1
    assert rejected(history, "no incident number") == 1
    kept = contact(history, "INC1")
    assert kept.wait_s == 1800 and kept.agent == "Resolver 3" and kept.priority == 2


# --- event logs --------------------------------------------------------------------------------

def test_helpdesk_italy_slice(bundled):
    history = load_history(bundled / "helpdesk_italy_slice.csv", "event-log", mapping="helpdesk_italy")
    assert_books_balance(history)
    events = history.accounting.get("helpdesk_italy_slice.csv", "row")
    assert (events.read, events.rejected["duplicate event"], len(history)) == (320, 3, 65)
    # 68 cases: 65 from January-April 2010 and three that the slice's line range caught from 2011-2012,
    # over a year later; alone there they would add ~780 empty days, so they are rejected and counted
    cases = history.accounting.get("helpdesk_italy_slice.csv", "case")
    assert cases.read == 68 and [count for reason, count in cases.rejected.items()
                                 if "a year or more away" in reason] == [3]
    first = contact(history, "Case3608")  # +00:00 is Rome wall clock: kept as written
    assert first.arrived_at == pd.Timestamp("2010-01-13 08:40:25")
    twice_resolved = contact(history, "Case4284")
    assert twice_resolved.reopen_count == 1 and twice_resolved.reopened
    assert contact(history, "Case342").ended_at is pd.NaT


def test_helpdesk_italy_escalations_are_counted(bundled, monkeypatch):
    """Case3779 (escalated three times) is one of the slice's 2011-2012 strays: read with the stray
    rule off, as it would be in the whole history."""
    import calibration.loaders.common as common
    monkeypatch.setattr(common, "STRAY_SHARE", 0.0)
    history = load_history(bundled / "helpdesk_italy_slice.csv", "event-log", mapping="helpdesk_italy")
    assert len(history) == 68 and contact(history, "Case3779").escalation_count == 3


def test_italy_offset_is_wall_clock_even_with_a_timezone(bundled):
    path = bundled / "helpdesk_italy_slice.csv"
    plain = load_history(path, "helpdesk_italy")
    zoned = load_history(path, "helpdesk_italy", timezone="Europe/Rome")
    assert plain.contacts.arrived_at.equals(zoned.contacts.arrived_at)


def test_bpic13_slice(bundled):
    history = load_history(bundled / "bpic13_slice.csv", "event-log", mapping="bpic13")
    assert_books_balance(history)
    assert len(history) == 17 and history.contacts.priority.isin([1, 2, 3, 4]).all()
    moved = contact(history, "1-732526526")  # G96 (1st line) -> M24 2nd
    assert moved.group == "G96" and moved.escalation_count == 1
    in_call = contact(history, "1-730644761")
    assert in_call.resolved_at == pd.Timestamp("2012-05-02 14:24:27") and in_call.ended_at is pd.NaT
    utc = load_history(bundled / "bpic13_slice.csv", "bpic13", timezone="UTC")
    shift = contact(history, "1-732526526").arrived_at - contact(utc, "1-732526526").arrived_at
    assert shift == pd.Timedelta(hours=2)


def test_event_log_mapping_from_yaml(bundled, write_text):
    mapping = write_text("desk.yaml", "preset: helpdesk_italy\nescalated: []\n"
                                      "default_contact_type: software\n")
    history = load_history(bundled / "helpdesk_italy_slice.csv", "event-log", mapping=mapping)
    assert history.contacts.escalation_count.eq(0).all()
    assert set(history.contacts.contact_type) == {"software"}


def test_event_log_bad_events_and_cases(write_text):
    path = write_text("log.csv", "case,activity,when,who\n"
                                 "T1,open,2024-03-01 09:00,ann\n"
                                 "T1,start,not a time,ann\n"
                                 "T1,done,2024-03-01 10:00,ann\n"
                                 "T1,done,2024-03-01 10:00,ann\n"
                                 "T2,open,yesterday,bob\n"
                                 ",open,2024-03-01 09:00,bob\n")
    mapping = {"case": "case", "activity": "activity", "timestamp": "when", "resource": "who",
               "answered": "start", "resolved": "done"}
    history = load_history(path, "event-log", mapping=mapping)
    assert_books_balance(history)
    assert rejected(history, "unparsable time (when)") == 2 and rejected(history, "duplicate event") == 1
    assert rejected(history, "no case id") == 1
    assert rejected(history, "no usable events", "case") == 1
    ticket = contact(history, "T1")
    assert ticket.resolved_at == pd.Timestamp("2024-03-01 10:00") and ticket.answered_at is pd.NaT


# --- one-row-per-contact CSV -------------------------------------------------------------------

def test_csv_with_mapping(write_text):
    path = write_text("tickets.csv", "id,created,picked,closed,lost,kind,prio,owner\n"
                                     "1,2024-03-01 09:00,2024-03-01 09:01,2024-03-01 09:06,no,mail,P2,ann\n"
                                     "2,2024-03-01 09:02,,2024-03-01 09:04,yes,mail,,\n"
                                     "3,2024-03-01 09:03,2024-03-01 09:00,,no,mail,1,ann\n"
                                     "4,2024-03-01 25:00,,,no,mail,1,ann\n"
                                     "5,2024-03-01 09:05,,,maybe,mail,1,ann\n"
                                     "1,2024-03-01 09:09,,,no,mail,1,ann\n")
    mapping = {"contact_id": "id", "arrived_at": "created", "answered_at": "picked",
               "ended_at": "closed", "abandoned": "lost", "contact_type": "kind",
               "priority": "prio", "agent": "owner"}
    history = load_history(path, "csv", mapping=mapping)
    assert_books_balance(history)
    assert len(history) == 2 and rejected(history, "answered before arrival") == 1
    assert rejected(history, "unparsable time (arrived_at)") == 1
    assert rejected(history, "unparsable flag (abandoned)") == 1 and rejected(history, "duplicate") == 1
    served = contact(history, "1")
    assert (served.wait_s, served.handle_time_s, served.priority) == (60, 300, 2)
    lost = contact(history, "2")
    assert lost.abandoned and lost.wait_s == 120 and lost.agent is None


def test_csv_flags_and_counts(write_text):
    path = write_text("t.csv", "arrived_at,escalation_count,reopened,handle_time\n"
                               "2024-03-01 09:00,2,no,0:05:00\n"
                               "2024-03-01 09:01,,yes,90\n")
    history = load_history(path, "csv", mapping={"handle_time": "handle_time"})
    first, second = (row for _, row in history.contacts.iterrows())
    assert (first.escalation_count, first.escalated, first.reopened, first.handle_time_s) == \
        (2, True, False, 300)
    assert (second.escalation_count, second.escalated, second.reopened, second.handle_time_s) == \
        (0, False, True, 90)


def test_csv_in_contact_schema_needs_no_mapping(bundled, tmp_path):
    bank = load_history(bundled / "bank_1999-02_slice.txt", "anonymous-bank")
    bank.contacts.to_csv(tmp_path / "contacts.csv", index=False)
    again = load_history(tmp_path / "contacts.csv", "csv")
    assert len(again) == len(bank)
    assert again.contacts.arrived_at.equals(bank.contacts.arrived_at)
    assert np.allclose(again.contacts.wait_s, bank.contacts.wait_s)


# --- errors ------------------------------------------------------------------------------------

def test_unknown_format_lists_the_known_ones(bundled):
    with pytest.raises(HistoryError, match="known formats: anonymous-bank, servicenow"):
        load_history(bundled / "bpic13_slice.csv", "excel")
    assert {"anonymous-bank", "servicenow", "event-log", "csv"} <= set(FORMATS)


def test_missing_and_empty_files(tmp_path, write_text, write_bank):
    with pytest.raises(HistoryError, match="not found"):
        load_history(tmp_path / "nowhere.txt", "anonymous-bank")
    with pytest.raises(HistoryError, match="empty"):
        load_history(write_text("empty.csv", ""), "csv")
    with pytest.raises(HistoryError, match="header but no rows"):
        load_history(write_bank(), "anonymous-bank")


def test_missing_columns_are_named(write_text, bundled):
    with pytest.raises(HistoryError, match="missing required column.*arrived_at"):
        load_history(write_text("t.csv", "created,owner\n2024-03-01,ann\n"), "csv")
    with pytest.raises(HistoryError, match="missing required column.*case_id"):
        load_history(bundled / "helpdesk_italy_slice.csv", "bpic13")
    incidents = write_text("i.csv", "number,opened_at\nINC1,1/3/2016 09:00\n")
    with pytest.raises(HistoryError, match="sys_mod_count"):
        load_history(incidents, "servicenow")


def test_missing_bank_fields_are_named(write_bank):
    path = write_bank({}, header=[name for name in BANK_FIELDS if name != "q_time"])
    with pytest.raises(HistoryError, match="missing required column.*q_time"):
        load_history(path, "anonymous-bank")


def test_all_rows_rejected_is_an_error(write_bank):
    with pytest.raises(HistoryError, match=r"all 2 rows were rejected \(2 phantom"):
        load_history(write_bank({"outcome": "PHANTOM"}, {"outcome": "PHANTOM"}), "anonymous-bank")


def test_bad_options_are_named(bundled, write_text):
    with pytest.raises(HistoryError, match="unknown option.*colour"):
        load_history(bundled / "bank_1999-10_spaces.txt", "anonymous-bank", colour="red")
    with pytest.raises(HistoryError, match="unknown event-log preset"):
        load_history(bundled / "bpic13_slice.csv", "event-log", mapping={"preset": "sap"})
    with pytest.raises(HistoryError, match="unknown contact field.*arrival"):
        load_history(write_text("t.csv", "a\n1\n"), "csv", mapping={"arrival": "a"})


def test_gzipped_input_is_read(bundled, tmp_path):
    packed = tmp_path / "october.txt.gz"
    packed.write_bytes(gzip.compress((bundled / "bank_1999-10_spaces.txt").read_bytes()))
    assert len(load_history(packed, "anonymous-bank")) == 19


def test_ragged_and_blank_csv_lines_are_booked(write_text):
    path = write_text("t.csv", "arrived_at,agent\n2024-03-01 09:00,ann\n\n2024-03-01 09:05,bob,extra\n"
                               "2024-03-01 09:07\n\"2024-03-01 09:09\",\"b\nb\"\n2024-03-01 09:10,cy\n")
    history = load_history(path, "csv")
    assert_books_balance(history)
    account = history.accounting.get("t.csv")
    assert account.rejected == {"blank line": 1, "wrong number of fields (not 2)": 2}
    assert account.examples["wrong number of fields (not 2)"] == [4, 5]
    assert history.contacts.source_line.tolist() == [2, 6, 8]  # a quoted field may span lines


def test_combining_leaves_the_originals_untouched(bundled):
    october = load_history(bundled / "bank_1999-10_spaces.txt", "anonymous-bank")
    twice = History.combine([october, october])
    assert twice.sources == ["bank_1999-10_spaces.txt", "bank_1999-10_spaces.txt (2)"]
    assert rejected(twice, "duplicate") == 19 and rejected(october, "duplicate") == 0
    assert len(History.combine([twice, october])) == 19
