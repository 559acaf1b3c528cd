"""Interval KPIs folded onto the week: per weekday and time of day, the mean over replications and
its 95 % t-interval (within a replication, the same slot of several weeks is averaged first, so the
replications stay the independent units)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.stats import t_quantile

MINUTES_PER_DAY = 1440


def weekly_profile(frame: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """`frame`: rows of one contact type or group (replication, interval_start, kpi). Returns one row
    per weekly slot: `day` (0 = Monday 00:00, fractional), `mean`, `ci95`, `replications`."""
    starts = pd.to_datetime(frame["interval_start"])
    slot = starts.dt.day_of_week * MINUTES_PER_DAY + starts.dt.hour * 60 + starts.dt.minute
    per_replication = (pd.DataFrame({"replication": frame["replication"].to_numpy(), "slot": slot.to_numpy(),
                                     "value": frame[kpi].to_numpy(dtype=float)})
                       .groupby(["replication", "slot"])["value"].mean())
    grouped = per_replication.groupby(level="slot")
    profile = pd.DataFrame({"mean": grouped.mean(), "sd": grouped.std(ddof=1), "replications": grouped.count()})
    half = t_quantile(0.975, np.maximum(profile.replications - 1, 1)) * profile.sd / np.sqrt(profile.replications)
    profile["ci95"] = np.where(profile.replications > 1, half, np.nan)
    profile["day"] = profile.index / MINUTES_PER_DAY
    return profile.reset_index(drop=True)[["day", "mean", "ci95", "replications"]]

