"""Each contact's visits as one chain, walked a block of rows at a time.

A contact's first visit is its own row (row = contact id) and its later visits follow in the order
they began (eventlog.py). Walking the later visits in row order a block at a time, each one's previous
visit in its contact is the one before it in its block (the block grouped by contact, stably) or, for
its first in the block, the contact's last visit before the block: the pairs a stable sort of the
whole log by contact id lines up, without that sort's 8 bytes a visit. What is kept is each contact's
last visit (its row, 4 bytes a contact).
"""
from __future__ import annotations

import numpy as np

from .blocks import row_blocks
from .eventlog import ESCALATED, MAX_ATTEMPT, RESOLVED, RETRIED, EventLog


def misnumbered(log: EventLog) -> int:
    """Visits whose contact id cannot be: a first visit that is not its contact's own row, a later
    visit of no contact."""
    count, ids = log.contacts, log.contact_id
    wrong = int(np.count_nonzero(ids[:count] != np.arange(count, dtype=ids.dtype)))
    for block in _later(log):
        wrong += int(np.count_nonzero((ids[block] < 0) | (ids[block] >= count)))
    return wrong


def last_visits(log: EventLog) -> tuple[np.ndarray, int]:
    """Each contact's last visit (its row), and how many later visits do not follow from the visit
    before them in their contact (`follows`)."""
    last = np.arange(log.contacts, dtype=np.int64 if len(log) > np.iinfo(np.int32).max else np.int32)
    broken = 0
    for block in _later(log):
        ids = log.contact_id[block]
        order = np.argsort(ids, kind="stable")
        after, ids = order + block.start, ids[order]
        del order
        first = np.append(True, ids[1:] != ids[:-1])  # a contact's first visit in the block
        before = np.empty_like(after)
        before[1:] = after[:-1]
        before[first] = last[ids[first]]
        broken += int(np.count_nonzero(~follows(log, before, after)))
        final = np.append(first[1:], True)  # a contact's last visit in the block
        last[ids[final]] = after[final]
    return last, broken


def follows(log: EventLog, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Does each visit `after` follow from the visit `before` it in its contact: an escalation continues
    at the next stage when the agent is done, a retrial at the next attempt after hanging up, a repeat
    after a resolution?"""
    outcome = log.outcome[before]
    same_episode = log.repeat[after] == log.repeat[before]
    concluded = log.agent_done_at(before)
    escalation = (outcome == ESCALATED) & same_episode & (log.stage[after] == log.stage[before] + 1) & \
        (log.arrival_s[after] == concluded)
    retrial = (outcome == RETRIED) & same_episode & (log.stage[after] == 0) & \
        (log.attempt[after] == np.minimum(log.attempt[before] + 1, MAX_ATTEMPT)) & (log.arrival_s[after] >= log.left_s[before])
    repeat = (outcome == RESOLVED) & (log.repeat[after] == log.repeat[before] + 1) & (log.stage[after] == 0) & \
        (log.attempt[after] == 0) & (log.arrival_s[after] >= concluded)
    return escalation | retrial | repeat


def later_first_responses(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """The contacts whose first agent touch (the earliest answer among their visits, NaN if none) is
    not their first visit's answer, and that touch: (contact ids ascending, seconds). Found with
    np.fmin, exact (it only ever picks one of its inputs), then compared bit for bit."""
    count = log.contacts
    first = log.answered_s[:count].copy()
    for block in _later(log):
        np.fmin.at(first, log.contact_id[block], log.answered_s[block])
    later = np.flatnonzero(first.view(np.int64) != log.answered_s[:count].view(np.int64))
    return later, first[later]


def _later(log: EventLog) -> list[slice]:
    """The later visits' rows [contacts, visits), in blocks (none if there are none)."""
    count = log.contacts
    return [slice(block.start + count, block.stop + count) for block in row_blocks(len(log) - count) if block.stop]
