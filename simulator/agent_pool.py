"""The agent pool: who is on shift, on a break, busy, and the log of agents available.

Shifts and breaks are rare events, so they are a SimPy process walking the roster's sorted events.
An agent who becomes able to take work calls `on_free(agent)` (the engine then gives it the waiting
work it has room for, or puts it in its group's free line). Every change of an agent's availability
is logged as a +1/-1 step per group, so occupancy and agents on shift are exact integrals later.
Overtime (an agent still finishing work when its shift ends, until it is idle or its next shift
starts) is logged as spans, so paid time needs no search of the roster afterwards.
"""
from __future__ import annotations

from array import array

from .roster import BREAK, SHIFT_END, SHIFT_START, Roster


class AgentPool:
    def __init__(self, env, roster: Roster, on_free, groups: int):
        agents = roster.agents
        self.env, self.roster, self.on_free = env, roster, on_free
        self.group_of = roster.agent_group.tolist()
        self.concurrency = roster.agent_concurrency.tolist()
        self.busy = [0] * agents
        self.epoch = [0] * agents  # bumps whenever an agent stops or starts taking work
        self.accepting = [False] * agents  # on shift and not on (or due for) a break
        self.on_shift = [False] * agents
        self.counted = [False] * agents  # currently counted as available
        self.break_due = [0.0] * agents
        self.available = [0] * groups  # agents counted available, per group
        self.avail_time, self.avail_group, self.avail_change = array("d"), array("h"), array("b")
        self.overtime_since = [None] * agents  # when the agent's shift ended with work in hand
        self.overtime_agent, self.overtime_from, self.overtime_to = array("i"), array("d"), array("d")
        self._after = None

    def start(self, after) -> None:
        """Begin walking the roster; `after(delay, callback, value)` schedules a bare heap entry."""
        self._after = after
        self.env.process(self._walk(self.roster.events()))

    def _walk(self, events):
        env = self.env
        for time, kind, agent, length in events:
            if time > env.now:
                yield env.timeout(time - env.now)
            elif kind == BREAK and time < env.now:
                length -= env.now - time  # a break under way at time 0 has only its remainder left
                if length <= 0:
                    continue  # over before the run began
            if kind == SHIFT_START:
                self._end_overtime(agent)
                self.on_shift[agent] = True
                self._start_accepting(agent)
            elif kind == SHIFT_END:
                self._shift_ends(agent)
            elif kind == BREAK:
                self._break_due(agent, length)

    def _shift_ends(self, agent: int) -> None:
        """Agents finish the contact in hand (`finish_current`), then leave."""
        self.on_shift[agent] = False
        self.break_due[agent] = 0.0
        self._stop_accepting(agent)
        if self.busy[agent]:
            self.overtime_since[agent] = self.env.now
        else:
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

    def now_idle_off_duty(self, agent: int) -> None:
        """The last contact in hand is done while the agent is not taking work: break or leave."""
        if self.break_due[agent]:
            length, self.break_due[agent] = self.break_due[agent], 0.0
            self._start_break(agent, length)
        else:
            self._end_overtime(agent)
            self._set_counted(agent, False)

    def _end_overtime(self, agent: int, until: float | None = None) -> None:
        """Log the agent's overtime, if any, as a span up to `until` (default: now)."""
        since = self.overtime_since[agent]
        if since is not None:
            self.overtime_since[agent] = None
            self.overtime_agent.append(agent)
            self.overtime_from.append(since)
            self.overtime_to.append(self.env.now if until is None else until)

    def close_overtime(self, run_end: float) -> None:
        """The run is over: overtime still under way is logged up to its end."""
        for agent in range(len(self.overtime_since)):
            self._end_overtime(agent, run_end)

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
        self.on_free(agent)  # it takes what it has room for (one call or email; chats up to its concurrency)

    def _stop_accepting(self, agent: int) -> None:
        self.accepting[agent] = False
        self.epoch[agent] += 1  # its places in the free-agent lines go stale

    def _set_counted(self, agent: int, available: bool) -> None:
        if self.counted[agent] != available:
            self.counted[agent] = available
            self.avail_time.append(self.env.now)
            self.avail_group.append(self.group_of[agent])
            self.avail_change.append(1 if available else -1)
            self.available[self.group_of[agent]] += 1 if available else -1
