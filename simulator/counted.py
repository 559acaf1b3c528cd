"""What the replication table's rows count, a block of rows at a time (blocks.py), and their counts
and gathered values.

The offered visits (QueueVisits) and the counted contacts (CountedContacts) of a block, with the flags
and times every KPI row reads, each worked out when first read (a pass that counts does not compute
the times a mean needs). `row_counts` adds up, in one pass, how many of each row's visits or contacts have
each flag; `gathered_values` gathers one column at a row's visits or contacts in row order, for a
mean or a percentile of the whole.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from .blocks import Parts, gathered
from .config import KpiSettings
from .eventlog import AUTO_RESOLVED, DEFLECTED, ESCALATED, LOST, RESOLVED
from .outcomes import ContactOutcomes, OfferedVisits, Rows, VisitOutcomes


class QueueVisits(OfferedVisits):
    """A block's offered visits with the flags every row counts, each worked out when first read (the
    KPI settings' thresholds; `impatient`: per contact type, can it abandon): short
    abandons, answers within the threshold, waits at all, escalations, repeat calls, call-back offers,
    acceptances and answered call backs, and visits of types that can abandon."""

    def __init__(self, visits: VisitOutcomes, settings: KpiSettings, impatient: np.ndarray, block: slice):
        super().__init__(visits, block)
        self.settings, self.impatient_types = settings, impatient

    @cached_property
    def short(self) -> np.ndarray:
        return self.abandoned & (self.wait_s < self.settings.short_abandon_s)

    @cached_property
    def within(self) -> np.ndarray:
        return self.answered & (self.wait_s <= self.settings.service_level_threshold_s)

    @cached_property
    def waited(self) -> np.ndarray:
        return self.wait_s > 0

    @cached_property
    def escalated(self) -> np.ndarray:
        return self.outcome == ESCALATED

    @cached_property
    def repeat_call(self) -> np.ndarray:
        return (self.repeat > 0) & (self.attempt == 0)  # a repeat's first try

    @cached_property
    def callback_offered(self) -> np.ndarray:
        return self.callback >= 1

    @cached_property
    def callback_accepted(self) -> np.ndarray:
        return self.callback == 2

    @cached_property
    def callback_answered(self) -> np.ndarray:
        return self.callback_accepted & self.answered

    @cached_property
    def impatient(self) -> np.ndarray:
        """Visits of types that can abandon: abandonment rates are shares of these only (email tickets
        in the same row do not dilute them)."""
        return self.impatient_types[self.contact_type]


QUEUE_FLAGS = ("answered", "abandoned", "short", "waiting", "within", "waited", "handled", "impatient", "escalated",
                "repeat_call", "callback_offered", "callback_accepted", "callback_answered", "missed")


class CountedContacts(Rows):
    """The contacts of a block (blocks.py) that the contact KPIs count (first arrival in the measured
    period), with the times and flags every row reads, each worked out when first read: time to first
    response and to resolution (wall clock, and business hours when the calendar has them), lost,
    could have been lost (`impatient`: per contact type, can it abandon), deflected, auto-resolved, FCR,
    and the SLA status (`sla`, None without SLAs)."""

    def __init__(self, contacts: ContactOutcomes, block: slice, impatient: np.ndarray, clock, sla):
        super().__init__(contacts.measured[block], contacts, first=block.start)
        self.contacts, self.block, self.impatient_types, self.clock, self.sla = contacts, block, impatient, clock, sla
        self.inside = slice(None) if isinstance(self.rows, slice) else self.rows - block.start  # rows in the block

    @cached_property
    def first_response_s(self) -> np.ndarray:
        return self.contacts.first_response_at(self.block)[self.inside]

    @cached_property
    def resolved_s(self) -> np.ndarray:
        return self.contacts.resolved_at(self.block)[self.inside]

    @cached_property
    def response_s(self) -> np.ndarray:
        return self.first_response_s - self.arrival_s

    @cached_property
    def responded(self) -> np.ndarray:
        return ~np.isnan(self.response_s)

    @cached_property
    def resolved(self) -> np.ndarray:
        return ~np.isnan(self.resolved_s)

    @cached_property
    def resolution_h(self) -> np.ndarray:
        return (self.resolved_s - self.arrival_s) / 3600.0

    @cached_property
    def lost(self) -> np.ndarray:
        return np.isin(self.final, LOST)

    @cached_property
    def could_be_lost(self) -> np.ndarray:
        return ~np.isin(self.final, (DEFLECTED, AUTO_RESOLVED)) & self.impatient_types[self.contact_type]

    @cached_property
    def deflected(self) -> np.ndarray:
        return self.final == DEFLECTED

    @cached_property
    def auto_resolved(self) -> np.ndarray:
        return self.final == AUTO_RESOLVED

    @cached_property
    def first_contact_resolved(self) -> np.ndarray:
        return (self.final == RESOLVED) & ~self.escalated & ~self.repeated

    @cached_property
    def business_response_s(self) -> np.ndarray:
        return self.clock.between(self.arrival_s, self.first_response_s)

    @cached_property
    def business_responded(self) -> np.ndarray:
        return ~np.isnan(self.business_response_s)

    @cached_property
    def business_resolution_h(self) -> np.ndarray:
        return self.clock.between(self.arrival_s, self.resolved_s) / 3600.0

    @cached_property
    def business_resolved(self) -> np.ndarray:
        return ~np.isnan(self.business_resolution_h)

    @cached_property
    def _status(self):
        return self.sla.at(self.rows)

    @property
    def sla_met(self) -> np.ndarray:
        return self._status.met

    @property
    def sla_decided(self) -> np.ndarray:
        return self._status.decided

    @property
    def sla_missed_answer(self) -> np.ndarray:
        return self._status.missed_answer

    @cached_property
    def sla_passed_over(self) -> np.ndarray:  # and missed its answer target
        return self._status.passed_over & self._status.missed_answer


def row_counts(parts: Parts, segments, flags: tuple) -> list[dict]:
    """For each KPI row (`segments`: each picks its visits or contacts from a part), how many of its
    visits (or contacts: `rows`) the parts hold, and how many of them have each flag: integers, added
    up block by block in one pass."""
    found = [dict.fromkeys(("rows",) + flags, 0) for _ in segments]
    for part in parts:
        for segment, counts in zip(segments, found):
            mine = segment.pick(part)
            counts["rows"] += len(part) if mine is None else int(np.count_nonzero(mine))
            for flag in flags:
                counts[flag] += _count(getattr(part, flag), mine)
    return found


def gathered_values(parts: Parts, segment, column: str, flags: str | None, count: int) -> np.ndarray:
    """The column at the segment's visits (or contacts) that have the flag (all: None), in row order,
    block after block, in a new array of `count` values (`row_counts`' of the flag)."""
    return gathered(count, (_values(getattr(part, column), segment.pick(part), None if flags is None else
                                    getattr(part, flags)) for part in parts))


def _count(flags: np.ndarray, mine: np.ndarray | None) -> int:
    """How many of the row's visits (or contacts; `mine`, all: None) have the flag."""
    return int(np.count_nonzero(flags if mine is None else flags & mine))


def _values(column: np.ndarray, mine: np.ndarray | None, flags: np.ndarray | None = None) -> np.ndarray:
    """The column at the row's visits (or contacts) that have the flags (all: None), in row order: by
    index, which numpy gathers faster than by a scattered boolean mask."""
    chosen = flags if mine is None else mine if flags is None else mine & flags
    return column if chosen is None else column[np.flatnonzero(chosen)]
