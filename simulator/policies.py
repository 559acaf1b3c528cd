"""Queue disciplines and agent selection: plain functions chosen by name in `policies`.

Both are sort keys, as in SimPy's `PriorityRequest.key`: the engine keeps heaps ordered by them and
never needs to know which policy is in force.

- A queue discipline turns a waiting visit into its heap entry `(rank before preference, rank after
  preference, visit)`: a free agent compares the heads of the queues it serves by (first rank, its
  preference for that queue, second rank). So `priority-fifo` means highest priority first, then the
  agent's preferred queue, then the longest waiting (ties: the visit that began first); `fifo`
  ignores priority; `longest-waiting-first` ignores priority and preference (the oldest visit across
  all the group's queues); `sla-deadline` serves the earliest SLA due time first (visits without an
  SLA after all those with one), then preference, then the longest waiting.
- With `max_bypass`, a visit still waiting that long is promoted above every priority (first rank
  PROMOTED + its enqueue time: first come first served among the promoted, across queues), so
  urgent work cannot starve routine work.
- An agent selection turns a free agent into its entry `(rank, agent, epoch)` in its group's free
  line; across groups serving a queue the most preferring group comes first, then this rank:
  `longest-idle`, `fastest-first` (the lowest handle-time factor, then the longest idle), `random`.
"""
from __future__ import annotations

from typing import Callable

PROMOTED = -1e18  # first rank of a visit passed over for `max_bypass`: ahead of any priority or deadline


def priority_fifo(priority: int, enqueued_s: float, visit: int) -> tuple:
    """Highest priority first (non-preemptive), then first come first served."""
    return (-priority, enqueued_s, visit)


def fifo(priority: int, enqueued_s: float, visit: int) -> tuple:
    """First come first served within the agent's most preferred queue; priority ignored."""
    return (0, enqueued_s, visit)


def longest_waiting_first(priority: int, enqueued_s: float, visit: int) -> tuple:
    """The visit waiting longest across every queue the agent serves, whatever its priority or queue."""
    return (enqueued_s, visit, visit)


def sla_deadline(due_of: Callable[[int], float]):
    """Earliest SLA due time first (`due_of(visit)`, on the SLA's own clock); no SLA: after all."""
    def key(priority: int, enqueued_s: float, visit: int) -> tuple:
        return (due_of(visit), enqueued_s, visit)
    return key


def discipline_key(name: str, due_of: Callable[[int], float] | None = None):
    """The heap key of the discipline called `name` (sla-deadline needs each visit's due time)."""
    if name == "sla-deadline":
        if due_of is None:
            raise ValueError("sla-deadline needs the visits' SLA due times")
        return sla_deadline(due_of)
    return QUEUE_DISCIPLINES[name]


def longest_idle(idle_since_s: float, agent: int, epoch: int) -> tuple:
    """The agent idle the longest takes the next contact (spreads work evenly)."""
    return (idle_since_s, agent, epoch)


def fastest_first(factor: list[float]):
    """The most proficient free agent (lowest handle-time factor), then the longest idle."""
    def key(idle_since_s: float, agent: int, epoch: int) -> tuple:
        return ((factor[agent], idle_since_s), agent, epoch)
    return key


def random_agent(draw: Callable[[], float]):
    """Any free agent, equally likely: the pick is drawn when an agent is needed (Routing), from the
    replication's routing stream; the rank here only orders the free line of chats."""
    def key(idle_since_s: float, agent: int, epoch: int) -> tuple:
        return (draw(), agent, epoch)
    return key


def selection_key(name: str, factor: list[float], draw: Callable[[], float]):
    """The free-line key of the agent selection called `name`."""
    if name == "fastest-first":
        return fastest_first(factor)
    if name == "random":
        return random_agent(draw)
    return AGENT_SELECTION[name]


QUEUE_DISCIPLINES = {"priority-fifo": priority_fifo, "fifo": fifo, "longest-waiting-first": longest_waiting_first,
                     "sla-deadline": None}
AGENT_SELECTION = {"longest-idle": longest_idle, "fastest-first": None, "random": None}
