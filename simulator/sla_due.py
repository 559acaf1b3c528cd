"""When each waiting visit's SLA falls due (the `sla-deadline` queue discipline's order).

A contact's SLA runs from its first arrival on the SLA's clock (wall, or business hours only): the
first-stage visit (and its retrials: the same unanswered contact) is due when its answer target
passes, an escalated visit when its resolve target does. A repeat (the fix did not hold) is a new
request, due its answer target after it comes back (a retrial of a repeat: after that retrial's
arrival). A visit without a target is due never (inf): it waits behind every visit that has one.
"""
from __future__ import annotations

import math

from .business_hours import ALWAYS_OPEN, BusinessClock
from .config import ModelConfig


class SlaDue:
    def __init__(self, model: ModelConfig, book):
        self.book = book
        self.targets = [[(math.inf, math.inf, False) if tier.sla is None else
                         (tier.sla.answer_within_s, tier.sla.resolve_within_s, tier.sla.clock == "business")
                         for tier in contact.tiers] for contact in model.contacts]
        calendar = model.calendar
        self.clock = BusinessClock(calendar.business_hours or ALWAYS_OPEN, calendar.start, 0.0,
                                   calendar.run_end_s + 86400.0 * 30)

    def __call__(self, visit: int) -> float:
        book = self.book
        contact = book.contact[visit]
        answer, resolve, business = self.targets[book.contact_type[contact]][book.tier[contact]]
        first_stage = book.stage[visit] == 0
        limit = answer if first_stage else resolve
        if limit == math.inf:
            return math.inf
        start = book.arrival[contact]  # a contact's first visit is its own row: its first arrival
        if first_stage and book.episode_number[book.episode[visit]] > 0:
            start = book.arrival[visit]  # a repeat: a new request, due answer_within after it comes back
        return self.clock.add(start, limit) if business else start + limit
