"""Anonymous Bank (Technion, 1999) call-by-call files: one line per call, 17 whitespace-split fields.

A call here is what reached the *agent queue*: it arrives when it joins the queue (or, if it never
queued, when it left the voice-response unit, VRU), waits `q_time`, then is answered (AGENT) or
hangs up (HANG). Decisions on each quirk of the files, and why:

- CRLF (1999-01) and space-separated lines (1999-10): lines are split on runs of whitespace (no
  field contains spaces); both are counted as notes.
- PHANTOM: not a call (rejected, counted).
- HANG that never queued: the caller left in the VRU (self-served or gave up there); never offered
  to an agent, so not an agent-queue abandonment. Rejected as a VRU hang-up, counted, so the
  VRU-only share can still be read from the books.
- AGENT with NO_SERVER: kept as answered with an unknown agent (option `agent_without_server=
  "reject"`). The caller was connected and waited a measured time; dropping them would overstate
  the abandon rate and understate answered load. They are excluded from agent counts.
- `q_start = 0:00:00` means never queued, *unless* `q_time > 0`: then the call really joined the
  queue at midnight (it happens), and is kept as queued.
- Times past midnight: clocks are wall clock of `date`, and a stage that reads more than 12 h
  earlier than `vru_entry` happened after midnight, so it is moved to the next day (noted).
- Negative `vru_time`: only the VRU clock disagrees (q_start equals vru_exit); kept, noted.
- Service clock vs queue clock: `ser_start` usually reads 0-2 s before `q_exit`, sometimes minutes
  off. Answer = arrival + q_time and end = answer + ser_time (the durations are what calibration
  fits), so arrival <= answer <= end always holds; disagreements over 5 s are noted.
- AGENT with `ser_start = 0:00:00` and `ser_time = 0`: answered, service not recorded; kept with
  unknown handle time (NaN), noted. HANG rows that carry a service record: abandoned, record ignored.
- Type AA (and any undocumented type): kept under its own contact type, noted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.history import History, HistoryError, normalise_contacts
from calibration.loaders.common import Screen, finish, load_each, note_not_utf8, read_text, start_account

BANK_FIELDS = ("vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry",
               "vru_exit", "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start",
               "ser_exit", "ser_time", "server")
CLOCK_FIELDS = ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")
NUMBER_FIELDS = ("call_id", "priority", "vru_time", "q_time", "ser_time")
DOCUMENTED_TYPES = ("PS", "PE", "IN", "NE", "NW", "TT")
NO_AGENT = "NO_SERVER"
HALF_DAY_S = 43_200
CLOCK_TOLERANCE_S = 5


def load_anonymous_bank(paths, *, agent_without_server: str = "keep") -> History:
    """Calls of one or more bank months (`1999-01.txt` ...), combined into one history."""
    if agent_without_server not in ("keep", "reject"):
        raise HistoryError(f"agent_without_server must be 'keep' or 'reject', "
                           f"got {agent_without_server!r}")
    return load_each(paths, _load_month, agent_without_server=agent_without_server)


def _load_month(path, agent_without_server: str) -> History:
    screen = _split_lines(path)
    _check_fields(screen)
    _sort_out_calls(screen, agent_without_server)
    _place_on_clock(screen)
    contacts = normalise_contacts(_as_contacts(screen.rows), path.name)
    return finish(contacts, [screen.account], path)


def _split_lines(path) -> Screen:
    """Lines split on whitespace runs; blank and wrong-width lines are booked as rejected."""
    text, not_utf8 = read_text(path)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    header = lines[0].split()
    missing = [name for name in BANK_FIELDS if name not in header]
    if missing:
        raise HistoryError(f"{path.name}: missing required column(s): {', '.join(missing)} "
                           f"(the header has: {', '.join(header)})")
    if len(lines) < 2:
        raise HistoryError(f"{path.name}: has a header but no rows")
    account = start_account(path.name, "row", len(lines) - 1)
    records, blank, wrong_width = [], [], []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if not fields:
            blank.append(number)
        elif len(fields) != len(header):
            wrong_width.append(number)
        else:
            records.append(fields + [number, line.endswith("\r"), " " in line])
    account.reject("blank line", len(blank), blank)
    account.reject(f"wrong number of fields (not {len(header)})", len(wrong_width), wrong_width)
    rows = pd.DataFrame(records, columns=header + ["line", "crlf", "spaced"])
    screen = Screen(rows, account)
    screen.note(rows["crlf"], "CRLF line ending")
    screen.note(rows["spaced"], "fields separated by spaces, not tabs (split on whitespace)")
    note_not_utf8(screen, not_utf8)
    return screen


def _check_fields(screen: Screen) -> None:
    """Parse dates, clocks and numbers; unreadable rows (under the first field that fails) and
    non-calls leave with their reason."""
    rows = screen.rows
    screen.rows = rows.assign(day=pd.to_datetime(rows["date"], format="%y%m%d", errors="coerce"))
    screen.reject(screen.rows["day"].isna(), "unparsable date (date)")
    screen.rows = screen.rows.assign(**{f"{name}_s": _clock_seconds(screen.rows[name]) for name in CLOCK_FIELDS})
    for name in CLOCK_FIELDS:
        screen.reject(screen.rows[f"{name}_s"].isna(), f"unparsable time ({name})")
    screen.rows = screen.rows.assign(**{name: pd.to_numeric(screen.rows[name], errors="coerce")
                                        for name in NUMBER_FIELDS})
    for name in NUMBER_FIELDS:
        screen.reject(screen.rows[name].isna(), f"unparsable number ({name})")
    outcome = screen.rows["outcome"]
    screen.reject(outcome.eq("PHANTOM"), "phantom (not a call)")
    screen.reject(~screen.rows["outcome"].isin(["AGENT", "HANG"]), "unknown outcome")
    negative = (screen.rows["q_time"] < 0) | (screen.rows["ser_time"] < 0)
    screen.reject(negative, "negative duration (q_time or ser_time)")


def _clock_seconds(values: pd.Series) -> pd.Series:
    """Seconds after midnight of an `H:MM:SS` clock; NaN when it is not a valid clock."""
    parts = values.str.extract(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$").astype(float)
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
    return seconds.where(parts[0] < 24)


def _sort_out_calls(screen: Screen, agent_without_server: str) -> None:
    """Separate agent-queue calls from VRU-only hang-ups and decide on unnamed agents."""
    rows = screen.rows
    midnight_queue = rows["q_start_s"].eq(0) & rows["q_time"].gt(0)
    screen.rows = rows.assign(queued=rows["q_start_s"].ne(0) | midnight_queue)
    screen.note(midnight_queue, "queued at 0:00:00 (q_start 0:00:00 with a wait; kept as queued)")
    hang = screen.rows["outcome"].eq("HANG")
    screen.reject(hang & ~screen.rows["queued"], "VRU hang-up (never reached the agent queue)")
    no_agent = screen.rows["outcome"].eq("AGENT") & screen.rows["server"].eq(NO_AGENT)
    if agent_without_server == "reject":
        screen.reject(no_agent, "answered without agent (NO_SERVER)")
    else:
        screen.note(no_agent, "answered without agent (NO_SERVER; kept, agent unknown)")
    repeated = screen.rows.duplicated(["vru+line", "call_id"], keep="first")
    screen.reject(repeated, "duplicate (same vru+line and call_id)")
    rows = screen.rows
    screen.note(rows["vru_time"] < 0, "negative vru_time (VRU clock only; call kept)")
    screen.note(~rows["type"].isin(DOCUMENTED_TYPES), "undocumented type (e.g. AA; kept as its own type)")
    screen.note(rows["outcome"].eq("HANG") & rows["ser_time"].gt(0),
                "abandoned with a service record (service ignored)")
    screen.note(rows["outcome"].eq("AGENT") & rows["ser_time"].eq(0) & rows["ser_start_s"].gt(0),
                "answered with 0 s service")


def _place_on_clock(screen: Screen) -> None:
    """Datetimes for each stage; a stage more than 12 h before VRU entry is after midnight.

    Answer and end come from the queue's own clock (arrival + q_time, + ser_time), so arrival <=
    answer <= end always holds; the service clock (ser_start) usually reads 0-2 s earlier and is
    only used to flag larger disagreements.
    """
    rows = screen.rows
    unrecorded = rows["outcome"].eq("AGENT") & rows["ser_start_s"].eq(0) & rows["ser_time"].eq(0)
    screen.note(unrecorded, "answered, service not recorded (ser_start 0:00:00; handle unknown)")
    served = rows["outcome"].eq("AGENT") & ~unrecorded
    stamps, wrapped = {}, pd.Series(False, index=rows.index)
    recorded = {"vru_exit": True, "q_start": rows["queued"], "ser_start": served}
    for name, is_recorded in recorded.items():
        past_midnight = (rows[f"{name}_s"] < rows["vru_entry_s"] - HALF_DAY_S) & is_recorded
        wrapped |= past_midnight
        stamps[name] = rows["day"] + pd.to_timedelta(rows[f"{name}_s"] + past_midnight * 86_400,
                                                     unit="s")
    screen.note(wrapped, "clock past midnight (moved to the next day)")
    arrived = stamps["q_start"].where(rows["queued"], stamps["vru_exit"])
    wait = rows["q_time"].where(rows["queued"], 0).astype(float)
    answered = arrived + pd.to_timedelta(wait, unit="s")
    disagree = (stamps["ser_start"] - answered).abs() > pd.Timedelta(seconds=CLOCK_TOLERANCE_S)
    screen.note(served & disagree, f"service clock off the queue clock by > {CLOCK_TOLERANCE_S} s "
                                   "(queue clock used)")
    handle = rows["ser_time"].astype(float).where(served)
    screen.rows = rows.assign(arrived_at=arrived, wait_s=wait, left_queue=answered,
                              handle_time_s=handle)


def _as_contacts(rows: pd.DataFrame) -> pd.DataFrame:
    """The normalised contact columns of kept calls."""
    answered = rows["outcome"].eq("AGENT")
    served_until = rows["left_queue"] + pd.to_timedelta(rows["handle_time_s"], unit="s")
    customer = rows["customer_id"].where(rows["customer_id"].ne("0"), None)
    return pd.DataFrame({
        "contact_id": rows["vru+line"] + "-" + rows["call_id"].astype(np.int64).astype(str),
        "arrived_at": rows["arrived_at"],
        "contact_type": rows["type"],
        "priority": rows["priority"].astype(np.int64),
        "answered_at": rows["left_queue"].where(answered),
        "ended_at": served_until.where(answered, rows["left_queue"]),
        "handle_time_s": rows["handle_time_s"],
        "wait_s": rows["wait_s"],
        "abandoned": ~answered,
        "agent": rows["server"].where(rows["server"].ne(NO_AGENT), None),
        "customer_id": customer,
        "source_line": rows["line"],
    })
