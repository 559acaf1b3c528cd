"""A simulated event log written out the way a planner's ACD export looks, then read back as a History.

Recovery tests need histories whose true parameters are known: simulate with the project's own
engine, export one row per contact with wall-clock timestamps (from the model's calendar start,
truncated to whole seconds, as exports usually are), and load the file with the ordinary `csv`
loader through a column mapping. That also exercises the csv loader end to end: waits and handle
times are not written, the loader must derive them from the timestamps.

Export conventions (those the loader documents): an answered contact has `Answered at` and
`Ended at` (end of handling); an abandoned one has `Abandoned = yes` and `Ended at` = the moment it
hung up; a contact still waiting when the run stopped has neither (its wait is unknown).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.history import History
from calibration.loaders import load_history

# The export's own column headers (deliberately not the loader's field names) → loader fields.
MAPPING = {
    "contact_id": "Call ID",
    "contact_type": "Queue",
    "arrived_at": "Offered at",
    "answered_at": "Answered at",
    "ended_at": "Ended at",
    "abandoned": "Abandoned",
    "agent": "Agent",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def export_frame(log, model) -> pd.DataFrame:
    """The event log as the export's rows (strings, blanks where a time is not recorded)."""
    start = pd.Timestamp(model.calendar.start)
    names = np.asarray(model.contact_names, dtype=object)
    answered = ~np.isnan(log.answered_s)
    abandoned = ~np.isnan(log.left_s)
    if (answered & abandoned).any():
        raise AssertionError("a contact both answered and abandoned in the event log")
    ended = np.where(answered, log.ended_s, np.where(abandoned, log.left_s, np.nan))

    def stamp(seconds: np.ndarray) -> np.ndarray:
        times = start + pd.to_timedelta(seconds, unit="s")
        text = pd.Series(times).dt.floor("s").dt.strftime(TIME_FORMAT)
        return text.where(~np.isnan(seconds), "").to_numpy(dtype=object)

    agent = np.where(log.agent >= 0, np.char.add("agent-", log.agent.astype(str)), "")
    return pd.DataFrame({
        MAPPING["contact_id"]: [f"C{number:07d}" for number in range(len(log))],
        MAPPING["contact_type"]: names[log.contact_type.astype(int)],
        MAPPING["arrived_at"]: stamp(log.arrival_s),
        MAPPING["answered_at"]: stamp(np.where(answered, log.answered_s, np.nan)),
        MAPPING["ended_at"]: stamp(ended),
        MAPPING["abandoned"]: np.where(abandoned, "yes", "no"),
        MAPPING["agent"]: agent,
    })


def write_csv(log, model, path) -> Path:
    """Write the export (one row per contact, in arrival order) and return its path."""
    path = Path(path)
    export_frame(log, model).to_csv(path, index=False)
    return path


def history_csv(log, model, path) -> History:
    """Export `log` to the CSV at `path` and load it back with `load_history(..., "csv")`."""
    write_csv(log, model, path)
    return load_history([path], "csv", mapping=MAPPING)
