"""Named random streams: one generator per (seed, replication, purpose, owner[, part…]).

Fixed enum values and a stable hash of the owner's name (contact type, agent group) mean adding a
stream or a contact type never shifts another's numbers, so two scenarios see the same customers
(common random numbers) and their paired difference has a tight interval. `parts` key finer draws
of one owner (a shift and a day for absences; a contact, its repeat and attempt for retrials).
"""
from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    ARRIVALS = 0
    HANDLE_TIME = 1
    PATIENCE = 2
    RETRIAL = 3
    ABSENCE = 4
    DAILY_VOLUME = 5
    ESCALATION = 6
    CALLBACK = 7
    SELF_SERVICE = 8
    REPEAT = 9
    PRIORITY = 10
    AUTOMATION = 11
    AFTER_CALL_WORK = 12
    ROUTING = 13  # the `random` agent selection's picks (a policy's draws: no contact's fate)


def owner_key(name: str) -> int:
    """A stable 32-bit key for a named owner (independent of its position in the file)."""
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int, replication: int, stream: Stream, owner: str = "", *parts: int) -> np.random.Generator:
    """The generator for one purpose of one owner (and optionally one part of it) in one replication."""
    key = (int(replication), int(stream), owner_key(owner)) + tuple(int(part) for part in parts)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))
