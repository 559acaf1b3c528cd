"""The SimPy helpdesk: contacts arrive, wait in a queue, are handled, and are resolved, escalated,
come back later, or give up (and perhaps call again).

Visit lifecycle: join a queue → (wait) → answered → handled → resolved | escalated (a new visit in
the next queue) ; or abandoned → (retrial: a new visit later) ; a resolved contact may come back
(repeat: a new visit later). What each contact needs was drawn before the run (`fates.py`); the
engine only decides when things happen. It is split by what it is about: the contact book (visit
columns and fates), the agent pool (roster walk, breaks, availability) and routing (queues, free
agents, policies); this module wires them together and runs the lifecycle.

Speed matters (planners run many replications), so the hot path is plain callbacks on SimPy's
scheduler: the loop in `run` pops SimPy's own event heap, where hot entries are `(callback, value)`
tuples (no Event object), and merges in the pre-drawn, sorted first arrivals without putting them on
the heap. A patience timer is set only for contacts that wait, and ignored if they are answered
first. Rare actors (shifts, breaks) are a SimPy process on the same heap and clock. This reads
SimPy's `_queue`, `_now` and `_eid` (stable since SimPy 3; pinned below 5 in pyproject).
"""
from __future__ import annotations

import math
from heapq import heappop, heappush

import simpy

from .agent_pool import AgentPool
from .business_hours import ALWAYS_OPEN, BusinessClock
from .proficiency import agent_proficiency
from .sla_due import SlaDue
from .config import ModelConfig
from .contact_book import ESCALATE, RESOLVE, ContactBook
from .engine_levers import NORMAL, LeverSteps
from .eventlog import ABANDONED, ESCALATED, RESOLVED, RETRIED, EventLog
from .fates import Demand, DemandStream, retrial_generator
from .streams import Stream, generator
from .roster import Roster, build_roster
from .routing import ANSWERED, LEFT, WAITING, Routing

INF = math.inf


class Engine(LeverSteps):
    """One replication of one model. `run()` returns its EventLog."""

    def __init__(self, model: ModelConfig, demand: Demand | DemandStream, roster: Roster, seed: int, replication: int):
        self.model, self.roster, self.env = model, roster, simpy.Environment()
        self.seed, self.replication = seed, replication
        self.book = book = ContactBook(demand, model)
        self.pool = pool = AgentPool(self.env, roster, self._back_to_work, len(model.groups))
        needs_due = any(group.queue_policy(model.policies)[0] == "sla-deadline" for group in model.groups)
        self.factor, self.first_contact_of_agent = agent_proficiency(model, roster)
        draw = generator(seed, replication, Stream.ROUTING).random if model.policies.routing == "random" else None
        self.routing = Routing(model, book.state, pool.epoch, SlaDue(model, book) if needs_due else None,
                               self.factor, draw)
        routing = self.routing
        self.free_agent_for, self.next_waiting_for = routing.free_agent_for, routing.next_waiting_for
        self.queues, self.discipline = routing.queues, routing.discipline  # routing's heaps, pushed to here
        self.free, self.selection, self.plain = routing.free, routing.selection, routing.plain
        self._bind_columns(book, pool)
        self._init_levers(model, book, pool)
        paths = model.network.paths
        self.stage_queue = [[stage.queue for stage in path] for path in paths]
        self.stage_priority = [[stage.priority for stage in path] for path in paths]
        self.retrials = [contact.retrial for contact in model.contacts]
        self.repeat_on_business = [c.repeat is not None and c.repeat.clock == "business" for c in model.contacts]
        calendar = model.calendar
        if any(self.repeat_on_business):
            self.business = BusinessClock(calendar.business_hours or ALWAYS_OPEN, calendar.start, 0.0,
                                          calendar.run_end_s)
        self._handled, self._patience_end = self._on_handled, self._on_patience_end  # bound once
        self.patience_of_type = [contact.patience for contact in model.contacts]
        self._init_proficiency(model, book)

    def _bind_columns(self, book: ContactBook, pool: AgentPool) -> None:
        """Hot-path columns as direct attributes (one lookup instead of two per access)."""
        for name in ("contact", "episode", "stage", "attempt", "queue", "priority", "arrival", "handle", "wrap",
                     "answered", "ended", "left", "agent", "outcome", "state", "then", "contact_type", "callback",
                     "repeat_delay", "next_episode"):
            setattr(self, name, getattr(book, name))
        self.busy, self.accepting, self.group_of, self.epoch = pool.busy, pool.accepting, pool.group_of, pool.epoch

    # --- run ---------------------------------------------------------------------------------------
    def run(self) -> EventLog:
        self.pool.start(self._after)
        self._loop(self.model.calendar.run_end_s)
        self.pool.close_overtime(self.model.calendar.run_end_s)
        return self.book.event_log(self.pool, self.roster)

    def close(self) -> None:
        """Let go of the run: SimPy's pending events and the engine's own references. Bound methods
        kept on the engine, the pool and the heaps form reference cycles that the collector frees
        only late, so serial replications grew by one replication's memory each."""
        self.env._queue.clear()
        vars(self).clear()

    def _loop(self, end: float) -> None:
        """SimPy's event loop, with the sorted first arrivals merged in, a piece of the demand at a time."""
        env, queue, book = self.env, self.env._queue, self.book
        arrivals, contacts, following, count = book.next_arrivals()
        arrive, patience = self._enter, book.patience_of_episode
        next_arrival = arrivals[following] if following < count else INF
        while True:
            head = queue[0][0] if queue else INF
            if next_arrival < head:
                if next_arrival >= end:
                    break
                env._now = next_arrival
                contact = contacts[following]
                arrive(contact, patience[contact])  # a first visit: row = contact = episode
                following += 1
                if following == count:  # the piece is all in: the next one (its fates drawn now)
                    arrivals, contacts, following, count = book.next_arrivals()
                next_arrival = arrivals[following] if following < count else INF
                continue
            if head >= end:
                break
            env._now, _, _, event = heappop(queue)
            if event.__class__ is tuple:
                event[0](event[1])
            else:
                self._process_simpy_event(event)
        env._now = end

    @staticmethod
    def _process_simpy_event(event) -> None:
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            raise event._value  # a failed process (a bug): surface it as SimPy's own step() would

    def _after(self, delay: float, callback, value) -> None:
        """Call `callback(value)` `delay` seconds from now (a bare heap entry, no Event object)."""
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), (callback, value)))

    # --- visits (hot path) -------------------------------------------------------------------------
    def _enter(self, visit: int, patience: float) -> None:
        """A visit joins its queue: straight to a free agent, or wait (with a patience timer).
        (With chat, callback or overflow on, `_enter_with_levers` takes its place.)"""
        queue = self.queue[visit]
        agent = self.free_agent_for(queue)
        if agent >= 0:
            self._answer(visit, agent)
            return
        self.state[visit] = WAITING
        env = self.env
        heappush(self.queues[queue], self.discipline(self.priority[visit], env._now, visit))
        if patience != INF:  # `_after`, inline: most visits wait
            heappush(env._queue, (env._now + patience, NORMAL, next(env._eid), (self._patience_end, visit)))

    def _enqueue(self, queue: int, visit: int, enqueued_s: float) -> None:
        """A visit waits (every discipline's heap; with `max_bypass`, a timer to promote it)."""
        if self.plain:
            heappush(self.queues[queue], self.discipline(self.priority[visit], enqueued_s, visit))
            return
        self.routing.enqueue(queue, visit, self.priority[visit], enqueued_s)
        for bypass in self.routing.bypass:
            self._after(max(0.0, enqueued_s + bypass - self.env._now), self._on_bypass, (visit, bypass, enqueued_s))

    def _on_bypass(self, visit_bypass_enqueued: tuple) -> None:
        visit, bypass, enqueued_s = visit_bypass_enqueued
        if self.state[visit] == WAITING:
            self.routing.promote(self.queue[visit], visit, enqueued_s, bypass)

    def _answer(self, visit: int, agent: int) -> None:
        env = self.env
        now = env._now
        self.state[visit] = ANSWERED
        self.answered[visit] = now
        self.agent[visit] = agent
        ended = now + self.handle[visit]
        self.ended[visit] = ended
        self.busy[agent] += 1
        heappush(env._queue, (ended + self.wrap[visit], NORMAL, next(env._eid), (self._handled, visit)))

    def _on_handled(self, visit: int) -> None:
        """The handling and its wrap-up are done: escalate to the next stage's queue, or resolve (and
        maybe repeat later); then the agent takes the next visit, goes idle, or leaves."""
        agent = self.agent[visit]
        self.busy[agent] -= 1
        if self.has_chat and self.is_chat[self.queue[visit]]:
            self.chats[agent] -= 1
            self.epoch[agent] += 1  # its place in the chat line goes stale
        then = self.then[visit]
        if then == RESOLVE:
            self.outcome[visit] = RESOLVED
        elif then == ESCALATE:
            self.outcome[visit] = ESCALATED
            self._escalate(visit)
        else:
            self.outcome[visit] = RESOLVED
            self._schedule_repeat(visit)
        if not self.accepting[agent]:
            if not self.busy[agent]:
                self.pool.now_idle_off_duty(agent)
        elif not self.busy[agent]:
            self._take_next_or_idle(agent)
        else:
            self._fill_chats(agent)  # still holding chats: room for one more chat

    def _escalate(self, visit: int) -> None:
        """Escalated work is a ticket: it waits in the next queue without abandoning."""
        book = self.book
        contact, episode, stage = self.contact[visit], self.episode[visit], self.stage[visit] + 1
        kind = self.contact_type[contact]
        priority = self.stage_priority[kind][stage]
        new = book.add_visit(contact, episode, stage, 0, self.stage_queue[kind][stage],
                             self.priority[visit] if priority is None else priority, self.env._now,
                             book.stage_handle[stage - 1][episode], 0.0, book.plan(episode, stage))
        self._enter(new, INF)

    def _schedule_repeat(self, visit: int) -> None:
        """The fix will not hold: the contact comes back after its drawn delay (in open hours only,
        for a repeat on the business clock)."""
        episode, contact = self.episode[visit], self.contact[visit]
        delay = self.repeat_delay[episode]
        if self.repeat_on_business[self.contact_type[contact]]:
            now = self.env._now
            delay = self.business.add(now, delay) - now
        self._after(delay, self._on_repeat, (contact, self.next_episode[episode]))

    def _on_repeat(self, contact_and_episode: tuple[int, int]) -> None:
        """The fix did not hold: the same contact comes back as a new first-stage visit."""
        contact, episode = contact_and_episode
        book = self.book
        kind = self.contact_type[contact]
        new = book.add_visit(contact, episode, 0, 0, self.stage_queue[kind][0], self.priority[contact],
                             self.env._now, book.handle_of_episode[episode], book.wrap_of_episode[episode],
                             book.plan(episode, 0))
        self._enter(new, book.patience_of_episode[episode])

    def _take_next_or_idle(self, agent: int) -> None:
        """The agent has nothing in hand: take the best waiting visit, or wait in its free line."""
        group = self.group_of[agent]
        visit = self.next_waiting_for(group)
        if visit >= 0:
            self._answer(visit, agent)
        else:
            heappush(self.free[group], self.selection(self.env._now, agent, self.epoch[agent]))

    def _back_to_work(self, agent: int) -> None:
        """Shift start or break over: an agent still finishing a call or email has no room; one
        holding chats has room for more chats only."""
        if not self.busy[agent]:
            self._take_next_or_idle(agent)
        elif self.has_chat:
            self._fill_chats(agent)

    def _on_patience_end(self, visit: int) -> None:
        if self.state[visit] != WAITING:
            return  # answered in time: the timer is simply ignored
        self.state[visit] = LEFT
        self.left[visit] = self.env._now
        if self.desk is not None:
            self.desk.in_line[self.queue[visit]] -= 1
        retrial = self.retrials[self.contact_type[self.contact[visit]]]
        self.outcome[visit] = ABANDONED if retrial is None else self._maybe_retry(visit, retrial)

    def _maybe_retry(self, visit: int, retrial) -> int:
        """An abandoner calls again with the same need (handle time), fresh patience, after a delay.
        The draws are the episode's own (its first retrials) or keyed by the contact and attempt, so
        they are the same in every scenario."""
        book, episode, attempt = self.book, self.episode[visit], self.attempt[visit]
        if attempt < len(book.retrial_delay):
            delay = book.retrial_delay[attempt][episode]
            if delay != delay:  # NaN: gives up for good
                return ABANDONED
            patience = book.retrial_patience[attempt][episode]
        else:
            contact = self.contact[visit]
            kind = self.contact_type[contact]
            rng = retrial_generator(self.seed, self.replication, self.model.contacts[kind].name,
                                    book.serial[contact], int(book.episode_number[episode]), attempt)
            if rng.random() >= retrial.probability:
                return ABANDONED
            delay = float(retrial.delay.sample(rng, 1)[0])
            patience = float(self.patience_of_type[kind].sample(rng, 1)[0])
        self._after(delay, self._on_retrial, (visit, patience))
        return RETRIED

    def _on_retrial(self, visit_and_patience: tuple[int, float]) -> None:
        visit, patience = visit_and_patience
        new = self.book.add_visit(self.contact[visit], self.episode[visit], 0, self.attempt[visit] + 1,
                                  self.queue[visit], self.priority[visit], self.env._now, self.handle[visit],
                                  self.wrap[visit], self.then[visit])
        self._enter(new, patience)



def simulate(model: ModelConfig, seed: int, replication: int = 0) -> EventLog:
    """Draw the demand and roster for (seed, replication) and run the model once."""
    engine = Engine(model, DemandStream(model, seed, replication), build_roster(model, seed, replication), seed,
                    replication)  # the contact book draws the fates a piece at a time, until close()
    try:
        return engine.run()
    finally:
        engine.close()
