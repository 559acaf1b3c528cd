"""The levers' steps on the engine's visits and agents: chats held several at once, virtual hold
(callback) and overflow. A mixin of `Engine`, so they share its columns and scheduler; each is only
reached when its lever is on (a flag or a per-queue rule), so plain models keep the lean hot path.
"""
from __future__ import annotations

from heapq import heappush
from math import inf as INF

from .callback import ACCEPTED, CallbackDesk
from .contact_book import ESCALATE, RESOLVE, RESOLVE_THEN_REPEAT
from .config import ModelConfig
from .eventlog import CALLBACK_MISSED
from .routing import LEFT, OVERFLOW_RANK, WAITING

NORMAL = 1  # SimPy's priority for ordinary events


class LeverSteps:
    def _init_levers(self, model: ModelConfig, book, pool) -> None:
        self.desk = CallbackDesk(model, book, pool) if model.policies.callback is not None else None
        self.overflow_after = self._overflow_rules(model)
        self.has_chat = any(self.routing.is_chat)
        self.is_chat, self.chats = self.routing.is_chat, [0] * len(pool.group_of)
        self.serves_chat, self.chat_free = self.routing.serves_chat, self.routing.chat_free
        self.chat_capacity = pool.concurrency
        slowdown = [group.chat_slowdown for group in model.groups]
        self.chat_slowdown = [slowdown[group] for group in pool.group_of]
        if self.has_chat or self.desk is not None or any(self.overflow_after) or not self.routing.plain:
            # the lever paths replace the lean ones, so plain models never pay for the levers' checks
            self._enter, self._take_next_or_idle = self._enter_with_levers, self._take_next_with_levers

    # --- proficiency (agents who handle faster or slower, and resolve more or less) ------------------
    def _init_proficiency(self, model: ModelConfig, book) -> None:
        """Swap in the proficient steps only when some agent's factor or first-contact rate differs."""
        if any(factor != 1.0 for factor in self.factor):
            self._answer = self._answer_proficient
        if any(rate is not None for rate in self.first_contact_of_agent):
            paths = model.network.paths
            self.last_stage = [len(path) - 1 for path in paths]
            self.stage_first_contact = [[stage.first_contact for stage in path] for path in paths]
            self.coin = book.escalation_coin
            self._handled = self._on_handled_proficient

    def _answer_proficient(self, visit: int, agent: int) -> None:
        """The drawn handle time, at this agent's speed."""
        self.handle[visit] *= self.factor[agent]
        type(self)._answer(self, visit, agent)

    def _on_handled_proficient(self, visit: int) -> None:
        """Escalate when the visit's pre-drawn coin is at least the first-contact rate in force: the
        agent's own, or the stage's."""
        stage, kind = self.stage[visit], self.contact_type[self.contact[visit]]
        if stage < self.last_stage[kind]:
            rate = self.first_contact_of_agent[self.agent[visit]]
            episode = self.episode[visit]
            if self.coin[stage][episode] >= (self.stage_first_contact[kind][stage] if rate is None else rate):
                self.then[visit] = ESCALATE
            else:
                self.then[visit] = RESOLVE_THEN_REPEAT if self.repeat_delay[episode] != INF else RESOLVE
        self._on_handled(visit)

    def _enter_with_levers(self, visit: int, patience: float) -> None:
        """`Engine._enter` with chat, callback or overflow on."""
        queue = self.queue[visit]
        if self.is_chat[queue]:
            agent = self.routing.free_agent_for_chat(queue)
            if agent >= 0:
                self._answer_chat(visit, agent)
                return
        else:
            agent = self.free_agent_for(queue)
            if agent >= 0:
                self._answer(visit, agent)
                return
        self.state[visit] = WAITING
        if self.desk is not None and self.desk.offer(visit, queue) == ACCEPTED:
            self._call_back_later(visit, queue)
            return
        env = self.env
        if self.plain:  # the one discipline's heap, pushed here: every waiting visit passes this way
            heappush(self.queues[queue], self.discipline(self.priority[visit], env._now, visit))
        else:
            self._enqueue(queue, visit, env._now)
        if patience != INF:
            heappush(env._queue, (env._now + patience, NORMAL, next(env._eid), (self._patience_end, visit)))
        if self.overflow_after[queue]:
            self._schedule_overflow(visit, queue)

    def _take_next_with_levers(self, agent: int) -> None:
        """`Engine._take_next_or_idle` when a taken visit may be a chat or a call back that misses."""
        group, desk = self.group_of[agent], self.desk
        visit = self.next_waiting_for(group)
        while visit >= 0 and desk is not None:
            desk.in_line[self.queue[visit]] -= 1
            if self.callback[visit] != ACCEPTED or self._call_back_reaches(visit):
                break
            visit = self.next_waiting_for(group)  # a call back that did not reach the customer
        if visit < 0:
            heappush(self.free[group], self.selection(self.env._now, agent, self.epoch[agent]))
        elif self.is_chat[self.queue[visit]]:
            self._answer_chat(visit, agent)
        else:
            self._answer(visit, agent)

    # --- chat: several at once ----------------------------------------------------------------------
    def _answer_chat(self, visit: int, agent: int) -> None:
        """A chat taken while holding m others lasts (1 + chat_slowdown·m) times its drawn handle time;
        then the agent fills its other places with waiting chats or offers them in the chat line."""
        held = self.chats[agent]
        if held and self.chat_slowdown[agent]:
            self.handle[visit] *= 1.0 + self.chat_slowdown[agent] * held
        self.chats[agent] = held + 1
        self.epoch[agent] += 1  # any place it had in a free line goes stale
        self._answer(visit, agent)
        self._fill_chats(agent)

    def _fill_chats(self, agent: int) -> None:
        chats = self.chats[agent]
        if 0 < chats == self.busy[agent] and chats < self.chat_capacity[agent] and self.accepting[agent]:
            group = self.group_of[agent]
            visit = self.next_waiting_for(group, self.serves_chat[group])
            if visit >= 0:
                if self.desk is not None:
                    self.desk.in_line[self.queue[visit]] -= 1
                self._answer_chat(visit, agent)
            else:
                heappush(self.chat_free[group], (chats,) + self.selection(self.env._now, agent, self.epoch[agent]))

    # --- virtual hold (callback.py) ------------------------------------------------------------------
    def _call_back_later(self, visit: int, queue: int) -> None:
        """The caller accepted a call back (no patience timer: they hung up): at the quoted time
        (`at_time`, off the line until then), or when an agent would take them (their place kept)."""
        desk = self.desk
        if desk.at_time:
            desk.in_line[queue] -= 1
            self._after(desk.quote, self._on_callback_due, visit)
        else:
            self._enqueue(queue, visit, self.env._now)
            if self.overflow_after[queue]:
                self._schedule_overflow(visit, queue)

    def _on_callback_due(self, visit: int) -> None:
        """The quoted time: the caller rejoins the line at their original place (`at_time`)."""
        queue = self.queue[visit]
        self.desk.in_line[queue] += 1
        self._enqueue(queue, visit, self.arrival[visit])
        if self.overflow_after[queue]:
            self._schedule_overflow(visit, queue)  # overflow counts from rejoining the line
        agent = self.free_agent_for(queue)
        if agent >= 0:
            self._take_next_or_idle(agent)

    def _call_back_reaches(self, visit: int) -> bool:
        """The agent calls an accepting customer back; one who is not reached is lost."""
        if self.desk.reaches(self.episode[visit]):
            return True
        self.state[visit] = LEFT
        self.left[visit] = self.env._now
        self.outcome[visit] = CALLBACK_MISSED
        return False


    # --- overflow ---------------------------------------------------------------------------------
    def _overflow_rules(self, model: ModelConfig) -> list:
        """Per queue: the overflow rules for its first-contact visits, as (after, target queue)."""
        routing, groups = self.routing, {g.name: k for k, g in enumerate(model.groups)}
        rules = [[] for _ in routing.queues]
        for rule in model.policies.overflow:
            for k, contact in enumerate(model.contacts):
                if not rule.applies_to or contact.name in rule.applies_to:
                    target = routing.overflow_queue[(groups[rule.to], contact.channel == "chat")]
                    rules[model.network.type_queue(k)].append((rule.after_s, target))
        return rules

    def _schedule_overflow(self, visit: int, queue: int) -> None:
        if self.stage[visit] == 0:
            for after, target in self.overflow_after[queue]:
                self._after(after, self._on_overflow, (visit, target))

    def _on_overflow(self, visit_and_target: tuple[int, int]) -> None:
        """Still waiting: the visit joins the target group's overflow queue too (at its original place,
        after all the group's own work)."""
        visit, target = visit_and_target
        if self.state[visit] != WAITING:
            return
        self.routing.enqueue(target, visit, self.priority[visit], self.arrival[visit], OVERFLOW_RANK)
        agent = (self.routing.free_agent_for_chat if self.is_chat[target] else self.free_agent_for)(target)
        if agent >= 0:
            self._back_to_work(agent)  # an idle agent takes its best work; one holding chats, more chats
