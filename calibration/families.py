"""The parametric families calibration fits: one entry per family with what fitting it takes.

Sampling and densities live on the distribution classes (simulator/distributions.py); what only
fitting needs lives here, one `Family` each: its maximum-likelihood fit to complete data, its
parameters on the unconstrained scale optimisers search (logs of the positive ones), a general
starting point. The simulator so stays free of optimisers, and no fitting code branches on the
family's name (lifelines' fitters have this shape: one object per family with its parameter names,
transforms and starting values).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import optimize, stats

from simulator.distributions import Distribution, Exponential, Gamma, Lognormal, Mixture, Weibull


@dataclass(frozen=True)
class Family:
    """How calibration fits one family; `kind` is its distribution class, `parameters` its fields in order."""

    name: str
    kind: type
    parameters: tuple[str, ...]
    positive: tuple[bool, ...]  # searched on the log scale
    fit: Callable[[np.ndarray], Distribution]  # maximum likelihood on complete positive values
    start: Callable[[float], Distribution]  # a member of the family with this mean

    @property
    def size(self) -> int:
        return len(self.parameters)

    def vector(self, dist: Distribution) -> np.ndarray:
        """Parameters on the unconstrained scale."""
        values = (getattr(dist, name) for name in self.parameters)
        return np.array([math.log(v) if positive else v for v, positive in zip(values, self.positive)])

    def build(self, vector: np.ndarray) -> Distribution:
        """Inverse of `vector`."""
        return self.kind(*(math.exp(v) if positive else float(v) for v, positive in zip(vector, self.positive)))

    def batch(self, vectors: np.ndarray) -> Distribution:
        """`build` for many vectors (rows) at once: one object whose parameters are columns, so its
        density methods evaluate every row's distribution in one call (see batch_newton.py)."""
        columns = (vectors[:, i:i + 1] for i in range(vectors.shape[1]))
        return self.kind(*(np.exp(c) if positive else c for c, positive in zip(columns, self.positive)))

    def readable(self, dist: Distribution) -> dict:
        return {name: float(getattr(dist, name)) for name in self.parameters}


# Exponential and lognormal: closed forms (scipy's `expon.fit` and `lognorm.fit(floc=0)` give the
# same numbers; the formula reads plainer than the call).
def _fit_exponential(values: np.ndarray) -> Exponential:
    return Exponential(float(values.mean()))


def _fit_lognormal(values: np.ndarray) -> Lognormal:
    logs = np.log(values)
    return Lognormal(float(logs.mean()), float(max(logs.std(), 1e-9)))


def _fit_gamma(values: np.ndarray) -> Gamma:
    """scipy's: a root of the shape's likelihood equation, log(k) - digamma(k) = log(mean) - mean(log)."""
    shape, _, scale = stats.gamma.fit(values, floc=0)
    return Gamma(float(shape), float(scale))


def _fit_weibull(values: np.ndarray) -> Weibull:
    """Root of the Weibull shape's profile-likelihood equation (values scaled by their maximum: no overflow).

    Ours, not scipy's `weibull_min.fit(floc=0)`: that agrees within 1e-6 but takes 10-20 times as long
    (the handle-time bootstrap refits hundreds of samples) and stops at a slightly lower likelihood.
    """
    logs = np.log(values)
    scaled_logs = logs - logs.max()

    def equation(shape):
        weights = np.exp(shape * scaled_logs)
        return (weights @ logs) / weights.sum() - 1 / shape - logs.mean()

    shape = optimize.brentq(equation, 1e-3, 200.0, xtol=1e-12)
    scale = math.exp(logs.max()) * float(np.mean(np.exp(shape * scaled_logs))) ** (1 / shape)
    return Weibull(float(shape), scale)


FAMILIES = {family.name: family for family in (
    Family("exponential", Exponential, ("mean_s",), (True,), _fit_exponential, Exponential),
    Family("lognormal", Lognormal, ("mu", "sigma"), (False, True), _fit_lognormal,
           lambda mean: Lognormal(math.log(mean) - 0.5, 1.0)),  # sigma 1
    Family("gamma", Gamma, ("shape", "scale"), (True, True), _fit_gamma, lambda mean: Gamma(1.0, mean)),
    Family("weibull", Weibull, ("shape", "scale"), (True, True), _fit_weibull, lambda mean: Weibull(1.0, mean)),
)}


def get_family(name: str) -> Family:
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; use one of {', '.join(FAMILIES)}")
    return FAMILIES[name]


# ---------------------------------------------------------------- a fitted candidate's parameters

def parameters(dist: Distribution) -> dict:
    """A readable parameter dict for tables (the short-call mixture names its spike's share and its body)."""
    if isinstance(dist, Mixture):
        short, body = dist.components
        return {"short_share": dist.weights[0], "short_below_s": short.high, "body": body.name, **parameters(body)}
    return FAMILIES[dist.name].readable(dist)


def parameter_count(dist: Distribution) -> int:
    """Free parameters, for AIC: the short-call mixture's are its spike's weight and its body's."""
    if isinstance(dist, Mixture):
        return 1 + parameter_count(dist.components[1])
    return FAMILIES[dist.name].size
