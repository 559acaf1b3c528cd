"""Which pieces of the demand still have a contact in progress, read off the contact book's visit rows.

A contact is done when its last visit so far ends it: abandoned for good, a call back that missed,
resolved before an agent, or resolved with no repeat to come (a retrial, an escalation or a repeat
still to come appends a visit later). A done contact never comes back, so each contact is followed
from when its piece comes in until it is done, and each look reads only the rows appended since the
one before: the run's memory of the pieces is their contacts still in progress.
"""
from __future__ import annotations

import numpy as np

from .eventlog import ABANDONED, AUTO_RESOLVED, CALLBACK_MISSED, DEFLECTED, RESOLVED

FINAL = (ABANDONED, CALLBACK_MISSED, DEFLECTED, AUTO_RESOLVED)  # a contact's last visit ends it (or RESOLVED)


class PiecesInProgress:
    """The pieces in (contacts [first, stop) and the episode rows of their repeats) not yet done."""

    def __init__(self, contacts: int, then_repeat: int):
        """`contacts`: rows [0, contacts) are first visits; `then_repeat`: the plan of a resolution
        followed by a repeat."""
        self.held: list[tuple[int, int, np.ndarray]] = []
        self._then_repeat = then_repeat
        self._open, self._open_last = np.zeros(0, np.int64), np.zeros(0, np.int64)  # contacts, their last row
        self._looked_rows, self._looked_to = contacts, 0

    def add(self, first: int, stop: int, repeat_rows: np.ndarray) -> None:
        self.held.append((first, stop, repeat_rows))

    def finished(self, contact: np.ndarray, outcome: np.ndarray, then: np.ndarray) -> list:
        """The held pieces whose contacts are all done now (no longer held), from the visit columns
        (contact id, outcome and plan of every row so far)."""
        if not self.held:
            return []
        stop = self.held[-1][1]
        following = np.concatenate([self._open, np.arange(self._looked_to, stop)])
        last = np.concatenate([self._open_last, np.arange(self._looked_to, stop)])  # new pieces: first visits
        later = np.arange(self._looked_rows, len(contact))
        place = np.searchsorted(following, contact[later])
        theirs = (place < len(following)) & (following[np.minimum(place, len(following) - 1)] == contact[later])
        np.maximum.at(last, place[theirs], later[theirs])  # each contact's last visit so far
        done = np.isin(outcome[last], FINAL) | ((outcome[last] == RESOLVED) & (then[last] != self._then_repeat))
        self._open, self._open_last = following[~done], last[~done]
        self._looked_rows, self._looked_to = len(contact), stop
        done = [not np.any((self._open >= first) & (self._open < stop)) for first, stop, _ in self.held]
        finished = [piece for piece, over in zip(self.held, done) if over]
        self.held = [piece for piece, over in zip(self.held, done) if not over]
        return finished
