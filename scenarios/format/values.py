"""Parsers for scenario values: choices, numbers, distributions, start times, weekly and dated tables.

Each raises ValueError (or a located ScenarioError) saying what was expected; `Section.take` adds the
file, line and key path.
"""
from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path

import numpy as np

from simulator import limits, units
from simulator.config import Calendar
from simulator.distributions import check_distribution, from_spec

from .distribution_edits import edited_distribution
from .reader import Section


def one_of(choices):
    def parse(value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value
    return parse


def distribution(spec):
    """A distribution spec, `scale` or `mean` edits applied; `empirical{file}` is read here (one
    duration per line, relative to the scenario)."""
    if isinstance(spec, dict) and spec.get("dist") == "empirical" and "file" in spec:
        spec = {**spec, "values": _values_from_file(spec)}
        del spec["file"]
    return check_distribution(edited_distribution(dict(spec)) if isinstance(spec, dict) else from_spec(spec))


def _values_from_file(spec) -> list:
    scenario_file = getattr(spec, "where", ("", 0))[0]
    path = Path(scenario_file).parent / str(spec["file"]) if scenario_file else Path(str(spec["file"]))
    if not path.is_file():
        raise ValueError(f"empirical values file not found: {path}")
    lines = [line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    values = [units.duration(line, allow_zero=True) for line in lines if line]
    if not values:
        raise ValueError(f"empirical values file {path} has no values")
    return values


def whole_number(minimum: int, maximum: int):
    """A whole number in [minimum, maximum]: every count and index has a bound (limits.py)."""
    def parse(value):
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ValueError(f"expected a whole number ≥ {minimum} (and at most {maximum:,}), got {limits.shown(value)}")
        return value
    return parse


def non_negative(value, maximum: float = limits.MAX_AMOUNT) -> float:
    """A finite number in [0, maximum] (NaN and infinity are refused: they would run and mislead)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= maximum:
        raise ValueError(f"expected a number ≥ 0 (and at most {maximum:g}), got {limits.shown(value)}")
    return float(value)


def factor(value) -> float:
    """A positive multiplier (a volume scale, a handle-time factor), at most MAX_FACTOR."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= limits.MAX_FACTOR:
        raise ValueError(f"expected a positive number (at most {limits.MAX_FACTOR:g}), got {limits.shown(value)}")
    return float(value)


def agent_count(value) -> float:
    """Agents on duty in a table slot: at most MAX_AGENTS."""
    return non_negative(value, limits.MAX_AGENTS)


def cv_or_zero(value) -> float:
    """A coefficient of variation that may be 0 (none): else between MIN_CV and MAX_CV."""
    cv = non_negative(value, limits.MAX_CV)
    if 0 < cv < limits.MIN_CV:
        raise ValueError(f"expected 0 (none) or a cv of at least {limits.MIN_CV:g}, got {value!r}")
    return cv


def start_time(value) -> datetime:
    """A local wall-clock date and time (no UTC offset: the engine's clock is the desk's own)."""
    if isinstance(value, datetime):
        start = value
    else:
        try:
            start = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"expected a date and time like 2024-01-01 00:00, got {value!r}") from None
    if start.tzinfo is not None:
        raise ValueError(f"give the desk's local time without a UTC offset, e.g. {start.replace(tzinfo=None)}")
    return start

def weekly_table(section: Section, default_interval_s: float, count_values: bool = False) -> np.ndarray:
    """7 × slots from `days: [values…]` lists or `days: {"HH:MM-HH:MM": value}` maps. Rates (per second,
    numbers in lists meaning `unit`, default per hour) unless `count_values` (agents: plain numbers)."""
    interval = section.take("interval", slot_length, default_interval_s)
    per = 1.0 if count_values else section.take("unit", units.rate, units.rate("1/h"))
    period_value, list_value = (agent_count, agent_count) if count_values else (units.rate, non_negative)
    rows = {key: value for key, value in section.data.items() if key not in ("interval", "unit")}
    minute_slots = any(isinstance(value, dict) for value in rows.values())
    slots = 1440 if minute_slots else _slots_per_day(interval, section)
    table = np.zeros((7, slots))
    for key, weekdays in weekday_keys(section, rows):
        table[list(weekdays)] = section.take(key, lambda v: _day_values(v, slots, interval, per, period_value,
                                                                        list_value))
    section.done()
    return table


def weekday_keys(section: Section, keys, other_keys: tuple = ()) -> list[tuple[str, tuple[int, ...]]]:
    """Keys that name weekdays (`mon-fri`, `sat`, `all`) with their weekday indices; a weekday may
    appear under one key only. A key close to one of `other_keys` is taken for its misspelling."""
    found, given = [], set()
    for key in keys:
        try:
            weekdays = units.days(key)
        except ValueError as problem:
            close = difflib.get_close_matches(str(key), other_keys, n=1, cutoff=0.7)
            message = f"unknown key `{key}`; did you mean `{close[0]}`?" if close else str(problem)
            raise section.error(message, key) from None
        if given & set(weekdays):
            raise section.error("a weekday appears under two keys", key)
        given |= set(weekdays)
        found.append((key, weekdays))
    return found


def slot_length(value) -> float:
    """A table's interval: at least a minute (the precision of its `"HH:MM-HH:MM"` form), so a table
    holds at most 1 440 values a day."""
    seconds = units.duration(value)
    if seconds < limits.MIN_SLOT_S:
        raise ValueError(f"a table's interval must be at least 1min, got {value!r}")
    return seconds


def _slots_per_day(interval: float, section: Section) -> int:
    slots = 86400.0 / interval
    if abs(slots - round(slots)) > 1e-9:
        raise section.error(f"interval {units.format_duration(interval)} does not divide a day", "interval")
    return int(round(slots))


def _day_values(value, slots: int, interval: float, per: float, period_value, list_value) -> np.ndarray:
    if isinstance(value, dict):
        return _values_by_period(value, period_value)
    if not isinstance(value, list) or len(value) * interval != 86400.0:
        raise ValueError(f"expected {int(86400 / interval)} values (one per {units.format_duration(interval)}) "
                         f"covering the day")
    values = np.array([list_value(v) for v in value]) * per
    return np.repeat(values, slots // len(value))


def _values_by_period(periods: dict, period_value) -> np.ndarray:
    """Minute slots from {"08:00-12:00": 120/h}; times outside every period get zero."""
    minutes, covered = np.zeros(1440), np.zeros(1440, bool)
    for span, value in periods.items():
        start, _, end = str(span).partition("-")
        first = int(units.clock(start) // 60)
        last = int(units.clock(end, allow_24=True) // 60)
        if last <= first:
            raise ValueError(f"period {span!r} must end after it starts (split overnight periods at midnight)")
        if covered[first:last].any():
            raise ValueError(f"period {span!r} overlaps another period of the same day")
        covered[first:last] = True
        minutes[first:last] = period_value(value)
    return minutes


def per_interval_series(section: Section, calendar: Calendar, values_key: str, count_values: bool):
    """Values per slot from time 0: a dated list (`values_key: [...]`, one per `interval` from the
    calendar start) or a weekly table repeated over the run. Returns (values, slot seconds)."""
    if section.has(values_key):
        interval = section.take("interval", slot_length, calendar.interval_s)
        per = 1.0 if count_values else section.take("unit", units.rate, units.rate("1/h"))
        value = agent_count if count_values else non_negative
        values = section.take(values_key, lambda v: np.array([value(x) for x in as_list(v)]) * per)
        section.done()
        return values, interval
    table = weekly_table(section, calendar.interval_s, count_values)
    slot = 86400.0 / table.shape[1]
    edges = np.arange(0.0, calendar.run_end_s, slot)  # through the cool-down: shifts and arrivals go on
    position = ((edges + calendar.week_offset_s) % (7 * 86400.0)) // slot
    return table.reshape(-1)[position.astype(int)], slot

def as_list(value):
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value
