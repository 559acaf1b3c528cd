"""Exact queueing formulas a planner checks a simulation against (Erlang B, C, A, priority, M/G/1).

These are the textbook yardsticks: when a scenario matches their assumptions (Poisson arrivals,
exponential handle times and patience, one skill) the simulator must reproduce them, and they give
a fast first staffing guess. Rates and times may use any consistent unit: arrival rate per second
with handle time in seconds (as the engine does), or per minute with minutes. Results come back in
that same time unit. Every function is pure and raises `ValueError` naming the offending argument.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln

# Queue states whose probability is below exp(-LOG_TAIL_CUTOFF) times the most likely state are
# dropped (about 4e-18, comfortably under double-precision noise of the kept mass).
LOG_TAIL_CUTOFF = 40.0
# Beyond this many waiting contacts the chain is too long to hold in memory sensibly.
MAX_QUEUE_STATES = 2_000_000


@dataclass(frozen=True)
class ErlangCMetrics:
    """M/M/n without abandonment: what share waits, the average speed of answer and service level."""

    p_wait: float
    asa: float
    service_level: float
    occupancy: float


@dataclass(frozen=True)
class ErlangAMetrics:
    """M/M/n+M: callers hang up after an exponential patience, so the queue is always stable.

    `occupancy` is carried load (answered contacts only) per agent; `service_level` is the share of
    all arrivals answered within the threshold (abandoned ones count as misses), None without one.
    """

    p_wait: float
    p_abandon: float
    mean_wait_all: float
    mean_wait_answered: float
    service_level: float | None
    occupancy: float


# ----------------------------------------------------------------------------------------------
# input checks


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def _positive(name: str, value, *, allow_inf: bool = False) -> float:
    value = _number(name, value)
    if value <= 0 or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


def _non_negative(name: str, value) -> float:
    value = _number(name, value)
    if value < 0 or math.isinf(value):
        raise ValueError(f"{name} must be zero or positive and finite, got {value!r}")
    return value


def _agent_count(name: str, value, minimum: int) -> int:
    number = _number(name, value)
    if not float(number).is_integer() or number < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(number)


# ----------------------------------------------------------------------------------------------
# Erlang B and C


def erlang_b(agents: int, offered_load: float) -> float:
    """Blocking probability with `agents` lines and `offered_load` erlangs (no queue at all).

    Uses the recursion B(k) = a B(k-1) / (k + a B(k-1)), which never overflows, so it is safe for
    thousands of agents and non-integer loads.
    """
    agents = _agent_count("agents", agents, 0)
    load = _non_negative("offered_load", offered_load)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(agents: int, offered_load: float) -> float:
    """Probability that a contact has to wait in M/M/n; 1.0 once load reaches the agent count."""
    agents = _agent_count("agents", agents, 1)
    load = _non_negative("offered_load", offered_load)
    if load >= agents:
        return 1.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1.0 - blocking))


def erlang_c_metrics(arrival_rate: float, mean_handle: float, agents: int,
                     threshold: float) -> ErlangCMetrics:
    """P(wait), ASA over all contacts, P(wait <= threshold) and occupancy for M/M/n.

    Without abandonment the queue only settles when load < agents, so anything else is rejected
    rather than answered with infinite waits.
    """
    arrival_rate = _non_negative("arrival_rate", arrival_rate)
    mean_handle = _positive("mean_handle", mean_handle)
    agents = _agent_count("agents", agents, 1)
    threshold = _non_negative("threshold", threshold)
    load = arrival_rate * mean_handle
    if load >= agents:
        raise ValueError(f"unstable queue: offered load {load:.4g} erlangs needs more than "
                         f"{agents} agents when nobody abandons")
    p_wait = erlang_c(agents, load)
    drain_rate = agents / mean_handle - arrival_rate  # how fast the queue empties when busy
    return ErlangCMetrics(p_wait=p_wait,
                          asa=p_wait / drain_rate,
                          service_level=1.0 - p_wait * math.exp(-drain_rate * threshold),
                          occupancy=load / agents)


def agents_for_service_level(arrival_rate: float, mean_handle: float, threshold: float,
                             target: float) -> int:
    """Fewest agents whose Erlang C service level reaches `target` (e.g. 0.8 for 80/20)."""
    arrival_rate = _non_negative("arrival_rate", arrival_rate)
    mean_handle = _positive("mean_handle", mean_handle)
    threshold = _non_negative("threshold", threshold)
    target = _number("target", target)
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be a service level strictly between 0 and 1, got {target!r}")
    agents = max(1, math.floor(arrival_rate * mean_handle) + 1)
    while erlang_c_metrics(arrival_rate, mean_handle, agents, threshold).service_level < target:
        agents += 1
    return agents


# ----------------------------------------------------------------------------------------------
# Erlang A (M/M/n+M)


def _waiting_log_weights(log_start: float, arrival_rate: float, all_busy_rate: float,
                         abandon_rate: float, log_reference: float) -> np.ndarray:
    """Unnormalised log probabilities of n, n+1, ... in system, cut where they become negligible.

    The terms rise while arrivals outpace departures (n mu + j theta) and then fall ever faster,
    so we grow the window until its last term is LOG_TAIL_CUTOFF below the largest one seen.
    """
    peak = max(0, math.ceil((arrival_rate - all_busy_rate) / abandon_rate))
    if peak > MAX_QUEUE_STATES:
        raise ValueError(f"queue would hold ~{peak} waiting contacts; mean_patience is too long "
                         "for this overload to analyse")
    size = peak + 64
    while True:
        waiting = np.arange(1, size + 1, dtype=float)
        steps = math.log(arrival_rate) - np.log(all_busy_rate + waiting * abandon_rate)
        logs = np.concatenate(([log_start], log_start + np.cumsum(steps)))
        floor = max(log_reference, logs.max()) - LOG_TAIL_CUTOFF
        if logs[-1] < floor:
            beyond = np.nonzero(logs[peak:] < floor)[0]
            return logs[: peak + beyond[0] + 1]
        size *= 2


def _state_probabilities(arrival_rate: float, mean_handle: float, abandon_rate: float,
                         agents: int) -> tuple[float, np.ndarray]:
    """P(fewer than n in system) and P(n + j in system) for j = 0, 1, ... (birth-death chain).

    Worked in log space because a^k / k! overflows long before n reaches a few hundred.
    """
    load = arrival_rate * mean_handle
    busy = np.arange(agents + 1, dtype=float)
    log_low = busy * math.log(load) - gammaln(busy + 1.0)
    log_high = _waiting_log_weights(log_low[-1], arrival_rate, agents / mean_handle,
                                    abandon_rate, log_low.max())
    shift = max(log_low.max(), log_high.max())
    low, high = np.exp(log_low[:-1] - shift), np.exp(log_high - shift)
    total = low.sum() + high.sum()
    return float(low.sum() / total), high / total


def _phase_passage_cdfs(phase_rates: np.ndarray, threshold: float) -> np.ndarray:
    """P(Exp(r_0) + ... + Exp(r_j) <= threshold) for every j, from one pure-birth chain.

    A waiting contact with j ahead passes j + 1 exponential phases before reaching an agent; the
    chain that walks phase 0, 1, 2, ... gives all those hypoexponential CDFs in a single sparse
    matrix exponential (expm_multiply), which stays exact where closed forms cancel badly.
    """
    size = len(phase_rates) + 1
    generator = sparse.diags([np.append(-phase_rates, 0.0), phase_rates], [0, 1],
                             shape=(size, size), format="csr")
    start = np.zeros(size)
    start[0] = 1.0
    occupancy = np.clip(expm_multiply(generator.T * threshold, start), 0.0, None)
    passed = np.cumsum(occupancy[::-1])[::-1]  # passed[j] = P(at phase >= j)
    return np.clip(passed[1:], 0.0, 1.0)


def _erlang_a_without_abandonment(arrival_rate, mean_handle, agents, threshold) -> ErlangAMetrics:
    """Infinite patience: Erlang A is Erlang C (and needs a stable queue)."""
    metrics = erlang_c_metrics(arrival_rate, mean_handle, agents, threshold or 0.0)
    return ErlangAMetrics(p_wait=metrics.p_wait, p_abandon=0.0, mean_wait_all=metrics.asa,
                          mean_wait_answered=metrics.asa,
                          service_level=None if threshold is None else metrics.service_level,
                          occupancy=metrics.occupancy)


def erlang_a_metrics(arrival_rate: float, mean_handle: float, mean_patience: float, agents: int,
                     threshold: float | None = None) -> ErlangAMetrics:
    """Waiting, abandonment and service level for M/M/n+M (Palm's Erlang A).

    Arrivals see the stationary state (PASTA). A contact finding j waiting ahead moves up as the
    queue ahead drains at rate n mu + k theta and hangs up itself at rate theta, so with
    r_k = n mu + (k + 1) theta it is answered with probability n mu / r_j after j + 1 exponential
    phases of rates r_j, ..., r_0. Abandonment comes from that per-caller view while the mean wait
    of all arrivals comes from Little's law on the queue length, so the two are independent
    routes to the identity p_abandon = theta * mean_wait_all.
    """
    arrival_rate = _non_negative("arrival_rate", arrival_rate)
    mean_handle = _positive("mean_handle", mean_handle)
    mean_patience = _positive("mean_patience", mean_patience, allow_inf=True)
    agents = _agent_count("agents", agents, 1)
    if threshold is not None:
        threshold = _non_negative("threshold", threshold)
    if math.isinf(mean_patience):
        return _erlang_a_without_abandonment(arrival_rate, mean_handle, agents, threshold)
    if arrival_rate == 0.0:
        return ErlangAMetrics(0.0, 0.0, 0.0, 0.0, None if threshold is None else 1.0, 0.0)
    theta, all_busy_rate = 1.0 / mean_patience, agents / mean_handle
    p_free, waiting = _state_probabilities(arrival_rate, mean_handle, theta, agents)
    ahead = np.arange(len(waiting), dtype=float)
    phase_rates = all_busy_rate + (ahead + 1.0) * theta
    p_answer = all_busy_rate / phase_rates  # per number found waiting ahead
    p_abandon = float(np.dot(waiting, 1.0 - p_answer))
    answered_wait = float(np.dot(waiting * p_answer, np.cumsum(1.0 / phase_rates)))
    service_level = None
    if threshold is not None:
        reached = _phase_passage_cdfs(phase_rates, threshold)
        service_level = p_free + float(np.dot(waiting * p_answer, reached))
    return ErlangAMetrics(p_wait=float(waiting.sum()),
                          p_abandon=p_abandon,
                          mean_wait_all=float(np.dot(waiting, ahead)) / arrival_rate,
                          mean_wait_answered=answered_wait / (1.0 - p_abandon),
                          service_level=service_level,
                          occupancy=arrival_rate * (1.0 - p_abandon) * mean_handle / agents)


# ----------------------------------------------------------------------------------------------
# priority queue and single server


def priority_waits(arrival_rates, mean_handle: float, agents: int) -> list[float]:
    """Mean wait per class, highest priority first, for non-preemptive priority M/M/n (Cobham).

    All classes share one handle-time distribution; a class only waits behind work of its own or
    higher priority, which is why low-priority waits blow up as the total load nears capacity.
    """
    rates = [_non_negative(f"arrival_rates[{i}]", rate) for i, rate in enumerate(arrival_rates)]
    if not rates:
        raise ValueError("arrival_rates must list at least one class")
    mean_handle = _positive("mean_handle", mean_handle)
    agents = _agent_count("agents", agents, 1)
    capacity = agents / mean_handle
    load = sum(rates) * mean_handle
    if load >= agents:
        raise ValueError(f"unstable queue: offered load {load:.4g} erlangs needs more than "
                         f"{agents} agents")
    base_wait = erlang_c(agents, load) / capacity  # wait for the next free agent, all arrivals
    waits, ahead_share = [], 0.0
    for rate in rates:
        share = ahead_share + rate / capacity
        waits.append(base_wait / ((1.0 - ahead_share) * (1.0 - share)))
        ahead_share = share
    return waits


def mg1_mean_wait(arrival_rate: float, mean_service: float, cv_service: float) -> float:
    """Pollaczek-Khinchine mean queue wait for one agent with any handle-time distribution.

    Shows how handle-time variability alone (cv) inflates waits at the same utilisation.
    """
    arrival_rate = _non_negative("arrival_rate", arrival_rate)
    mean_service = _positive("mean_service", mean_service)
    cv_service = _non_negative("cv_service", cv_service)
    utilisation = arrival_rate * mean_service
    if utilisation >= 1.0:
        raise ValueError(f"unstable queue: utilisation {utilisation:.4g} must be below 1")
    return utilisation * mean_service * (1.0 + cv_service**2) / (2.0 * (1.0 - utilisation))
