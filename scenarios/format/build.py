"""Scenario sections → the engine's ModelConfig (SCENARIO_FORMAT.md is the contract for every key)."""
from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np

from simulator import units
from simulator.config import (AgentGroup, Arrivals, Break, Calendar, ContactType, KpiSettings, Policies,
                              Retrial, Shift, Sla, CHANNELS, QUEUE_POLICIES, ROUTING_POLICIES,
                              SHIFT_END_POLICIES, SL_ABANDON_VARIANTS)
from simulator.distributions import from_spec

from .reader import Section, items_of


def one_of(choices):
    def parse(value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value
    return parse


def distribution(spec):
    """A distribution spec; `empirical{file}` is read here (one duration per line, relative to the scenario)."""
    if isinstance(spec, dict) and spec.get("dist") == "empirical" and "file" in spec:
        spec = {**spec, "values": _values_from_file(spec)}
        del spec["file"]
    return from_spec(dict(spec) if isinstance(spec, dict) else spec)


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


def whole_number(minimum: int = 0):
    def parse(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"expected a whole number ≥ {minimum}, got {value!r}")
        return value
    return parse


def non_negative(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or math.isnan(value):
        raise ValueError(f"expected a number ≥ 0, got {value!r}")
    return float(value)


def start_time(value) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date and time like 2024-01-01 00:00, got {value!r}") from None


def build_calendar(section: Section) -> Calendar:
    calendar = Calendar(
        start=section.take("start", start_time, Calendar.start),
        horizon_s=section.take("horizon", units.duration, Calendar.horizon_s),
        warmup_s=section.take("warmup", lambda v: units.duration(v, allow_zero=True), 0.0),
        interval_s=section.take("interval", units.duration, Calendar.interval_s),
    )
    section.done()
    return calendar


def build_kpi_settings(section: Section) -> KpiSettings:
    level = section.section("service_level", default={})
    settings = KpiSettings(
        service_level_threshold_s=level.take("threshold", lambda v: units.duration(v, allow_zero=True), 20.0),
        service_level_abandoned=level.take("abandoned", one_of(SL_ABANDON_VARIANTS), "count_as_missed"),
        short_abandon_s=section.take("short_abandon", lambda v: units.duration(v, allow_zero=True), 5.0),
    )
    level.done()
    section.done()
    return settings


def build_policies(section: Section) -> tuple[Policies, dict]:
    """The engine's policies, plus automation's handle-time factors per contact type."""
    policies = Policies(queue=section.take("queue", one_of(QUEUE_POLICIES), "priority-fifo"),
                        routing=section.take("routing", one_of(ROUTING_POLICIES), "longest-idle"),
                        shift_end=section.take("shift_end", one_of(SHIFT_END_POLICIES), "finish_current"))
    automation = section.section("automation", default={})
    factors = automation.take("handle_time_factor", _factors, {})
    automation.done()
    section.done()
    return policies, factors


def _factors(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError("expected contact type → factor, e.g. {billing: 0.85}")
    return {str(name): _positive(factor) for name, factor in value.items()}


def _positive(value) -> float:
    if non_negative(value) <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return float(value)


def build_contacts(demand: Section, calendar: Calendar, factors: dict) -> tuple[ContactType, ...]:
    scale = demand.take("scale", _positive, 1.0)
    contacts = tuple(_contact(name, section, calendar, scale, factors.get(name, 1.0))
                     for name, section in items_of(demand, "contacts"))
    demand.done()
    return contacts


def _contact(name: str, section: Section, calendar: Calendar, scale: float, factor: float) -> ContactType:
    contact = ContactType(
        name=name,
        channel=section.take("channel", one_of(CHANNELS), "phone"),
        arrivals=_arrivals(section.section("arrivals"), calendar, scale),
        priority=section.take("priority", whole_number(0), 1),
        handle_time=section.take("handle_time", distribution).scaled(factor),
        patience=section.take("patience", distribution, None),
        retrial=_retrial(section),
        sla=_sla(section),
    )
    section.done()
    return contact


def _retrial(section: Section) -> Retrial | None:
    retrial = section.optional_section("retrial")
    if retrial is None:
        return None
    result = Retrial(retrial.take("probability", units.probability), retrial.take("delay", distribution))
    retrial.done()
    if section.data.get("patience") is None:
        raise section.error("retrial needs `patience`: only callers who abandon can call again", "retrial")
    return result


def _sla(section: Section) -> Sla | None:
    sla = section.optional_section("sla")
    if sla is None:
        return None
    result = Sla(sla.take("answer_within", lambda v: units.duration(v, allow_zero=True), math.inf),
                 sla.take("resolve_within", units.duration, math.inf))
    sla.done()
    return result


def _arrivals(section: Section, calendar: Calendar, scale: float) -> Arrivals:
    cv = section.take("day_to_day_cv", non_negative, 0.0)
    if sum(section.has(key) for key in ("rate", "weekly", "series")) != 1:
        raise section.error("give exactly one of `rate` (e.g. 120/h), `weekly` (a weekday × time table) "
                            "or `series` (rates per interval from the calendar start)")
    if section.has("rate"):
        arrivals = Arrivals(rate_per_s=section.take("rate", units.rate) * scale, day_to_day_cv=cv)
    elif section.has("series"):
        rates, slot = per_interval_series(section.section("series"), calendar, "rates", False)
        arrivals = Arrivals(series_per_s=rates * scale, series_slot_s=slot, day_to_day_cv=cv)
    else:
        table = weekly_table(section.section("weekly"), calendar.interval_s)
        arrivals = Arrivals(weekly_per_s=table * scale, day_to_day_cv=cv)
    section.done()
    return arrivals


def weekly_table(section: Section, default_interval_s: float, count_values: bool = False) -> np.ndarray:
    """7 × slots from `days: [values…]` lists or `days: {"HH:MM-HH:MM": value}` maps. Rates (per second,
    numbers in lists meaning `unit`, default per hour) unless `count_values` (agents: plain numbers)."""
    interval = section.take("interval", units.duration, default_interval_s)
    per = 1.0 if count_values else section.take("unit", units.rate, units.rate("1/h"))
    period_value = non_negative if count_values else units.rate
    rows = {key: value for key, value in section.data.items() if key not in ("interval", "unit")}
    minute_slots = any(isinstance(value, dict) for value in rows.values())
    slots = 1440 if minute_slots else _slots_per_day(interval, section)
    table = np.zeros((7, slots))
    given: set[int] = set()
    for key in rows:
        try:
            weekdays = units.days(key)
        except ValueError as problem:
            raise section.error(str(problem), key) from None
        if given & set(weekdays):
            raise section.error("a weekday appears under two keys", key)
        given |= set(weekdays)
        table[list(weekdays)] = section.take(key, lambda v: _day_values(v, slots, interval, per, period_value))
    section.done()
    return table


def _slots_per_day(interval: float, section: Section) -> int:
    slots = 86400.0 / interval
    if abs(slots - round(slots)) > 1e-9:
        raise section.error(f"interval {units.format_duration(interval)} does not divide a day", "interval")
    return int(round(slots))


def _day_values(value, slots: int, interval: float, per: float, period_value) -> np.ndarray:
    if isinstance(value, dict):
        return _values_by_period(value, period_value)
    if not isinstance(value, list) or len(value) * interval != 86400.0:
        raise ValueError(f"expected {int(86400 / interval)} values (one per {units.format_duration(interval)}) "
                         f"covering the day")
    values = np.array([non_negative(v) for v in value]) * per
    return np.repeat(values, slots // len(value))


def _values_by_period(periods: dict, period_value) -> np.ndarray:
    """Minute slots from {"08:00-12:00": 120/h}; times outside every period get zero."""
    minutes = np.zeros(1440)
    for span, value in periods.items():
        start, _, end = str(span).partition("-")
        first = int(units.clock(start) // 60)
        last = int(units.clock(end, allow_24=True) // 60)
        if last <= first:
            raise ValueError(f"period {span!r} must end after it starts (split overnight periods at midnight)")
        minutes[first:last] = period_value(value)
    return minutes


def per_interval_series(section: Section, calendar: Calendar, values_key: str, count_values: bool):
    """Values per slot from time 0: a dated list (`values_key: [...]`, one per `interval` from the
    calendar start) or a weekly table repeated over the run. Returns (values, slot seconds)."""
    if section.has(values_key):
        interval = section.take("interval", units.duration, calendar.interval_s)
        per = 1.0 if count_values else section.take("unit", units.rate, units.rate("1/h"))
        values = section.take(values_key, lambda v: np.array([non_negative(x) for x in _list(v)]) * per)
        section.done()
        return values, interval
    table = weekly_table(section, calendar.interval_s, count_values)
    slot = 86400.0 / table.shape[1]
    edges = np.arange(0.0, calendar.end_s, slot)
    position = ((edges + calendar.week_offset_s) % (7 * 86400.0)) // slot
    return table.reshape(-1)[position.astype(int)], slot


def build_groups(staffing: Section, calendar: Calendar) -> tuple[AgentGroup, ...]:
    groups = tuple(_group(name, section, calendar) for name, section in items_of(staffing, "groups"))
    staffing.done()
    return groups


def _group(name: str, section: Section, calendar: Calendar) -> AgentGroup:
    skills = section.take("skills", _skills)
    if section.has("shifts") == section.has("agents_per_interval"):
        raise section.error("give exactly one of `shifts` or `agents_per_interval`")
    table, slot = None, calendar.interval_s
    if section.has("agents_per_interval"):
        table, slot = per_interval_series(section.section("agents_per_interval"), calendar, "agents", True)
    shifts = section.take("shifts", default=[])
    if not isinstance(shifts, list) or (table is None and not shifts):
        raise section.error("expected a list of shifts", "shifts")
    group = AgentGroup(name=name, skills=skills,
                       shifts=tuple(_shift(Section(s, section.child_path(f"shifts.{i}"), section))
                                    for i, s in enumerate(shifts)),
                       concurrency=section.take("concurrency", whole_number(1), 1),
                       shrinkage=section.take("shrinkage", units.probability, 0.0),
                       cost_per_hour=section.take("cost_per_hour", non_negative, 0.0),
                       agents_per_slot=None if table is None else np.rint(table).astype(int), slot_s=slot)
    section.done()
    return group


def _skills(value) -> dict:
    if not isinstance(value, dict) or not value:
        raise ValueError("expected contact type → preference (1 = first choice), e.g. {billing: 1, tech: 2}")
    return {str(name): whole_number(1)(preference) for name, preference in value.items()}


def _shift(section: Section) -> Shift:
    start = section.take("start", units.clock)
    end = section.take("end", lambda v: units.clock(v, allow_24=True))
    if start == end:
        raise section.error("a shift must not end when it starts; write 00:00-24:00 for around the clock, "
                            "an end before the start for overnight", "end")
    shift = Shift(days=section.take("days", units.days), start_s=start, end_s=end,
                  agents=section.take("agents", whole_number(0)),
                  breaks=tuple(_break(b, section) for b in section.take("breaks", _list, [])))
    section.done()
    return shift


def _list(value):
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _break(value, shift: Section) -> Break:
    section = Section(value, shift.child_path("breaks"), shift)
    result = Break(section.take("after", lambda v: units.duration(v, allow_zero=True)),
                   section.take("length", units.duration))
    section.done()
    return result
