"""The bootstraps refit many samples at once (calibration/batch_newton.py); these tests hold the
batched answers to the one-at-a-time Nelder-Mead fits they replace, on the same samples, so the
speed-up cannot change a reported interval or p-value beyond the optimisers' own tolerance."""
import numpy as np
import pytest

import calibration.batch_newton as batch_newton
from calibration.censored import DistinctCalls
from calibration.fit_durations import (
    fit_short_call_mixture, fit_durations, refit_short_call_mixtures)
from calibration.fit_patience import fit_censored, fit_patience
from calibration.patience_bootstrap import refit_means

RESOLUTION_S = 1.0
AGREE = 1e-5  # relative: both optimisers stop at 1e-7 to 1e-8 on the log-parameter scale


def whole_second_calls(patience: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Queued calls recorded to the second: abandoned when patience is below the offered wait."""
    offered = rng.exponential(200, len(patience))
    abandoned = patience < offered
    return np.round(np.minimum(patience, offered)), abandoned


@pytest.fixture(scope="module")
def calls():
    rng = np.random.default_rng(1)
    waits, abandoned = whole_second_calls(rng.lognormal(5.0, 1.2, 1500), rng)
    keep = (waits > 0) | abandoned
    return DistinctCalls.of(waits[keep], abandoned[keep])


def one_at_a_time(family, start, calls, counts):
    means = []
    for row in counts:
        drawn = row > 0
        means.append(fit_censored(family, calls.times[drawn], calls.observed[drawn], RESOLUTION_S, row[drawn],
                                  start=start).mean)
    return np.array(means)


@pytest.mark.parametrize("family", ["lognormal", "weibull", "exponential"])
def test_batched_patience_refits_equal_one_at_a_time_fits(calls, family):
    start = fit_censored(family, calls.times, calls.observed, RESOLUTION_S, calls.counts)
    counts = calls.resample_counts(np.random.default_rng(2), 25)
    batched = refit_means(family, start, calls, counts, RESOLUTION_S, refit=fit_censored)
    assert batched == pytest.approx(one_at_a_time(family, start, calls, counts), rel=AGREE)
    assert np.ptp(batched) > 100 * AGREE * batched.mean()  # the resamples really differ: the check has teeth


def test_a_resample_newton_cannot_settle_is_refitted_alone(calls, monkeypatch):
    """With no Newton iteration allowed nothing converges: every resample goes to the one-at-a-time
    fit, and the answers are still the true maxima."""
    start = fit_censored("lognormal", calls.times, calls.observed, RESOLUTION_S, calls.counts)
    counts = calls.resample_counts(np.random.default_rng(3), 5)
    refitted = []

    def recording(*args, **kwargs):
        refitted.append(args)
        return fit_censored(*args, **kwargs)

    monkeypatch.setattr(batch_newton, "MAX_ITERATIONS", 0)
    batched = refit_means("lognormal", start, calls, counts, RESOLUTION_S, refit=recording)
    assert len(refitted) == 5
    assert batched == pytest.approx(one_at_a_time("lognormal", start, calls, counts), rel=AGREE)


def test_resample_counts_are_resamples_of_whole_calls(calls):
    counts = calls.resample_counts(np.random.default_rng(4), 4000)
    assert counts.shape == (4000, len(calls.times))
    assert (counts.sum(axis=1) == calls.n).all()
    # each pair's count is Binomial(n, count / n): its mean over resamples is within 4 SE of the count
    p = calls.counts / calls.n
    se = np.sqrt(calls.n * p * (1 - p) / len(counts))
    assert np.all(np.abs(counts.mean(axis=0) - calls.counts) < 4 * se + 1e-12)


def test_distinct_calls_keep_the_likelihood_of_every_call():
    """Fitting on distinct (wait, outcome) pairs with counts is fitting on every call."""
    rng = np.random.default_rng(5)
    waits, abandoned = whole_second_calls(250 * rng.weibull(0.8, 800), rng)
    fit = fit_patience(waits, abandoned, resolution_s=RESOLUTION_S)
    keep = (waits > 0) | abandoned
    for family, dist in fit.fitted.items():
        every_call = fit_censored(family, waits[keep], abandoned[keep], RESOLUTION_S)
        assert dist.mean == pytest.approx(every_call.mean, rel=AGREE)


def test_batched_mixture_refits_equal_one_at_a_time_fits():
    rng = np.random.default_rng(6)
    values = np.round(np.where(rng.random(3000) < 0.1, rng.uniform(0, 10, 3000), rng.lognormal(5.2, 0.7, 3000)))
    fit = fit_durations(values[values > 0], rng, bootstrap=0, short_calls_below=10)
    mixture = fit.fitted["mixture"]
    samples = [np.sort(np.round(mixture.sample(rng, 3000))) for _ in range(20)]
    samples = [s[s > 0] for s in samples] + [np.arange(1.0, 15.0)]  # the last has too few long calls
    batched = refit_short_call_mixtures(samples, 10, mixture.components[1])
    alone = [fit_short_call_mixture(s, 10, "lognormal", start=mixture.components[1]) for s in samples]
    assert batched[-1] is None and alone[-1] is None
    for a, b in zip(batched[:-1], alone[:-1]):
        assert a.weights[0] == pytest.approx(b.weights[0], rel=AGREE)
        assert a.components[1].mean == pytest.approx(b.components[1].mean, rel=AGREE)
