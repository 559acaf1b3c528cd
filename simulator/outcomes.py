"""What happened to every visit and every contact, read off the event log, with conservation asserted.

Visits are counted in the measured period by the time they joined their queue, and followed to the
end of the run (through the cool-down, if any): answered, abandoned, or still waiting. Contacts are
counted by their first arrival; a contact's final outcome is its last visit's: resolved, abandoned
(lost), or open. The checks here guard the engine, never the input: each visit is in exactly one
state, and each contact's visits form one consistent chain (an escalation continues at the next
stage, a retrial at the next attempt, a repeat after a resolution) ending in one final outcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .time_windows import Spans, span_integrals
from .timeweighted import StepCount

ACCEPTED_CALLBACK = 2  # callback.ACCEPTED
from .eventlog import (ABANDONED, AUTO_RESOLVED, CALLBACK_MISSED, DEFLECTED, ESCALATED, MAX_ATTEMPT, OPEN,
                       RESOLVED, RETRIED, EventLog)


class ConservationError(AssertionError):
    """A visit or contact in no terminal state, or in two: a bug in the engine, never in the input."""


@dataclass(frozen=True)
class VisitOutcomes:
    """Per visit (all stages), followed to the end of the run."""

    log: EventLog
    arrived: np.ndarray  # joined its queue before the run ended
    measured: np.ndarray  # joined it inside the measured period
    answered: np.ndarray
    abandoned: np.ndarray  # hung up in the queue
    missed: np.ndarray  # an accepted call back that did not reach the customer
    waiting: np.ndarray  # still in line when the run ended
    wait_s: np.ndarray  # until answer, abandonment, or the end of the run
    handled: np.ndarray  # handling and wrap-up finished before the run ended
    deflected: np.ndarray  # resolved before an agent (self-service or a bot): never joined a queue
    front_line: np.ndarray  # stage 0 visits that joined a queue: first contacts, retrials and repeats


    @cached_property
    def on_hold(self) -> np.ndarray:
        """Front-line visits that stood in a line (not callers waiting for a call back)."""
        return self.front_line & (self.log.callback != ACCEPTED_CALLBACK)

    def waiting_to(self, edges: np.ndarray) -> "Waiting":
        """Visits standing in a line (`on_hold`), shared by the KPI tables like `busy_seconds_to`: their
        count's ∫ dt to each edge per contact type (and all: None), and the longest line in the measured
        period. Their waits are sorted once, for the first grid asked, then let go of."""
        key = np.asarray(edges, dtype=float).tobytes()
        answers = self.__dict__.setdefault("_waiting_to", {})
        if key not in answers:
            answers[key] = _waiting(self, edges)
        return answers[key]

    def busy_seconds_to(self, edges: np.ndarray) -> np.ndarray:
        """Busy agent-seconds, all groups, from the start of time to each edge (shared by the KPI tables,
        which all ask for the reporting interval grid). The handlings' steps are sorted once, for the
        first grid asked, and let go of: what is kept is the answer."""
        key = np.asarray(edges, dtype=float).tobytes()
        answers = self.__dict__.setdefault("_busy_seconds_to", {})
        if key not in answers:
            answers[key] = _busy_seconds_to(self.log, self, edges)
        return answers[key]

    @cached_property
    def on_duty(self) -> StepCount:
        """Agents available (on shift, not on a break, or finishing a contact), all groups."""
        return StepCount(self.log.availability_time_s, self.log.availability_change)


class Rows:
    """Chosen rows (in order) of a replication's per-visit or per-contact columns, each column picked
    for just those rows on first use: a KPI table picks the visits or contacts it counts once, and its
    rows (a contact type, a channel…) then select among them instead of masking the whole log again
    for each. The values and their order are the sources', so every sum over them is the same."""

    def __init__(self, chosen: np.ndarray, *sources, first: int = 0):
        """`chosen`: a flag per row of the sources, from row `first` on (a block of rows; blocks.py).
        When every row is chosen, the columns are views of the sources' own (no copy)."""
        self.count = int(np.count_nonzero(chosen))
        self.rows = slice(first, first + len(chosen)) if self.count == len(chosen) else np.flatnonzero(chosen) + first
        self.sources = sources

    def __len__(self) -> int:
        return self.count

    def __getattr__(self, name: str) -> np.ndarray:
        """The first source's column of that name (a field or a stored array) at these rows, kept once picked."""
        if name.startswith("__") or name in ("rows", "sources", "count"):
            raise AttributeError(name)
        for source in self.sources:
            column = vars(source).get(name)
            if isinstance(column, np.ndarray):
                picked = self.__dict__[name] = column[self.rows]
                return picked
        raise AttributeError(name)


def offered_visits(visits: VisitOutcomes, block: slice = slice(None)) -> Rows:
    """The visits the queue KPIs count: front-line visits that joined their queue in the measured
    period, with `handling_s` (the agent's time, wrap-up included; NaN if never answered); those of
    a block of rows only, if given."""
    log = visits.log
    offered = Rows(visits.measured[block] & visits.front_line[block], visits, log, first=block.start or 0)
    offered.handling_s = log.handling_at(offered.rows)
    return offered


@dataclass(frozen=True)
class Waiting:
    """Visits standing in a line: ∫ (how many) dt up to each edge, by contact type (None: all), and
    the longest line in the measured period."""

    seconds_to: dict
    longest: float

    def seconds_to_edges(self, contact_type: int | None, edges: np.ndarray) -> np.ndarray:
        """The integral for a contact type with no visit in line is the empty count's."""
        found = self.seconds_to.get(contact_type)
        return StepCount(np.zeros(0), np.zeros(0)).integral_to(edges) if found is None else found


def _waiting(visits: VisitOutcomes, edges: np.ndarray) -> Waiting:
    log, wait = visits.log, visits.wait_s

    def bounds(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        arrival = log.arrival_s[rows]
        return arrival, arrival + wait[rows]

    seconds_to, longest = span_integrals(Spans(visits.on_hold, bounds, labels_at=lambda rows: log.contact_type[rows]),
                                         edges, by_label=True, longest=(log.measure_from_s, log.measure_to_s))
    return Waiting(seconds_to, longest)


def _busy_seconds_to(log: EventLog, visits: VisitOutcomes, edges: np.ndarray) -> np.ndarray:
    """Agents' worth of work in hand, ∫ dt to each edge: a chat counts 1/concurrency of its agent (1 of
    2 chats = half), a call or an email the whole agent; each handling counts from its answer until
    the agent is done with it (wrap-up included)."""
    busy = Spans(visits.answered, lambda rows: (log.answered_s[rows], log.agent_done_at(rows)), log.agent_share_at)
    return span_integrals(busy, edges)[0][None]


def visit_outcomes(log: EventLog) -> VisitOutcomes:
    end = log.run_end_s
    arrived = log.arrival_s < end
    answered = ~np.isnan(log.answered_s)
    missed = log.outcome == CALLBACK_MISSED
    abandoned = ~np.isnan(log.left_s) & ~missed
    deflected = np.isin(log.outcome, (DEFLECTED, AUTO_RESOLVED))
    waiting = arrived & ~answered & ~abandoned & ~missed & ~deflected
    measured = arrived & (log.arrival_s >= log.measure_from_s) & (log.arrival_s < log.measure_to_s)
    handled = log.agent_done_s < end
    handled &= answered
    result = VisitOutcomes(log, arrived, measured, answered, abandoned, missed, waiting,
                           _wait_s(log, answered, abandoned | missed, deflected), handled, deflected,
                           (log.stage == 0) & ~deflected)
    _check_visits(result)
    return result


def _wait_s(log: EventLog, answered: np.ndarray, left: np.ndarray, deflected: np.ndarray) -> np.ndarray:
    """Each visit's wait: until its answer, else until it left the line, else none (deflected), else
    until the end of the run. Written into one array, the later rule over the earlier (no nested
    `np.where` temporaries: the same values)."""
    stop = np.full(len(log), log.run_end_s, dtype=float)  # a model built in Python may end on an int
    np.copyto(stop, log.arrival_s, where=deflected)
    np.copyto(stop, log.left_s, where=left)
    np.copyto(stop, log.answered_s, where=answered)
    return np.subtract(stop, log.arrival_s, out=stop)


def _check_visits(result: VisitOutcomes) -> None:
    """Each visit that began is answered, abandoned, waiting or deflected, and its outcome code agrees
    (flags and counts in bytes: no per-visit integers)."""
    log = result.log
    states = result.answered.astype(np.int8) + result.abandoned + result.missed + result.waiting + result.deflected
    bad = result.arrived & (states != 1)
    if bad.any():
        raise ConservationError(f"{int(bad.sum())} visits are in {sorted(set(states[bad].tolist()))} states")
    del states, bad
    concluded = np.isin(log.outcome, (RESOLVED, ESCALATED))
    left = np.isin(log.outcome, (ABANDONED, RETRIED))
    agrees = np.where(result.handled, concluded, np.where(result.abandoned, left, log.outcome == OPEN))
    agrees |= result.deflected
    agrees |= result.missed
    if not agrees[result.arrived].all():
        raise ConservationError(f"{int((~agrees & result.arrived).sum())} visits have an outcome that contradicts "
                                f"their times")


@dataclass(frozen=True)
class ContactOutcomes:
    """Per contact (rows = contact ids), followed through all its visits."""

    log: EventLog
    arrival_s: np.ndarray  # first arrival
    contact_type: np.ndarray
    priority: np.ndarray  # at first arrival (its tier's)
    channel: np.ndarray
    measured: np.ndarray  # first arrival inside the measured period
    final: np.ndarray  # RESOLVED, ABANDONED or CALLBACK_MISSED (lost), DEFLECTED, AUTO_RESOLVED or OPEN
    resolved_s: np.ndarray  # time of the final resolution; nan if not resolved
    first_response_s: np.ndarray  # time of the first agent touch; nan if none
    escalated: np.ndarray  # some handling was escalated
    repeated: np.ndarray  # came back after a resolution
    open_at_end: np.ndarray  # waiting or in handling at the end of the measured period

    @property
    def first_contact_resolved(self) -> np.ndarray:
        return (self.final == RESOLVED) & ~self.escalated & ~self.repeated


def contact_outcomes(log: EventLog, visits: VisitOutcomes) -> ContactOutcomes:
    count = log.contacts
    rows = slice(0, count)  # first visits: row = contact id
    # the flags first, before the visits' order is held: their temporaries peak alone
    escalated, repeated = _any_visit(log, log.outcome == ESCALATED), _any_visit(log, log.repeat > 0)
    open_at_end = _any_visit(log, _open_at(log, visits))
    order, starts, sizes = _visits_by_contact(log)
    last = order[starts + sizes - 1]
    final = np.where(log.outcome[last] == RETRIED, OPEN, log.outcome[last])
    first_response = np.fmin.reduceat(log.answered_s[order], starts) if count else np.zeros(0)
    measured = visits.arrived[rows] & (log.arrival_s[rows] >= log.measure_from_s) & \
        (log.arrival_s[rows] < log.measure_to_s)
    result = ContactOutcomes(
        log, log.arrival_s[rows], log.contact_type[rows], log.priority[rows], log.channel[rows], measured, final,
        np.where(final == RESOLVED, log.ended_s[last], np.nan), first_response, escalated, repeated, open_at_end)
    _check_chains(log, order, starts, sizes, final)
    return result


def _visits_by_contact(log: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each contact's visits in time order (rows, contact after contact), where its run starts and how
    many it has."""
    count = log.contacts
    if len(log) == count:  # every contact seen once: its one visit is its own row
        order = starts = np.arange(count)
        return order, starts, np.ones(count, np.int64)
    order = np.argsort(log.contact_id, kind="stable")
    sizes = np.bincount(log.contact_id, minlength=count)
    starts = np.zeros(count, np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    return order, starts, sizes


def _any_visit(log: EventLog, flags: np.ndarray) -> np.ndarray:
    """Per contact: does any of its visits have the flag (its flagged visits' contact ids marked; no
    per-visit weights)."""
    marked = np.zeros(log.contacts, bool)
    marked[log.contact_id[flags]] = True
    return marked


def _open_at(log: EventLog, visits: VisitOutcomes) -> np.ndarray:
    """Visits waiting or in handling at the end of the measured period: arrived before it and not done
    by then (answered: the agent still on it; hung up or missed: not yet gone; deflected: never in)."""
    moment = log.measure_to_s
    not_done = np.where(visits.answered, log.ended_s + log.after_call_work_s > moment,
                        np.where(visits.abandoned | visits.missed, log.left_s > moment, ~visits.deflected))
    return (log.arrival_s < moment) & not_done


def _check_chains(log: EventLog, order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, final) -> None:
    """One final outcome per contact, and each visit follows from the one before it."""
    if (sizes[:log.contacts] < 1).any() or np.isin(final, (ESCALATED,)).any():
        raise ConservationError("a contact has no visit, or ends escalated with no next visit")
    follows = np.ones(len(order), dtype=bool)
    follows[starts] = False  # first visits follow nothing
    after, before = order[follows], order[np.flatnonzero(follows) - 1]
    outcome = log.outcome[before]
    same_episode = log.repeat[after] == log.repeat[before]
    concluded = log.agent_done_at(before)
    escalation = (outcome == ESCALATED) & same_episode & (log.stage[after] == log.stage[before] + 1) & \
        (log.arrival_s[after] == concluded)
    retrial = (outcome == RETRIED) & same_episode & (log.stage[after] == 0) & \
        (log.attempt[after] == np.minimum(log.attempt[before] + 1, MAX_ATTEMPT)) & (log.arrival_s[after] >= log.left_s[before])
    repeat = (outcome == RESOLVED) & (log.repeat[after] == log.repeat[before] + 1) & (log.stage[after] == 0) & \
        (log.attempt[after] == 0) & (log.arrival_s[after] >= concluded)
    broken = ~(escalation | retrial | repeat)
    if broken.any():
        raise ConservationError(f"{int(broken.sum())} visits do not follow from their contact's previous visit")
