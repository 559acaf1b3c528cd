"""The fewest agents that meet a service-level target (and an abandonment cap), by Erlang C or A.

This is the stationary answer a planner checks first, and the step that turns an offered load into
agents inside the simulated staffing algorithm. Service level rises and abandonment falls with
every added agent in both models, so the first count that meets every target is the answer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .erlang import ErlangAMetrics, erlang_a_metrics

# Beyond the load plus this many square roots of it (plus a floor) no real target is still unmet.
SEARCH_HEADROOM_SQRTS = 40.0
SEARCH_HEADROOM_AGENTS = 200


@dataclass(frozen=True)
class StaffingTarget:
    """Share answered within `threshold` seconds, and optionally a cap on the abandonment rate."""

    service_level: float
    threshold: float
    max_abandon: float | None = None

    def __post_init__(self):
        if not 0.0 < self.service_level < 1.0 or math.isnan(self.service_level):
            raise ValueError(f"a service-level target lies strictly between 0 and 1, got {self.service_level!r}")
        if not 0.0 <= self.threshold < math.inf:
            raise ValueError(f"the service-level threshold must be zero or positive, got {self.threshold!r}")
        if self.max_abandon is not None and not 0.0 < self.max_abandon < 1.0:
            raise ValueError(f"an abandonment cap lies strictly between 0 and 1, got {self.max_abandon!r}")

    def met_by(self, metrics: ErlangAMetrics) -> bool:
        abandon_ok = self.max_abandon is None or metrics.p_abandon <= self.max_abandon
        return metrics.service_level >= self.service_level and abandon_ok


def metrics_at(offered_load: float, mean_handle: float, agents: int, threshold: float,
               mean_patience: float = math.inf) -> ErlangAMetrics:
    """Erlang A (or C with infinite patience) KPIs for `agents` at `offered_load` erlangs."""
    return erlang_a_metrics(offered_load / mean_handle, mean_handle, mean_patience, agents, threshold)


def fewest_agents(offered_load: float, mean_handle: float, target: StaffingTarget,
                  mean_patience: float = math.inf) -> int:
    """The smallest agent count whose Erlang C/A service level (and abandonment) meets `target`.

    Zero load needs zero agents. Without abandonment the queue only settles above the load, so that
    is the fewest possible; with it, one agent. Meeting the target is monotone in the agent count,
    so the answer is found by doubling up from the load and then bisecting.
    """
    if not offered_load >= 0.0 or math.isinf(offered_load):
        raise ValueError(f"offered load must be zero or positive and finite, got {offered_load!r}")
    if offered_load == 0.0:
        return 0
    met = lambda n: target.met_by(metrics_at(offered_load, mean_handle, n, target.threshold, mean_patience))  # noqa: E731
    fewest = math.floor(offered_load) + 1 if math.isinf(mean_patience) else 1
    limit = offered_load + SEARCH_HEADROOM_SQRTS * math.sqrt(offered_load) + SEARCH_HEADROOM_AGENTS
    low, high = fewest - 1, max(fewest, math.ceil(offered_load))  # `low` fails (or is impossible)
    while not met(high):
        low, high = high, high + max(1, high - fewest + 1)
        if low > limit:
            raise ValueError(f"no staffing up to {int(limit)} agents meets the target at {offered_load:.4g} erlangs")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if met(middle) else (middle, high)
    return high
