"""Duration distributions (handle time, patience, delays), always sampled with a generator passed in.

Each one knows its mean and cv (so resolved configs and reports can show them) and turns back into
the spec a scenario file uses (`to_spec`). Values are seconds. `from_spec` takes the scenario form:
`{dist: lognormal, mean: 4min, cv: 1.1}`; durations may carry units. Every parameter is a finite
number in a range (limits.py), and every distribution's mean and cv are finite (`check_distribution`),
so neither sampling nor the mean and cv written to config.resolved.yaml can overflow or turn NaN.

The parametric ones also know their density, survival and quantile functions (`logpdf`, `logsf`, `cdf`,
`sf`, `ppf`), for calibration's fits and checks: numpy formulas of the parameters, so one whose
parameters are column arrays evaluates a whole batch of fits at once (one row per fit). scipy.special
is imported inside the methods that need it: a simulation only samples, and should not load it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import units
from .limits import (MAX_CV, MAX_DURATION_S, MAX_ERLANG_K, MAX_FACTOR, MAX_WEIBULL_SHAPE, MIN_CV, MIN_WEIBULL_SHAPE,
                     finite_number, shown)


class Distribution:
    """Base: `sample(rng, size)` returns a float array of seconds."""

    name = ""

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def cv(self) -> float:
        return math.sqrt(max(self.variance, 0.0)) / self.mean if self.mean > 0 else 0.0  # rounding: never < 0

    def to_spec(self) -> dict:
        raise NotImplementedError

    def scaled(self, factor: float) -> "Distribution":
        """The same shape with every value multiplied by `factor` (automation, slower leaks)."""
        return Scaled(self, factor) if factor != 1 else self

    def logpdf(self, x) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} has no density")

    def logsf(self, x) -> np.ndarray:
        """log P(value > x): a family with a formula for it keeps accuracy far into the tail."""
        raise TypeError(f"{type(self).__name__} has no survival function")

    def cdf(self, x) -> np.ndarray:
        """P(value <= x); from `logsf` unless the family has its own formula."""
        return -np.expm1(self.logsf(np.maximum(np.asarray(x, dtype=float), 0)))

    def sf(self, x) -> np.ndarray:
        return np.exp(self.logsf(x))

    def ppf(self, q) -> np.ndarray:
        """The quantile function (inverse cdf)."""
        raise TypeError(f"{type(self).__name__} has no quantile function")

    @property
    def median(self) -> float:
        return float(self.ppf(0.5))


@dataclass(frozen=True)
class Exponential(Distribution):
    mean_s: float
    name = "exponential"

    def sample(self, rng, size):
        return rng.exponential(self.mean_s, size)

    mean = property(lambda self: self.mean_s)
    variance = property(lambda self: self.mean_s ** 2)

    def to_spec(self):
        return {"dist": self.name, "mean": self.mean_s}

    def logpdf(self, x):
        return -np.log(self.mean_s) - np.asarray(x, dtype=float) / self.mean_s

    def logsf(self, x):
        return -np.asarray(x, dtype=float) / self.mean_s

    def ppf(self, q):
        return -np.log1p(-np.asarray(q, dtype=float)) * self.mean_s


@dataclass(frozen=True)
class Lognormal(Distribution):
    mu: float
    sigma: float
    name = "lognormal"

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "Lognormal":
        sigma2 = math.log1p(cv * cv)
        return cls(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    def sample(self, rng, size):
        return rng.lognormal(self.mu, self.sigma, size)

    mean = property(lambda self: math.exp(self.mu + self.sigma ** 2 / 2))
    variance = property(lambda self: math.expm1(self.sigma ** 2) * self.mean ** 2)

    def to_spec(self):
        return {"dist": self.name, "mu": self.mu, "sigma": self.sigma}

    def logpdf(self, x):
        logs = _log(x)
        z = (logs - self.mu) / self.sigma
        return -logs - np.log(self.sigma) - 0.5 * math.log(2 * math.pi) - z * z / 2

    def logsf(self, x):
        from scipy.special import log_ndtr  # here, not at the top: see _gamma
        return log_ndtr((self.mu - _log(x)) / self.sigma)

    def ppf(self, q):
        from scipy.special import ndtri
        return np.exp(self.mu + self.sigma * ndtri(q))


@dataclass(frozen=True)
class Gamma(Distribution):
    shape: float
    scale: float
    name = "gamma"

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "Gamma":
        shape = 1.0 / (cv * cv)
        return cls(shape, mean / shape)

    def sample(self, rng, size):
        return rng.gamma(self.shape, self.scale, size)

    mean = property(lambda self: self.shape * self.scale)
    variance = property(lambda self: self.shape * self.scale ** 2)

    def to_spec(self):
        return {"dist": self.name, "mean": self.mean, "cv": self.cv}

    def logpdf(self, x):
        from scipy.special import gammaln  # here, not at the top: see _gamma
        return ((self.shape - 1) * _log(x) - np.asarray(x, dtype=float) / self.scale - gammaln(self.shape)
                - self.shape * np.log(self.scale))

    def logsf(self, x):
        from scipy.special import gammaincc
        return np.log(np.clip(gammaincc(self.shape, np.maximum(x, 0) / self.scale), 1e-300, 1.0))

    def cdf(self, x):
        from scipy.special import gammainc
        return gammainc(self.shape, np.maximum(x, 0) / self.scale)

    def ppf(self, q):
        from scipy.special import gammaincinv
        return gammaincinv(self.shape, q) * self.scale


@dataclass(frozen=True)
class Erlang(Gamma):
    name = "erlang"

    def to_spec(self):
        return {"dist": self.name, "k": int(self.shape), "mean": self.mean}


def _gamma(x: float) -> float:
    from scipy.special import gamma  # here, not at the top: only a Weibull needs scipy.special (slow to load)
    return gamma(x)


def _log(x) -> np.ndarray:
    """log x as a float array; log 0 is -inf without a warning (a density's formula handles it)."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(x, dtype=float))


def _log_complement(p) -> np.ndarray:
    """log(1 - p), floored: the log survival of a family that has only a cdf formula."""
    return np.log(np.clip(1.0 - p, 1e-300, 1.0))


@dataclass(frozen=True)
class Weibull(Distribution):
    shape: float
    scale: float
    name = "weibull"

    def sample(self, rng, size):
        return self.scale * rng.weibull(self.shape, size)

    mean = property(lambda self: float(self.scale * _gamma(1 + 1 / self.shape)))
    variance = property(lambda self: float(self.scale ** 2 * _gamma(1 + 2 / self.shape) - self.mean ** 2))

    def to_spec(self):
        return {"dist": self.name, "shape": self.shape, "scale": self.scale}

    def logpdf(self, x):
        return (np.log(self.shape / self.scale) + (self.shape - 1) * (_log(x) - np.log(self.scale))
                - (np.asarray(x, dtype=float) / self.scale) ** self.shape)

    def logsf(self, x):
        return -(np.asarray(x, dtype=float) / self.scale) ** self.shape

    def ppf(self, q):
        return (-np.log1p(-np.asarray(q, dtype=float))) ** (1 / self.shape) * self.scale


@dataclass(frozen=True)
class Constant(Distribution):
    value: float
    name = "constant"

    def sample(self, rng, size):
        return np.full(size, self.value)

    mean = property(lambda self: self.value)
    variance = property(lambda self: 0.0)

    def to_spec(self):
        return {"dist": self.name, "value": self.value}


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float
    name = "uniform"

    def sample(self, rng, size):
        return rng.uniform(self.low, self.high, size)

    mean = property(lambda self: (self.low + self.high) / 2)
    variance = property(lambda self: (self.high - self.low) ** 2 / 12)

    def to_spec(self):
        return {"dist": self.name, "low": self.low, "high": self.high}

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where((x >= self.low) & (x <= self.high), -math.log(self.high - self.low), -np.inf)

    def cdf(self, x):
        return np.clip((np.asarray(x, dtype=float) - self.low) / (self.high - self.low), 0.0, 1.0)

    def logsf(self, x):
        return _log_complement(self.cdf(x))

    def ppf(self, q):
        return self.low + np.asarray(q, dtype=float) * (self.high - self.low)


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resamples observed values with replacement (the history's own shape, spikes included)."""

    values: tuple
    name = "empirical"

    def sample(self, rng, size):
        return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), size)]

    mean = property(lambda self: float(np.mean(self.values)))
    variance = property(lambda self: float(np.var(self.values)))

    def to_spec(self):
        return {"dist": self.name, "values": [float(v) for v in self.values]}


@dataclass(frozen=True)
class Mixture(Distribution):
    """A weighted mix, e.g. a spike of very short calls beside the ordinary ones."""

    components: tuple
    weights: tuple
    name = "mixture"

    def sample(self, rng, size):
        weights = np.asarray(self.weights, dtype=float)
        which = rng.choice(len(self.components), size=size, p=weights / weights.sum())  # rounding-proof
        draws = np.empty(size)
        for index, component in enumerate(self.components):
            chosen = which == index
            draws[chosen] = component.sample(rng, int(chosen.sum()))
        return draws

    mean = property(lambda self: sum(w * c.mean for w, c in zip(self.weights, self.components)))

    @property
    def variance(self):
        second = sum(w * (c.variance + c.mean ** 2) for w, c in zip(self.weights, self.components))
        return second - self.mean ** 2

    def to_spec(self):
        return {"dist": self.name, "weights": list(self.weights),
                "components": [c.to_spec() for c in self.components]}

    def logpdf(self, x):
        from scipy.special import logsumexp  # here, not at the top: see _gamma
        logs = [math.log(w) + c.logpdf(x) for c, w in zip(self.components, self.weights) if w > 0]
        return logsumexp(np.vstack(logs), axis=0)

    def cdf(self, x):
        return sum(w * c.cdf(x) for c, w in zip(self.components, self.weights))

    def logsf(self, x):
        return _log_complement(self.cdf(x))

    def ppf(self, q):
        """No closed form: bisection on the cdf between the components' own quantiles, which bracket
        the mixture's (below the smallest every component's cdf is at most q, above the largest at least q)."""
        q = np.asarray(q, dtype=float)
        bounds = np.array([c.ppf(q) for c in self.components])
        low, high = bounds.min(axis=0), bounds.max(axis=0)
        for _ in range(_BISECTIONS):
            middle = (low + high) / 2
            below = self.cdf(middle) < q
            low, high = np.where(below, middle, low), np.where(below, high, middle)
        return (low + high) / 2


_BISECTIONS = 64  # halves any bracket down to the last bits of a double


@dataclass(frozen=True)
class Scaled(Distribution):
    base: Distribution
    factor: float
    name = "scaled"

    def sample(self, rng, size):
        return self.base.sample(rng, size) * self.factor

    mean = property(lambda self: self.base.mean * self.factor)
    variance = property(lambda self: self.base.variance * self.factor ** 2)

    def to_spec(self):
        return {"dist": self.name, "factor": self.factor, "of": self.base.to_spec()}


def describe(dist: Distribution) -> dict:
    """The spec plus its mean and cv, as reported in resolved configs."""
    return {**dist.to_spec(), "reported_mean_s": round(float(dist.mean), 6), "reported_cv": round(float(dist.cv), 6)}


_PARAMETERS = {
    "exponential": {"mean"},
    "lognormal": {"mean", "cv", "mu", "sigma"},
    "gamma": {"mean", "cv"},
    "erlang": {"k", "mean"},
    "weibull": {"shape", "scale"},
    "constant": {"value"},
    "uniform": {"low", "high"},
    "empirical": {"values"},
    "mixture": {"components", "weights"},
    "scaled": {"factor", "of"},
}
REPORTED_KEYS = {"reported_mean_s", "reported_cv"}


def known_parameters(kind: str) -> set[str]:
    """Keys a spec of this kind may hold (besides `dist`)."""
    if kind not in _PARAMETERS:
        raise ValueError(f"unknown distribution {kind!r}; use one of {', '.join(_PARAMETERS)}")
    return _PARAMETERS[kind] | REPORTED_KEYS


def from_spec(spec: dict) -> Distribution:
    """Build a distribution from its scenario form; raises ValueError naming the bad parameter."""
    if not isinstance(spec, dict) or "dist" not in spec:
        raise ValueError("a distribution is a mapping with a `dist` key, e.g. {dist: exponential, mean: 5min}")
    kind = str(spec["dist"]).lower()
    unknown = set(spec) - {"dist"} - known_parameters(kind)
    if unknown:
        raise ValueError(f"{kind} takes {sorted(_PARAMETERS[kind])}, not {sorted(unknown)}")
    return check_distribution(_BUILDERS[kind](spec))


def check_distribution(dist: Distribution) -> Distribution:
    """`dist`, if its mean is at most MAX_DURATION_S and its cv at most MAX_CV (both finite): beyond,
    its draws are meaningless and its mean or variance overflows (a lognormal with sigma 1000)."""
    try:
        with np.errstate(all="ignore"):
            mean, cv = float(dist.mean), float(dist.cv)
    except (OverflowError, ZeroDivisionError, ValueError):
        mean, cv = math.inf, math.inf
    if not 0 <= mean <= MAX_DURATION_S:
        raise ValueError(f"this {dist.name} has a mean of {mean:.4g} s; a mean must be finite and at most "
                         f"{MAX_DURATION_S / 86400:.0f}d (ten years)")
    if not cv <= MAX_CV:
        raise ValueError(f"this {dist.name} has a cv of {cv:.4g}; a cv must be finite and at most {MAX_CV:g}")
    return dist


def _need(spec: dict, key: str):
    if key not in spec:
        raise ValueError(f"{spec['dist']} needs `{key}`")
    return spec[key]


def _positive(value, what: str, low: float = 0.0, high: float = MAX_FACTOR) -> float:
    """A finite number in (0, high] (at least `low` when given)."""
    if not finite_number(value, what) > 0:
        raise ValueError(f"{what} must be a positive number, got {value!r}")
    return finite_number(value, what, low, high)


def _cv(spec) -> float:
    return _positive(_need(spec, "cv"), "cv", MIN_CV, MAX_CV)


def _lognormal(spec):
    if "mu" in spec or "sigma" in spec:
        return Lognormal(finite_number(_need(spec, "mu"), "mu", -100.0, 100.0),
                         _positive(_need(spec, "sigma"), "sigma", high=math.sqrt(math.log1p(MAX_CV ** 2))))
    return Lognormal.from_mean_cv(units.duration(_need(spec, "mean")), _cv(spec))


def _erlang(spec):
    k = _need(spec, "k")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_ERLANG_K:
        raise ValueError(f"erlang k must be a whole number from 1 to {MAX_ERLANG_K:,}, got {shown(k)}")
    return Erlang(float(k), units.duration(_need(spec, "mean")) / k)


def _uniform(spec):
    low = units.duration(_need(spec, "low"), allow_zero=True)
    high = units.duration(_need(spec, "high"))
    if high <= low:
        raise ValueError(f"uniform needs high > low, got low={spec['low']!r}, high={spec['high']!r}")
    return Uniform(low, high)


def _empirical(spec):
    values = _need(spec, "values")
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError("empirical `values` must be a non-empty list of durations")
    return Empirical(tuple(units.duration(v, allow_zero=True) for v in values))


def _mixture(spec):
    components, weights = _need(spec, "components"), _need(spec, "weights")
    if not isinstance(components, (list, tuple)) or not isinstance(weights, (list, tuple)) or not components:
        raise ValueError("mixture needs `components` (a list of distributions) and `weights` (a list of numbers)")
    components = [from_spec(c) for c in components]
    weights = [finite_number(w, "a mixture weight") for w in weights]
    if len(weights) != len(components) or any(w < 0 for w in weights) or abs(sum(weights) - 1) > 1e-6:
        raise ValueError("mixture needs one non-negative weight per component, summing to 1")
    return Mixture(tuple(components), tuple(weights))


_BUILDERS = {
    "exponential": lambda s: Exponential(units.duration(_need(s, "mean"))),
    "lognormal": _lognormal,
    "gamma": lambda s: Gamma.from_mean_cv(units.duration(_need(s, "mean")), _cv(s)),
    "erlang": _erlang,
    "weibull": lambda s: Weibull(_positive(_need(s, "shape"), "shape", MIN_WEIBULL_SHAPE, MAX_WEIBULL_SHAPE),
                                 units.duration(_need(s, "scale"))),
    "constant": lambda s: Constant(units.duration(_need(s, "value"))),
    "uniform": _uniform,
    "empirical": _empirical,
    "mixture": _mixture,
    "scaled": lambda s: Scaled(from_spec(_need(s, "of")), _positive(_need(s, "factor"), "factor")),
}
