"""Densities, survival functions and maximum-likelihood fits of the project's distribution objects.

Shared by handle-time and patience fitting. Our own formulas rather than frozen scipy objects,
because building a scipy distribution costs about 0.3 ms and the bootstrap refits thousands of times.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

from simulator.distributions import Distribution, Exponential, Gamma, Lognormal, Mixture, Uniform, Weibull

FAMILIES = ("exponential", "lognormal", "gamma", "weibull")
PARAMETER_COUNT = {"exponential": 1, "lognormal": 2, "gamma": 2, "weibull": 2}


# ---------------------------------------------------------------- densities of our distribution objects

def as_scipy(dist: Distribution):
    """The frozen scipy.stats twin of a parametric distribution (for pdf, cdf, quantiles)."""
    if isinstance(dist, Exponential):
        return stats.expon(scale=dist.mean_s)
    if isinstance(dist, Lognormal):
        return stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu))
    if isinstance(dist, Gamma):
        return stats.gamma(a=dist.shape, scale=dist.scale)
    if isinstance(dist, Weibull):
        return stats.weibull_min(c=dist.shape, scale=dist.scale)
    raise TypeError(f"no scipy twin for {type(dist).__name__}")


def log_density(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """Log pdf at x, by formula (scipy's frozen objects cost ~0.3 ms each to build: too slow for
    optimisers and bootstraps); a `Mixture` is the weighted sum of its components' densities.
    Parameters may be column arrays: a batch of fits in one evaluation (see batch_newton.py)."""
    x = np.asarray(x, dtype=float)
    if isinstance(dist, Mixture):
        logs = [math.log(w) + log_density(c, x) for c, w in zip(dist.components, dist.weights) if w > 0]
        return special.logsumexp(np.vstack(logs), axis=0)
    if isinstance(dist, Uniform):
        inside = (x >= dist.low) & (x <= dist.high)
        return np.where(inside, -math.log(dist.high - dist.low), -np.inf)
    with np.errstate(divide="ignore"):
        logs = np.log(x)
    if isinstance(dist, Exponential):
        return -np.log(dist.mean_s) - x / dist.mean_s
    if isinstance(dist, Lognormal):
        z = (logs - dist.mu) / dist.sigma
        return -logs - np.log(dist.sigma) - 0.5 * math.log(2 * math.pi) - z * z / 2
    if isinstance(dist, Weibull):
        return (np.log(dist.shape / dist.scale) + (dist.shape - 1) * (logs - np.log(dist.scale))
                - (x / dist.scale) ** dist.shape)
    if isinstance(dist, Gamma):
        return ((dist.shape - 1) * logs - x / dist.scale - special.gammaln(dist.shape)
                - dist.shape * np.log(dist.scale))
    raise TypeError(f"no density for {type(dist).__name__}")


def log_survival(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """log P(value > x), accurate far into the tail (censored likelihoods and Anderson-Darling need it)."""
    x = np.asarray(x, dtype=float)
    if isinstance(dist, Exponential):
        return -x / dist.mean_s
    if isinstance(dist, Weibull):
        return -(x / dist.scale) ** dist.shape
    if isinstance(dist, Lognormal):
        with np.errstate(divide="ignore"):
            return special.log_ndtr((dist.mu - np.log(x)) / dist.sigma)
    if isinstance(dist, Gamma):
        return np.log(np.clip(special.gammaincc(dist.shape, np.maximum(x, 0) / dist.scale), 1e-300, 1.0))
    return np.log(np.clip(1.0 - cumulative(dist, x), 1e-300, 1.0))


def cumulative(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """P(value <= x)."""
    x = np.asarray(x, dtype=float)
    if isinstance(dist, Mixture):
        return sum(w * cumulative(c, x) for c, w in zip(dist.components, dist.weights))
    if isinstance(dist, Gamma):
        return special.gammainc(dist.shape, np.maximum(x, 0) / dist.scale)
    if isinstance(dist, Uniform):
        return np.clip((x - dist.low) / (dist.high - dist.low), 0.0, 1.0)
    return -np.expm1(log_survival(dist, np.maximum(x, 0)))


def quantiles(dist: Distribution, probabilities: np.ndarray, upper: float) -> np.ndarray:
    """Inverse cdf; a mixture has none in closed form, so interpolate its cdf on a fine log grid."""
    if not isinstance(dist, Mixture):
        return as_scipy(dist).ppf(probabilities)
    grid = np.geomspace(1e-3, max(upper, 1.0) * 20, 20000)
    return np.interp(probabilities, cumulative(dist, grid), grid)


# ---------------------------------------------------------------- maximum likelihood per family

def fit_family(family: str, values: np.ndarray) -> Distribution:
    """Maximum-likelihood fit of one family (no location shift) to positive values."""
    logs = np.log(values)
    if family == "exponential":
        return Exponential(float(values.mean()))
    if family == "lognormal":
        return Lognormal(float(logs.mean()), float(max(logs.std(), 1e-9)))
    if family == "gamma":
        return _fit_gamma(values, logs)
    if family == "weibull":
        return _fit_weibull(values, logs)
    raise ValueError(f"unknown family {family!r}; use one of {', '.join(FAMILIES)}")


def _fit_gamma(values: np.ndarray, logs: np.ndarray) -> Gamma:
    """Newton on log(k) - digamma(k) = log(mean) - mean(log): the gamma shape's likelihood equation."""
    gap = max(math.log(values.mean()) - logs.mean(), 1e-12)
    shape = (3 - gap + math.sqrt((gap - 3) ** 2 + 24 * gap)) / (12 * gap)  # Minka's starting point
    for _ in range(50):
        step = (math.log(shape) - special.digamma(shape) - gap) / (1 / shape - special.polygamma(1, shape))
        shape = max(shape - step, shape / 10)
        if abs(step) < 1e-10 * shape:
            break
    return Gamma(float(shape), float(values.mean() / shape))


def _fit_weibull(values: np.ndarray, logs: np.ndarray) -> Weibull:
    """Root of the Weibull shape's profile-likelihood equation (values scaled by their maximum: no overflow)."""
    scaled_logs = logs - logs.max()

    def equation(shape):
        weights = np.exp(shape * scaled_logs)
        return (weights @ logs) / weights.sum() - 1 / shape - logs.mean()

    shape = optimize.brentq(equation, 1e-3, 200.0, xtol=1e-12)
    scale = math.exp(logs.max()) * float(np.mean(np.exp(shape * scaled_logs))) ** (1 / shape)
    return Weibull(float(shape), scale)


def family_vector(dist: Distribution) -> np.ndarray:
    """Parameters on an unconstrained scale (logs of positive ones), for numerical optimisers."""
    if isinstance(dist, Exponential):
        return np.array([math.log(dist.mean_s)])
    if isinstance(dist, Lognormal):
        return np.array([dist.mu, math.log(dist.sigma)])
    return np.array([math.log(dist.shape), math.log(dist.scale)])  # gamma, weibull


def batch_of(family: str, vectors: np.ndarray) -> Distribution:
    """`build_family` for a batch: one object whose parameters are columns, row r is
    `build_family(family, vectors[r])`; the density formulas above evaluate every row at once."""
    columns = [vectors[:, i:i + 1] for i in range(vectors.shape[1])]
    if family == "lognormal":
        return Lognormal(columns[0], np.exp(columns[1]))
    kind = {"exponential": Exponential, "gamma": Gamma, "weibull": Weibull}[family]
    return kind(*(np.exp(column) for column in columns))


def build_family(family: str, vector: np.ndarray) -> Distribution:
    """Inverse of `family_vector`."""
    if family == "exponential":
        return Exponential(math.exp(vector[0]))
    if family == "lognormal":
        return Lognormal(float(vector[0]), math.exp(vector[1]))
    kind = {"gamma": Gamma, "weibull": Weibull}[family]
    return kind(math.exp(vector[0]), math.exp(vector[1]))


def parameters(dist: Distribution) -> dict:
    """A readable parameter dict for tables (mixtures name their short share and body)."""
    if isinstance(dist, Mixture):
        short, body = dist.components
        return {"short_share": dist.weights[0], "short_below_s": short.high,
                "body": body.name, **parameters(body)}
    names = {"exponential": ["mean_s"], "lognormal": ["mu", "sigma"]}.get(dist.name, ["shape", "scale"])
    return {name: float(getattr(dist, name)) for name in names}


def parameter_count(dist: Distribution) -> int:
    if isinstance(dist, Mixture):
        return 1 + PARAMETER_COUNT[dist.components[1].name]
    return PARAMETER_COUNT[dist.name]
