"""Handle-time fitting: which distribution family describes how long contacts take.

Each candidate family is fitted by maximum likelihood (closed form or a one-dimensional root, with no
location shift, since a handle time starts at zero), then ranked by AIC. Goodness of fit is judged by
KS and Anderson-Darling statistics whose p-values come from a parametric bootstrap that refits on
every bootstrap sample: the textbook p-values assume known parameters and are far too kind when the
parameters were estimated from the same data. A spike of very short calls (hang-ups, wrong numbers)
can be modelled as a two-component `Mixture`, and an `Empirical` resample of the history is always
offered beside the parametric fits. Results are the project's own distribution objects, so
`fit.best.to_spec()` drops straight into a scenario file.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from calibration.batch_newton import newton, weighted_rows
from calibration.families import FAMILIES, get_family, parameter_count, parameters
from simulator.distributions import Distribution, Empirical, Mixture, Uniform

_TABLE_COLUMNS = ["family", "params", "mean", "cv", "loglik", "aic", "bic", "delta_aic",
                  "ks", "ks_p", "ad", "ad_p"]




# ---------------------------------------------------------------- short-call spike

def short_call_share(seconds, threshold: float) -> float:
    """Share of positive durations at or below `threshold` seconds (hang-ups, misroutes)."""
    values, _ = positive_values(seconds)
    return float(np.mean(values <= threshold)) if len(values) else float("nan")


def fit_short_call_mixture(values: np.ndarray, threshold: float, family: str,
                           start: Distribution | None = None) -> Mixture | None:
    """Uniform(0, threshold) spike plus `family` fitted to the calls above the threshold.

    The body is fitted by left-truncated maximum likelihood to the values above the threshold (so its
    tail is right), then the spike's weight is the observed short share minus what the body itself puts
    below the threshold: the mixture then reproduces the observed short share exactly. None when the
    body already accounts for every short call (no excess spike) or too few calls remain above it.
    `start`: a body to begin the search from (a bootstrap refit starts from the fitted body).
    Ours: scipy's `fit` has no left truncation.
    """
    long_calls = values[values > threshold]
    if len(long_calls) < 10:
        return None
    distinct, counts = np.unique(long_calls, return_counts=True)  # whole seconds repeat: one term each
    spec = get_family(family)
    start = spec.vector(start if start is not None else spec.fit(long_calls))

    def truncated_negloglik(vector):
        body = spec.build(vector)
        value = -(counts @ body.logpdf(distinct) - len(long_calls) * body.logsf(threshold))
        return value if np.isfinite(value) else 1e300

    best = optimize.minimize(truncated_negloglik, start, method="Nelder-Mead",
                             options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 2000})
    return _spike_and_body(values, threshold, spec.build(best.x))


def _spike_and_body(values: np.ndarray, threshold: float, body: Distribution) -> Mixture | None:
    """The spike's weight is the observed short share beyond what the body puts there (None if none)."""
    below_by_body = float(body.cdf(np.array([threshold]))[0])
    observed = float(np.mean(values <= threshold))
    weight = (observed - below_by_body) / (1 - below_by_body)
    if weight <= 0:
        return None
    return Mixture((Uniform(0.0, float(threshold)), body), (weight, 1 - weight))


def refit_short_call_mixtures(samples: list, threshold: float, body: Distribution) -> list:
    """`fit_short_call_mixture` of many samples whose values lie on a common grid (whole seconds),
    all bodies fitted at once by `batch_newton` from `body`; a sample Newton cannot settle is
    refitted alone. One entry per sample, None where `fit_short_call_mixture` would give None."""
    longs = [sample[sample > threshold] for sample in samples]
    fitting = [i for i, long_calls in enumerate(longs) if len(long_calls) >= 10]
    grid = np.unique(np.concatenate([longs[i] for i in fitting] or [np.zeros(0)]))
    counts = np.vstack([np.bincount(np.searchsorted(grid, longs[i]), minlength=len(grid)) for i in fitting]
                       or [np.zeros(len(grid))]).astype(float)
    spec, above = get_family(body.name), counts.sum(axis=1)

    def objective(theta, rows):
        with np.errstate(all="ignore"):  # a trial step far out may overflow: it is then simply not better
            batch = spec.batch(theta)
            value = -(weighted_rows(counts[rows], batch.logpdf(grid)) - above[rows] * batch.logsf(threshold)[:, 0])
        return np.where(np.isfinite(value), value, np.inf)

    theta, converged = newton(objective, np.tile(spec.vector(body), (len(fitting), 1)))
    refits = [None] * len(samples)
    for row, i in enumerate(fitting):
        refits[i] = (_spike_and_body(samples[i], threshold, spec.build(theta[row])) if converged[row]
                     else fit_short_call_mixture(samples[i], threshold, spec.name, start=body))
    return refits


# ---------------------------------------------------------------- goodness of fit

def positive_values(seconds) -> tuple[np.ndarray, int]:
    """Sorted finite positive values and how many others were excluded (zero, negative, missing)."""
    raw = np.asarray(seconds, dtype=float).ravel()
    keep = np.isfinite(raw) & (raw > 0)
    return np.sort(raw[keep]), int((~keep).sum())


def ks_statistic(dist: Distribution, ordered: np.ndarray) -> float:
    """Largest gap between the empirical and fitted cdf (values must be sorted)."""
    cdf, ranks = dist.cdf(ordered), np.arange(1, len(ordered) + 1)
    return float(max(np.max(ranks / len(ordered) - cdf), np.max(cdf - (ranks - 1) / len(ordered))))


def anderson_darling(dist: Distribution, ordered: np.ndarray) -> float:
    """A^2: like KS but weighting the tails, where long calls (and staffing pain) live."""
    n = len(ordered)  # both logs floored: a value far out in a tail gives a large but finite A^2
    log_cdf = np.log(np.clip(dist.cdf(ordered), 1e-300, 1.0))
    log_sf = np.maximum(dist.logsf(ordered), -700.0)
    weights = 2 * np.arange(1, n + 1) - 1
    return float(-n - np.sum(weights * (log_cdf + log_sf[::-1])) / n)


def bootstrap_p_values(dist, refit, observed: tuple[float, float], n: int, rng: np.random.Generator,
                       bootstrap: int, resolution_s: float = 0.0, refit_all=None) -> tuple[float, float]:
    """Parametric-bootstrap p-values of (KS, AD): simulate from the fit, refit, recompute, compare.

    p = (1 + #bootstrap statistics >= observed) / (1 + bootstrap), so never below 1/(1+bootstrap).
    With `resolution_s`, simulated values are rounded like the records were (and non-positive ones
    dropped like theirs), so the rounding's own misfit is not blamed on the family.
    `refit_all(samples)`, if given, refits every sample in one go (else `refit` one at a time).
    """
    if bootstrap <= 0:
        return float("nan"), float("nan")
    samples = [_simulated(dist, n, rng, resolution_s) for _ in range(bootstrap)]
    refits = refit_all(samples) if refit_all is not None else [refit(sample) for sample in samples]
    exceed = np.zeros(2)
    for sample, again in zip(samples, refits):
        if again is None:  # e.g. a mixture whose spike vanished in this sample: count as extreme
            exceed += 1
            continue
        exceed += np.array([ks_statistic(again, sample), anderson_darling(again, sample)]) >= observed
    return tuple(float(v) for v in (1 + exceed) / (1 + bootstrap))


def _simulated(dist, n: int, rng: np.random.Generator, resolution_s: float) -> np.ndarray:
    sample = dist.sample(rng, n)
    if resolution_s > 0:
        sample = np.round(sample / resolution_s) * resolution_s
    return np.sort(sample[sample > 0])


def empirical_sample(values: np.ndarray, cap: int) -> Empirical:
    """`Empirical` of the values; above `cap`, the cap evenly spaced quantiles (midpoint rule).

    Quantiles rather than a random subsample: deterministic, and every part of the shape (the short
    spike, the long tail up to the (cap-0.5)/cap quantile) is kept in proportion.
    """
    ordered = np.sort(values)
    if len(ordered) > cap:
        ordered = np.quantile(ordered, (np.arange(cap) + 0.5) / cap, method="inverted_cdf")
    return Empirical(tuple(float(v) for v in ordered))


# ---------------------------------------------------------------- the result

@dataclass(frozen=True, eq=False)
class DurationFit:
    """Fitted handle-time candidates ranked by AIC; `best` is the lowest-AIC parametric fit."""

    best: Distribution
    candidates: pd.DataFrame
    n: int
    excluded: int
    bootstrap: int
    empirical: Empirical
    fitted: dict = field(repr=False)
    values: np.ndarray = field(repr=False)
    notes: tuple = ()

    def summary(self) -> str:
        table = self.candidates.drop(columns="params").to_string(index=False, float_format="{:.4g}".format)
        floor = f"smallest possible {1 / (1 + self.bootstrap):.3g}" if self.bootstrap else "skipped"
        lines = [f"Handle-time fit: {self.n} durations used, {self.excluded} excluded "
                 "(zero, negative or missing).",
                 f"Best by AIC: {self.best.name} {format_params(parameters(self.best))} "
                 f"(mean {self.best.mean:.1f} s, cv {self.best.cv:.3f}).",
                 f"p-values: parametric bootstrap with {self.bootstrap} refitted samples ({floor}).", table,
                 f"Empirical alternative: {len(self.empirical.values)} values (mean {self.empirical.mean:.1f} s).",
                 "With thousands of calls KS/AD reject every family for small misfits: "
                 "rank by AIC, check the QQ plot."]
        return "\n".join(lines + [f"Note: {note}" for note in self.notes])

    def plot(self, kind: str = "qq", ax=None):
        """QQ plot of the best fit, or a histogram with every fitted density; returns the Axes."""
        ax = ax if ax is not None else new_axes()
        if kind == "qq":
            _plot_qq(ax, self.best, self.values)
        elif kind == "hist":
            _plot_histogram(ax, self.fitted, self.values)
        else:
            raise ValueError(f"kind must be 'qq' or 'hist', not {kind!r}")
        return ax


def format_params(params: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def new_axes():
    """A figure without pyplot: no global figure state, works headless."""
    from matplotlib.figure import Figure  # imported here: fitting should not need matplotlib loaded
    return Figure(figsize=(6, 4), layout="constrained").add_subplot()


def _plot_qq(ax, dist, values):
    probabilities = (np.arange(min(len(values), 2000)) + 0.5) / min(len(values), 2000)
    observed = np.quantile(values, probabilities)
    expected = dist.ppf(probabilities)
    ax.plot(expected, observed, ".", markersize=3)
    top = max(expected.max(), observed.max())
    ax.plot([0, top], [0, top], "k--", linewidth=1)
    ax.set(xlabel=f"{dist.name} quantile (s)", ylabel="observed quantile (s)", title="QQ plot, best fit")


def _plot_histogram(ax, fitted, values):
    top = np.quantile(values, 0.995)
    ax.hist(values[values <= top], bins=80, density=True, alpha=0.4, color="grey", label="observed")
    grid = np.linspace(top / 2000, top, 800)
    for name, dist in fitted.items():
        ax.plot(grid, np.exp(dist.logpdf(grid)), label=name)
    ax.set(xlabel="handle time (s), up to the 99.5th percentile", ylabel="density")
    ax.legend()


# ---------------------------------------------------------------- entry point

def fit_durations(seconds, rng: np.random.Generator, candidates=tuple(FAMILIES), bootstrap: int = 200,
                  short_calls_below: float | None = None, material_share: float = 0.02,
                  empirical_cap: int = 2000, resolution_s: float = 0.0) -> DurationFit:
    """Fit handle times (seconds); see the module docstring for the method.

    `short_calls_below`: if set and at least `material_share` of the calls are that short, a
    spike-plus-body `Mixture` (body family chosen by AIC) joins the candidates with its own AIC.
    `bootstrap=0` skips the p-values (fast, for exploration). `resolution_s`: the records' rounding
    (1 for whole seconds), reproduced in the bootstrap samples.
    """
    values, excluded = positive_values(seconds)
    if len(values) < 10:
        raise ValueError(f"need at least 10 positive durations, got {len(values)} ({excluded} excluded)")
    fitted, notes = _fit_each(values, candidates)
    candidates = tuple(fitted)
    refits = {family: get_family(family).fit for family in candidates}
    refit_all = {}
    if short_calls_below is not None:
        mixture, note = _short_call_candidate(values, short_calls_below, material_share, candidates)
        notes.append(note)
        if mixture is not None:
            body = mixture.components[1]
            fitted["mixture"] = mixture
            refits["mixture"] = lambda s: fit_short_call_mixture(s, short_calls_below, body.name, start=body)
            if resolution_s > 0:  # rounded samples share a grid of values: refit them all at once
                refit_all["mixture"] = lambda samples: refit_short_call_mixtures(samples, short_calls_below, body)
    rows = [_candidate_row(name, dist, values, (refits[name], refit_all.get(name)), rng, (bootstrap, resolution_s))
            for name, dist in fitted.items()]
    table = pd.DataFrame(rows).sort_values("aic", ignore_index=True)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    empirical = empirical_sample(values, empirical_cap)
    table = pd.concat([table[_TABLE_COLUMNS], pd.DataFrame([_empirical_row(empirical, len(values))])],
                      ignore_index=True)
    return DurationFit(best=fitted[table["family"].iloc[0]], candidates=table, n=len(values),
                       excluded=excluded, bootstrap=max(bootstrap, 0), empirical=empirical,
                       fitted=fitted, values=values, notes=tuple(notes))


def _fit_each(values: np.ndarray, families) -> tuple[dict, list[str]]:
    """Each family that can be fitted to these values, and a note for each that cannot (a sample with
    almost no spread defeats some estimators); none at all is an error naming the values."""
    fitted, notes = {}, []
    for family in families:
        try:
            with np.errstate(all="ignore"):
                dist = get_family(family).fit(values)
            if not (np.isfinite(dist.mean) and np.isfinite(dist.cv)):
                raise ValueError("the fit did not converge")
            fitted[family] = dist
        except (ValueError, ArithmeticError, RuntimeError) as problem:
            notes.append(f"{family} could not be fitted to these handle times ({problem})")
    if not fitted:
        raise ValueError(f"no handle-time family could be fitted to {len(values)} durations with "
                         f"{len(np.unique(values))} distinct value(s): {'; '.join(notes)}")
    return fitted, notes


def _aic(dist: Distribution, values: np.ndarray) -> float:
    return 2 * parameter_count(dist) - 2 * float(dist.logpdf(values).sum())


def _short_call_candidate(values, threshold, material_share, families):
    """The spike-plus-body mixture whose body family gives the lowest AIC, if the spike is material."""
    share = float(np.mean(values <= threshold))
    if share < material_share:
        return None, (f"short calls (<= {threshold:g} s) are {share:.1%} of calls, below the material "
                      f"{material_share:.0%}: no mixture fitted")
    mixtures = [m for m in (fit_short_call_mixture(values, threshold, f) for f in families) if m is not None]
    if not mixtures:
        return None, f"short calls ({share:.1%}) are no more than the fitted bodies themselves predict"
    mixture = min(mixtures, key=lambda m: _aic(m, values))
    return mixture, (f"short calls (<= {threshold:g} s) are {share:.1%} of calls; mixture = Uniform(0, "
                     f"{threshold:g} s) spike of weight {mixture.weights[0]:.1%} (beyond what its "
                     f"{mixture.components[1].name} body puts there) + {mixture.components[1].name} body")


def _candidate_row(name, dist, values, refits, rng, bootstrap_and_resolution) -> dict:
    loglik = float(dist.logpdf(values).sum())
    k, n = parameter_count(dist), len(values)
    ks, ad = ks_statistic(dist, values), anderson_darling(dist, values)
    refit, refit_all = refits
    ks_p, ad_p = bootstrap_p_values(dist, refit, (ks, ad), n, rng, *bootstrap_and_resolution, refit_all=refit_all)
    return {"family": name, "params": parameters(dist), "mean": dist.mean, "cv": dist.cv,
            "loglik": loglik, "aic": 2 * k - 2 * loglik, "bic": k * math.log(n) - 2 * loglik,
            "ks": ks, "ks_p": ks_p, "ad": ad, "ad_p": ad_p}


def _empirical_row(empirical: Empirical, n: int) -> dict:
    """The empirical option has no density, hence no likelihood or AIC: listed, never ranked."""
    return {**dict.fromkeys(_TABLE_COLUMNS, float("nan")), "family": "empirical",
            "params": {"values": len(empirical.values), "from": n}, "mean": empirical.mean, "cv": empirical.cv}
