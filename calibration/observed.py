"""What really happened, per interval: the history's own KPIs, with the simulator's definitions.

A back-test compares these with simulated KPIs, so they must mean the same: a contact counts in the
interval it arrived in; service level is answered within the threshold over offered (abandoned
count as missed); occupancy is service time inside the interval over agents seen × interval length.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.timeweighted import StepCount

from .history import History, observed_agents_per_interval

OBSERVED_COLUMNS = ["interval_start", "offered", "answered", "abandoned", "abandon_rate", "asa_s",
                    "service_level", "agents", "busy_s", "occupancy"]


def observed_intervals(history: History, interval_s: float, threshold_s: float = 20.0) -> pd.DataFrame:
    """One row per interval of the history's days (closed hours included, as zeros)."""
    contacts = history.contacts
    agents = observed_agents_per_interval(history, interval_s)
    if agents.empty:
        raise ValueError("the history has no answered contacts, so there is nothing to compare with")
    step = pd.Timedelta(seconds=interval_s)
    origin = agents["interval_start"].min()
    slot = ((contacts["arrived_at"] - origin) // step).to_numpy()
    frame = pd.DataFrame({"slot": slot, "answered": contacts["answered_at"].notna().to_numpy(),
                          "abandoned": contacts["abandoned"].to_numpy(), "wait_s": contacts["wait_s"].to_numpy()})
    frame["in_level"] = frame["answered"] & (frame["wait_s"] <= threshold_s)
    frame["answered_wait"] = frame["wait_s"].where(frame["answered"])
    grouped = frame.groupby("slot").agg(offered=("slot", "size"), answered=("answered", "sum"),
                                        abandoned=("abandoned", "sum"), in_level=("in_level", "sum"),
                                        asa_s=("answered_wait", "mean"))
    table = agents.assign(slot=((agents["interval_start"] - origin) // step).to_numpy())
    table = table.merge(grouped, on="slot", how="left").fillna({"offered": 0, "answered": 0, "abandoned": 0,
                                                                 "in_level": 0})
    table["busy_s"] = _busy_seconds(history, origin, interval_s, table["slot"].to_numpy())
    return _rates(table, interval_s)


def _rates(table: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    offered = table["offered"].to_numpy(dtype=float)
    capacity = table["agents"].to_numpy(dtype=float) * interval_s
    with np.errstate(invalid="ignore", divide="ignore"):
        table["abandon_rate"] = np.where(offered > 0, table["abandoned"] / offered, np.nan)
        table["service_level"] = np.where(offered > 0, table["in_level"] / offered, np.nan)
        table["occupancy"] = np.where(capacity > 0, table["busy_s"] / capacity, np.nan)
    return table[OBSERVED_COLUMNS].reset_index(drop=True)


def _busy_seconds(history: History, origin, interval_s: float, slots: np.ndarray) -> np.ndarray:
    """Service seconds inside each interval (a handling across an edge is split between intervals)."""
    answered = history.contacts[history.contacts["answered_at"].notna()]
    if answered["handle_time_s"].isna().all():
        return np.full(len(slots), np.nan)  # no handle times (ticket logs): busy time is unknown, not zero
    start = (answered["answered_at"] - origin).dt.total_seconds().to_numpy()
    busy = StepCount.from_spans(start, start + answered["handle_time_s"].fillna(0).to_numpy())
    return busy.integral_to((slots + 1) * interval_s) - busy.integral_to(slots * interval_s)


def overall(table: pd.DataFrame, interval_s: float) -> dict:
    """Whole-period observed KPIs from the interval table (weighted the same way as the simulator)."""
    offered, answered = table["offered"].sum(), table["answered"].sum()
    in_level = (table["service_level"] * table["offered"]).sum()
    capacity_s = table["agents"].sum() * interval_s
    return {
        "offered": float(offered), "abandon_rate": float(table["abandoned"].sum() / offered) if offered else np.nan,
        "asa_s": float((table["asa_s"] * table["answered"]).sum() / answered) if answered else np.nan,
        "service_level": float(in_level / offered) if offered else np.nan,
        "occupancy": float(table["busy_s"].sum(min_count=1) / capacity_s) if capacity_s else np.nan,
    }
