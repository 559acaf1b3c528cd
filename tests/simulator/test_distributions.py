"""Distributions: sampled moments match the stated mean and cv; specs parse, refuse, and round-trip.

Moment check: n = 200 000 draws from a fixed seed. The standard error of the sample mean is s/√n. The
sample cv = s/x̄ is a smooth function of two sample moments, so its standard error comes from its
influence function (delta method) evaluated on the same draws:
    IF_i = ((x_i − x̄)² − s²) / (2 s x̄) − s (x_i − x̄) / x̄²,   se(cv) = sd(IF) / √n.
Both must be within 4 standard errors of `.mean` / `.cv`.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import distributions as D
from simulator.distributions import (Constant, Empirical, Erlang, Exponential, Gamma, Lognormal, Mixture, Scaled,
                                     Uniform, Weibull, describe, from_spec)

N = 200_000

CASES = {
    "exponential": Exponential(240.0),
    "lognormal mean/cv": Lognormal.from_mean_cv(300.0, 0.8),
    "lognormal mu/sigma": Lognormal(4.0, 0.5),
    "gamma": Gamma.from_mean_cv(300.0, 0.5),
    "gamma cv>1": Gamma.from_mean_cv(120.0, 1.3),
    "erlang": Erlang(3.0, 100.0),
    "weibull k<1": Weibull(0.8, 100.0),
    "weibull k>1": Weibull(2.5, 200.0),
    "uniform": Uniform(10.0, 50.0),
    "uniform from zero": Uniform(0.0, 5.0),
    "empirical": Empirical((1.0, 2.0, 3.0, 10.0, 60.0)),
    "mixture": Mixture((Exponential(20.0), Lognormal.from_mean_cv(300.0, 0.5)), (0.3, 0.7)),
    "scaled": Scaled(Gamma.from_mean_cv(200.0, 0.7), 1.5),
    "scaled via method": Exponential(60.0).scaled(2.5),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sampled_mean_and_cv_match(name):
    dist = CASES[name]
    x = dist.sample(np.random.default_rng(20240101), N)
    assert x.shape == (N,) and x.dtype == float
    assert (x >= 0).all()
    mean, sd = x.mean(), x.std()
    se_mean = sd / math.sqrt(N)
    assert abs(mean - dist.mean) <= 4 * se_mean, f"mean {mean} vs {dist.mean} (se {se_mean})"
    influence = ((x - mean) ** 2 - sd ** 2) / (2 * sd * mean) - sd * (x - mean) / mean ** 2
    se_cv = influence.std() / math.sqrt(N)
    assert abs(sd / mean - dist.cv) <= 4 * se_cv, f"cv {sd / mean} vs {dist.cv} (se {se_cv})"
    assert dist.variance == pytest.approx((dist.cv * dist.mean) ** 2, rel=1e-12)


def test_from_mean_cv_hits_its_targets():
    for cls in (Lognormal, Gamma):
        dist = cls.from_mean_cv(250.0, 0.9)
        assert dist.mean == pytest.approx(250.0, rel=1e-12)
        assert dist.cv == pytest.approx(0.9, rel=1e-12)


def test_constant():
    dist = Constant(42.5)
    assert (dist.sample(np.random.default_rng(0), 10) == 42.5).all()
    assert dist.mean == 42.5 and dist.cv == 0.0 and dist.variance == 0.0


def test_exponential_has_cv_one():
    assert Exponential(123.0).cv == pytest.approx(1.0)


def test_erlang_cv_is_one_over_root_k():
    assert from_spec({"dist": "erlang", "k": 4, "mean": "8min"}).cv == pytest.approx(0.5)


def test_sampling_uses_only_the_generator_passed_in():
    for dist in CASES.values():
        a = dist.sample(np.random.default_rng(7), 1000)
        np.random.seed(0)  # the global state must not matter
        b = dist.sample(np.random.default_rng(7), 1000)
        assert np.array_equal(a, b)


def test_scaled_by_one_is_the_same_object():
    dist = Exponential(10.0)
    assert dist.scaled(1) is dist
    assert dist.scaled(2.0).mean == 20.0 and dist.scaled(2.0).cv == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------------
# specs


@pytest.mark.parametrize("spec, mean, cv", [
    ({"dist": "exponential", "mean": "5min"}, 300.0, 1.0),
    ({"dist": "exponential", "mean": 300}, 300.0, 1.0),
    ({"dist": "lognormal", "mean": "4min", "cv": 1.1}, 240.0, 1.1),
    ({"dist": "gamma", "mean": "10min", "cv": 0.5}, 600.0, 0.5),
    ({"dist": "erlang", "k": 3, "mean": "90s"}, 90.0, 1 / math.sqrt(3)),
    ({"dist": "constant", "value": "30s"}, 30.0, 0.0),
    ({"dist": "uniform", "low": 0, "high": "1min"}, 30.0, 1 / math.sqrt(3)),
    ({"dist": "empirical", "values": ["10s", "20s", 30]}, 20.0, math.sqrt(200 / 3) / 20),
    ({"dist": "EXPONENTIAL", "mean": "1h"}, 3600.0, 1.0),
])
def test_from_spec_builds_the_stated_distribution(spec, mean, cv):
    dist = from_spec(spec)
    assert dist.mean == pytest.approx(mean, rel=1e-12)
    assert dist.cv == pytest.approx(cv, rel=1e-12)


def test_from_spec_weibull_and_lognormal_mu_sigma():
    assert from_spec({"dist": "weibull", "shape": 1.5, "scale": "2min"}) == Weibull(1.5, 120.0)
    assert from_spec({"dist": "lognormal", "mu": 4, "sigma": 0.5}) == Lognormal(4.0, 0.5)
    mixture = from_spec({"dist": "mixture", "weights": [0.25, 0.75],
                         "components": [{"dist": "constant", "value": 5}, {"dist": "exponential", "mean": "1min"}]})
    assert mixture.mean == pytest.approx(0.25 * 5 + 0.75 * 60)
    scaled = from_spec({"dist": "scaled", "factor": 0.85, "of": {"dist": "exponential", "mean": "4min"}})
    assert scaled.mean == pytest.approx(0.85 * 240)


@pytest.mark.parametrize("spec, message", [
    ("exponential", "mapping"),
    ({"mean": "5min"}, "mapping"),
    ({"dist": "normal", "mean": 5}, "unknown distribution"),
    ({"dist": "exponential"}, "needs `mean`"),
    ({"dist": "exponential", "mean": "5min", "cv": 1}, "cv"),
    ({"dist": "exponential", "mean": "-5min"}, "positive"),
    ({"dist": "exponential", "mean": 0}, "positive"),
    ({"dist": "exponential", "mean": "5 parsecs"}, "duration"),
    ({"dist": "lognormal", "mean": "4min"}, "needs `cv`"),
    ({"dist": "lognormal", "mean": "4min", "cv": 0}, "cv must be a positive number"),
    ({"dist": "lognormal", "mean": "4min", "cv": -1}, "cv"),
    ({"dist": "lognormal", "mu": 4}, "needs `sigma`"),
    ({"dist": "lognormal", "mu": 4, "sigma": 0}, "sigma"),
    ({"dist": "gamma", "mean": "4min", "cv": math.inf}, "cv"),
    ({"dist": "gamma", "mean": "4min", "cv": True}, "cv"),
    ({"dist": "erlang", "k": 0, "mean": "4min"}, "whole number"),
    ({"dist": "erlang", "k": 1.5, "mean": "4min"}, "whole number"),
    ({"dist": "erlang", "k": True, "mean": "4min"}, "whole number"),
    ({"dist": "erlang", "mean": "4min"}, "needs `k`"),
    ({"dist": "weibull", "shape": 0, "scale": 10}, "shape"),
    ({"dist": "constant", "value": 0}, "positive"),
    ({"dist": "uniform", "low": 10, "high": 10}, "high > low"),
    ({"dist": "uniform", "low": 20, "high": 10}, "high > low"),
    ({"dist": "uniform", "low": -1, "high": 10}, "positive"),
    ({"dist": "empirical", "values": []}, "non-empty"),
    ({"dist": "empirical", "values": "10s"}, "non-empty"),
    ({"dist": "empirical", "values": [10, -1]}, "positive"),
    ({"dist": "mixture", "weights": [0.5, 0.6],
      "components": [{"dist": "constant", "value": 1}, {"dist": "constant", "value": 2}]}, "summing to 1"),
    ({"dist": "mixture", "weights": [1.0],
      "components": [{"dist": "constant", "value": 1}, {"dist": "constant", "value": 2}]}, "one non-negative weight"),
    ({"dist": "mixture", "weights": [1.5, -0.5],
      "components": [{"dist": "constant", "value": 1}, {"dist": "constant", "value": 2}]}, "non-negative"),
    ({"dist": "mixture", "weights": [1.0], "components": [{"dist": "normal"}]}, "unknown distribution"),
    ({"dist": "scaled", "factor": 0, "of": {"dist": "exponential", "mean": 1}}, "factor"),
    ({"dist": "scaled", "factor": 2}, "needs `of`"),
])
def test_from_spec_refuses_with_a_message(spec, message):
    with pytest.raises(ValueError, match=message):
        from_spec(spec)


def test_unknown_key_is_named():
    with pytest.raises(ValueError) as error:
        from_spec({"dist": "gamma", "mean": "4min", "cv": 1.0, "shape": 2})
    assert "shape" in str(error.value) and "cv" in str(error.value)


def test_known_parameters():
    assert D.known_parameters("gamma") == {"mean", "cv", "reported_mean_s", "reported_cv"}
    with pytest.raises(ValueError, match="unknown distribution"):
        D.known_parameters("pareto")


def test_every_kind_has_a_builder():
    assert set(D._PARAMETERS) == set(D._BUILDERS)


@pytest.mark.parametrize("name", list(CASES) + ["constant"])
def test_to_spec_round_trips(name):
    dist = CASES.get(name, Constant(42.5))
    again = from_spec(dist.to_spec())
    assert type(again) is type(dist)
    assert again.mean == pytest.approx(dist.mean, rel=1e-12)
    assert again.cv == pytest.approx(dist.cv, rel=1e-12, abs=1e-15)
    # the same draws, not just the same moments
    a = dist.sample(np.random.default_rng(3), 50)
    b = again.sample(np.random.default_rng(3), 50)
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_describe_reports_mean_and_cv_and_reads_back(name):
    dist = CASES[name]
    described = describe(dist)
    assert described["reported_mean_s"] == pytest.approx(dist.mean, abs=1e-6)
    assert described["reported_cv"] == pytest.approx(dist.cv, abs=1e-6)
    assert from_spec(described).mean == pytest.approx(dist.mean, rel=1e-12)


def test_exact_specs_round_trip_to_equal_objects():
    for dist in (Exponential(240.0), Lognormal(4.0, 0.5), Weibull(0.8, 100.0), Constant(42.5), Uniform(10.0, 50.0),
                 Empirical((1.0, 2.0, 3.0)), Scaled(Exponential(60.0), 2.5)):
        assert from_spec(dist.to_spec()) == dist


def test_mixture_accepted_by_from_spec_can_be_sampled():
    """from_spec accepts weights summing to 1 within 1e-6, so sampling must work with them too.

    Weights of 0.3333333 ×3 (sum 0.9999999) pass the check; numpy's Generator.choice (tolerance
    ~1.5e-8) used to raise 'probabilities do not sum to 1' until Mixture.sample normalised them.
    """
    spec = {"dist": "mixture", "weights": [0.3333333, 0.3333333, 0.3333333],
            "components": [{"dist": "constant", "value": 1}, {"dist": "constant", "value": 2},
                           {"dist": "constant", "value": 3}]}
    mixture = from_spec(spec)
    draws = mixture.sample(np.random.default_rng(0), 1000)
    assert set(np.unique(draws)) <= {1.0, 2.0, 3.0}


# --------------------------------------------------------------------------------------------------
# density, survival and quantile functions (calibration fits with them), against scipy.stats' own

def scipy_twin(dist):
    from scipy import stats
    return {Exponential: lambda d: stats.expon(scale=d.mean_s),
            Lognormal: lambda d: stats.lognorm(s=d.sigma, scale=math.exp(d.mu)),
            Gamma: lambda d: stats.gamma(a=d.shape, scale=d.scale),
            Erlang: lambda d: stats.gamma(a=d.shape, scale=d.scale),
            Weibull: lambda d: stats.weibull_min(c=d.shape, scale=d.scale),
            Uniform: lambda d: stats.uniform(loc=d.low, scale=d.high - d.low)}[type(dist)](dist)


PARAMETRIC = {name: CASES[name] for name in ("exponential", "lognormal mu/sigma", "gamma", "gamma cv>1", "erlang",
                                             "weibull k<1", "weibull k>1", "uniform", "uniform from zero")}


@pytest.mark.parametrize("name", list(PARAMETRIC))
def test_density_functions_match_scipy(name):
    dist = PARAMETRIC[name]
    twin = scipy_twin(dist)
    x = twin.ppf(np.linspace(0.001, 0.999, 41))
    np.testing.assert_allclose(dist.logpdf(x), twin.logpdf(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dist.cdf(x), twin.cdf(x), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dist.sf(x), twin.sf(x), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dist.logsf(x), twin.logsf(x), rtol=1e-10, atol=1e-12)
    q = np.linspace(0.001, 0.999, 41)
    np.testing.assert_allclose(dist.ppf(q), twin.ppf(q), rtol=1e-10)
    assert dist.median == pytest.approx(twin.median(), rel=1e-12)


@pytest.mark.parametrize("name", ["exponential", "lognormal mu/sigma", "weibull k<1"])
def test_log_survival_stays_accurate_far_in_the_tail(name):
    """Where 1 - cdf rounds to 0 the censored likelihood still needs log P(value > x): these families
    have a formula for it (the gamma's is the log of its upper incomplete gamma function, floored)."""
    dist = PARAMETRIC[name]
    far = np.array([dist.mean * 200])
    assert dist.cdf(far)[0] == 1.0
    assert dist.logsf(far)[0] == pytest.approx(scipy_twin(dist).logsf(far)[0], rel=1e-8)
    assert np.isfinite(dist.logsf(far)[0])


def test_mixture_density_is_the_weighted_sum_and_its_quantiles_invert_its_cdf():
    mixture = Mixture((Uniform(0.0, 10.0), Lognormal(5.0, 0.8)), (0.2, 0.8))
    spike, body = mixture.components
    x = np.array([0.5, 5.0, 10.0, 50.0, 150.0, 2000.0])
    pdf = 0.2 * np.exp(spike.logpdf(x)) + 0.8 * np.exp(body.logpdf(x))
    np.testing.assert_allclose(np.exp(mixture.logpdf(x)), pdf, rtol=1e-12)
    np.testing.assert_allclose(mixture.cdf(x), 0.2 * spike.cdf(x) + 0.8 * body.cdf(x), rtol=1e-12)
    q = np.array([0.01, 0.1, 0.2, 0.21, 0.5, 0.99])
    np.testing.assert_allclose(mixture.cdf(mixture.ppf(q)), q, rtol=1e-12)


def test_parameters_as_columns_evaluate_one_fit_per_row():
    """Calibration's bootstrap evaluates many fits at once: row r is the distribution of row r's parameters."""
    x = np.array([1.0, 30.0, 400.0])
    for kind, rows in ((Weibull, [(0.8, 100.0), (1.5, 300.0)]), (Lognormal, [(4.0, 0.5), (5.0, 1.2)]),
                       (Gamma, [(0.7, 200.0), (3.0, 50.0)]), (Exponential, [(100.0,), (250.0,)])):
        batch = kind(*(np.array(column)[:, None] for column in zip(*rows)))
        for method in ("logpdf", "logsf", "cdf"):
            got = getattr(batch, method)(x)
            assert got.shape == (len(rows), len(x))
            for r, row in enumerate(rows):
                np.testing.assert_allclose(got[r], getattr(kind(*row), method)(x), rtol=1e-14)


@pytest.mark.parametrize("dist", [Constant(5.0), Empirical((1.0, 2.0)), Scaled(Exponential(60.0), 2.0)])
def test_distributions_without_density_formulas_say_so(dist):
    for method in ("logpdf", "logsf", "cdf", "ppf"):
        with pytest.raises(TypeError, match="has no"):
            getattr(dist, method)(np.array([1.0]))
