"""Handle-time fitting: parameter recovery from data of known shape, model choice, honest p-values.

Tolerances are 4 standard errors of the maximum-likelihood estimator (stated per test), so a
correct fitter fails about once in 16,000 draws and these fixed seeds make the tests deterministic.
"""
import math

import matplotlib
import numpy as np
import pytest
from scipy import special, stats

from calibration.families import FAMILIES
from calibration.fit_durations import (
    anderson_darling, empirical_sample, fit_durations, ks_statistic, short_call_share)
from simulator.distributions import Lognormal, Mixture, Weibull, from_spec

matplotlib.use("Agg")


def test_lognormal_parameters_recovered_within_four_standard_errors():
    n, mu, sigma = 4000, 5.2, 0.9
    fit = fit_durations(np.random.default_rng(1).lognormal(mu, sigma, n), np.random.default_rng(2),
                        candidates=("lognormal",), bootstrap=0)
    # MLE: SE(mu) = sigma / sqrt(n), SE(sigma) = sigma / sqrt(2n)
    assert abs(fit.best.mu - mu) < 4 * sigma / math.sqrt(n)
    assert abs(fit.best.sigma - sigma) < 4 * sigma / math.sqrt(2 * n)


def test_exponential_mean_recovered():
    n, mean = 3000, 240.0
    fit = fit_durations(np.random.default_rng(3).exponential(mean, n), np.random.default_rng(0),
                        candidates=("exponential",), bootstrap=0)
    assert abs(fit.best.mean_s - mean) < 4 * mean / math.sqrt(n)  # SE(mean) = mean / sqrt(n)


def test_gamma_shape_recovered():
    n, shape, scale = 4000, 2.5, 80.0
    values = np.random.default_rng(4).gamma(shape, scale, n)
    fitted = FAMILIES["gamma"].fit(values)
    # Fisher information with both parameters unknown: Var(shape) = shape / (n (shape * trigamma(shape) - 1))
    se = math.sqrt(shape / (n * (shape * special.polygamma(1, shape) - 1)))
    assert abs(fitted.shape - shape) < 4 * se
    assert abs(fitted.mean - shape * scale) < 4 * math.sqrt(shape) * scale / math.sqrt(n)


def test_weibull_shape_recovered():
    n, shape, scale = 4000, 0.7, 150.0
    fitted = FAMILIES["weibull"].fit(scale * np.random.default_rng(5).weibull(shape, n))
    # asymptotic Var(shape) = 6 shape^2 / (pi^2 n), i.e. SE = 0.78 shape / sqrt(n)
    assert abs(fitted.shape - shape) < 4 * math.sqrt(6 / math.pi ** 2) * shape / math.sqrt(n)
    # Var(scale) = scale^2 (1 + 6 (1 - euler_gamma)^2 / pi^2) / (shape^2 n) = 1.109 scale^2 / (shape^2 n)
    assert abs(fitted.scale - scale) < 4 * scale * math.sqrt(1.109 / n) / shape


@pytest.mark.parametrize("family, draw", [
    ("lognormal", lambda rng, n: rng.lognormal(5.0, 1.0, n)),
    ("gamma", lambda rng, n: rng.gamma(4.0, 50.0, n)),
    ("weibull", lambda rng, n: 200 * rng.weibull(0.6, n)),
])
def test_aic_picks_the_true_family_on_clear_cases(family, draw):
    values = draw(np.random.default_rng(6), 2000)
    fit = fit_durations(values, np.random.default_rng(0), bootstrap=0)
    assert fit.best.name == family
    assert fit.candidates.loc[1, "delta_aic"] > 10  # not a coin toss


def test_aic_does_not_prefer_extra_parameters_for_exponential_data():
    fit = fit_durations(np.random.default_rng(7).exponential(100, 2000), np.random.default_rng(0), bootstrap=0)
    exponential = fit.candidates.set_index("family").loc["exponential"]
    assert exponential["delta_aic"] <= 2  # the extra shape parameter buys less than its AIC price
    assert {"mean", "cv", "loglik", "aic", "bic", "ks", "ks_p", "ad", "ad_p"} <= set(fit.candidates.columns)


def test_non_positive_and_missing_values_are_counted_not_silently_dropped():
    values = np.r_[np.random.default_rng(8).lognormal(4, 0.5, 100), 0, 0, -3, np.nan]
    fit = fit_durations(values, np.random.default_rng(0), bootstrap=0)
    assert (fit.n, fit.excluded) == (100, 4)
    assert "4 excluded" in fit.summary()
    with pytest.raises(ValueError, match="at least 10"):
        fit_durations([0, -1, 5], np.random.default_rng(0))


def test_statistics_match_their_definitions():
    dist = Lognormal(3.0, 0.7)
    values = np.sort(dist.sample(np.random.default_rng(9), 500))
    frozen = stats.lognorm(s=0.7, scale=math.exp(3.0))
    assert ks_statistic(dist, values) == pytest.approx(stats.kstest(values, frozen.cdf).statistic, rel=1e-9)
    u = frozen.cdf(values)
    i = np.arange(1, 501)
    by_definition = -500 - np.mean((2 * i - 1) * (np.log(u) + np.log(1 - u[::-1])))
    assert anderson_darling(dist, values) == pytest.approx(by_definition, rel=1e-9)


def test_bootstrap_p_values_accept_the_true_model_and_reject_a_wrong_one():
    values = np.random.default_rng(10).lognormal(4.0, 1.0, 300)
    fit = fit_durations(values, np.random.default_rng(11), candidates=("lognormal", "exponential"), bootstrap=99)
    table = fit.candidates.set_index("family")
    assert table.loc["lognormal", "ks_p"] > 0.05 and table.loc["lognormal", "ad_p"] > 0.05
    assert table.loc["exponential", "ks_p"] <= 0.02 and table.loc["exponential", "ad_p"] <= 0.02
    assert "99 refitted samples" in fit.summary()


def test_bootstrap_p_values_are_roughly_uniform_under_the_true_model():
    """Refitting on every bootstrap sample is what makes them uniform: with the fitted parameters
    treated as known (no refit) they would crowd towards 1."""
    rng = np.random.default_rng(12)
    p_values = [fit_durations(rng.lognormal(2.0, 0.5, 100), rng, candidates=("lognormal",),
                              bootstrap=40).candidates.loc[0, "ks_p"] for _ in range(30)]
    assert 0.3 < np.mean(p_values) < 0.7
    assert stats.kstest(p_values, "uniform").pvalue > 0.01


def test_short_call_spike_becomes_a_mixture_with_its_own_aic():
    rng = np.random.default_rng(13)
    n, share = 4000, 0.15
    short = rng.random(n) < share
    values = np.where(short, rng.uniform(0, 10, n), rng.lognormal(5.7, 0.6, n))
    fit = fit_durations(values, np.random.default_rng(0), bootstrap=0, short_calls_below=10)
    assert fit.best.name == "mixture" and isinstance(fit.best, Mixture)
    spike, body = fit.best.components
    assert spike.high == 10 and body.name == "lognormal"
    # spike weight SE = sqrt(p (1 - p) / n); body sigma SE = sigma / sqrt(2 n_body)
    assert abs(fit.best.weights[0] - share) < 4 * math.sqrt(share * (1 - share) / n)
    assert abs(body.sigma - 0.6) < 4 * 0.6 / math.sqrt(2 * n * (1 - share))
    assert np.isfinite(fit.candidates.set_index("family").loc["mixture", "aic"])


def test_no_mixture_when_short_calls_are_not_material():
    values = np.random.default_rng(14).lognormal(5.7, 0.6, 2000)
    fit = fit_durations(values, np.random.default_rng(0), bootstrap=0, short_calls_below=10)
    assert "mixture" not in set(fit.candidates["family"])
    assert any("below the material" in note for note in fit.notes)


def test_short_call_share_counts_at_or_below_threshold_among_positive_values():
    assert short_call_share([1, 5, 10, 11, 100, 0, -2], 10) == pytest.approx(3 / 5)


def test_empirical_option_is_always_there_and_capped_by_quantiles():
    values = np.random.default_rng(15).lognormal(4, 1, 10_000)
    capped = empirical_sample(values, 100)
    assert len(capped.values) == 100
    assert capped.values == tuple(np.quantile(values, (np.arange(100) + 0.5) / 100, method="inverted_cdf"))
    assert len(empirical_sample(values[:50], 100).values) == 50
    fit = fit_durations(values[:500], np.random.default_rng(0), bootstrap=0, empirical_cap=200)
    assert fit.candidates["family"].iloc[-1] == "empirical" and len(fit.empirical.values) == 200


def test_best_fit_drops_into_a_scenario_spec():
    fit = fit_durations(200 * np.random.default_rng(16).weibull(1.5, 1000), np.random.default_rng(0), bootstrap=0)
    again = from_spec(fit.best.to_spec())
    assert isinstance(again, Weibull) and again.mean == pytest.approx(fit.best.mean)


def test_plots_work_headless():
    rng = np.random.default_rng(17)
    values = np.r_[rng.uniform(0, 5, 100), rng.gamma(2, 100, 900)]
    fit = fit_durations(values, rng, bootstrap=0, short_calls_below=5)
    assert len(fit.plot("qq").lines) == 2
    assert len(fit.plot("hist").lines) == len(fit.fitted)
    with pytest.raises(ValueError):
        fit.plot("pie")
