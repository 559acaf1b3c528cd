"""`staffing`: agent groups (skills, shifts and breaks or agents per interval, costs, the resolution
of the escalated work they take) and named queues."""
from __future__ import annotations

import numpy as np

from simulator import units
from simulator.config import CHANNELS, AgentGroup, Break, Calendar, Proficiency, Queue, Shift
from simulator.limits import MAX_AGENTS, MAX_CONCURRENCY, MAX_FACTOR, MAX_PREFERENCE

from .contacts import build_resolution, channel_choice
from .reader import Section, item_name, items_of
from .settings import queue_policy
from .values import as_list, factor, non_negative, per_interval_series, whole_number

CONCURRENCY = whole_number(1, MAX_CONCURRENCY)


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
                       concurrency=section.take("concurrency", _chat_places, 1),
                       chat_slowdown=section.take("chat_slowdown", lambda v: non_negative(v, MAX_FACTOR), 0.0),
                       shrinkage=section.take("shrinkage", units.probability, 0.0),
                       cost_per_hour=section.take("cost_per_hour", non_negative, 0.0),
                       agents_per_slot=None if table is None else np.rint(table).astype(int), slot_s=slot,
                       resolution=build_resolution(section.optional_section("resolution")),
                       proficiency=_proficiency(section),
                       **_own_queue_policy(section))
    section.done()
    return group


def _proficiency(group: Section) -> tuple[Proficiency, ...]:
    """`{handle_time_factor: 1.3, first_contact: 0.7}` for every agent, or cohorts by `share` of the
    group's agents: `[{share: 0.3, handle_time_factor: 1.4, first_contact: 0.6}, …]`."""
    if not group.has("proficiency"):
        return ()
    value = group.take("proficiency")
    many = isinstance(value, list)
    cohorts = []
    for index, item in enumerate(value if many else [value]):
        section = Section(item, group.child_path(f"proficiency.{index}" if many else "proficiency"), group)
        share = section.take("share", _share) if many else section.take("share", _share, 1.0)
        cohorts.append(Proficiency(share=share,
                                   handle_time_factor=section.take("handle_time_factor", factor, 1.0),
                                   first_contact=section.take("first_contact", units.probability, None)))
        section.done()
    if sum(cohort.share for cohort in cohorts) > 1.0 + 1e-9:
        raise group.error("the proficiency shares add up to more than 1 (the rest of the agents are as drawn)",
                          "proficiency")
    return tuple(cohorts)


def _share(value) -> float:
    share = units.probability(value)
    if share <= 0:
        raise ValueError("a share of the group's agents must be above 0")
    return share


def _own_queue_policy(section: Section) -> dict:
    """A group's own `queue` discipline (overrides policies.queue for its agents)."""
    if not section.has("queue"):
        return {}
    name, bypass = section.take("queue", queue_policy)
    return {"discipline": name, "max_bypass_s": bypass}


def _chat_places(value) -> int:
    """`3`, or per channel `{chat: 3, phone: 1}`: chats held at once; a call or an email takes the agent whole."""
    if not isinstance(value, dict):
        return CONCURRENCY(value)
    for channel, places in value.items():
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r} (channels: {', '.join(CHANNELS)})")
        if channel != "chat" and places != 1:
            raise ValueError(f"a {channel} contact takes the agent whole: `{channel}: 1` (only chats share an agent)")
    return CONCURRENCY(value.get("chat", 1))


def _skills(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError("expected contact type or queue → preference (1 = first choice), e.g. {billing: 1, tech: 2}")
    return {str(name): whole_number(1, MAX_PREFERENCE)(preference) for name, preference in value.items()}


def _shift(section: Section) -> Shift:
    start = section.take("start", units.clock)
    end = section.take("end", lambda v: units.clock(v, allow_24=True))
    if start == end:
        raise section.error("a shift must not end when it starts; write 00:00-24:00 for around the clock, "
                            "an end before the start for overnight", "end")
    length = (end - start) % 86400.0 or 86400.0
    breaks = section.take("breaks", as_list, [])
    _refuse_repeated_names(breaks, section)
    shift = Shift(days=section.take("days", units.days), start_s=start, end_s=end,
                  agents=section.take("agents", whole_number(0, MAX_AGENTS)),
                  breaks=tuple(_break(b, section, start, length) for b in breaks),
                  name=section.take("name", item_name, ""))
    section.done()
    return shift


def _refuse_repeated_names(breaks: list, shift: Section) -> None:
    """Break names are what `extends` and `--set` find a break by, so one name means one break."""
    names = [str(item["name"]) for item in breaks if isinstance(item, dict) and "name" in item]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise shift.error(f"break names must be unique within a shift: {', '.join(repeated)}", "breaks")


def _break(value, shift: Section, shift_start: float, shift_length: float) -> Break:
    """`{after, length}` for everyone at once, or `{window: "11:00-13:00", length}` staggered; a
    `name` (optional) is what `extends` and `--set` find the break by."""
    section = Section(value, shift.child_path("breaks"), shift)
    section.take("name", item_name, None)
    length = section.take("length", units.duration)
    if section.has("after") == section.has("window"):
        raise section.error('give `after` (e.g. 2h) or a `window` (e.g. "11:00-13:00"), not both or neither')
    if section.has("after"):
        result = Break(section.take("after", lambda v: units.duration(v, allow_zero=True)), length)
    else:
        window = section.take("window", lambda v: _window(v, shift_start, shift_length, length))
        result = Break(window[0], length, window)
    section.done()
    return result


def _window(value, shift_start: float, shift_length: float, length: float) -> tuple[float, float]:
    """"HH:MM-HH:MM" as offsets from the shift start; it must lie inside the shift and hold the break."""
    first_text, separator, last_text = str(value).partition("-")
    if not separator:
        raise ValueError(f'expected a break window as "HH:MM-HH:MM", got {value!r}')
    opens, closes = units.clock(first_text.strip()), units.clock(last_text.strip(), allow_24=True)
    first = (opens - shift_start) % 86400.0
    last = first + ((closes - opens) % 86400.0 or 86400.0)
    if last > shift_length + 1e-9:
        raise ValueError(f"the break window {value} is not inside the shift; choose times between its start and end")
    if length > last - first:
        raise ValueError(f"a {units.format_duration(length)} break does not fit in the window {value}")
    return (first, last)
