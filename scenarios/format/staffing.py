"""`staffing`: agent groups (skills, shifts and breaks or agents per interval, costs, the resolution
of the escalated work they take) and named queues."""
from __future__ import annotations

import numpy as np

from simulator import units
from simulator.config import AgentGroup, Break, Calendar, Queue, Shift

from .contacts import build_resolution, channel_choice
from .reader import Section, items_of
from .values import as_list, non_negative, per_interval_series, whole_number


def build_staffing(staffing: Section, calendar: Calendar) -> tuple[tuple[AgentGroup, ...], tuple[Queue, ...]]:
    """Agent groups, and the named queues escalated work and tickets wait in."""
    groups = tuple(_group(name, section, calendar) for name, section in items_of(staffing, "groups"))
    queues = tuple(_queue(name, section) for name, section in items_of(staffing, "queues", default=[]))
    staffing.done()
    return groups, queues


def _queue(name: str, section: Section) -> Queue:
    queue = Queue(name, section.take("channel", channel_choice, "email"),
                  build_resolution(section.optional_section("resolution")))
    section.done()
    return queue


def _group(name: str, section: Section, calendar: Calendar) -> AgentGroup:
    skills = section.take("skills", _skills, {})  # a group escalated to by name may serve only its own queue
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
                       agents_per_slot=None if table is None else np.rint(table).astype(int), slot_s=slot,
                       resolution=build_resolution(section.optional_section("resolution")))
    section.done()
    return group


def _skills(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError("expected contact type or queue → preference (1 = first choice), e.g. {billing: 1, tech: 2}")
    return {str(name): whole_number(1)(preference) for name, preference in value.items()}


def _shift(section: Section) -> Shift:
    start = section.take("start", units.clock)
    end = section.take("end", lambda v: units.clock(v, allow_24=True))
    if start == end:
        raise section.error("a shift must not end when it starts; write 00:00-24:00 for around the clock, "
                            "an end before the start for overnight", "end")
    shift = Shift(days=section.take("days", units.days), start_s=start, end_s=end,
                  agents=section.take("agents", whole_number(0)),
                  breaks=tuple(_break(b, section) for b in section.take("breaks", as_list, [])),
                  name=section.take("name", str, ""))
    section.done()
    return shift


def _break(value, shift: Section) -> Break:
    section = Section(value, shift.child_path("breaks"), shift)
    result = Break(section.take("after", lambda v: units.duration(v, allow_zero=True)),
                   section.take("length", units.duration))
    section.done()
    return result
