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

from .business_hours import ALWAYS_OPEN, BusinessClock
from .config import ModelConfig
from .eventlog import AUTO_RESOLVED, DEFLECTED, LOST, EventLog
from .outcomes import ContactOutcomes


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
    """Each contact's SLA outcome; None when no contact type has an SLA."""
    answer, resolve, business = _targets(model)
    if np.isnan(answer).all():
        return None
    met, decided, missed_answer = _decided(contacts, (answer, resolve, business), clock)
    passed_over = np.zeros(len(met), bool)
    rows = np.flatnonzero(missed_answer)
    passed_over[rows] = _passed_over(rows, contacts.log, model)
    return SlaStatus(met, decided, missed_answer, passed_over)


def _decided(contacts: ContactOutcomes, targets: tuple, clock) -> tuple:
    """(met, decided, missed the answer target) per contact; its per-contact targets and times are let
    go of on return, before the search for contacts passed over."""
    answer, resolve, business = targets
    log = contacts.log
    kind, tier = contacts.contact_type, log.tier
    answer_within, resolve_within, on_business = answer[kind, tier], resolve[kind, tier], business[kind, tier]
    has_sla = ~np.isnan(answer_within) & ~np.isin(contacts.final, (DEFLECTED, AUTO_RESOLVED))
    arrival = contacts.arrival_s

    def elapsed(until):
        wall = until - arrival
        return np.where(on_business, clock.between(arrival, until), wall) if (on_business & has_sla).any() else wall

    lost = np.isin(contacts.final, LOST)
    so_far = elapsed(np.full(len(arrival), log.run_end_s))
    answered_ok, answered_missed = _against(elapsed(contacts.first_response_s), answer_within, so_far, lost)
    resolved_ok, resolved_missed = _against(elapsed(contacts.resolved_s), resolve_within, so_far, lost)
    met = has_sla & answered_ok & resolved_ok & ~lost  # a contact lost for good misses its SLA, whatever its targets
    decided = has_sla & (met | answered_missed | resolved_missed | lost)
    return met, decided, has_sla & np.isfinite(answer_within) & answered_missed


def sla_met(status: SlaStatus | None, mask: np.ndarray) -> float:
    """Met / decided among the masked contacts that have an SLA; NaN if none is decided."""
    if status is None:
        return np.nan
    decided = int((status.decided & mask).sum())
    return float((status.met & mask).sum() / decided) if decided else np.nan


def _against(taken: np.ndarray, target: np.ndarray, so_far: np.ndarray, lost: np.ndarray):
    """(within target, missed) for one target; an infinite target is always met (NaN: no SLA)."""
    none = np.isnan(taken)
    unlimited = np.isinf(target)
    with np.errstate(invalid="ignore"):
        ok = unlimited | (~none & (taken <= target))
        missed = ~unlimited & ((~none & (taken > target)) | (none & ((so_far >= target) | lost)))
    return ok, missed


def sla_overtaken(status: SlaStatus | None, mask: np.ndarray) -> float:
    """Of the masked contacts that missed their answer target, the share passed over while they
    waited: during their first wait (from arrival to answer, hang-up or the end of the run), an agent
    of a group that serves their queue answered a visit that had arrived after them. NaN when none
    missed a target (or none has one)."""
    if status is None:
        return np.nan
    missed = status.missed_answer & mask
    count = int(missed.sum())
    return float((status.passed_over & missed).sum() / count) if count else np.nan


def _passed_over(rows: np.ndarray, log: EventLog, model: ModelConfig) -> np.ndarray:
    """For each contact in `rows` (its first visit is its own row): while that visit waited, did an
    agent of a group serving its queue answer a visit that arrived after it?"""
    wait_end = np.fmin(np.fmin(log.answered_s[rows], log.left_s[rows]), log.run_end_s)
    answered = ~np.isnan(log.answered_s)
    group_of_agent = log.roster.agent_group.astype(np.int16)  # a visit's group in 2 bytes, not 8
    group_of_visit = np.where(answered, group_of_agent[np.maximum(log.agent, 0)], np.int16(-1))
    del answered
    passed = np.zeros(len(rows), bool)
    for group in range(len(model.groups)):
        serves = np.array([any(g == group for _, g in model.network.served_by[q])
                           for q in range(len(model.network.served_by))])
        mine = serves[log.queue[rows]]
        taken = np.flatnonzero(group_of_visit == group) if mine.any() else ()
        if not len(taken):
            continue
        arrivals, earliest_answer_after = _answers_by_arrival(log, taken)
        del taken
        later = np.searchsorted(arrivals, log.arrival_s[rows[mine]], side="right")
        passed[mine] |= earliest_answer_after[later] < wait_end[mine]
    return passed


def _answers_by_arrival(log: EventLog, taken: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The visits `taken` by a group in order of arrival (stable): their arrivals, and the earliest
    answer among each one and those after it (inf past the last)."""
    arrivals = log.arrival_s[taken]
    by_arrival = np.argsort(arrivals, kind="stable")
    arrivals = arrivals[by_arrival]
    answers = log.answered_s[taken[by_arrival]]
    del by_arrival
    return arrivals, np.append(np.minimum.accumulate(answers[::-1])[::-1], np.inf)
