"""The scenario's settings sections: `calendar` (with business hours), `policies` and `kpis`."""
from __future__ import annotations

from datetime import date

from simulator import units
from simulator.business_hours import DAY_S, BusinessHours
from simulator.config import (CALL_BACK_MODES, QUEUE_POLICIES, ROUTING_POLICIES, SHIFT_END_POLICIES,
                              SL_ABANDON_VARIANTS, Automation, Callback, Calendar, KpiSettings, Overflow, Policies,
                              SelfService)

from .reader import Section, item_name
from .values import factor, non_negative, one_of, start_time, weekday_keys


def build_calendar(section: Section) -> Calendar:
    calendar = Calendar(
        start=section.take("start", start_time, Calendar.start),
        horizon_s=section.take("horizon", units.duration, Calendar.horizon_s),
        warmup_s=section.take("warmup", lambda v: units.duration(v, allow_zero=True), 0.0),
        interval_s=section.take("interval", units.duration, Calendar.interval_s),
        cooldown_s=section.take("cooldown", lambda v: units.duration(v, allow_zero=True), 0.0),
        business_hours=_business_hours(section.optional_section("business_hours")),
    )
    section.done()
    return calendar


def _business_hours(section: Section | None) -> BusinessHours | None:
    """`{mon-fri: "08:00-18:00", sat: ["09:00-12:00", "13:00-15:00"], holidays: [2024-01-06]}`;
    weekdays not named are closed all day."""
    if section is None:
        return None
    weekly: list[tuple] = [() for _ in range(7)]
    named = weekday_keys(section, [key for key in section.data if key != "holidays"], ("holidays",))
    for key, weekdays in named:
        periods = section.take(key, _open_periods)
        for day in weekdays:
            weekly[day] = periods
    holidays = section.take("holidays", _dates, ())
    section.done()
    if not named:
        raise section.error('business hours need at least one weekday, e.g. {mon-fri: "08:00-18:00"}')
    return BusinessHours(tuple(weekly), holidays)


def _open_periods(value) -> tuple[tuple[float, float], ...]:
    """"08:00-18:00" or a list of such periods; an end before the start runs past midnight."""
    texts = value if isinstance(value, list) else [value]
    periods = []
    for text in texts:
        start, separator, end = str(text).partition("-")
        if not separator:
            raise ValueError(f'expected opening hours as "HH:MM-HH:MM" (or a list of them), got {text!r}')
        opens, closes = units.clock(start.strip()), units.clock(end.strip(), allow_24=True)
        if opens == closes:
            raise ValueError(f'opening hours {text!r} are empty; write "00:00-24:00" for the whole day')
        periods.append((opens, closes if closes > opens else closes + DAY_S))
    return tuple(sorted(periods))


def _dates(value) -> tuple[date, ...]:
    if not isinstance(value, list):
        raise ValueError("expected a list of dates, e.g. [2024-01-06, 2024-12-25]")
    found = []
    for item in value:
        try:
            found.append(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"expected a date like 2024-12-25, got {item!r}") from None
    return tuple(found)


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


def build_policies(section: Section) -> Policies:
    """Queue discipline, agent selection, shift end, and the levers in front of the agents."""
    queue, max_bypass = section.take("queue", queue_policy, ("priority-fifo", None))
    policies = Policies(queue=queue, max_bypass_s=max_bypass,
                        routing=section.take("routing", one_of(ROUTING_POLICIES), "longest-idle"),
                        shift_end=section.take("shift_end", one_of(SHIFT_END_POLICIES), "finish_current"),
                        self_service=_self_service(section.optional_section("self_service")),
                        automation=_automation(section.optional_section("automation")),
                        callback=_callback(section.optional_section("callback")),
                        overflow=_overflow(section))
    section.done()
    return policies


def queue_policy(value) -> tuple[str, float | None]:
    """`priority-fifo`, or `{discipline: priority-fifo, max_bypass: 10min}`: (discipline, max bypass)."""
    if not isinstance(value, dict):
        return one_of(QUEUE_POLICIES)(value), None
    unknown = set(value) - {"discipline", "max_bypass"}
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}: a queue policy takes `discipline` and `max_bypass`")
    if "discipline" not in value:
        raise ValueError("give the `discipline` (one of " + ", ".join(QUEUE_POLICIES) + ")")
    name = one_of(QUEUE_POLICIES)(value["discipline"])
    bypass = units.duration(value["max_bypass"]) if "max_bypass" in value else None
    if bypass is not None and name != "priority-fifo":
        raise ValueError(f"max_bypass caps how long priority passes a visit over: it goes with priority-fifo, not {name}")
    return name, bypass


def _overflow(policies: Section) -> tuple[Overflow, ...]:
    """`overflow: {after, to, applies_to}` or a list of such rules."""
    value = policies.take("overflow", default=[])
    rules = value if isinstance(value, list) else [value]
    found = []
    for index, rule in enumerate(rules):
        section = Section(rule, policies.child_path("overflow" if not isinstance(value, list) else f"overflow.{index}"),
                          policies)
        found.append(Overflow(section.take("after", lambda v: units.duration(v, allow_zero=True)),
                              section.take("to", item_name), section.take("applies_to", _names, ())))
        section.done()
    return tuple(found)


def _callback(section: Section | None) -> Callback | None:
    if section is None:
        return None
    callback = Callback(
        offer_when_expected_wait_over_s=section.take("offer_when_expected_wait_over",
                                                     lambda v: units.duration(v, allow_zero=True)),
        accept_probability=section.take("accept_probability", units.probability),
        call_back=section.take("call_back", one_of(CALL_BACK_MODES), "when_agent_free"),
        reach_probability=section.take("reach_probability", units.probability, 1.0),
        applies_to=section.take("applies_to", _names, ()))
    section.done()
    return callback


def _self_service(section: Section | None) -> SelfService | None:
    if section is None:
        return None
    portal = SelfService(applies_to=section.take("applies_to", _names),
                         attempt_share=section.take("attempt_share", units.probability),
                         containment=section.take("containment", units.probability),
                         leak_handle_time_factor=section.take("leak_handle_time_factor", factor, 1.0),
                         cost_per_session=section.take("cost_per_session", non_negative, 0.0))
    section.done()
    return portal


def _automation(section: Section | None) -> Automation | None:
    if section is None:
        return None
    automation = Automation(handle_time_factor=section.take("handle_time_factor", _per_type(factor), {}),
                            auto_resolve=section.take("auto_resolve", _per_type(units.probability), {}),
                            cost_per_contact=section.take("cost_per_contact", non_negative, 0.0))
    section.done()
    return automation


def _names(value) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise ValueError("expected contact types, e.g. [tech, billing]")
    return tuple(item_name(name) for name in names)


def _per_type(parse):
    def read(value) -> dict:
        if not isinstance(value, dict):
            raise ValueError("expected contact type → value, e.g. {billing: 0.85}")
        return {str(name): parse(number) for name, number in value.items()}
    return read
