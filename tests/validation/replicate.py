"""Shared helpers for validation against queueing theory: run R replications, compare with the reference.

Tolerance rule (stated once, used everywhere): the replication means of a steady-state estimate are
approximately normal, so |mean − reference| ≤ 4 standard errors (SE = sd / √R over replications) fails
by chance with probability about 6e-5 per assertion, yet catches any modelling error larger than a
few SE. A small `bias` allowance is added only where a named, bounded effect exists (e.g. the finite
horizon), and the test says which.
"""
from __future__ import annotations

import math

import numpy as np

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift
from simulator.distributions import Exponential
from simulator.engine import simulate
from simulator.outcomes import visit_outcomes

ALL_DAYS = tuple(range(7))
SE_MULTIPLIER = 4.0


def single_queue(agents: int, rate_per_min: float, handle, patience=None, days: float = 5.0,
                 warmup_h: float = 6.0) -> ModelConfig:
    """One contact type, one group on shift around the clock: the textbook M/G/n(+G) queue."""
    calls = ContactType("calls", Arrivals(rate_per_s=rate_per_min / 60.0), handle, patience=patience)
    desk = AgentGroup("desk", {"calls": 1}, (Shift(ALL_DAYS, 0.0, 0.0, agents),))
    return ModelConfig((calls,), (desk,), Calendar(horizon_s=days * 86400.0, warmup_s=warmup_h * 3600.0))


def per_replication(model: ModelConfig, replications: int, seed: int, measure) -> np.ndarray:
    """measure(outcomes, log) for each replication → array of shape (replications, ...)."""
    values = []
    for replication in range(replications):
        log = simulate(model, seed, replication)
        values.append(measure(visit_outcomes(log), log))
    return np.asarray(values, dtype=float)


def assert_matches(values: np.ndarray, reference: float, what: str, bias: float = 0.0,
                   scale: float | None = None) -> None:
    """`scale`: the size the power guard is relative to (default: the reference itself)."""
    mean = float(values.mean())
    standard_error = float(values.std(ddof=1) / math.sqrt(len(values)))
    allowed = SE_MULTIPLIER * standard_error + bias
    assert abs(mean - reference) <= allowed, (
        f"{what}: simulated {mean:.6g} vs reference {reference:.6g}; |diff| {abs(mean - reference):.3g} > "
        f"{SE_MULTIPLIER} SE ({standard_error:.3g}) + bias {bias:.3g}")
    # Power guard: a run so short that 4 SE exceeds ~20 % of the reference could not catch a real error.
    assert standard_error < 0.05 * abs(reference if scale is None else scale) + 1e-4, f"{what}: run too short to be a test (SE {standard_error:.3g})"


def queue_measures(result, log) -> tuple[float, float, float]:
    """P(wait > 0), P(abandon), mean wait of all measured contacts (seconds)."""
    measured = result.measured
    wait = result.wait_s[measured]
    return float((wait > 0).mean()), float(result.abandoned[measured].mean()), float(wait.mean())


def exponential_minutes(minutes: float) -> Exponential:
    return Exponential(minutes * 60.0)
