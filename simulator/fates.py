"""Who contacts the desk, when, and everything each contact will need: drawn before the run.

A contact's whole fate comes from its type's own named streams, independent of anything that happens
in the run: its priority tier, and for its first episode and each repeat episode the handle time,
patience, how many times the handling will be escalated and how long each escalated handling takes,
and whether (and after how long) the fix fails and the customer comes back, and whether a caller who
hangs up calls again, after how long and with what patience. The first RETRIALS_DRAWN retrials are
drawn in blocks with the rest (a generator per decision cost half the engine's time); a later one,
rare, draws from a generator keyed by the contact itself (`retrial_generator`).
So two scenarios that differ in staffing or policies see the same customers with the same needs,
and their difference has a tight paired interval.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arrivals import arrival_times
from .config import ContactType, ModelConfig
from .eventlog import AUTO_RESOLVED, DEFLECTED
from .network import Stage
from .streams import Stream, generator

RETRIALS_DRAWN = 2  # retrials per episode drawn with its other fates (16 bytes each)
MAX_REPEATS = 30000  # episodes per contact are numbered in int16
EXTRA_SERIALS = 1 << 30  # serial numbers of the contacts a scale above 1 adds (keys of their retrial draws)
REPEAT_KEYS = ("repeat_next", "repeat_delay", "repeat_number")  # a cohort's arrays indexed by repeat episode


@dataclass(frozen=True)
class Demand:
    """Contacts in arrival order (contact id = position) and the fate of every episode.

    Episode rows [0, contacts) are the contacts' first episodes (row = contact id); the rows after
    them are repeat episodes, reached through `next_episode`.
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
    next_episode: np.ndarray  # int32 per episode: the repeat episode's row, or -1
    episode_number: np.ndarray  # int16 per episode: 0 first, n the n-th repeat
    retrial_delay_s: np.ndarray | None = None  # (episodes, RETRIALS_DRAWN): delay before calling again
    # after the n-th hang-up; NaN: gives up for good ((0, RETRIALS_DRAWN) when no type has retrials)
    retrial_patience_s: np.ndarray | None = None  # (episodes, RETRIALS_DRAWN): patience on that retrial
    escalation_coin: np.ndarray | None = None  # (episodes, max stages - 1): the uniform coin of each stage's
    # handling; it escalates when the coin is at least the first-contact rate in force (the stage's own,
    # or the handling agent's proficiency), so a policy or training change never re-draws it

    def __len__(self) -> int:
        return len(self.arrival_s)


def draw_demand(model: ModelConfig, seed: int, replication: int) -> Demand:
    """Every contact of one replication with its fate, arrivals over the whole run (cool-down included)."""
    width = model.network.max_stages - 1
    parts = [part for k, (contact, path) in enumerate(zip(model.contacts, model.network.paths))
             for part in _draw_type(model, k, contact, path, width, seed, replication)]
    return _merge(parts, width)


def _draw_type(model: ModelConfig, k: int, contact: ContactType, path, width: int, seed: int, replication: int):
    """The type's own contacts, and more or fewer of them as its scale says: scaled down, a share of
    them stays (thinned); scaled up, extra contacts arrive on streams of their own. So a volume
    what-if keeps every customer who would have come anyway, with the same needs."""
    scale = model.arrival_scale(contact)
    streams = lambda cohort: lambda stream, *parts: generator(seed, replication, stream, contact.name, *cohort, *parts)
    own = _cohort(model, k, contact, path, width, streams(()), generator(seed, replication, Stream.DAILY_VOLUME,
                                                                            contact.name))
    if scale < 1:
        stays = generator(seed, replication, Stream.ARRIVALS, contact.name, 3).random(len(own["arrival_s"])) < scale
        own = _kept(own, stays)
    if scale <= 1:
        return [own]
    extra = _cohort(model, k, contact, path, width, streams((2,)),
                    generator(seed, replication, Stream.DAILY_VOLUME, contact.name), scale - 1, EXTRA_SERIALS)
    return [own, extra]


def _cohort(model: ModelConfig, k: int, contact: ContactType, path, width: int, streams, daily, scale: float = 1.0,
            first_serial: int = 0) -> dict:
    """Contacts arriving at `scale` times the type's rates, and their fates, from `streams(stream, …)`
    (the same day-to-day volume factors, from `daily`, for every cohort of the type)."""
    calendar = model.calendar
    times = arrival_times(contact.arrivals, calendar.run_end_s, calendar.week_offset_s, streams(Stream.ARRIVALS),
                          daily, scale)
    count = len(times)
    tier = _tiers(contact, count, streams(Stream.PRIORITY))
    assist = dict(model.policies.automation.handle_time_factor) if model.policies.automation else {}
    factor = assist.get(contact.name, 1.0)
    callback = model.policies.callback is not None
    retrials = any(c.retrial is not None for c in model.contacts)
    first = _episodes(contact, path, width, count, streams, (), factor, callback, retrials)
    deflection, leak, tried = front_door(model.policies, contact, count, streams)
    first["handle_s"] = first["handle_s"] * leak
    repeats_per_contact = _repeat_counts(contact, count, streams)
    total = int(repeats_per_contact.sum())
    repeats = _episodes(contact, path, width, total, streams, (1,), factor, callback, retrials)
    delay_before = contact.repeat.delay.sample(streams(Stream.REPEAT, 1), total) if total else np.zeros(0)
    links = _repeat_links(repeats_per_contact, delay_before)
    never = deflection != 0  # resolved before an agent: it never comes back (its repeat rows stay
    links["first_next"][never] = -1  # drawn but unreached, so no other contact's fates shift)
    links["first_delay"][never] = np.inf
    priorities = np.array([t.priority for t in contact.tiers], dtype=np.int16)[tier]
    return {"arrival_s": times, "contact_type": np.full(count, k, np.int16),
            "serial": np.arange(first_serial, first_serial + count, dtype=np.int32), "tier": tier,
            "priority": priorities, "deflection": deflection, "tried_self_service": tried,
            "first": first, "repeats": repeats, **links}


def _kept(cohort: dict, stays: np.ndarray) -> dict:
    """The cohort's contacts where `stays`, with their fates; repeat episodes are kept whole (rows only
    the dropped contacts reach stay unreached). Thinned in place, column by column, so a long run's
    unthinned fates and the kept ones never exist whole side by side."""
    rows = np.flatnonzero(stays)  # taken by index: a random boolean mask indexes six times slower
    per_contact = [key for key in cohort if key not in REPEAT_KEYS and key not in ("first", "repeats")]
    for columns, keys in ((cohort, per_contact), (cohort["first"], list(cohort["first"]))):
        for key in keys:
            if len(columns[key]) == len(stays):  # an empty fate (one the scenario does not draw) stays empty
                columns[key] = columns[key].take(rows, axis=0)
    return cohort


def _tiers(contact: ContactType, count: int, rng) -> np.ndarray:
    """Tier per contact: u below the first mix share → tier 1, … ; beyond all shares → default (0)."""
    if not contact.priority_mix:
        return np.zeros(count, np.int8)
    bounds = np.cumsum([tier.share for tier in contact.priority_mix])
    chosen = np.searchsorted(bounds, rng.random(count), side="right") + 1
    return np.where(chosen > len(bounds), 0, chosen).astype(np.int8)


def front_door(policies, contact: ContactType, count: int, streams):
    """Who never reaches an agent, and the handle-time factor of those who do: self-service tries (a
    share contained, the rest leaking with longer handling), then a bot resolving a share outright.
    Drawn for every contact of the type whether or not the lever is on, so toggling it changes no
    other draw."""
    deflection, leak, tried = np.zeros(count, np.int8), np.ones(count), np.zeros(count, bool)
    portal, automation = policies.self_service, policies.automation
    if portal is not None and contact.name in portal.applies_to:
        tries, contained = streams(Stream.SELF_SERVICE).random((2, count))
        tried = tries < portal.attempt_share
        deflection[tried & (contained < portal.containment)] = DEFLECTED
        leak[tried & (contained >= portal.containment)] = portal.leak_handle_time_factor
    bot = dict(automation.auto_resolve).get(contact.name, 0.0) if automation else 0.0
    if bot > 0:
        resolved = streams(Stream.AUTOMATION).random(count) < bot
        deflection[resolved & (deflection == 0)] = AUTO_RESOLVED
    return deflection, leak, tried


def _episodes(contact: ContactType, path: tuple[Stage, ...], width: int, count: int, streams, part: tuple,
              factor: float = 1.0, callback: bool = False, retrials: bool = False) -> dict:
    """Handle time (times the agent-assist `factor`), wrap-up, patience, escalations, escalated
    handle times, (with a callback policy) the call back coins and (with retrials in the scenario)
    the first retrial for `count` episodes."""
    handle = contact.handle_time.sample(streams(Stream.HANDLE_TIME, *part), count)
    handle = handle * factor if factor != 1.0 else handle
    wrap = np.zeros(count) if contact.after_call_work is None else contact.after_call_work.sample(
        streams(Stream.AFTER_CALL_WORK, *part), count)
    if contact.patience is None:
        patience = np.full(count, math.inf)
    else:
        patience = contact.patience.sample(streams(Stream.PATIENCE, *part), count)
    escalations = np.zeros(count, np.int8)
    stage_handle = np.full((count, width), np.nan)
    coins = np.full((count, width), np.nan)
    if len(path) > 1:  # one coin stream per stage: a longer or shorter path never re-draws earlier stages
        coins[:, :len(path) - 1] = np.column_stack([streams(Stream.ESCALATION, *part, 0, number).random(count)
                                                    for number in range(len(path) - 1)])
        escalate = coins[:, :len(path) - 1] >= np.array([stage.first_contact for stage in path[:-1]])
        escalations = np.cumprod(escalate, axis=1).sum(axis=1).astype(np.int8)
        for stage_number, stage in enumerate(path[1:], start=1):
            rng = streams(Stream.ESCALATION, *part, stage_number)
            stage_handle[:, stage_number - 1] = stage.handle_time.sample(rng, count)
    callback_coins = streams(Stream.CALLBACK, *part).random((2, count)) if callback else np.zeros((2, 0))
    retry_delay, retry_patience = _retrials(contact, count, streams(Stream.RETRIAL, *part)) if retrials \
        else (np.zeros((0, RETRIALS_DRAWN)), np.zeros((0, RETRIALS_DRAWN)))
    return {"handle_s": handle, "after_call_work_s": wrap, "patience_s": patience, "escalations": escalations,
            "stage_handle_s": stage_handle, "callback_accept": callback_coins[0], "callback_reach": callback_coins[1],
            "retrial_delay_s": retry_delay, "retrial_patience_s": retry_patience, "escalation_coin": coins}


def _retrials(contact: ContactType, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Per episode and n < RETRIALS_DRAWN, if its caller hangs up for the (n+1)-th time: the delay
    before calling again (NaN: the coin says they give up) and the patience on that call; NaN for a
    type without retrials."""
    retrial, shape = contact.retrial, (count, RETRIALS_DRAWN)
    if retrial is None or count == 0:
        return np.full(shape, np.nan), np.full(shape, np.nan)
    calls_again = rng.random(shape) < retrial.probability
    delay = retrial.delay.sample(rng, count * RETRIALS_DRAWN).reshape(shape)
    patience = contact.patience.sample(rng, count * RETRIALS_DRAWN).reshape(shape)
    return np.where(calls_again, delay, np.nan), patience


def _repeat_counts(contact: ContactType, count: int, streams) -> np.ndarray:
    """Repeats per contact: each resolution is followed by a repeat with probability r (geometric)."""
    if contact.repeat is None or contact.repeat.probability <= 0 or count == 0:
        return np.zeros(count, np.int64)
    uniform = 1.0 - streams(Stream.REPEAT, 0).random(count)  # in (0, 1]
    counts = np.floor(np.log(uniform) / math.log(contact.repeat.probability))
    return np.minimum(counts, MAX_REPEATS).astype(np.int64)


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


def _merge(parts: list[dict], width: int) -> Demand:
    """All types in arrival order; repeat episodes after all first episodes, type by type."""
    arrival = np.concatenate([p.pop("arrival_s") for p in parts])
    order = np.argsort(arrival, kind="stable")
    contacts = len(arrival)
    bases = np.cumsum([contacts] + [len(p["repeat_next"]) for p in parts])[:-1]
    # each column is taken out of the parts as it is merged, so a long run's fates never exist twice
    take = lambda key, part="": np.concatenate([(p[part] if part else p).pop(key) for p in parts], axis=0)
    per_contact = lambda key: take(key)[order]
    links = lambda key: np.concatenate([np.where(p[key] >= 0, p.pop(key) + base, -1) for p, base in zip(parts, bases)])

    def first_episode(key: str) -> np.ndarray:
        values = take(key, "first")
        return values[order] if len(values) else values  # empty: a fate the scenario does not draw

    fate = lambda key: np.concatenate([first_episode(key), take(key, "repeats")], axis=0)
    return Demand(
        arrival[order], per_contact("contact_type"), per_contact("serial"), per_contact("tier"),
        per_contact("priority"), per_contact("deflection"), per_contact("tried_self_service"), fate("handle_s"),
        fate("callback_accept"), fate("callback_reach"), fate("after_call_work_s"),
        fate("patience_s"), fate("escalations"), fate("stage_handle_s"),
        np.concatenate([per_contact("first_delay"), take("repeat_delay")]).astype(float),
        np.concatenate([links("first_next")[order], links("repeat_next")]).astype(np.int32),
        np.concatenate([np.zeros(contacts), take("repeat_number")]).astype(np.int16),
        fate("retrial_delay_s"), fate("retrial_patience_s"), fate("escalation_coin"))


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
