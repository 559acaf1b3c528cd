"""Routing: which free agent takes an arriving visit, and which waiting visit a free agent takes next.

Each queue is a heap ordered by the queue discipline's key; each group's free agents are a heap
ordered by the agent-selection key (both chosen by name in `policies`, see `policies.py`). Visits
that left a queue (abandoned) and agents that stopped taking work (break, shift end) are deleted
lazily: skipped when they reach the head of their heap. The engine pushes onto these heaps itself
(a visit that must wait, an agent that goes idle): that is its hottest path. Overflow adds a queue
per target group (and per chat or not), whose entries rank after all the group's own work; an
overflowing visit waits in both its own queue and that one, and the first to answer takes it (the
other entry goes stale).
"""
from __future__ import annotations

from heapq import heapify, heappop, heappush

from .config import ModelConfig
from .policies import PROMOTED, discipline_key, selection_key

WAITING, ANSWERED, LEFT = 1, 2, 3  # a visit's state in the engine (0: not yet in a queue)
OVERFLOW_RANK = 1e12  # added to an overflow entry's first rank: the target group's own work comes first


class Routing:
    def __init__(self, model: ModelConfig, state: bytearray, epoch: list[int], due_of=None, factor=None, draw=None):
        network = model.network
        self.queues = [[] for _ in network.queue_names]  # (key before preference, key after, visit)
        self.free = [[] for _ in model.groups]  # (selection key, agent, epoch when it became free)
        self.served_by = [list(pairs) for pairs in network.served_by]
        self.serves = [list(pairs) for pairs in network.serves]
        self.selection = selection_key(model.policies.routing, factor, draw)
        self.pick = draw
        if model.policies.routing == "random":
            self.free_agent_for = self._random_free_agent  # the hot path keeps no check for it
        self.state, self.epoch = state, epoch
        self.is_chat = [channel == "chat" for channel in network.queue_channels]
        self.overflow_queue = self._add_overflow_queues(model)
        self.chat_free = [[] for _ in model.groups]  # (chats held, selection key, agent, epoch)
        self.serves_chat = [[(q, p) for q, p in pairs if self.is_chat[q]] for pairs in self.serves]
        self._set_disciplines(model, due_of)
        # one group per queue, one queue per group: the common case skips the ranking (hot path)
        self.only_group = [pairs[0][1] if len(pairs) == 1 else -1 for pairs in self.served_by]
        self.only_queue = [pairs[0][0] if len(pairs) == 1 else -1 for pairs in self.serves]

    def _set_disciplines(self, model: ModelConfig, due_of) -> None:
        """One set of queue heaps per (discipline, max bypass) in use; each group reads its own. With one
        and no bypass (`plain`), the engine pushes to `queues` with `discipline` itself (hot path)."""
        used = [group.queue_policy(model.policies) for group in model.groups]
        kinds = list(dict.fromkeys(used))
        keys = [discipline_key(name, due_of) for name, _ in kinds]
        heaps = [self.queues] + [[[] for _ in self.queues] for _ in kinds[1:]]
        self.group_heaps = [heaps[kinds.index(policy)] for policy in used]
        self.discipline = keys[0]
        readers = [{kinds.index(used[group]) for _, group in pairs} for pairs in self.served_by]
        # per queue, the (key, heaps) of the disciplines some group serving it reads: no dead entries
        self.pushes = [[(keys[k], heaps[k]) for k in sorted(kind_set)] for kind_set in readers]
        bypasses = {bypass for _, bypass in kinds if bypass is not None}
        self.bypass = sorted(bypasses)
        self.bypass_heaps = [{bypass: [heaps[k] for k in sorted(kind_set) if kinds[k][1] == bypass]
                              for bypass in bypasses} for kind_set in readers]
        self.plain = len(kinds) == 1 and not self.bypass

    def enqueue(self, queue: int, visit: int, priority: int, enqueued_s: float, offset: float = 0.0) -> None:
        """A visit waits in `queue` (the heap of every discipline its groups read), after `offset` (overflow)."""
        for key, heaps in self.pushes[queue]:
            first, second, _ = key(priority, enqueued_s, visit)
            heappush(heaps[queue], (offset + first, second, visit))

    def promote(self, queue: int, visit: int, enqueued_s: float, bypass: float) -> None:
        """Passed over `bypass` seconds: ahead of every priority in the heaps of disciplines with that cap,
        first come first served among the promoted (the wait is in the first rank, before preference)."""
        for heaps in self.bypass_heaps[queue].get(bypass, ()):
            heappush(heaps[queue], (PROMOTED + enqueued_s, enqueued_s, visit))

    def _add_overflow_queues(self, model: ModelConfig) -> dict[tuple[int, bool], int]:
        """Per overflow target group, one extra queue for chats and one for other work (as needed):
        (group, chats?) → queue. Entries there rank after all the group's own work (OVERFLOW_RANK)."""
        groups = {group.name: index for index, group in enumerate(model.groups)}
        added = {}
        for rule in model.policies.overflow:
            group = groups[rule.to]
            for contact in model.contacts:
                key = (group, contact.channel == "chat")
                if (not rule.applies_to or contact.name in rule.applies_to) and key not in added:
                    added[key] = len(self.queues)
                    self.queues.append([])
                    self.is_chat.append(key[1])
                    last = max((preference for _, preference in self.serves[group]), default=0)
                    self.serves[group].append((added[key], last + 1))
                    self.served_by.append([(last + 1, group)])
        return added

    def free_agent_for(self, queue: int) -> int:
        """A free agent of the group that prefers this queue most (by the selection key among equals)."""
        epoch, only = self.epoch, self.only_group[queue]
        if only >= 0:  # one group serves the queue (the common case): its line's head, no ranking
            free = self.free[only]
            while free:
                head = heappop(free)
                if head[2] == epoch[head[1]]:
                    return head[1]
            return -1
        best, best_key = None, None
        for preference, group in self.served_by[queue]:
            free = self.free[group]
            while free and free[0][2] != epoch[free[0][1]]:
                heappop(free)  # stale: that agent went off shift or on a break since
            if free and (best is None or (preference, free[0][0]) < best_key):
                best, best_key = free, (preference, free[0][0])
        return heappop(best)[1] if best is not None else -1

    def _random_free_agent(self, queue: int) -> int:
        """`random`: any free agent of the most preferring groups, equally likely at the moment of the
        pick (a rank drawn when an agent became free would favour the agents freed last)."""
        epoch, chosen, best = self.epoch, [], None
        for preference, group in self.served_by[queue]:
            if best is not None and preference > best:
                break
            free = self.free[group]
            free[:] = [entry for entry in free if entry[2] == epoch[entry[1]]]  # drop the stale
            if free:
                best = preference
                chosen.extend((group, index) for index in range(len(free)))
        if not chosen:
            return -1
        group, index = chosen[min(int(self.pick() * len(chosen)), len(chosen) - 1)]
        free = self.free[group]
        entry = free.pop(index)
        heapify(free)
        return entry[1]

    def free_agent_for_chat(self, queue: int) -> int:
        """For a chat: the most preferring group's idle agent, else its agent holding the fewest chats."""
        epoch, best, best_key = self.epoch, None, None
        for preference, group in self.served_by[queue]:
            for line, held in ((self.free[group], None), (self.chat_free[group], True)):
                while line and line[0][-1] != epoch[line[0][-2]]:
                    heappop(line)  # stale: a break, a shift end, or a chat taken or finished since
                if line:
                    key = (preference, line[0][0] if held else 0, line[0][1] if held else line[0][0])
                    if best is None or key < best_key:
                        best, best_key = line, key
        return heappop(best)[-2] if best is not None else -1

    def next_waiting_for(self, group: int, serves=None) -> int:
        """The head the discipline ranks first across the group's queues (or `serves`, e.g. only its
        chat queues), its preference in between."""
        state, queues = self.state, self.group_heaps[group]
        only = self.only_queue[group] if serves is None else -1
        if only >= 0:  # the group serves one queue: its head, no ranking across queues
            queue = queues[only]
            while queue:
                visit = heappop(queue)[2]
                if state[visit] == WAITING:
                    return visit
            return -1
        best, best_key = None, None
        for queue_index, preference in self.serves[group] if serves is None else serves:
            queue = queues[queue_index]
            while queue and state[queue[0][2]] != WAITING:
                heappop(queue)  # left the line (abandoned) while in it
            if queue:
                head = queue[0]
                key = (head[0], preference, head[1])
                if best is None or key < best_key:
                    best, best_key = queue, key
        return heappop(best)[2] if best is not None else -1
