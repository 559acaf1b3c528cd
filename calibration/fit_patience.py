"""Customer patience from queue waits: how long callers are willing to wait before hanging up.

Patience is never seen directly for answered calls: an abandoned call shows its patience exactly (its
wait), an answered one only that patience exceeded its wait (right-censored). Treating either group
alone as the patience sample is badly biased, so every estimate here uses both: Kaplan-Meier for the
model-free survival curve, censored maximum likelihood (density terms for abandoned calls, survival
terms for answered ones) for exponential, Weibull and lognormal patience, ranked by AIC.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from calibration.censored import DistinctCalls, censored_loglik
from calibration.families import get_family, parameter_count, parameters
from calibration.fit_durations import format_params, new_axes
from calibration.patience_bootstrap import bootstrap_mean_intervals
from simulator.distributions import Distribution, Exponential

PATIENCE_FAMILIES = ("exponential", "weibull", "lognormal")
SHARE_IGNORED = 0.01  # a fitted mean is called extrapolated when this much patience lies beyond the data


# ---------------------------------------------------------------- Kaplan-Meier

TWO_STANDARD_ERRORS = math.erf(2 / math.sqrt(2))  # the confidence level of a ±2 SE band


def kaplan_meier(times, observed) -> pd.DataFrame:
    """Product-limit survival estimate (scipy's `ecdf`), one row per distinct time, with Greenwood's
    ±2 SE band clipped to [0, 1] (`low`, `high`).

    `observed` is True where the time is an event (an abandonment), False where censored (answered).
    Censored calls at a time are still at risk at that time (they waited at least that long).
    """
    times = np.asarray(times, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    curve = stats.ecdf(stats.CensoredData(uncensored=times[observed], right=times[~observed])).sf
    with warnings.catch_warnings():  # Greenwood's variance is 0 x inf where the curve reaches 0: the band is 0 there
        warnings.simplefilter("ignore", RuntimeWarning)
        band = curve.confidence_interval(TWO_STANDARD_ERRORS, method="linear")
    survival = curve.probabilities
    return pd.DataFrame({"time": curve.quantiles, "survival": survival,
                         "low": _where_nan(band.low.probabilities, survival),
                         "high": _where_nan(band.high.probabilities, survival)})


def _where_nan(values: np.ndarray, instead: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), instead, values)


def km_restricted_mean(km: pd.DataFrame) -> float:
    """Area under the KM curve up to the largest observed time (a lower bound on the mean patience
    whenever the curve has not reached zero: nothing is known beyond the longest wait).
    Ours: scipy's `ecdf` gives the curve but no restricted mean."""
    steps = np.concatenate([[0.0], km["time"].to_numpy()])
    levels = np.concatenate([[1.0], km["survival"].to_numpy()[:-1]])
    return float(np.sum(levels * np.diff(steps)))


# ---------------------------------------------------------------- censored maximum likelihood

def fit_censored(family: str, times: np.ndarray, observed: np.ndarray, resolution_s: float = 0.0,
                 weights: np.ndarray | None = None, start: Distribution | None = None) -> Distribution:
    """Censored MLE: closed form for exponential (abandonments / total waiting), else Nelder-Mead.

    `start`: a fit to begin from (a bootstrap resample starts from the full sample's fit, which is
    close to its own optimum); without it, the better of two general starting points.

    Ours, not scipy's `<family>.fit(CensoredData(right=..., interval=...))`: on the bank week that
    finds the same maxima (means within 1e-6, log-likelihoods within 1e-11) but takes 2-8 times as
    long (it has no weights for calls sharing a wait), and the batched bootstrap needs this
    likelihood anyway. The exponential's closed form is exact for exactly recorded waits; with waits
    interval-censored to `resolution_s` the maximum lies a hair off it (up to 2.4e-5 relative on the
    bank week, where the mean's standard error is 4 % or more): kept, as the batched bootstrap uses
    the same closed form.
    """
    weights = np.ones(len(times)) if weights is None else weights
    events = float(weights[observed].sum())
    if events == 0:
        raise ValueError("no abandoned calls: patience cannot be estimated (only a lower bound)")
    exponential = Exponential(float(weights @ times / events))
    if family == "exponential":
        return exponential
    spec = get_family(family)
    objective = _negloglik(spec, times, observed, resolution_s, weights)
    if start is not None:
        return spec.build(_minimise(objective, spec.vector(start)).x)
    # two starts, keep the better: the fit ignoring censoring (too short-tailed when most calls are
    # answered) and a shape-1 / sigma-1 member with the exponential fit's mean
    every_call = np.repeat(np.maximum(times, resolution_s or 1e-9), weights.astype(int))
    starts = (spec.vector(spec.fit(every_call)), spec.vector(spec.start(exponential.mean_s)))
    candidates = [_minimise(objective, x0) for x0 in starts]
    return spec.build(min(candidates, key=lambda r: r.fun).x)


def _minimise(objective, x0):
    return optimize.minimize(objective, x0, method="Nelder-Mead",
                             options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 4000})


def _negloglik(spec, times, observed, resolution_s=0.0, weights=None):
    def negative(vector):
        with np.errstate(over="ignore", invalid="ignore"):  # a trial point far out: simply not better
            value = -censored_loglik(spec.build(vector), times, observed, resolution_s, weights)
        return value if np.isfinite(value) else 1e300
    return negative


def mean_standard_error(family: str, dist: Distribution, times, observed, resolution_s: float = 0.0,
                        weights: np.ndarray | None = None) -> float:
    """Delta-method SE of the fitted mean patience from the observed information (numeric Hessian)."""
    spec = get_family(family)
    vector = spec.vector(dist)
    hessian = _numeric_hessian(_negloglik(spec, times, observed, resolution_s, weights), vector)
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return float("nan")
    gradient = _numeric_gradient(lambda v: spec.build(v).mean, vector)
    variance = float(gradient @ covariance @ gradient)
    return math.sqrt(variance) if variance >= 0 else float("nan")


def _numeric_hessian(function, x, step=1e-4):
    size = len(x)
    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            corners = [function(x + si * step * np.eye(size)[i] + sj * step * np.eye(size)[j])
                       for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            hessian[i, j] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * step * step)
    return hessian


def _numeric_gradient(function, x, step=1e-6):
    return np.array([(function(x + step * e) - function(x - step * e)) / (2 * step) for e in np.eye(len(x))])


# ---------------------------------------------------------------- the result

@dataclass(frozen=True, eq=False)
class PatienceFit:
    """Censored patience fits ranked by AIC, with the Kaplan-Meier curve they should follow."""

    best: Distribution
    candidates: pd.DataFrame
    km: pd.DataFrame
    n: int
    abandoned: int
    excluded: int
    bootstrap: int
    fitted: dict = field(repr=False)

    @property
    def km_restricted_mean(self) -> float:
        return km_restricted_mean(self.km)

    @property
    def longest_wait_s(self) -> float:
        """The longest wait observed: beyond it the data say nothing about patience."""
        return float(self.km["time"].max())

    @property
    def km_survival_at_longest_wait(self) -> float:
        return float(self.km["survival"].iloc[-1])

    def median(self, dist: Distribution | None = None) -> float:
        return (dist or self.best).median

    def share_beyond_longest_wait(self, dist: Distribution | None = None) -> float:
        """Share of a fitted patience beyond the longest observed wait: the part its mean extrapolates."""
        return float((dist or self.best).sf(self.longest_wait_s))

    def headline(self) -> str:
        """What the data support first (median, Kaplan-Meier mean within the observed waits), then the
        fitted family's mean, flagged as extrapolated where it leans on patience beyond the data."""
        return f"{self.supported()}; {self.fitted_mean()}"

    def supported(self) -> str:
        median, longest = self.median(), self.longest_wait_s
        where = "within the observed waits" if median <= longest else f"extrapolated beyond {longest:.0f} s"
        return (f"median {median:.0f} s (fitted {self.best.name}, {where}), Kaplan-Meier mean within the "
                f"longest observed wait of {longest:.0f} s: {self.km_restricted_mean:.0f} s")

    def fitted_mean(self) -> str:
        beyond = self.share_beyond_longest_wait()
        text = f"fitted {self.best.name}: mean {self.best.mean:.0f} s"
        if beyond < SHARE_IGNORED:
            return f"{text} (within the observed waits)"
        return (f"{text}, extrapolated beyond the longest observed wait of {self.longest_wait_s:.0f} s "
                f"({beyond:.0%} of its patience lies there)")

    def summary(self) -> str:
        table = self.candidates.drop(columns="params").to_string(index=False, float_format="{:.4g}".format)
        lines = [f"Patience fit: {self.n} queued calls ({self.abandoned} abandoned = exact patience, "
                 f"{self.n - self.abandoned} answered = censored, {1 - self.abandoned / self.n:.0%} censored); "
                 f"{self.excluded} excluded (zero, negative or missing wait).",
                 f"What the data show: {self.supported()}; Kaplan-Meier survival at that wait "
                 f"{self.km_survival_at_longest_wait:.3f} (the restricted mean is a lower bound on the mean "
                 "while that is above zero).",
                 f"Best by AIC: {self.best.name} {format_params(parameters(self.best))}; {self.fitted_mean()}.",
                 table,
                 "mean = mean of the fitted distribution (extrapolates beyond the longest wait); mean_se by the "
                 "delta method; CI: " + (f"percentiles over {self.bootstrap} bootstrap resamples of calls."
                                        if self.bootstrap else "none (no rng given).")]
        return "\n".join(lines)

    def plot(self, ax=None):
        """KM step curve (with ±2 SE band) and each fitted survival curve; returns the Axes."""
        ax = ax if ax is not None else new_axes()
        times, survival, low, high = (self.km[c].to_numpy() for c in ("time", "survival", "low", "high"))
        ax.step(np.r_[0, times], np.r_[1, survival], where="post", color="black", label="Kaplan-Meier")
        ax.fill_between(times, low, high, step="post", color="grey", alpha=0.3)
        grid = np.linspace(0, times.max(), 400)
        for name, dist in self.fitted.items():
            ax.plot(grid, dist.sf(grid), label=f"{name} (median {self.median(dist):.0f} s)")
        ax.set(xlabel="wait (s)", ylabel="share still willing to wait", ylim=(0, 1.02))
        ax.legend()
        return ax


def fit_patience(waits, abandoned, rng: np.random.Generator | None = None, bootstrap: int = 100,
                 families=PATIENCE_FAMILIES, resolution_s: float = 0.0) -> PatienceFit:
    """Fit patience from queued calls' waits; `abandoned` True for hang-ups, False for answered.

    With an `rng`, `bootstrap` resamples of the calls give percentile 95% intervals of each mean.
    `resolution_s`: how finely waits were recorded (1 for whole seconds); see `censored_loglik`.
    """
    times, observed, excluded = _queued_calls(waits, abandoned, resolution_s)
    calls = DistinctCalls.of(times, observed)
    fitted = {family: fit_censored(family, calls.times, calls.observed, resolution_s, calls.counts)
              for family in families}
    rows = [_patience_row(name, dist, calls, resolution_s) for name, dist in fitted.items()]
    bootstrap = bootstrap if rng is not None else 0
    intervals = bootstrap_mean_intervals(fitted, calls, rng, bootstrap, resolution_s, refit=fit_censored)
    for row in rows:
        row["mean_ci_low"], row["mean_ci_high"] = intervals[row["family"]]
    table = pd.DataFrame(rows).sort_values("aic", ignore_index=True)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    table = table[["family", "params", "mean", "mean_se", "mean_ci_low", "mean_ci_high", "median", "cv",
                   "loglik", "aic", "bic", "delta_aic"]]
    return PatienceFit(best=fitted[table["family"].iloc[0]], candidates=table,
                       km=kaplan_meier(times, observed), n=len(times), abandoned=int(observed.sum()),
                       excluded=excluded, bootstrap=bootstrap, fitted=fitted)


def _queued_calls(waits, abandoned, resolution_s: float = 0.0):
    """Positive finite waits and their outcome; the rest are counted, not silently dropped.

    A zero wait says nothing about patience when answered. An abandonment recorded as 0 s is an
    instant hang-up that no continuous patience model can hold as exact, so it is kept only when
    the recording resolution is known (then it means "within the first `resolution_s`").
    """
    waits = np.asarray(waits, dtype=float).ravel()
    abandoned = np.asarray(abandoned, dtype=bool).ravel()
    if waits.shape != abandoned.shape:
        raise ValueError(f"waits ({waits.size}) and abandoned ({abandoned.size}) differ in length")
    keep = np.isfinite(waits) & ((waits > 0) | (abandoned & (resolution_s > 0) & (waits == 0)))
    return waits[keep], abandoned[keep], int((~keep).sum())


def _patience_row(name, dist, calls: DistinctCalls, resolution_s=0.0) -> dict:
    loglik = censored_loglik(dist, calls.times, calls.observed, resolution_s, calls.counts)
    k = parameter_count(dist)
    return {"family": name, "params": parameters(dist), "mean": dist.mean,
            "mean_se": mean_standard_error(name, dist, calls.times, calls.observed, resolution_s, calls.counts),
            "median": dist.median, "cv": dist.cv, "loglik": loglik,
            "aic": 2 * k - 2 * loglik, "bic": k * math.log(calls.n) - 2 * loglik}


# ---------------------------------------------------------------- the abandonment-versus-wait check

@dataclass(frozen=True, eq=False)
class AbandonVsWait:
    """Per interval: share abandoned against mean wait. Under exponential patience the points lie
    on a line through the origin whose slope is 1 / mean patience (Brown et al. 2005, JASA)."""

    table: pd.DataFrame
    slope_per_s: float
    pooled_rate_per_s: float

    @property
    def implied_mean_patience_s(self) -> float:
        return 1 / self.slope_per_s if self.slope_per_s > 0 else float("inf")

    def summary(self) -> str:
        return (f"Abandonment vs wait over {len(self.table)} intervals: slope {self.slope_per_s:.5f}/s "
                f"-> mean patience {self.implied_mean_patience_s:.1f} s (pooled abandonments / total "
                f"waiting: {1 / self.pooled_rate_per_s:.1f} s). A curved or offset cloud means patience "
                "is not exponential.")

    def plot(self, ax=None):
        ax = ax if ax is not None else new_axes()
        used = self.table["used"]
        ax.scatter(self.table["mean_wait_s"][used], self.table["abandon_rate"][used], s=8 + self.table["calls"][used] / 20,
                   label="intervals in the fit")
        ax.scatter(self.table["mean_wait_s"][~used], self.table["abandon_rate"][~used], s=6, color="lightgrey",
                   label="too few calls")
        grid = np.linspace(0, self.table.loc[used, "mean_wait_s"].max(), 50)
        ax.plot(grid, self.slope_per_s * grid, "k--", label=f"slope 1/{self.implied_mean_patience_s:.0f} s")
        ax.set(xlabel="mean wait in interval (s)", ylabel="share abandoned")
        ax.legend()
        return ax


def abandon_vs_wait(waits, abandoned, intervals, min_calls: int = 30) -> AbandonVsWait:
    """Group queued calls by `intervals` (e.g. date-hour labels); intervals with fewer than
    `min_calls` calls are left out of the line (too noisy) but kept in the table, flagged."""
    frame = pd.DataFrame({"wait": np.asarray(waits, dtype=float), "abandoned": np.asarray(abandoned, bool),
                          "interval": np.asarray(intervals)})
    frame = frame[np.isfinite(frame["wait"]) & (frame["wait"] >= 0)]
    table = frame.groupby("interval").agg(calls=("wait", "size"), abandoned=("abandoned", "sum"),
                                          mean_wait_s=("wait", "mean"), total_wait_s=("wait", "sum"))
    table["abandon_rate"] = table["abandoned"] / table["calls"]
    table["used"] = table["calls"] >= min_calls
    used = table[table["used"]]
    if used.empty or used["total_wait_s"].sum() == 0:
        raise ValueError(f"no interval has {min_calls} queued calls with some waiting")
    # weighted least squares through the origin, weights = calls in the interval
    slope = float((used["calls"] * used["mean_wait_s"] * used["abandon_rate"]).sum()
                  / (used["calls"] * used["mean_wait_s"] ** 2).sum())
    pooled = float(used["abandoned"].sum() / used["total_wait_s"].sum())
    return AbandonVsWait(table=table.drop(columns="total_wait_s"), slope_per_s=slope, pooled_rate_per_s=pooled)
