"""The contact book: the visits written so far, and every contact's fate, as flat columns.

Rows [0, contacts) are the first visits, filled in before the run from the drawn demand (row =
contact id), so the common case of a contact seen once costs no appends. Retrials, escalations and
repeats append rows as they begin. Columns are `array.array` (fast scalar access from Python) and
become numpy columns of the event log at the end.
"""
from __future__ import annotations

from array import array

import numpy as np

from .config import CHANNELS, ModelConfig
from .eventlog import MAX_ATTEMPT, OPEN, EventLog, as_numpy
from .fates import Demand
from .roster import Roster

NAN = float("nan")
# What happens when a visit's handling ends, decided by the contact's fate when the visit begins.
RESOLVE, ESCALATE, RESOLVE_THEN_REPEAT = 0, 1, 2


def _column(values: np.ndarray, code: str, dtype) -> array:
    """An appendable column filled from a numpy array (its bytes read in place: no third copy)."""
    column = array(code)
    column.frombytes(memoryview(np.ascontiguousarray(values, dtype=dtype)).cast("B"))
    return column


def read_in_place(values: np.ndarray, dtype=float) -> memoryview:
    """A fate column read in place (no copy when it already has the dtype), read-only: the Demand's
    arrays are the draws themselves, so a write here would change the customers, not a copy."""
    return memoryview(np.asarray(values, dtype=dtype)).toreadonly()


class ContactBook:
    def __init__(self, demand: Demand, model: ModelConfig):
        network = model.network
        count = len(demand)
        self.contacts = count
        self.model = model
        # visits (first visits pre-filled)
        type_queue = np.array([path[0].queue for path in network.paths], dtype=np.int16)
        ids = np.arange(count, dtype=np.int32)
        self.contact = _column(ids, "i", np.int32)
        self.episode = _column(ids, "i", np.int32)  # row of the episode's fate
        self.stage = array("b", bytes(count))
        self.attempt = array("i", bytes(4 * count))  # uncapped: it keys the retrial draws
        self.queue = _column(type_queue[demand.contact_type], "h", np.int16)
        self.priority = _column(demand.priority, "h", np.int16)
        self.arrival = _column(demand.arrival_s, "d", float)
        self.handle = _column(demand.handle_s[:count], "d", float)
        self.wrap = _column(demand.after_call_work_s[:count], "d", float)
        self.answered = array("d", [NAN]) * count
        self.ended = array("d", [NAN]) * count
        self.left = array("d", [NAN]) * count
        self.agent = array("i", [-1]) * count
        self.outcome = bytearray(demand.deflection.astype(np.uint8).tobytes())  # OPEN, or resolved before an agent
        self.arriving, self.arriving_at = self._arriving(demand)  # contacts that reach a queue, and when
        self.state = bytearray(count)  # engine states: waiting, answered, left
        first = slice(0, count)
        plan = np.full(count, RESOLVE, np.uint8)  # bytes from the start: no full-length int64 temporaries
        plan[np.isfinite(demand.repeat_delay_s[first])] = RESOLVE_THEN_REPEAT
        plan[demand.escalations[first] > 0] = ESCALATE
        self.then = bytearray(memoryview(plan))
        # fates, per contact and per episode: read in place (a memoryview reads a numpy column as fast as
        # an array.array, without a second copy of a long run's largest data)
        self.contact_type = read_in_place(demand.contact_type, np.int16)
        self.serial = read_in_place(demand.serial, np.int32)
        self.tier, self.tried_self_service = demand.tier, demand.tried_self_service
        # repeat episodes' handle and wrap-up times (rows from `contacts` on; a first visit has its own in
        # `handle` and `wrap`): copied, so a long run does not keep every first episode's twice
        self.repeat_handle = read_in_place(demand.handle_s[count:].copy())
        self.repeat_wrap = read_in_place(demand.after_call_work_s[count:].copy())
        self.callback_accept = read_in_place(demand.callback_accept)
        self.callback_reach = read_in_place(demand.callback_reach)
        self.callback = bytearray(count)  # per visit: NOT_OFFERED, DECLINED, ACCEPTED
        self.patience_of_episode = read_in_place(demand.patience_s)
        drawn = demand.retrial_delay_s.shape[1] if len(demand.retrial_delay_s) else 0  # the first retrials
        self.retrial_delay = [read_in_place(demand.retrial_delay_s[:, n]) for n in range(drawn)]
        self.retrial_patience = [read_in_place(demand.retrial_patience_s[:, n]) for n in range(drawn)]
        self.escalations = read_in_place(demand.escalations, np.int8)
        self.stage_handle = [read_in_place(demand.stage_handle_s[:, k]) for k in range(demand.stage_handle_s.shape[1])]
        self.repeat_delay = read_in_place(demand.repeat_delay_s)
        self.next_episode = read_in_place(demand.next_episode, np.int32)
        self.episode_number = demand.episode_number

    def _arriving(self, demand: Demand):
        """The contacts that reach a queue, in arrival order, and their arrival times. With no front
        door (the common case) that is every first visit: their own rows and times, not a copy."""
        if not demand.deflection.any():
            return range(self.contacts), self.arrival
        arriving = np.flatnonzero(demand.deflection == 0)
        return _column(arriving, "i", np.int32), _column(demand.arrival_s[arriving], "d", float)

    def plan(self, episode: int, stage: int) -> int:
        """What the handling at this stage of this episode will lead to."""
        if stage < self.escalations[episode]:
            return ESCALATE
        return RESOLVE_THEN_REPEAT if self.repeat_delay[episode] != float("inf") else RESOLVE

    def add_visit(self, contact: int, episode: int, stage: int, attempt: int, queue: int, priority: int,
                  arrival: float, handle: float, wrap: float, then: int) -> int:
        """A new visit row (a retrial, escalation or repeat beginning now); returns its row."""
        self.contact.append(contact)
        self.episode.append(episode)
        self.stage.append(stage)
        self.attempt.append(attempt)
        self.queue.append(queue)
        self.priority.append(priority)
        self.arrival.append(arrival)
        self.handle.append(handle)
        self.wrap.append(wrap)
        for unknown_yet in (self.answered, self.ended, self.left):
            unknown_yet.append(NAN)
        self.agent.append(-1)
        self.outcome.append(OPEN)
        self.state.append(0)
        self.callback.append(0)
        self.then.append(then)
        return len(self.state) - 1

    def event_log(self, pool, roster: Roster) -> EventLog:
        """The numpy event log of what was written (visit, contact and availability columns)."""
        calendar, network = self.model.calendar, self.model.network
        contact_id = as_numpy(self.contact, "i4")
        queue = as_numpy(self.queue, "i2")
        channel_of_queue = np.array([CHANNELS.index(c) for c in network.queue_channels], dtype=np.int8)
        contact_type = np.asarray(self.contact_type, dtype=np.int16)
        return EventLog(
            contact_id, as_numpy(self.stage, "i1"), np.minimum(as_numpy(self.attempt, "i4"), MAX_ATTEMPT).astype(np.int16),
            self.episode_number[as_numpy(self.episode, "i4")].astype(np.int16),
            contact_type[contact_id] if len(contact_id) else np.empty(0, np.int16), queue,
            channel_of_queue[queue], as_numpy(self.priority, "i2"), as_numpy(self.arrival, "f8"),
            as_numpy(self.answered, "f8"), as_numpy(self.ended, "f8"), as_numpy(self.wrap, "f8"),
            as_numpy(self.left, "f8"),
            as_numpy(self.agent, "i4"), as_numpy(self.outcome, np.int8), as_numpy(self.callback, np.int8),
            self.contacts, np.asarray(self.tier, dtype=np.int8), np.asarray(self.tried_self_service, dtype=bool),
            as_numpy(pool.avail_time, "f8"), as_numpy(pool.avail_group, "i2"), as_numpy(pool.avail_change, "i1"),
            as_numpy(pool.overtime_agent, "i4"), as_numpy(pool.overtime_from, "f8"), as_numpy(pool.overtime_to, "f8"),
            roster, calendar.warmup_s, calendar.end_s, calendar.run_end_s)
