"""Bootstrap intervals of the fitted mean patience, every resample refitted at once.

A resample of whole calls is a count per distinct (wait, outcome) pair, so all resamples share the
pairs and differ only in their counts: one evaluation of the censored likelihood terms with a column
of parameters (one row per resample) gives every resample's likelihood, and `batch_newton` finds
every resample's maximum from the full sample's fit. A resample Newton cannot settle is refitted
alone by Nelder-Mead, as the full sample is. Ours: scipy fits one sample at a time (0.05-0.3 s
each on the bank week, times 1,000 resamples per family and contact type).
"""
from __future__ import annotations

import math

import numpy as np

from calibration.batch_newton import newton, weighted_rows
from calibration.censored import DistinctCalls, censored_terms
from calibration.families import get_family
from simulator.distributions import Distribution


def bootstrap_mean_intervals(fitted: dict, calls: DistinctCalls, rng: np.random.Generator, resamples: int,
                             resolution_s: float, refit) -> dict:
    """{family: (2.5 %, 97.5 %) percentiles of its refitted mean} over `resamples` resamples of whole
    calls; every family is refitted on the same resamples. `refit(family, times, observed,
    resolution_s, weights, start=...)` is the one-at-a-time fit for resamples Newton cannot settle."""
    nothing = {family: (math.nan, math.nan) for family in fitted}
    if not resamples:
        return nothing
    counts = calls.resample_counts(rng, resamples)
    counts = counts[counts[:, calls.observed].sum(axis=1) > 0]  # no abandonment drawn: no patience estimate
    if not len(counts):
        return nothing
    return {family: _percentiles(refit_means(family, dist, calls, counts, resolution_s, refit))
            for family, dist in fitted.items()}


def _percentiles(means: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def refit_means(family: str, start: Distribution, calls: DistinctCalls, counts: np.ndarray, resolution_s: float,
                refit) -> np.ndarray:
    """The fitted mean of each resample (rows of `counts`), starting from the full sample's fit."""
    if family == "exponential":  # closed form: total waiting / abandonments
        return (counts @ calls.times) / counts[:, calls.observed].sum(axis=1)
    objective = _objective(family, calls, counts, resolution_s)
    theta, converged = newton(objective, np.tile(get_family(family).vector(start), (len(counts), 1)))
    means = np.array([get_family(family).build(row).mean for row in theta])
    for row in np.flatnonzero(~converged):
        drawn = counts[row] > 0
        means[row] = refit(family, calls.times[drawn], calls.observed[drawn], resolution_s, counts[row, drawn],
                           start=start).mean
    return means


def _objective(family: str, calls: DistinctCalls, counts: np.ndarray, resolution_s: float):
    """objective(theta, rows): minus the log-likelihood of resamples `rows` at their own parameters."""
    answered_counts, abandoned_counts = counts[:, ~calls.observed], counts[:, calls.observed]
    batch = get_family(family).batch

    def objective(theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # a trial step far out may overflow: it is then simply not better
            answered, abandoned = censored_terms(batch(theta), calls.times, calls.observed, resolution_s)
            value = -(weighted_rows(answered_counts[rows], answered) + weighted_rows(abandoned_counts[rows], abandoned))
        return np.where(np.isfinite(value), value, np.inf)
    return objective
