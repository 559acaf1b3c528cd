"""`demand.contacts`: each contact type's arrivals, needs, priority tiers, lifecycle and SLA."""
from __future__ import annotations

import math

from simulator import units
from simulator.config import (CHANNELS, DEFAULT_TIER, SLA_CLOCKS, Arrivals, Calendar, ContactType, PriorityTier,
                              Repeat, Resolution, Retrial, Sla)
from simulator.limits import MAX_CONTACT_TYPES, MAX_PRIORITY

from .reader import Section, item_name, items_of
from .values import cv_or_zero, distribution, factor, one_of, per_interval_series, weekly_table, whole_number

SLA_TARGETS = ("answer_within", "resolve_within")
PRIORITY = whole_number(0, MAX_PRIORITY)


def build_contacts(demand: Section, calendar: Calendar) -> tuple[tuple[ContactType, ...], float]:
    """The contact types, and `demand.scale` (a lever the model applies, not folded into the rates)."""
    scale = demand.take("scale", factor, 1.0)
    listed = demand.data.get("contacts")
    if isinstance(listed, list) and len(listed) > MAX_CONTACT_TYPES:  # before reading each of them
        raise demand.error(f"{len(listed):,} contact types; at most {MAX_CONTACT_TYPES:,} (numbered in 16 bits)",
                           "contacts")
    contacts = tuple(_contact(name, section, calendar) for name, section in items_of(demand, "contacts"))
    demand.done()
    return contacts, scale


def _contact(name: str, section: Section, calendar: Calendar) -> ContactType:
    channel = section.take("channel", channel_choice, "phone")
    tiers = _priority_mix(section)
    slas = _slas(section, [tier[0] for tier in tiers])
    contact = ContactType(
        name=name,
        channel=channel,
        arrivals=_arrivals(section.section("arrivals"), calendar),
        scale=section.take("scale", factor, 1.0),
        priority=section.take("priority", PRIORITY, 1),
        handle_time=section.take("handle_time", distribution),
        after_call_work=section.take("after_call_work", distribution, None),
        patience=_patience(section, channel),
        retrial=_retrial(section),
        sla=slas.get(DEFAULT_TIER),
        resolution=build_resolution(section.optional_section("resolution")),
        repeat=_repeat(section),
        priority_mix=tuple(PriorityTier(tier, share, priority, slas.get(tier)) for tier, share, priority in tiers),
    )
    section.done()
    return contact


def channel_choice(value) -> str:
    return one_of(CHANNELS)(value)


def _patience(section: Section, channel: str):
    if channel == "email" and section.has("patience"):
        raise section.error("email contacts wait until answered (no abandonment): remove `patience` "
                            "or use `channel: phone`", "patience")
    return section.take("patience", distribution, None)


def _retrial(section: Section) -> Retrial | None:
    retrial = section.optional_section("retrial")
    if retrial is None:
        return None
    result = Retrial(retrial.take("probability", units.probability), retrial.take("delay", distribution))
    retrial.done()
    if section.data.get("patience") is None:
        raise section.error("retrial needs `patience`: only callers who abandon can call again", "retrial")
    return result


def build_resolution(section: Section | None) -> Resolution | None:
    """`{first_contact, escalate_to, escalated_handle_time, escalated_priority}` (contact types, queues, groups)."""
    if section is None:
        return None
    escalate_to = section.take("escalate_to", item_name, None)
    first_contact = (section.take("first_contact", units.probability, 1.0) if escalate_to is None
                     else section.take("first_contact", units.probability))
    resolution = Resolution(
        first_contact=first_contact,
        escalate_to=escalate_to,
        escalated_handle_time=section.take("escalated_handle_time", distribution, None),
        escalated_priority=section.take("escalated_priority", PRIORITY, None))
    if escalate_to is not None and resolution.escalated_handle_time is None:
        raise section.error("escalated work needs `escalated_handle_time`, e.g. {dist: exponential, mean: 2h}")
    if escalate_to is None and resolution.first_contact < 1:
        raise section.error("`first_contact` below 1 needs `escalate_to`: the queue or group the rest goes to",
                            "first_contact")
    for key in ("escalated_handle_time", "escalated_priority"):
        if escalate_to is None and section.has(key):
            raise section.error(f"`{key}` needs `escalate_to`: the queue or group escalated work goes to", key)
    section.done()
    return resolution


def _repeat(section: Section) -> Repeat | None:
    repeat = section.optional_section("repeat")
    if repeat is None:
        return None
    result = Repeat(repeat.take("probability", _below_one), repeat.take("delay", distribution),
                    repeat.take("clock", one_of(SLA_CLOCKS), "wall"))
    repeat.done()
    return result


def _below_one(value) -> float:
    probability = units.probability(value)
    if probability >= 1:
        raise ValueError("a repeat probability of 1 means every contact comes back for ever; use less than 1")
    return probability


def _priority_mix(section: Section) -> list[tuple[str, float, int]]:
    """`{vip: {share: 0.1, priority: 3}, …}` → (tier, share, priority); the rest is the default tier."""
    mix = section.optional_section("priority_mix")
    if mix is None:
        return []
    tiers = []
    for name in list(mix.data):
        if name == DEFAULT_TIER:
            raise mix.error(f"`{DEFAULT_TIER}` names the customers in no tier (at the type's `priority`); "
                            f"choose another tier name", name)
        tier = Section(mix.take(name), mix.child_path(name), mix)
        tiers.append((str(name), tier.take("share", units.probability), tier.take("priority", PRIORITY)))
        tier.done()
    mix.done()
    if sum(share for _, share, _ in tiers) > 1 + 1e-9:
        raise section.error("priority_mix shares add up to more than 1", "priority_mix")
    return tiers


def _slas(section: Section, tiers: list[str]) -> dict[str, Sla]:
    """One SLA for all of a type's customers, or one per tier (`default` for those in no tier)."""
    sla = section.optional_section("sla")
    if sla is None:
        return {}
    clock = sla.take("clock", one_of(SLA_CLOCKS), "wall")
    per_tier = [key for key in sla.data if key in tiers or key == DEFAULT_TIER]
    if per_tier and any(sla.has(target) for target in SLA_TARGETS):
        raise sla.error("give either targets (answer_within, resolve_within) or one SLA per priority tier, not both")
    if not per_tier:
        if not any(sla.has(target) for target in SLA_TARGETS):
            sla.done(known_elsewhere=tuple(tiers) + (DEFAULT_TIER,) + SLA_TARGETS)  # a misspelt tier or target
        single = _sla_targets(sla, clock)
        sla.done(known_elsewhere=tuple(tiers) + (DEFAULT_TIER,))
        return {tier: single for tier in [DEFAULT_TIER] + tiers}
    found = {str(tier): _sla_targets(Section(sla.take(tier), sla.child_path(tier), sla), clock) for tier in per_tier}
    sla.done(known_elsewhere=tuple(tiers) + (DEFAULT_TIER,))
    return found


def _sla_targets(section: Section, clock: str) -> Sla:
    result = Sla(section.take("answer_within", lambda v: units.duration(v, allow_zero=True), math.inf),
                 section.take("resolve_within", units.duration, math.inf),
                 section.take("clock", one_of(SLA_CLOCKS), clock))
    if math.isinf(result.answer_within_s) and math.isinf(result.resolve_within_s):
        raise section.error("an SLA needs `answer_within` and/or `resolve_within`")
    section.done()
    return result


def _arrivals(section: Section, calendar: Calendar) -> Arrivals:
    cv = section.take("day_to_day_cv", cv_or_zero, 0.0)
    if sum(section.has(key) for key in ("rate", "weekly", "series")) != 1:
        raise section.error("give exactly one of `rate` (e.g. 120/h), `weekly` (a weekday × time table) "
                            "or `series` (rates per interval from the calendar start)")
    if section.has("rate"):
        arrivals = Arrivals(rate_per_s=section.take("rate", units.rate), day_to_day_cv=cv)
    elif section.has("series"):
        rates, slot = per_interval_series(section.section("series"), calendar, "rates", False)
        arrivals = Arrivals(series_per_s=rates, series_slot_s=slot, day_to_day_cv=cv)
    else:
        arrivals = Arrivals(weekly_per_s=weekly_table(section.section("weekly"), calendar.interval_s), day_to_day_cv=cv)
    section.done()
    return arrivals
