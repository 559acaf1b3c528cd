"""Flows a history shows beyond one handling: escalation, reopening, and callers who call again.

These are reported in the profile's diagnostics (the engine does not model escalation or repeats
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
        "handled": int(len(handled)),
        "escalation_rate": round(float(escalated.mean()), 6),
        "reopen_rate": round(float(reopened.mean()), 6),
        "repeat_within": f"{repeat_window.days}d",
        "repeat_rate": round(float(repeated.mean()), 6),
        "first_contact_resolution": round(float(resolved_first_time.mean()), 6),
    }


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
