"""The flat, columnar record of one replication: one row per visit, plus agent availability.

A visit is one stay of a contact in one queue and the handling that follows: a first contact, a
retrial after abandoning, an escalation to another group, a repeat after a fix that did not hold.
Rows [0, contacts) are the contacts' first visits in arrival order (row = contact id), so facts of a
contact (type, tier, first arrival) are read there; later visits follow in the order they began,
so a contact's visits are in time order by row. One numpy column per attribute (no Python object
per visit) keeps a long run small and KPIs vectorised.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from .config import CHANNELS
from .roster import Roster

# Visit outcomes. A contact's final outcome is its last visit's: resolved, abandoned or callback missed
# (lost), deflected (resolved in self-service), auto-resolved (by a bot), or open (waiting, in handling,
# or going to call again after the run's end). Deflected and auto-resolved visits never join a queue.
OPEN, RESOLVED, ESCALATED, ABANDONED, RETRIED, DEFLECTED, AUTO_RESOLVED, CALLBACK_MISSED = 0, 1, 2, 3, 4, 5, 6, 7
OUTCOMES = ("open", "resolved", "escalated", "abandoned", "retried", "deflected", "auto_resolved", "callback_missed")
LOST = (ABANDONED, CALLBACK_MISSED)  # final outcomes of a contact never served
MAX_ATTEMPT = 32767  # the log's attempt column is int16; the engine itself counts on

VISIT_COLUMNS = ("contact_id", "stage", "attempt", "repeat", "contact_type", "queue", "channel", "priority",
                 "arrival_s", "answered_s", "ended_s", "after_call_work_s", "left_s", "agent", "outcome", "callback")


@dataclass(frozen=True)
class EventLog:
    contact_id: np.ndarray  # int32
    stage: np.ndarray  # int8: 0 first contact, 1 first escalation, …
    attempt: np.ndarray  # int16: 0 first try, n the n-th retrial after abandoning (capped at MAX_ATTEMPT)
    repeat: np.ndarray  # int16: 0 the original need, n the n-th time it came back
    contact_type: np.ndarray  # int16: index into the model's contact types
    queue: np.ndarray  # int16: index into the model's network queues
    channel: np.ndarray  # int8: index into config.CHANNELS
    priority: np.ndarray  # int16
    arrival_s: np.ndarray  # joined the queue
    answered_s: np.ndarray  # nan: never answered
    ended_s: np.ndarray  # the customer leaves (known when answered: agents finish what they start)
    after_call_work_s: np.ndarray  # the agent's wrap-up after `ended_s` (0: none); the visit concludes after it
    left_s: np.ndarray  # left the queue without an agent (abandoned, or a call back that missed); nan otherwise
    agent: np.ndarray  # int32, -1: no agent
    outcome: np.ndarray  # int8: OUTCOMES
    callback: np.ndarray  # int8: 0 not offered, 1 offered and declined, 2 accepted (callback.py)
    contacts: int  # rows [0, contacts) are first visits, row = contact id
    tier: np.ndarray  # int8 per contact: index into its type's priority tiers
    tried_self_service: np.ndarray  # bool per contact: used the self-service portal first
    # agents: +1/-1 steps of available agents per group (on shift, not on break, or finishing a contact)
    availability_time_s: np.ndarray
    availability_group: np.ndarray
    availability_change: np.ndarray
    # overtime: (agent, from, to) spans an agent worked past its shift's end (finishing work in hand)
    overtime_agent: np.ndarray
    overtime_from_s: np.ndarray
    overtime_to_s: np.ndarray
    roster: Roster
    measure_from_s: float
    measure_to_s: float
    run_end_s: float

    def __len__(self) -> int:
        return len(self.arrival_s)

    @property
    def agent_done_s(self) -> np.ndarray:
        """When the agent is done with each visit: the customer leaves, then wrap-up."""
        return self.agent_done_at(slice(None))

    @property
    def handling_s(self) -> np.ndarray:
        """The agent's time on each visit, wrap-up included (NaN if never answered)."""
        return self.handling_at(slice(None))

    def agent_done_at(self, rows) -> np.ndarray:
        """`agent_done_s` of some visits only (the KPI tables read chosen rows, not the whole log)."""
        return self.ended_s[rows] + self.after_call_work_s[rows]

    def handling_at(self, rows) -> np.ndarray:
        """`handling_s` of some visits only."""
        return self.agent_done_at(rows) - self.answered_s[rows]

    def agent_share_at(self, rows) -> np.ndarray:
        """The share of its agent each answered visit in `rows` takes: 1/concurrency for a chat (1 of
        2 chats = half), the whole agent for a call or an email."""
        chat = self.channel[rows] == CHANNELS.index("chat")
        return np.where(chat, 1.0 / self.roster.agent_concurrency[self.agent[rows]], 1.0)

    @property
    def nbytes(self) -> int:
        """Memory of the visit, contact and availability columns."""
        return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__
                   if isinstance(getattr(self, name), np.ndarray))

    def visits_frame(self):
        """The visit columns as a DataFrame (for notebooks and debugging, not the KPI path)."""
        import pandas as pd
        frame = pd.DataFrame({name: getattr(self, name) for name in VISIT_COLUMNS})
        frame["outcome"] = pd.Categorical.from_codes(frame["outcome"], OUTCOMES)
        return frame


def appendable(values: np.ndarray, code: str, dtype) -> array:
    """An `array.array` column filled from a numpy array (its bytes read in place: no third copy), so
    the engine can append to it; `as_numpy` turns it back."""
    column = array(code)
    column.frombytes(memoryview(np.ascontiguousarray(values, dtype=dtype)).cast("B"))
    return column


def as_numpy(column, dtype) -> np.ndarray:
    """An `array.array` or `bytearray` column as a numpy array over the same memory (no copy: the
    event log takes over the engine's columns once the run is over; they cannot grow after this)."""
    return np.frombuffer(column, dtype=dtype) if len(column) else np.empty(0, dtype=dtype)
