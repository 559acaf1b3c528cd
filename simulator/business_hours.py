"""Business hours: the clock SLAs are measured on ("resolve within 8 business hours").

`BusinessHours` is the config (open periods per weekday, holidays); `BusinessClock` turns it into
a cumulative count of open seconds since simulation time 0, so the business time between any two
instants is one subtraction, vectorised over a whole event log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

DAY_S = 86400.0


@dataclass(frozen=True)
class BusinessHours:
    """`weekly[d]`: open (start, end) seconds after midnight on weekday d (Monday 0); an end past
    24 h runs into the next day. `holidays`: dates closed all day (a period running past midnight
    into a holiday stops at midnight)."""

    weekly: tuple[tuple[tuple[float, float], ...], ...]
    holidays: tuple[date, ...] = ()

    def __post_init__(self):
        if len(self.weekly) != 7:
            raise ValueError("business hours need one entry per weekday (7)")
        for periods in self.weekly:
            for start, end in periods:
                if not 0 <= start < end <= start + DAY_S or start >= DAY_S:
                    raise ValueError(f"business period {start}-{end} s is not a period within a day")

    @property
    def open_seconds_per_week(self) -> float:
        return float(sum(end - start for periods in self.weekly for start, end in periods))


ALWAYS_OPEN = BusinessHours(tuple(((0.0, DAY_S),) for _ in range(7)))


class BusinessClock:
    """Open seconds elapsed since time 0, for times in [first_s, last_s) (sim seconds)."""

    def __init__(self, hours: BusinessHours, start: datetime, first_s: float, last_s: float):
        self.opens, self.closes = _open_periods(hours, start, first_s, last_s)
        lengths = self.closes - self.opens
        self._before = np.concatenate(([0.0], np.cumsum(lengths)))  # open seconds before period i
        # shift so that elapsed(0) == 0
        self._zero = float(self._raw(np.array([0.0]))[0])

    def _raw(self, times: np.ndarray) -> np.ndarray:
        if not len(self.opens):
            return np.zeros(len(times))  # never open in the range: no business time passes
        index = np.searchsorted(self.opens, times, side="right") - 1
        inside = np.clip(times - self.opens[np.maximum(index, 0)], 0.0,
                         (self.closes - self.opens)[np.maximum(index, 0)])
        return np.where(index >= 0, self._before[np.maximum(index, 0)] + inside, 0.0)

    def elapsed(self, times) -> np.ndarray:
        """Open seconds from time 0 to each of `times` (NaN stays NaN)."""
        times = np.asarray(times, dtype=float)
        return self._raw(np.nan_to_num(times)) - self._zero + np.where(np.isnan(times), np.nan, 0.0)

    def between(self, start, end) -> np.ndarray:
        """Open seconds in [start, end) for each pair (NaN where either is NaN)."""
        return self.elapsed(end) - self.elapsed(start)

    def add(self, start_s: float, open_s: float) -> float:
        """The instant when `open_s` business seconds have passed after `start_s` (inf if beyond range)."""
        if open_s <= 0:
            return float(start_s)
        target = float(self.elapsed(np.array([start_s]))[0]) + open_s + self._zero
        index = int(np.searchsorted(self._before, target, side="left")) - 1
        if index >= len(self.opens):
            return float("inf")
        return float(self.opens[index] + (target - self._before[index]))


def _open_periods(hours: BusinessHours, start: datetime, first_s: float, last_s: float):
    """Open [open, close) periods in sim seconds covering [first_s, last_s), holidays removed."""
    midnight = datetime(start.year, start.month, start.day)
    offset = (start - midnight).total_seconds()  # sim time of that midnight is -offset
    holidays = set(hours.holidays)
    opens, closes = [], []
    first_day = int(np.floor((first_s + offset) / DAY_S)) - 1
    last_day = int(np.ceil((last_s + offset) / DAY_S)) + 1
    for day in range(first_day, last_day + 1):
        today = midnight + timedelta(days=day)
        base = day * DAY_S - offset
        for open_s, close_s in hours.weekly[today.weekday()]:
            for piece_open, piece_close in ((open_s, min(close_s, DAY_S)), (DAY_S, close_s)):
                if piece_close <= piece_open:
                    continue
                calendar_day = (today + timedelta(days=int(piece_open // DAY_S))).date()
                if calendar_day not in holidays:
                    opens.append(base + piece_open)
                    closes.append(base + piece_close)
    order = np.argsort(opens, kind="stable")
    opens, closes = np.asarray(opens, float)[order], np.asarray(closes, float)[order]
    return _merge(opens, closes)


def _merge(opens: np.ndarray, closes: np.ndarray):
    """Overlapping or touching periods become one (a late period meeting the next day's early one)."""
    if not len(opens):
        return opens, closes
    merged_opens, merged_closes = [opens[0]], [closes[0]]
    for open_s, close_s in zip(opens[1:], closes[1:]):
        if open_s <= merged_closes[-1]:
            merged_closes[-1] = max(merged_closes[-1], close_s)
        else:
            merged_opens.append(open_s)
            merged_closes.append(close_s)
    return np.asarray(merged_opens), np.asarray(merged_closes)
