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

from .blocks import row_blocks
from .chains import last_visits, later_first_responses, misnumbered
from .time_windows import Spans, span_integrals
from .timeweighted import StepCount

ACCEPTED_CALLBACK = 2  # callback.ACCEPTED
from .eventlog import (ABANDONED, AUTO_RESOLVED, CALLBACK_MISSED, DEFLECTED, ESCALATED, OPEN, RESOLVED, RETRIED,
                       EventLog)


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


class OfferedVisits(Rows):
    """The visits the queue KPIs count: front-line visits that joined their queue in the measured
    period (those of a block of rows, if given), with `handling_s` (the agent's time, wrap-up included;
    NaN if never answered) worked out when first read."""

    def __init__(self, visits: VisitOutcomes, block: slice = slice(None)):
        super().__init__(visits.measured[block] & visits.front_line[block], visits, visits.log, first=block.start or 0)

    @cached_property
    def handling_s(self) -> np.ndarray:
        return self.sources[1].handling_at(self.rows)


def offered_visits(visits: VisitOutcomes, block: slice = slice(None)) -> OfferedVisits:
    """`OfferedVisits` of the whole log, or of a block of rows."""
    return OfferedVisits(visits, block)


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
    """Per contact (rows = contact ids), followed through all its visits. Its times of first response
    and resolution are read off the log for a block of contacts at a time (`first_response_at`,
    `resolved_at`): kept are its last visit and the few first responses that are not its first
    visit's answer."""

    log: EventLog
    arrival_s: np.ndarray  # first arrival
    contact_type: np.ndarray
    priority: np.ndarray  # at first arrival (its tier's)
    channel: np.ndarray
    measured: np.ndarray  # first arrival inside the measured period
    final: np.ndarray  # RESOLVED, ABANDONED or CALLBACK_MISSED (lost), DEFLECTED, AUTO_RESOLVED or OPEN
    last: np.ndarray  # the row of its last visit
    later_responses: tuple  # (contacts, seconds): first responses that are not the first visit's answer
    escalated: np.ndarray  # some handling was escalated
    repeated: np.ndarray  # came back after a resolution
    open_at_end: np.ndarray  # waiting or in handling at the end of the measured period

    @property
    def first_contact_resolved(self) -> np.ndarray:
        return (self.final == RESOLVED) & ~self.escalated & ~self.repeated

    @property
    def first_response_s(self) -> np.ndarray:
        """Time of the first agent touch; nan if none."""
        return self.first_response_at(slice(0, len(self.final)))

    @property
    def resolved_s(self) -> np.ndarray:
        """Time of the final resolution; nan if not resolved."""
        return self.resolved_at(slice(0, len(self.final)))

    def first_response_at(self, block: slice) -> np.ndarray:
        """`first_response_s` of a block of contacts: the first visit's answer, or the later one."""
        first = self.log.answered_s[block].copy()
        contacts, seconds = self.later_responses
        low, high = np.searchsorted(contacts, (block.start, block.stop))
        first[contacts[low:high] - block.start] = seconds[low:high]
        return first

    def resolved_at(self, block: slice) -> np.ndarray:
        """`resolved_s` of a block of contacts: when its last visit ended, if it resolved the contact."""
        return np.where(self.final[block] == RESOLVED, self.log.ended_s[self.last[block]], np.nan)


def contact_outcomes(log: EventLog, visits: VisitOutcomes) -> ContactOutcomes:
    """Each contact's outcome from its chain of visits (chains.py: walked a block of rows at a time),
    the chains checked on the way."""
    count = log.contacts
    rows = slice(0, count)  # first visits: row = contact id
    escalated = _any_visit(log, lambda block: log.outcome[block] == ESCALATED)
    repeated = _any_visit(log, lambda block: log.repeat[block] > 0)
    open_at_end = _any_visit(log, lambda block: _open_at(log, visits, block))
    strays = misnumbered(log)
    last, broken = last_visits(log) if not strays else (np.zeros(0, np.int64), 0)
    final = log.outcome[last]
    final[final == RETRIED] = OPEN
    if strays or (final == ESCALATED).any():
        raise ConservationError("a contact has no visit, or ends escalated with no next visit")
    if broken:
        raise ConservationError(f"{broken} visits do not follow from their contact's previous visit")
    measured = visits.arrived[rows] & (log.arrival_s[rows] >= log.measure_from_s) & \
        (log.arrival_s[rows] < log.measure_to_s)
    return ContactOutcomes(log, log.arrival_s[rows], log.contact_type[rows], log.priority[rows], log.channel[rows],
                           measured, final, last, later_first_responses(log), escalated, repeated, open_at_end)


def _any_visit(log: EventLog, flags_at) -> np.ndarray:
    """Per contact: does any of its visits have the flag (`flags_at(block)`: the flags of a block of
    rows; the flagged visits' contact ids marked, no per-visit weights)."""
    marked = np.zeros(log.contacts, bool)
    for block in row_blocks(len(log)):
        marked[log.contact_id[block][flags_at(block)]] = True
    return marked


def _open_at(log: EventLog, visits: VisitOutcomes, block: slice) -> np.ndarray:
    """Visits of a block of rows waiting or in handling at the end of the measured period: arrived
    before it and not done by then (answered: the agent still on it; hung up or missed: not yet gone;
    deflected: never in)."""
    moment = log.measure_to_s
    not_done = np.where(visits.answered[block], log.agent_done_at(block) > moment,
                        np.where(visits.abandoned[block] | visits.missed[block], log.left_s[block] > moment,
                                 ~visits.deflected[block]))
    return (log.arrival_s[block] < moment) & not_done
