"""The families calibration fits: parameter transforms that invert, batches that match one-at-a-time
distributions, and maximum-likelihood fits that agree with scipy.stats' own on the same data."""
import math

import numpy as np
import pytest
from scipy import stats

from calibration.families import FAMILIES, get_family, parameter_count, parameters
from simulator.distributions import Exponential, Gamma, Lognormal, Mixture, Uniform, Weibull

EXAMPLES = {"exponential": Exponential(240.0), "lognormal": Lognormal(5.0, 0.9), "gamma": Gamma(2.5, 80.0),
            "weibull": Weibull(0.7, 150.0)}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_vector_and_build_are_inverses(name):
    family, dist = FAMILIES[name], EXAMPLES[name]
    vector = family.vector(dist)
    assert len(vector) == family.size and np.all(np.isfinite(vector))
    assert type(family.build(vector)) is type(dist)
    assert family.readable(family.build(vector)) == pytest.approx(family.readable(dist), rel=1e-14)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_a_batch_row_is_the_distribution_built_from_that_row(name):
    family = FAMILIES[name]
    vectors = np.array([family.vector(EXAMPLES[name]), family.vector(family.start(300.0))])
    batch, x = family.batch(vectors), np.array([0.5, 10.0, 300.0, 5000.0])
    for r, vector in enumerate(vectors):
        np.testing.assert_allclose(batch.logpdf(x)[r], family.build(vector).logpdf(x), rtol=1e-13)
        np.testing.assert_allclose(batch.logsf(x)[r], family.build(vector).logsf(x), rtol=1e-13)


@pytest.mark.parametrize("name", ["lognormal", "gamma", "weibull"])
def test_start_has_the_asked_mean(name):
    assert FAMILIES[name].start(300.0).mean == pytest.approx(300.0, rel=1e-12)


SCIPY = {"exponential": (stats.expon, lambda p: Exponential(p[-1])),  # (loc, scale)
         "lognormal": (stats.lognorm, lambda p: Lognormal(math.log(p[2]), p[0])),
         "gamma": (stats.gamma, lambda p: Gamma(p[0], p[2])),
         "weibull": (stats.weibull_min, lambda p: Weibull(p[0], p[2]))}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_fits_agree_with_scipy_and_reach_at_least_its_likelihood(name):
    values = np.random.default_rng(1).gamma(1.8, 120.0, 2000)
    ours = FAMILIES[name].fit(values)
    generator, build = SCIPY[name]  # shapes first, then loc (held at 0) and scale
    theirs = build(generator.fit(values, floc=0))
    assert ours.mean == pytest.approx(theirs.mean, rel=1e-6) and ours.cv == pytest.approx(theirs.cv, rel=1e-6)
    assert ours.logpdf(values).sum() >= theirs.logpdf(values).sum() - 1e-9


def test_unknown_family_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown family 'pareto'; use one of exponential, lognormal"):
        get_family("pareto")


def test_the_short_call_mixture_counts_its_spike_weight_and_names_its_body():
    mixture = Mixture((Uniform(0.0, 10.0), Weibull(1.2, 200.0)), (0.1, 0.9))
    assert parameter_count(mixture) == 3
    assert parameters(mixture) == {"short_share": 0.1, "short_below_s": 10.0, "body": "weibull",
                                   "shape": 1.2, "scale": 200.0}
    assert parameters(Exponential(60.0)) == {"mean_s": 60.0} and parameter_count(Exponential(60.0)) == 1
