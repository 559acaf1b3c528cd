"""When contacts arrive: a (piecewise constant) Poisson process drawn segment by segment with numpy,
for a whole replication before it runs (what each contact needs is drawn in `fates.py`).
"""
from __future__ import annotations

import math

import numpy as np

from .config import WEEK_S, Arrivals


def arrival_times(arrivals: Arrivals, end_s: float, week_offset_s: float,
                  rng: np.random.Generator, daily_rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Sorted Poisson arrival times in [0, end_s) for a constant or weekly-profile rate, times `scale`."""
    starts, lengths, rates = _segments(arrivals, end_s, week_offset_s)
    rates = rates * scale
    if arrivals.day_to_day_cv > 0:
        rates = rates * _daily_volume_factors(starts, week_offset_s, arrivals.day_to_day_cv, daily_rng)
    counts = rng.poisson(rates * lengths)
    offsets = rng.random(int(counts.sum()))
    times = np.repeat(starts, counts) + offsets * np.repeat(lengths, counts)
    times.sort()
    return times


def _segments(arrivals: Arrivals, end_s: float, week_offset_s: float):
    """Constant-rate pieces of [0, end_s): starts, lengths and rates per second."""
    if arrivals.series_per_s is not None:
        starts = np.arange(0.0, end_s, arrivals.series_slot_s)
        rates = np.zeros(len(starts))
        known = min(len(starts), len(arrivals.series_per_s))
        rates[:known] = arrivals.series[:known]
        return starts, np.minimum(arrivals.series_slot_s, end_s - starts), rates
    if arrivals.weekly_per_s is None:
        day = 86400.0  # calendar-day pieces (midnight to midnight) for day-to-day variation to act on
        edges = np.arange(-(week_offset_s % day), end_s, day)
        starts = np.maximum(edges, 0.0)
        return starts, np.minimum(edges + day, end_s) - starts, np.full(len(starts), arrivals.rate_per_s)
    slot = arrivals.slot_s
    first = math.floor(week_offset_s / slot) * slot - week_offset_s  # slot boundary at or before time 0
    edges = np.arange(first, end_s, slot)
    starts = np.maximum(edges, 0.0)
    ends = np.minimum(edges + slot, end_s)
    week_position = ((edges + week_offset_s) % WEEK_S) // slot
    rates = arrivals.weekly_table.reshape(-1)[week_position.astype(int)]
    return starts, ends - starts, rates


def _daily_volume_factors(starts, week_offset_s, cv, rng):
    """Gamma(mean 1, cv) factor per calendar day: volume varies more than Poisson from day to day."""
    day_of = ((starts + week_offset_s) // 86400.0).astype(int)
    shape = 1.0 / (cv * cv)
    factors = rng.gamma(shape, 1.0 / shape, day_of.max() - day_of.min() + 1)
    return factors[day_of - day_of.min()]
