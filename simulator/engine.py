"""The SimPy helpdesk: contacts arrive, wait in line, are answered by a free agent, or give up.

Speed matters (planners run many replications), so the hot path is plain callbacks on SimPy's
scheduler: the loop in `run` pops SimPy's own event heap, where hot entries are `(callback, value)`
tuples (no Event object), and merges in the pre-drawn, sorted arrivals without putting them on the
heap. One heap entry per handling, and a patience timer only for contacts that wait, ignored if they
are answered first. Queues and free agents are kept by hand with lazy deletion. Rare actors (shifts,
breaks) are a SimPy process on the same heap and clock. This reads SimPy's `_queue`, `_now` and `_eid`
(stable since SimPy 3; pinned below 5 in pyproject). Contact lifecycle:
arrive → (wait) → answered → handled → resolved | abandoned → (retrial) | still waiting at the end.
"""
from __future__ import annotations

import math
from array import array
from collections import deque
from heapq import heappop, heappush

import simpy

from .arrivals import Demand, draw_demand
from .config import ModelConfig
from .eventlog import EventLog, as_numpy
from .roster import BREAK, SHIFT_END, SHIFT_START, Roster, build_roster
from .streams import Stream, generator

WAITING, ANSWERED, ABANDONED = 1, 2, 3
NAN, INF = math.nan, math.inf
NORMAL = 1  # SimPy's priority for ordinary events


class Engine:
    """One replication of one model. `run()` returns its EventLog."""

    def __init__(self, model: ModelConfig, demand: Demand, roster: Roster, seed: int, replication: int):
        self.model, self.roster, self.env = model, roster, simpy.Environment()
        self._init_contacts(demand)
        self._init_routing(model)
        self._init_agents(roster)
        self.retrial_rngs = [generator(seed, replication, Stream.RETRIAL, c.name) for c in model.contacts]

    # --- setup -------------------------------------------------------------------------------------
    def _init_contacts(self, demand: Demand) -> None:
        count = len(demand)
        self.first_attempts = count
        self.arrival = array("d", demand.arrival_s.tobytes())
        self.kind = array("h", demand.contact_type.astype("int16").tobytes())
        self.handle = array("d", demand.handle_s.tobytes())
        self.patience = array("d", demand.patience_s.tobytes())
        self.attempt = array("b", bytes(count))
        self.state = bytearray(count)
        self.answered = array("d", [NAN]) * count
        self.ended = array("d", [NAN]) * count
        self.abandoned = array("d", [NAN]) * count
        self.agent_of = array("i", [-1]) * count

    def _init_routing(self, model: ModelConfig) -> None:
        """Per contact type: groups that serve it by preference; per group: the types it takes, best first."""
        index = {c.name: k for k, c in enumerate(model.contacts)}
        self.queues = [deque() for _ in model.contacts]
        self.servers_of = [[] for _ in model.contacts]
        self.work_of = []
        for g, group in enumerate(model.groups):
            work = []
            for name, preference in group.skills.items():
                k = index[name]
                self.servers_of[k].append((preference, g))
                work.append((k, -model.contacts[k].priority, preference))
            self.work_of.append(sorted(work, key=lambda item: (item[1], item[2])))
        for servers in self.servers_of:
            servers.sort()

    def _init_agents(self, roster: Roster) -> None:
        agents = roster.agents
        self.group_of = roster.agent_group.tolist()
        self.concurrency = roster.agent_concurrency.tolist()
        self.busy = [0] * agents
        self.epoch = [0] * agents  # bumps whenever an agent stops or starts taking work
        self.accepting = [False] * agents  # on shift and not on (or due for) a break
        self.on_shift = [False] * agents
        self.counted = [False] * agents  # currently counted as available
        self.break_due = [0.0] * agents
        self.free = [deque() for _ in self.model.groups]  # (idle since, agent, epoch): longest idle first
        self.avail_time, self.avail_group, self.avail_change = array("d"), array("h"), array("b")

    # --- run ---------------------------------------------------------------------------------------
    def run(self) -> EventLog:
        self.env.process(self._walk_roster(self.roster.events()))
        self._loop(self.model.calendar.end_s)
        return self._event_log()

    def _loop(self, end: float) -> None:
        """SimPy's event loop, with the sorted first arrivals merged in from their array."""
        env, queue, arrivals, count = self.env, self.env._queue, self.arrival, self.first_attempts
        arrive, following = self._arrive, 0
        next_arrival = arrivals[0] if count else INF
        while True:
            head = queue[0][0] if queue else INF
            if next_arrival < head:
                if next_arrival >= end:
                    break
                env._now = next_arrival
                arrive(following)
                following += 1
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

    def _event_log(self) -> EventLog:
        calendar = self.model.calendar
        return EventLog(
            as_numpy(self.arrival, "f8"), as_numpy(self.kind, "i2"), as_numpy(self.attempt, "i1"),
            as_numpy(self.answered, "f8"), as_numpy(self.ended, "f8"), as_numpy(self.abandoned, "f8"),
            as_numpy(self.agent_of, "i4"), as_numpy(self.avail_time, "f8"), as_numpy(self.avail_group, "i2"),
            as_numpy(self.avail_change, "i1"), self.roster, calendar.warmup_s, calendar.end_s)

    # --- contacts (hot path) -----------------------------------------------------------------------
    def _arrive(self, contact: int) -> None:
        agent = self._free_agent_for(self.kind[contact])
        if agent >= 0:
            self._answer(contact, agent)
            return
        self.state[contact] = WAITING
        self.queues[self.kind[contact]].append(contact)
        patience = self.patience[contact]
        if patience != INF:
            self._after(patience, self._on_patience_end, contact)

    def _free_agent_for(self, kind: int) -> int:
        """The free agent of the most preferred group; longest idle among equal preference."""
        epoch, best, best_key = self.epoch, None, None
        for preference, group in self.servers_of[kind]:
            free = self.free[group]
            while free and free[0][2] != epoch[free[0][1]]:
                free.popleft()  # stale: that agent went off shift or on a break
            if free and (best is None or (preference, free[0][0]) < best_key):
                best, best_key = free, (preference, free[0][0])
        return best.popleft()[1] if best is not None else -1

    def _answer(self, contact: int, agent: int) -> None:
        env = self.env
        now = env._now
        self.state[contact] = ANSWERED
        self.answered[contact] = now
        self.agent_of[contact] = agent
        ended = now + self.handle[contact]
        self.ended[contact] = ended
        self.busy[agent] += 1
        heappush(env._queue, (ended, NORMAL, next(env._eid), (self._on_handled, contact)))

    def _on_handled(self, contact: int) -> None:
        agent = self.agent_of[contact]
        self.busy[agent] -= 1
        if self.accepting[agent]:
            self._take_next_or_idle(agent)
        elif not self.busy[agent]:
            self._agent_now_idle_off_duty(agent)

    def _take_next_or_idle(self, agent: int) -> None:
        contact = self._next_waiting_for(self.group_of[agent])
        if contact >= 0:
            self._answer(contact, agent)
        else:
            self.free[self.group_of[agent]].append((self.env.now, agent, self.epoch[agent]))

    def _next_waiting_for(self, group: int) -> int:
        """Highest priority first, then the group's preferred skill, then first come first served."""
        state, best, best_key = self.state, None, None
        for kind, negative_priority, preference in self.work_of[group]:
            queue = self.queues[kind]
            while queue and state[queue[0]] != WAITING:
                queue.popleft()  # abandoned while in line
            if queue:
                key = (negative_priority, preference, self.arrival[queue[0]])
                if best is None or key < best_key:
                    best, best_key = queue, key
        return best.popleft() if best is not None else -1

    def _on_patience_end(self, contact: int) -> None:
        if self.state[contact] != WAITING:
            return  # answered in time: the timer is simply ignored
        self.state[contact] = ABANDONED
        self.abandoned[contact] = self.env.now
        retrial = self.model.contacts[self.kind[contact]].retrial
        if retrial is not None:
            self._maybe_retry(contact, retrial)

    def _maybe_retry(self, contact: int, retrial) -> None:
        """An abandoner calls again with the same need (handle time), fresh patience, after a delay."""
        kind = self.kind[contact]
        rng = self.retrial_rngs[kind]
        if rng.random() >= retrial.probability:
            return
        delay = float(retrial.delay.sample(rng, 1)[0])
        patience_dist = self.model.contacts[kind].patience
        new = self._add_contact(self.env.now + delay, kind, self.handle[contact],
                                float(patience_dist.sample(rng, 1)[0]), self.attempt[contact] + 1)
        self._after(delay, self._arrive, new)

    def _add_contact(self, arrival: float, kind: int, handle: float, patience: float, attempt: int) -> int:
        for column, value in ((self.arrival, arrival), (self.kind, kind), (self.handle, handle),
                              (self.patience, patience), (self.attempt, min(attempt, 127)),
                              (self.answered, NAN), (self.ended, NAN), (self.abandoned, NAN), (self.agent_of, -1)):
            column.append(value)
        self.state.append(0)
        return len(self.state) - 1

    # --- agents (rare events) ----------------------------------------------------------------------
    def _walk_roster(self, events):
        env = self.env
        for time, kind, agent, length in events:
            if time > env.now:
                yield env.timeout(time - env.now)
            elif kind == BREAK and time < env.now:
                length -= env.now - time  # a break under way at time 0 has only its remainder left
                if length <= 0:
                    continue  # over before the run began
            if kind == SHIFT_START:
                self._shift_starts(agent)
            elif kind == SHIFT_END:
                self._shift_ends(agent)
            elif kind == BREAK:
                self._break_due(agent, length)

    def _shift_starts(self, agent: int) -> None:
        self.on_shift[agent] = True
        self._start_accepting(agent)

    def _shift_ends(self, agent: int) -> None:
        """Agents finish the contact in hand (`finish_current`), then leave."""
        self.on_shift[agent] = False
        self.break_due[agent] = 0.0
        self._stop_accepting(agent)
        if not self.busy[agent]:
            self._set_counted(agent, False)

    def _break_due(self, agent: int, length: float) -> None:
        """A break starts now, or when the contact in hand is finished, and lasts its full length."""
        if not self.accepting[agent]:
            return
        self._stop_accepting(agent)
        if self.busy[agent]:
            self.break_due[agent] = length
        else:
            self._start_break(agent, length)

    def _agent_now_idle_off_duty(self, agent: int) -> None:
        if self.break_due[agent]:
            length, self.break_due[agent] = self.break_due[agent], 0.0
            self._start_break(agent, length)
        else:
            self._set_counted(agent, False)

    def _start_break(self, agent: int, length: float) -> None:
        self._set_counted(agent, False)
        self._after(length, self._on_break_over, (agent, self.epoch[agent]))

    def _on_break_over(self, agent_and_epoch: tuple[int, int]) -> None:
        """Back to work, unless the shift ended meanwhile (the epoch moved on: this break is history)."""
        agent, epoch = agent_and_epoch
        if self.epoch[agent] == epoch and self.on_shift[agent]:
            self._start_accepting(agent)

    def _start_accepting(self, agent: int) -> None:
        self.accepting[agent] = True
        self.epoch[agent] += 1
        self._set_counted(agent, True)
        for _ in range(self.concurrency[agent] - self.busy[agent]):
            self._take_next_or_idle(agent)

    def _stop_accepting(self, agent: int) -> None:
        self.accepting[agent] = False
        self.epoch[agent] += 1  # its places in the free-agent lines go stale

    def _set_counted(self, agent: int, available: bool) -> None:
        if self.counted[agent] != available:
            self.counted[agent] = available
            self.avail_time.append(self.env.now)
            self.avail_group.append(self.group_of[agent])
            self.avail_change.append(1 if available else -1)


def simulate(model: ModelConfig, seed: int, replication: int = 0) -> EventLog:
    """Draw the demand and roster for (seed, replication) and run the model once."""
    demand = draw_demand(model, seed, replication)
    roster = build_roster(model, seed, replication)
    return Engine(model, demand, roster, seed, replication).run()
