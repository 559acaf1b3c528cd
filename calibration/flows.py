"""Flows a history shows beyond one handling: escalation, reopening, and callers who call again.

These (and the time to resolve escalated and other tickets) are reported in the profile's diagnostics (the engine does not model escalation or repeats
yet), so a planner sees the first-contact resolution the history implies.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

REPEAT_WINDOW = pd.Timedelta(days=2)


def contact_flows(rows: pd.DataFrame, repeat_window: pd.Timedelta = REPEAT_WINDOW) -> dict:
    """Escalation, reopen and repeat-contact rates, and the first-contact resolution they imply."""
    handled = rows[rows["answered_at"].notna()]
    if handled.empty:
        return {"handled": 0}
    escalated = handled["escalated"].to_numpy(bool)
    reopened = handled["reopened"].to_numpy(bool)
    repeated = repeat_contacts(handled, repeat_window)
    resolved_first_time = ~(escalated | reopened | repeated)
    return {
        **_resolution_hours(rows),
        "handled": int(len(handled)),
        "escalation_rate": round(float(escalated.mean()), 6),
        "reopen_rate": round(float(reopened.mean()), 6),
        "repeat_within": f"{repeat_window.days}d",
        "repeat_rate": round(float(repeated.mean()), 6),
        "first_contact_resolution": round(float(resolved_first_time.mean()), 6),
    }


def _resolution_hours(rows: pd.DataFrame) -> dict:
    """Arrival to resolution (tickets), split by whether the contact was escalated: the escalated
    work's duration, which an escalation model will need."""
    hours = (rows["resolved_at"] - rows["arrived_at"]).dt.total_seconds() / 3600.0
    known = hours.notna() & (hours >= 0)
    if not known.any():
        return {}
    escalated = rows["escalated"].to_numpy(bool)
    summary = {}
    for label, chosen in (("escalated", escalated), ("not_escalated", ~escalated)):
        values = hours[known & chosen]
        if len(values):
            summary[f"resolution_hours_{label}"] = {"count": int(len(values)), "mean": round(float(values.mean()), 4),
                                                    "median": round(float(values.median()), 4)}
    return summary


def repeat_contacts(handled: pd.DataFrame, window: pd.Timedelta) -> np.ndarray:
    """True where the same known customer contacts again within `window` after this contact."""
    known = handled["customer_id"].notna().to_numpy()
    result = np.zeros(len(handled), dtype=bool)
    if not known.any():
        return result
    frame = handled.loc[known, ["customer_id", "arrived_at"]].reset_index(drop=True)
    frame["position"] = np.flatnonzero(known)
    frame = frame.sort_values(["customer_id", "arrived_at"], kind="stable")
    following = frame.groupby("customer_id")["arrived_at"].shift(-1)
    again = (following - frame["arrived_at"]) <= window
    result[frame["position"].to_numpy()[again.to_numpy()]] = True
    return result
