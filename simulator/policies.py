"""Queue disciplines and agent selection: plain functions chosen by name in `policies`.

Both are sort keys, as in SimPy's `PriorityRequest.key`: the engine keeps heaps ordered by them and
never needs to know which policy is in force.

- A queue discipline turns a waiting visit into its heap entry `(rank before preference, rank after
  preference, visit)`: a free agent compares the heads of the queues it serves by (first rank, its
  preference for that queue, second rank), so `priority-fifo` means highest priority first, then the
  agent's preferred queue, then the longest waiting (ties: the visit that began first).
- An agent selection turns a free agent into its entry `(rank, agent, epoch)` in its group's free
  line; across groups serving a queue the most preferring group comes first, then this rank.
"""
from __future__ import annotations


def priority_fifo(priority: int, enqueued_s: float, visit: int) -> tuple:
    """Highest priority first (non-preemptive), then first come first served."""
    return (-priority, enqueued_s, visit)


def longest_idle(idle_since_s: float, agent: int, epoch: int) -> tuple:
    """The agent idle the longest takes the next contact (spreads work evenly)."""
    return (idle_since_s, agent, epoch)


QUEUE_DISCIPLINES = {"priority-fifo": priority_fifo}
AGENT_SELECTION = {"longest-idle": longest_idle}
