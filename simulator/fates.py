"""Who contacts the desk, when, and everything each contact will need: drawn independently of the run.

A contact's whole fate comes from its type's own named streams, independent of anything that happens
in the run: its priority tier, and for its first episode and each repeat episode the handle time,
patience, how many times the handling will be escalated and how long each escalated handling takes,
and whether (and after how long) the fix fails and the customer comes back, and whether a caller who
hangs up calls again, after how long and with what patience. The first RETRIALS_DRAWN retrials are
drawn in blocks with the rest (a generator per decision cost half the engine's time); a later one,
rare, draws from a generator keyed by the contact itself (`retrial_generator`).
So two scenarios that differ in staffing or policies see the same customers with the same needs,
and their difference has a tight paired interval.

The arrivals are drawn whole before the run; the fates a piece of PIECE_CONTACTS contacts at a time as
the run reaches them (`DemandStream`), so a long run never holds every contact's fates at once. Each
piece has exactly the values a whole draw gives (`draw_demand`; cohort.py, draw_cursor.py).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from .cohort import RETRIALS_DRAWN, Cohort
from .config import ContactType, ModelConfig
from .eventlog import appendable
from .streams import Stream, generator

__all__ = ["RETRIALS_DRAWN", "Demand", "DemandStream", "draw_demand", "plain_demand", "retrial_generator"]

EXTRA_SERIALS = 1 << 30  # serial numbers of the contacts a scale above 1 adds (keys of their retrial draws)
PIECE_CONTACTS = 1 << 17  # contacts whose fates are drawn at once (a week or more of a busy desk)


@dataclass(frozen=True)
class Demand:
    """Contacts in arrival order (contact id = `first_contact` + position) and the fate of every episode.

    Episode rows [0, contacts) are the contacts' first episodes (the run's row = contact id); the rows
    after them are repeat episodes, reached through `next_episode` (the run's rows: `repeat_rows`, or,
    for a whole run's demand, the rows right after all first episodes).
    """

    arrival_s: np.ndarray
    contact_type: np.ndarray  # int16, index into ModelConfig.contacts
    serial: np.ndarray  # int32, position among the contacts of its type (keys its retrial draws)
    tier: np.ndarray  # int8, index into ContactType.tiers (0: the default tier)
    priority: np.ndarray  # int16
    deflection: np.ndarray  # int8 per contact: 0 reaches the desk, else DEFLECTED or AUTO_RESOLVED
    tried_self_service: np.ndarray  # bool per contact: used the portal (contained or not)
    handle_s: np.ndarray  # per episode: the first handling (agent assist and self-service leaks applied)
    callback_accept: np.ndarray  # per episode: uniform coin, accepts a call back offer below accept_probability
    callback_reach: np.ndarray  # per episode: uniform coin, the call back reaches them below reach_probability
    # (both empty when the scenario has no callback policy)
    after_call_work_s: np.ndarray  # per episode: wrap-up after the first handling (0: none)
    patience_s: np.ndarray  # per episode; inf: waits for ever
    escalations: np.ndarray  # int8 per episode: how many handlings in a row escalate
    stage_handle_s: np.ndarray  # (episodes, max stages - 1): handle time at stage 1, 2, …
    repeat_delay_s: np.ndarray  # per episode: inf, or the delay after resolution before the repeat
    next_episode: np.ndarray  # int32 per episode: the repeat episode's row in the run, or -1
    episode_number: np.ndarray  # int16 per episode: 0 first, n the n-th repeat
    retrial_delay_s: np.ndarray | None = None  # (episodes, RETRIALS_DRAWN): delay before calling again
    # after the n-th hang-up; NaN: gives up for good ((0, RETRIALS_DRAWN) when no type has retrials)
    retrial_patience_s: np.ndarray | None = None  # (episodes, RETRIALS_DRAWN): patience on that retrial
    escalation_coin: np.ndarray | None = None  # (episodes, max stages - 1): the uniform coin of each stage's
    # handling; it escalates when the coin is at least the first-contact rate in force (the stage's own,
    # or the handling agent's proficiency), so a policy or training change never re-draws it
    first_contact: int = 0  # the run's contact id of the first contact here (a piece of a longer demand)
    repeat_rows: np.ndarray | None = None  # the run's rows of the repeat episodes (None: right after the first)

    def __len__(self) -> int:
        return len(self.arrival_s)

    # the whole demand as the contact book reads a stream: one piece
    contacts = property(lambda self: len(self.arrival_s))
    episodes = property(lambda self: len(self.handle_s))

    def pieces(self):
        yield self

    def first_arrivals(self) -> array:
        """The arrival times as an appendable column (the contact book's first visits)."""
        return appendable(self.arrival_s, "d", float)

    def rows_of_repeats(self) -> np.ndarray:
        """The run's episode rows of the repeat episodes here."""
        if self.repeat_rows is not None:
            return self.repeat_rows
        return np.arange(len(self), len(self.handle_s))


class DemandStream:
    """One replication's demand: every contact's arrival, type and serial drawn before the run, and
    their fates a piece at a time (`pieces`), in arrival order, as the run reaches them."""

    def __init__(self, model: ModelConfig, seed: int, replication: int, piece: int = PIECE_CONTACTS):
        width = model.network.max_stages - 1
        self.cohorts = [cohort for k, (contact, path) in enumerate(zip(model.contacts, model.network.paths))
                        for cohort in _cohorts(model, k, contact, path, width, seed, replication)]
        arrival = np.concatenate([cohort.arrival_s for cohort in self.cohorts])
        order = np.argsort(arrival, kind="stable")
        self.arrival = appendable(arrival[order], "d", float)  # handed to the contact book, which appends to it
        del arrival
        self.contact_type = np.concatenate([np.full(len(c.arrival_s), c.k, np.int16) for c in self.cohorts])[order]
        self.serial = np.concatenate([cohort.serial for cohort in self.cohorts])[order]
        del order
        for cohort in self.cohorts:
            cohort.merged()
        self.contacts = len(self.arrival)
        totals = [cohort.repeat_total for cohort in self.cohorts]
        self.repeat_base = [self.contacts + int(before) for before in np.cumsum([0] + totals[:-1])]
        self.repeats_drawn = [0] * len(self.cohorts)
        self.episodes = self.contacts + sum(totals)
        self.piece = piece

    def first_arrivals(self) -> array:
        """The arrival times, as the contact book's column of first arrivals: handed over, not copied (the
        book appends later visits to it; the pieces read their contacts' rows, which never change)."""
        return self.arrival

    def arrival_s_of(self, first: int, stop: int) -> np.ndarray:
        """The arrival times of contacts [first, stop) (copied: a view would stop the column growing)."""
        return np.frombuffer(self.arrival, float, count=stop - first, offset=first * 8).copy()

    def pieces(self):
        """Each piece of the demand in turn (its fates drawn when asked for)."""
        for first in range(0, self.contacts, self.piece):
            yield self.piece_of(first, min(first + self.piece, self.contacts))

    def whole(self) -> Demand:
        """Every contact's fates at once, with every cohort's repeat rows (those of thinned contacts too)."""
        return self.piece_of(0, self.contacts, whole=True)

    def piece_of(self, first: int, stop: int, whole: bool = False) -> Demand:
        """The contacts [first, stop) (after those drawn before) with their fates and their repeat
        episodes, merged in arrival order as a whole draw merges them."""
        types, serials = self.contact_type[first:stop], self.serial[first:stop]
        extra = serials >= EXTRA_SERIALS
        chosen, contacts, repeats, rows = [], [], [], []
        for index, cohort in enumerate(self.cohorts):
            mine = np.flatnonzero((types == cohort.k) & (extra == (cohort.first_serial >= EXTRA_SERIALS)))
            base = self.repeat_base[index] + self.repeats_drawn[index]
            own, theirs = cohort.take(serials[mine].astype(np.int64) - cohort.first_serial,
                                      cohort.count if whole else None)
            own["first_next"] = np.where(own["first_next"] >= 0, own["first_next"] + base, -1)
            theirs["repeat_next"] = np.where(theirs["repeat_next"] >= 0, theirs["repeat_next"] + base, -1)
            drawn = len(theirs["repeat_next"])
            self.repeats_drawn[index] += drawn
            chosen.append(mine)
            contacts.append(own)
            repeats.append(theirs)
            rows.append(np.arange(base, base + drawn))
        order = np.empty(stop - first, np.int64)  # a piece's contact i is row order[i] of the cohorts' rows
        order[np.concatenate(chosen)] = np.arange(stop - first)
        return _merged(self, first, stop, order, contacts, repeats, np.concatenate(rows))


def _merged(stream: DemandStream, first: int, stop: int, order: np.ndarray, contacts: list, repeats: list,
            rows: np.ndarray) -> Demand:
    """The cohorts' fates as one piece: contacts in arrival order, then the repeat episodes cohort by
    cohort. Each column is taken out of the cohorts' as it is merged, so it never exists twice."""

    def per_contact(key: str) -> np.ndarray:
        values = np.concatenate([part.pop(key) for part in contacts], axis=0)
        return values[order] if len(values) else values  # empty: a fate the scenario does not draw

    take = lambda key: np.concatenate([part.pop(key) for part in repeats], axis=0)
    fate = lambda key: np.concatenate([per_contact(key), take(key)], axis=0)
    count = stop - first
    return Demand(
        stream.arrival_s_of(first, stop), stream.contact_type[first:stop], stream.serial[first:stop],
        per_contact("tier"), per_contact("priority"), per_contact("deflection"), per_contact("tried_self_service"),
        fate("handle_s"), fate("callback_accept"), fate("callback_reach"), fate("after_call_work_s"),
        fate("patience_s"), fate("escalations"), fate("stage_handle_s"),
        np.concatenate([per_contact("first_delay"), take("repeat_delay")]).astype(float),
        np.concatenate([per_contact("first_next"), take("repeat_next")]).astype(np.int32),
        np.concatenate([np.zeros(count), take("repeat_number")]).astype(np.int16),
        fate("retrial_delay_s"), fate("retrial_patience_s"), fate("escalation_coin"), first, rows)


def draw_demand(model: ModelConfig, seed: int, replication: int) -> Demand:
    """Every contact of one replication with its fate, arrivals over the whole run (cool-down included)."""
    return DemandStream(model, seed, replication).whole()


def _cohorts(model: ModelConfig, k: int, contact: ContactType, path, width: int, seed: int, replication: int):
    """The type's own contacts, and more or fewer of them as its scale says: scaled down, a share of
    them stays (thinned); scaled up, extra contacts arrive on streams of their own. So a volume
    what-if keeps every customer who would have come anyway, with the same needs."""
    scale = model.arrival_scale(contact)
    streams = lambda cohort: lambda stream, *parts: generator(seed, replication, stream, contact.name, *cohort, *parts)
    daily = lambda: generator(seed, replication, Stream.DAILY_VOLUME, contact.name)
    own = Cohort(model, k, contact, path, width, streams(()), daily())
    if scale < 1:  # thinned by index, not by a random boolean mask (six times slower to index)
        own.thin(generator(seed, replication, Stream.ARRIVALS, contact.name, 3).random(own.count) < scale)
    if scale <= 1:
        return [own]
    return [own, Cohort(model, k, contact, path, width, streams((2,)), daily(), scale - 1, EXTRA_SERIALS)]


def plain_demand(model: ModelConfig, arrival_s, contact_type, handle_s, patience_s) -> Demand:
    """Hand-made first contacts (tests, traces): default tier, no escalation, no repeats."""
    arrival_s, contact_type = np.asarray(arrival_s, float), np.asarray(contact_type, np.int16)
    count = len(arrival_s)
    serial = np.zeros(count, np.int32)
    for k in range(len(model.contacts)):
        mine = contact_type == k
        serial[mine] = np.arange(mine.sum())
    priority = np.array([c.priority for c in model.contacts], np.int16)[contact_type]
    width = model.network.max_stages - 1
    return Demand(arrival_s, contact_type, serial, np.zeros(count, np.int8), priority, np.zeros(count, np.int8),
                  np.zeros(count, bool),
                  np.asarray(handle_s, float), np.zeros(0), np.zeros(0), np.zeros(count), np.asarray(patience_s, float), np.zeros(count, np.int8),
                  np.full((count, width), np.nan), np.full(count, np.inf), np.full(count, -1, np.int32),
                  np.zeros(count, np.int16), np.zeros((0, RETRIALS_DRAWN)), np.zeros((0, RETRIALS_DRAWN)),
                  np.full((count, width), np.nan))


def retrial_generator(seed: int, replication: int, contact_name: str, serial: int, episode_number: int,
                      attempt: int) -> np.random.Generator:
    """The draws of a retrial decision beyond the first RETRIALS_DRAWN (call again?, after how long,
    with what patience), keyed by the contact, its episode and the attempt that was abandoned, so
    they never depend on the run. (The first ones are drawn with the episode's other fates.)"""
    return generator(seed, replication, Stream.RETRIAL, contact_name, serial, episode_number, attempt)
