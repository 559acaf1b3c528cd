"""One cohort of a contact type: its arrivals, drawn whole before the run, and its contacts' fates,
drawn in arrival order, a piece at a time, as the run reaches them.

A type's own contacts are a cohort; a scale above 1 adds a second one on streams of its own (a scale
below 1 thins the first). Each fate is a cursor over the draw `fates.py` describes (draw_cursor.py), so
fates drawn a piece at a time are those drawn at once: any piece size gives the same customers.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from .arrivals import arrival_times
from .config import ContactType, ModelConfig
from .draw_cursor import LOOK_AHEAD, Uniforms, cursor, in_turn
from .eventlog import AUTO_RESOLVED, DEFLECTED
from .network import Stage
from .streams import Stream

RETRIALS_DRAWN = 2  # retrials per episode drawn with its other fates (16 bytes each)
MAX_REPEATS = 30000  # episodes per contact are numbered in int16


class Cohort:
    """Contacts arriving at `scale` times the type's rates, with serials from `first_serial`, and
    cursors over their fates from `streams(stream, …)` (the day-to-day volume factors from `daily`,
    shared by every cohort of the type). `kept` thins it: the positions that stay (None: all)."""

    def __init__(self, model: ModelConfig, k: int, contact: ContactType, path: tuple[Stage, ...], width: int,
                 streams, daily, scale: float = 1.0, first_serial: int = 0):
        calendar, policies = model.calendar, model.policies
        self.arrival_s = arrival_times(contact.arrivals, calendar.run_end_s, calendar.week_offset_s,
                                       streams(Stream.ARRIVALS), daily, scale)
        self.k, self.first_serial, self.count = k, first_serial, len(self.arrival_s)
        self.kept = None
        self.priorities = np.array([t.priority for t in contact.tiers], dtype=np.int16)
        self.tiers = _TierDraws(contact, self.count, streams)
        factor = dict(policies.automation.handle_time_factor).get(contact.name, 1.0) if policies.automation else 1.0
        callback = policies.callback is not None
        retrials = any(c.retrial is not None for c in model.contacts)
        self.first = EpisodeDraws(contact, path, width, self.count, streams, (), factor, callback, retrials)
        self.door = FrontDoor(policies, contact, self.count, streams)
        self.repeats_of = _RepeatCounts(contact, self.count, streams)
        self.repeat_total = self.repeats_of.total()
        self.repeats = EpisodeDraws(contact, path, width, self.repeat_total, streams, (1,), factor, callback, retrials)
        self.repeat_delay = cursor(contact.repeat.delay, streams(Stream.REPEAT, 1), self.repeat_total) \
            if self.repeat_total else None
        self.drawn = 0  # positions whose fates are drawn

    def thin(self, stays: np.ndarray) -> None:
        """Keep the contacts where `stays` (their fates are still drawn in turn with the others')."""
        self.kept = np.flatnonzero(stays)
        self.arrival_s = self.arrival_s[self.kept]

    def merged(self) -> None:
        """Merged with the other cohorts: the arrival times and thinning are the demand's now."""
        self.arrival_s = self.kept = None

    @property
    def serial(self) -> np.ndarray:
        positions = np.arange(self.count) if self.kept is None else self.kept
        return (self.first_serial + positions).astype(np.int32)

    def take(self, positions: np.ndarray, through: int | None = None) -> tuple[dict, dict]:
        """The fates of the contacts at `positions` (rising, past those drawn before), and of the repeat
        episodes of every contact drawn now (through `through`, or the last position): per contact
        (first episode included) and per repeat episode, with type-local repeat links."""
        if len(positions) and positions[0] < self.drawn:
            raise ValueError("a cohort's fates are drawn in turn: these contacts' were drawn before")
        through = (int(positions[-1]) + 1 if len(positions) else self.drawn) if through is None else through
        count = through - self.drawn
        rows = positions - self.drawn
        self.drawn = through
        tier = self.tiers.take(count)
        deflection, leak, tried = self.door.take(count)
        first = self.first.take(count)
        first["handle_s"] = first["handle_s"] * leak
        per_contact = self.repeats_of.take(count)
        total = int(per_contact.sum())
        repeats = self.repeats.take(total)
        links = _repeat_links(per_contact, self.repeat_delay.take(total) if total else np.zeros(0))
        never = deflection != 0  # resolved before an agent: it never comes back (its repeat rows stay
        links["first_next"][never] = -1  # drawn but unreached)
        links["first_delay"][never] = np.inf
        contacts = {"tier": tier, "priority": self.priorities[tier], "deflection": deflection,
                    "tried_self_service": tried, "first_next": links.pop("first_next"),
                    "first_delay": links.pop("first_delay"), **first}
        every = len(rows) == count  # rising positions from the first drawn: every one of them
        taken = contacts if every else {key: _rows(values, rows) for key, values in contacts.items()}
        return taken, {**repeats, **links}


def _rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Those rows of a fate (an empty fate, one the scenario does not draw, stays empty)."""
    return values.take(rows, axis=0) if len(values) else values


class EpisodeDraws:
    """Cursors over the fates of `count` episodes: handle time (times the agent-assist `factor`),
    wrap-up, patience, escalations and escalated handle times, (with a callback policy) the call back
    coins and (with retrials in the scenario) the first retrials."""

    def __init__(self, contact: ContactType, path: tuple[Stage, ...], width: int, count: int, streams, part: tuple,
                 factor: float = 1.0, callback: bool = False, retrials: bool = False):
        self.width, self.factor, self.retrials = width, factor, retrials
        self.handle = cursor(contact.handle_time, streams(Stream.HANDLE_TIME, *part), count)
        self.wrap = None if contact.after_call_work is None else cursor(
            contact.after_call_work, streams(Stream.AFTER_CALL_WORK, *part), count)
        self.patience = None if contact.patience is None else cursor(contact.patience,
                                                                      streams(Stream.PATIENCE, *part), count)
        # one coin stream per stage: a longer or shorter path never re-draws earlier stages
        self.coins = [Uniforms(streams(Stream.ESCALATION, *part, 0, number), count) for number in range(len(path) - 1)]
        self.first_contact = np.array([stage.first_contact for stage in path[:-1]])
        self.stage_handle = [cursor(stage.handle_time, streams(Stream.ESCALATION, *part, number), count)
                             for number, stage in enumerate(path[1:], start=1)]
        self.callback = in_turn(streams(Stream.CALLBACK, *part), [(None, count)] * 2) if callback else None
        self.retrial = None
        if retrials and contact.retrial is not None:  # call again?, after how long, with what patience
            self.retrial = in_turn(streams(Stream.RETRIAL, *part), [(None, count * RETRIALS_DRAWN),
                                                                     (contact.retrial.delay, count * RETRIALS_DRAWN),
                                                                     (contact.patience, count * RETRIALS_DRAWN)])
            self.calls_again = contact.retrial.probability

    def take(self, count: int) -> dict:
        handle = self.handle.take(count)
        handle = handle * self.factor if self.factor != 1.0 else handle
        wrap = np.zeros(count) if self.wrap is None else self.wrap.take(count)
        patience = np.full(count, math.inf) if self.patience is None else self.patience.take(count)
        escalations = np.zeros(count, np.int8)
        stage_handle = np.full((count, self.width), np.nan)
        coins = np.full((count, self.width), np.nan)
        if self.coins:
            staged = len(self.coins)
            coins[:, :staged] = np.column_stack([coin.take(count) for coin in self.coins])
            escalate = coins[:, :staged] >= self.first_contact
            escalations = np.cumprod(escalate, axis=1).sum(axis=1).astype(np.int8)
            for number, handle_time in enumerate(self.stage_handle):
                stage_handle[:, number] = handle_time.take(count)
        accept, reach = (one.take(count) for one in self.callback) if self.callback else (np.zeros(0), np.zeros(0))
        delay, again = self._retrials(count)
        return {"handle_s": handle, "after_call_work_s": wrap, "patience_s": patience, "escalations": escalations,
                "stage_handle_s": stage_handle, "callback_accept": accept, "callback_reach": reach,
                "retrial_delay_s": delay, "retrial_patience_s": again, "escalation_coin": coins}

    def _retrials(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Per episode and n < RETRIALS_DRAWN, if its caller hangs up for the (n+1)-th time: the delay
        before calling again (NaN: the coin says they give up) and the patience on that call; NaN for a
        type without retrials (none drawn when no type has them)."""
        shape = (count, RETRIALS_DRAWN)
        if not self.retrials:
            return np.zeros((0, RETRIALS_DRAWN)), np.zeros((0, RETRIALS_DRAWN))
        if self.retrial is None or count == 0:
            return np.full(shape, np.nan), np.full(shape, np.nan)
        coins, delays, patience = (one.take(count * RETRIALS_DRAWN).reshape(shape) for one in self.retrial)
        return np.where(coins < self.calls_again, delays, np.nan), patience


class _TierDraws:
    """Tier per contact: u below the first mix share → tier 1, … ; beyond all shares → default (0)."""

    def __init__(self, contact: ContactType, count: int, streams):
        self.coins = Uniforms(streams(Stream.PRIORITY), count) if contact.priority_mix else None
        self.bounds = np.cumsum([tier.share for tier in contact.priority_mix])

    def take(self, count: int) -> np.ndarray:
        if self.coins is None:
            return np.zeros(count, np.int8)
        chosen = np.searchsorted(self.bounds, self.coins.take(count), side="right") + 1
        return np.where(chosen > len(self.bounds), 0, chosen).astype(np.int8)


class FrontDoor:
    """Who never reaches an agent, and the handle-time factor of those who do: self-service tries (a
    share contained, the rest leaking with longer handling), then a bot resolving a share outright.
    Drawn for every contact of the type whether or not the lever is on, so toggling it changes no
    other draw."""

    def __init__(self, policies, contact: ContactType, count: int, streams):
        portal, automation = policies.self_service, policies.automation
        self.portal = portal if portal is not None and contact.name in portal.applies_to else None
        self.tries = in_turn(streams(Stream.SELF_SERVICE), [(None, count)] * 2) if self.portal else None
        self.bot = dict(automation.auto_resolve).get(contact.name, 0.0) if automation else 0.0
        self.bot_coins = Uniforms(streams(Stream.AUTOMATION), count) if self.bot > 0 else None

    def take(self, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        deflection, leak, tried = np.zeros(count, np.int8), np.ones(count), np.zeros(count, bool)
        portal = self.portal
        if portal is not None:
            tries, contained = (one.take(count) for one in self.tries)
            tried = tries < portal.attempt_share
            deflection[tried & (contained < portal.containment)] = DEFLECTED
            leak[tried & (contained >= portal.containment)] = portal.leak_handle_time_factor
        if self.bot_coins is not None:
            resolved = self.bot_coins.take(count) < self.bot
            deflection[resolved & (deflection == 0)] = AUTO_RESOLVED
        return deflection, leak, tried


class _RepeatCounts:
    """Repeats per contact: each resolution is followed by a repeat with probability r (geometric)."""

    def __init__(self, contact: ContactType, count: int, streams):
        self.probability = contact.repeat.probability if contact.repeat is not None else 0.0
        self.coins = Uniforms(streams(Stream.REPEAT, 0), count) if self.probability > 0 and count else None

    def take(self, count: int) -> np.ndarray:
        return np.zeros(count, np.int64) if self.coins is None else self._counts(self.coins.take(count))

    def _counts(self, coins: np.ndarray) -> np.ndarray:
        counts = np.floor(np.log(1.0 - coins) / math.log(self.probability))  # 1 - u in (0, 1]
        return np.minimum(counts, MAX_REPEATS).astype(np.int64)

    def total(self) -> int:
        """Repeat episodes of the whole cohort (their rows are laid out before the run), counted a piece
        at a time on a copy of the coins."""
        if self.coins is None:
            return 0
        count = self.coins.size
        ahead = Uniforms(copy.deepcopy(self.coins.rng), count)
        return sum(int(self._counts(ahead.take(min(LOOK_AHEAD, count - done))).sum())
                   for done in range(0, count, LOOK_AHEAD))


def _repeat_links(per_contact: np.ndarray, delay_before: np.ndarray) -> dict:
    """Type-local links: each episode's delay to its repeat and the repeat's row among the repeats."""
    count, total = len(per_contact), len(delay_before)
    offset = np.concatenate(([0], np.cumsum(per_contact)[:-1])).astype(np.int64) if count else np.zeros(0, np.int64)
    has = per_contact > 0
    first_next = np.where(has, offset, -1)
    first_delay = np.where(has, delay_before[np.minimum(offset, max(total - 1, 0))] if total else np.inf, np.inf)
    owner = np.repeat(np.arange(count), per_contact)
    number = np.arange(total) - offset[owner] + 1 if total else np.zeros(0, np.int64)
    last = number == per_contact[owner] if total else np.zeros(0, bool)
    repeat_next = np.where(last, -1, np.arange(total) + 1)
    repeat_delay = np.where(last, np.inf, np.append(delay_before[1:], np.inf)) if total else np.zeros(0)
    return {"first_next": first_next, "first_delay": first_delay, "repeat_next": repeat_next,
            "repeat_delay": repeat_delay, "repeat_number": number}
