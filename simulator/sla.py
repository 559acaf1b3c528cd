"""SLA attainment: did a contact get its first response and its resolution within its targets, on its
SLA's clock (wall, or business hours only)?

A contact counts once it is decided: met, or missed (a target passed with no response or no
resolution, a late one, or a contact lost for good). A contact still open whose deadlines have not
passed when the run ends is undecided and left out, so a short run does not count it either way.
Contacts resolved before reaching the desk (self-service, a bot) are not the desk's to meet: left out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blocks import row_blocks
from .business_hours import ALWAYS_OPEN, BusinessClock
from .config import ModelConfig
from .eventlog import AUTO_RESOLVED, DEFLECTED, LOST, EventLog
from .outcomes import ContactOutcomes
from .stats import ratio
from .time_windows import TimeWindows


def business_clock(model: ModelConfig, log: EventLog) -> BusinessClock | None:
    """The business clock, if business hours or a business-clock SLA are used (None otherwise)."""
    hours = model.calendar.business_hours
    business_sla = any(tier.sla is not None and tier.sla.clock == "business"
                       for contact in model.contacts for tier in contact.tiers)
    if hours is None and not business_sla:
        return None
    return BusinessClock(hours or ALWAYS_OPEN, model.calendar.start, 0.0, log.run_end_s + 86400.0)


def _targets(model: ModelConfig):
    """(answer within, resolve within, business?) per (contact type, tier); NaN: no SLA."""
    width = max(len(contact.tiers) for contact in model.contacts)
    answer, resolve = np.full((len(model.contacts), width), np.nan), np.full((len(model.contacts), width), np.nan)
    business = np.zeros((len(model.contacts), width), bool)
    for k, contact in enumerate(model.contacts):
        for t, tier in enumerate(contact.tiers):
            if tier.sla is not None:
                answer[k, t], resolve[k, t] = tier.sla.answer_within_s, tier.sla.resolve_within_s
                business[k, t] = tier.sla.clock == "business"
    return answer, resolve, business


@dataclass(frozen=True)
class SlaStatus:
    """Per contact, worked out once per replication (every KPI row reads a mask of it)."""

    met: np.ndarray  # decided and met
    decided: np.ndarray  # has an SLA (and reached the desk) and is decided: met, missed or lost
    missed_answer: np.ndarray  # has a finite answer target and missed it
    passed_over: np.ndarray  # of those, passed over while waiting (False elsewhere)

    def at(self, rows: np.ndarray) -> "SlaStatus":
        """The status of the contacts in `rows` only (the ones a KPI table counts)."""
        return SlaStatus(self.met[rows], self.decided[rows], self.missed_answer[rows], self.passed_over[rows])


def sla_status(contacts: ContactOutcomes, model: ModelConfig, clock) -> SlaStatus | None:
    """Each contact's SLA outcome; None when no contact type has an SLA. Worked out a block of contacts
    at a time (blocks.py), then the search for contacts passed over."""
    answer, resolve, business = _targets(model)
    if np.isnan(answer).all():
        return None
    met, decided, missed_answer = (np.zeros(len(contacts.final), bool) for _ in range(3))
    for block in row_blocks(len(contacts.final)):
        met[block], decided[block], missed_answer[block] = _decided(contacts, block, (answer, resolve, business), clock)
    return SlaStatus(met, decided, missed_answer, _passed_over(missed_answer, contacts.log, model))


def _decided(contacts: ContactOutcomes, block: slice, targets: tuple, clock) -> tuple:
    """(met, decided, missed the answer target) of a block of contacts."""
    answer, resolve, business = targets
    log = contacts.log
    kind, tier = contacts.contact_type[block], log.tier[block]
    answer_within, resolve_within, on_business = answer[kind, tier], resolve[kind, tier], business[kind, tier]
    final = contacts.final[block]
    has_sla = ~np.isnan(answer_within) & ~np.isin(final, (DEFLECTED, AUTO_RESOLVED))
    arrival = contacts.arrival_s[block]

    def elapsed(until):  # a contact without an SLA is neither met, decided nor missed: its clock does not matter
        wall = until - arrival
        return np.where(on_business, clock.between(arrival, until), wall) if (on_business & has_sla).any() else wall

    lost = np.isin(final, LOST)
    so_far = elapsed(np.full(len(arrival), log.run_end_s))
    answered_ok, answered_missed = _against(elapsed(contacts.first_response_at(block)), answer_within, so_far, lost)
    resolved_ok, resolved_missed = _against(elapsed(contacts.resolved_at(block)), resolve_within, so_far, lost)
    met = has_sla & answered_ok & resolved_ok & ~lost  # a contact lost for good misses its SLA, whatever its targets
    decided = has_sla & (met | answered_missed | resolved_missed | lost)
    return met, decided, has_sla & np.isfinite(answer_within) & answered_missed


def sla_met(counts: dict | None) -> float:
    """Met / decided among a row's contacts (`counts`: how many have each SLA_COUNTS flag; None: no
    SLAs); NaN if none is decided."""
    return np.nan if counts is None else ratio(counts["sla_met"], counts["sla_decided"])


def _against(taken: np.ndarray, target: np.ndarray, so_far: np.ndarray, lost: np.ndarray):
    """(within target, missed) for one target; an infinite target is always met (NaN: no SLA)."""
    none = np.isnan(taken)
    unlimited = np.isinf(target)
    with np.errstate(invalid="ignore"):
        ok = unlimited | (~none & (taken <= target))
        missed = ~unlimited & ((~none & (taken > target)) | (none & ((so_far >= target) | lost)))
    return ok, missed


def sla_overtaken(counts: dict | None) -> float:
    """Of a row's contacts that missed their answer target, the share passed over while they waited:
    during their first wait (from arrival to answer, hang-up or the end of the run), an agent of a
    group that serves their queue answered a visit that had arrived after them. NaN when none missed
    a target (or none has one)."""
    return np.nan if counts is None else ratio(counts["sla_passed_over"], counts["sla_missed_answer"])


SLA_COUNTS = ("sla_met", "sla_decided", "sla_missed_answer", "sla_passed_over")  # passed over: and missed


def _passed_over(waited: np.ndarray, log: EventLog, model: ModelConfig) -> np.ndarray:
    """For each contact flagged in `waited` (its first visit is its own row): while that visit waited,
    did an agent of a group serving its queue answer a visit that arrived after it? (False for the
    others.)"""
    passed = np.zeros(len(waited), bool)
    for group in range(len(model.groups)):
        serves = np.array([any(g == group for _, g in model.network.served_by[q])
                           for q in range(len(model.network.served_by))])
        mine = waited & serves[log.queue[:len(waited)]]
        taken = _answered_by(log, group) if mine.any() else None
        if taken is None or not taken.any():
            continue
        waiting = np.zeros(len(taken), bool)
        waiting[:len(mine)] = mine
        del mine
        _overtaken(log, taken, waiting, passed)
    return passed


def _answered_by(log: EventLog, group: int) -> np.ndarray:
    """Is each visit answered by an agent of the group (worked out a block of rows at a time)?"""
    taken = np.zeros(len(log.arrival_s), bool)
    for block in row_blocks(len(taken)):
        agent = log.agent[block]
        taken[block] = ~np.isnan(log.answered_s[block]) & (log.roster.agent_group[np.maximum(agent, 0)] == group)
    return taken


def _overtaken(log: EventLog, taken: np.ndarray, waiting: np.ndarray, passed: np.ndarray) -> None:
    """Marks in `passed` each visit `waiting` (flags of the visits) while which a visit `taken` that
    arrived after it was answered. A window of arrival time at a time (time_windows.TimeWindows), from
    the last: the earliest answer among the visits after a waiting one is the earliest in its window
    after it, or the earliest of the later windows (carried; minima are exact, so in any order)."""
    arrival_at = lambda visits: (log.arrival_s[visits],)
    answers = TimeWindows(taken, arrival_at)
    waits = TimeWindows(waiting, arrival_at, answers.cuts)
    earliest_later = np.inf
    for window in reversed(range(len(answers))):
        arrivals, earliest_after = _earliest_answers(log, *answers.steps(window)[0])
        np.minimum(earliest_after, earliest_later, out=earliest_after)
        earliest_later = earliest_after[0]
        ((arrived, waited),) = waits.steps(window)
        wait_end = np.fmin(np.fmin(log.answered_s[waited], log.left_s[waited]), log.run_end_s)
        passed[waited] |= earliest_after[np.searchsorted(arrivals, arrived, side="right")] < wait_end


def _earliest_answers(log: EventLog, arrivals: np.ndarray, visits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The visits in order of arrival (stable): their arrivals, and the earliest answer among each one
    and those after it (inf past the last)."""
    earliest = np.empty(len(visits) + 1)
    earliest[-1] = np.inf
    earliest[:-1] = log.answered_s[visits]
    del visits
    by_arrival = np.argsort(arrivals, kind="stable")
    arrivals = arrivals[by_arrival]
    earliest[:-1] = earliest[:-1][by_arrival]
    del by_arrival
    np.minimum.accumulate(earliest[::-1], out=earliest[::-1])
    return arrivals, earliest
