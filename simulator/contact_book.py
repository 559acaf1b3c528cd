"""The contact book: the visits written so far, and the fates of the contacts in progress, as flat columns.

Rows [0, contacts) are the first visits, laid out before the run (row = contact id), so the common case
of a contact seen once costs no appends; each piece of the demand fills in its contacts' rows as the
run reaches it. Retrials, escalations and repeats append rows as they begin. Columns are `array.array`
(fast scalar access from Python) and become numpy columns of the event log at the end. The fates are
per episode row (fate_store.py): a piece's are written when it is drawn and handed back once every
contact in it is done, so a long run holds only the fates of the contacts still in progress.
"""
from __future__ import annotations

from array import array

import numpy as np

from .config import CHANNELS, ModelConfig
from .eventlog import MAX_ATTEMPT, OPEN, EventLog, appendable, as_numpy
from .fate_store import FateStore
from .fates import RETRIALS_DRAWN, Demand
from .pieces_in_progress import PiecesInProgress
from .roster import Roster

NAN = float("nan")
# What happens when a visit's handling ends, decided by the contact's fate when the visit begins.
RESOLVE, ESCALATE, RESOLVE_THEN_REPEAT = 0, 1, 2


def _fill(column, start: int, values: np.ndarray) -> None:
    """Write `values` into an `array.array` or `bytearray` column from row `start` (in place)."""
    with memoryview(column) as view:
        view[start:start + len(values)] = np.ascontiguousarray(values, dtype=np.dtype(view.format))


def read_in_place(values: np.ndarray, dtype=float) -> memoryview:
    """A fate column read in place (no copy when it already has the dtype), read-only: the fates are
    the draws themselves, so a write here would change the customers, not a copy."""
    return memoryview(np.asarray(values, dtype=dtype)).toreadonly()


class ContactBook:
    def __init__(self, demand, model: ModelConfig):
        """`demand`: a DemandStream (its fates drawn a piece at a time) or a whole Demand (one piece)."""
        network = model.network
        count = demand.contacts
        self.contacts = count
        self.model = model
        # visits (first visits laid out; each piece fills in its own)
        type_queue = np.array([path[0].queue for path in network.paths], dtype=np.int16)
        ids = np.arange(count, dtype=np.int32)
        self.contact = appendable(ids, "i", np.int32)
        self.episode = appendable(ids, "i", np.int32)  # row of the episode's fate
        self.stage = array("b", bytes(count))
        self.attempt = array("i", bytes(4 * count))  # uncapped: it keys the retrial draws
        self.queue = appendable(type_queue[demand.contact_type], "h", np.int16)
        self.priority = array("h", bytes(2 * count))
        self.arrival = demand.first_arrivals()  # the demand's own column when it can hand it over
        self.handle = array("d", bytes(8 * count))
        self.wrap = array("d", bytes(8 * count))
        self.answered = array("d", [NAN]) * count
        self.ended = array("d", [NAN]) * count
        self.left = array("d", [NAN]) * count
        self.agent = array("i", [-1]) * count
        self.outcome = bytearray(count)  # OPEN, or resolved before an agent
        self.state = bytearray(count)  # engine states: waiting, answered, left
        self.then = bytearray(count)
        self.callback = bytearray(count)  # per visit: NOT_OFFERED, DECLINED, ACCEPTED
        # per contact (the run's whole columns, read in place)
        self.contact_type = read_in_place(demand.contact_type, np.int16)
        self.serial = read_in_place(demand.serial, np.int32)
        self.tier, self.tried_self_service = np.zeros(count, np.int8), np.zeros(count, bool)
        self.episode_number = np.zeros(demand.episodes, np.int16)  # whole: the log and the SLAs read it
        self._fate_columns(model, demand.episodes)
        self._pieces = iter(demand.pieces())
        self.in_progress = PiecesInProgress(count, RESOLVE_THEN_REPEAT)  # pieces whose fates are held

    def _fate_columns(self, model: ModelConfig, episodes: int) -> None:
        """Every episode's fates, as the engine reads them (episode rows, in place); `_fates` keeps the
        writable columns by name."""
        store = self._store = FateStore(episodes)
        width = model.network.max_stages - 1
        drawn = RETRIALS_DRAWN if any(c.retrial is not None for c in model.contacts) else 0
        singles = {"handle_s": "f8", "after_call_work_s": "f8", "patience_s": "f8", "escalations": "i1",
                   "repeat_delay_s": "f8", "next_episode": "i4"}
        if model.policies.callback is not None:
            singles.update(callback_accept="f8", callback_reach="f8")
        across = {"stage_handle_s": width, "escalation_coin": width, "retrial_delay_s": drawn, "retrial_patience_s": drawn}
        self._fates = {name: store.column(dtype) for name, dtype in singles.items()}
        self._fates.update({name: [store.column("f8") for _ in range(count)] for name, count in across.items()})
        undrawn = read_in_place(np.zeros(0))
        view = lambda name: undrawn if name not in self._fates else \
            [read_in_place(part, part.dtype) for part in self._fates[name]] if name in across else \
            read_in_place(self._fates[name], self._fates[name].dtype)
        self.handle_of_episode, self.wrap_of_episode = view("handle_s"), view("after_call_work_s")
        self.patience_of_episode, self.escalations = view("patience_s"), view("escalations")
        self.repeat_delay, self.next_episode = view("repeat_delay_s"), view("next_episode")
        self.stage_handle, self.escalation_coin = view("stage_handle_s"), view("escalation_coin")
        self.retrial_delay, self.retrial_patience = view("retrial_delay_s"), view("retrial_patience_s")
        self.callback_accept, self.callback_reach = view("callback_accept"), view("callback_reach")

    # --- pieces of the demand ----------------------------------------------------------------------
    def next_arrivals(self):
        """The next piece of the demand, filled in: its contacts that reach a queue and their arrival
        times, as (times, contacts, first, stop): contact `contacts[i]` arrives at `times[i]` for first
        <= i < stop (stop == first: the demand is all in). The pieces before it have all arrived: those
        whose contacts are all done hand back their fates first."""
        for piece in self._pieces:
            self._let_go_of_finished()
            self._fill(piece)
            first, stop = piece.first_contact, piece.first_contact + len(piece)
            if not piece.deflection.any():  # every contact reaches a queue: their own rows and times
                return self.arrival, range(stop), first, stop
            arriving = np.flatnonzero(piece.deflection == 0)
            if len(arriving):
                return appendable(piece.arrival_s[arriving], "d", float), appendable(arriving + first, "i", np.int32), \
                    0, len(arriving)
        return (), (), 0, 0

    def _fill(self, piece: Demand) -> None:
        """A piece's first visits and fates into the book's rows."""
        first, count = piece.first_contact, len(piece)
        contacts = slice(first, first + count)
        _fill(self.priority, first, piece.priority)
        _fill(self.handle, first, piece.handle_s[:count])
        _fill(self.wrap, first, piece.after_call_work_s[:count])
        _fill(self.outcome, first, piece.deflection)
        plan = np.full(count, RESOLVE, np.uint8)
        plan[np.isfinite(piece.repeat_delay_s[:count])] = RESOLVE_THEN_REPEAT
        plan[piece.escalations[:count] > 0] = ESCALATE
        _fill(self.then, first, plan)
        self.tier[contacts], self.tried_self_service[contacts] = piece.tier, piece.tried_self_service
        repeats = piece.rows_of_repeats()
        self.episode_number[repeats] = piece.episode_number[count:]
        for name, columns in self._fates.items():
            values = getattr(piece, name)
            if not len(values):
                continue  # a fate the scenario does not draw (or a piece of no contacts)
            for k, column in enumerate(columns if isinstance(columns, list) else [columns]):
                part = values[:, k] if isinstance(columns, list) else values
                column[contacts], column[repeats] = part[:count], part[count:]
        self.in_progress.add(first, first + count, repeats)

    def _let_go_of_finished(self) -> None:
        """Hand back the fates of the pieces whose contacts are all done."""
        contact, outcome, then = as_numpy(self.contact, "i4"), as_numpy(self.outcome, "u1"), as_numpy(self.then, "u1")
        finished = self.in_progress.finished(contact, outcome, then)
        del contact, outcome, then  # views of growing columns: let go before the run appends again
        for first, stop, repeat_rows in finished:
            self._store.release(first, stop)
            self._store.release_rows(repeat_rows)

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
            self.episode_number[as_numpy(self.episode, "i4")],
            contact_type[contact_id] if len(contact_id) else np.empty(0, np.int16), queue,
            channel_of_queue[queue], as_numpy(self.priority, "i2"), as_numpy(self.arrival, "f8"),
            as_numpy(self.answered, "f8"), as_numpy(self.ended, "f8"), as_numpy(self.wrap, "f8"),
            as_numpy(self.left, "f8"),
            as_numpy(self.agent, "i4"), as_numpy(self.outcome, np.int8), as_numpy(self.callback, np.int8),
            self.contacts, np.asarray(self.tier, dtype=np.int8), np.asarray(self.tried_self_service, dtype=bool),
            as_numpy(pool.avail_time, "f8"), as_numpy(pool.avail_group, "i2"), as_numpy(pool.avail_change, "i1"),
            as_numpy(pool.overtime_agent, "i4"), as_numpy(pool.overtime_from, "f8"), as_numpy(pool.overtime_to, "f8"),
            roster, calendar.warmup_s, calendar.end_s, calendar.run_end_s)

