"""Censored patience: Kaplan-Meier against a hand computation, and censored MLE recovering known patience.

Queued calls are simulated as the planner's data arise: each caller has a patience and is offered a
wait; the call is abandoned (patience observed) if patience < offered wait, else answered (censored).
"""
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibration.censored import censored_loglik
from calibration.fit_patience import abandon_vs_wait, fit_censored, fit_patience, kaplan_meier, km_restricted_mean

matplotlib.use("Agg")


def queued_calls(patience: np.ndarray, offered_wait: np.ndarray):
    abandoned = patience < offered_wait
    return np.minimum(patience, offered_wait), abandoned


def test_kaplan_meier_matches_a_hand_computed_example():
    km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    # at risk 6, 5, 3, 2, 1 (the call answered at 2 is still at risk at 2):
    # S(1) = 5/6; S(2) = 5/6 * 4/5; S(3) = 2/3 * 2/3; S(4) unchanged (censored only); S(5) = 0
    assert km["time"].tolist() == [1, 2, 3, 4, 5]
    assert km["survival"].to_numpy() == pytest.approx([5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])
    # Greenwood at 1: SE = 5/6 sqrt(1/(6*5)); at 3: (4/9)^2 (1/(6*5) + 1/(5*4) + 1/(3*2)) = 4/81, SE = 2/9;
    # the band is ±2 SE clipped to [0, 1], and where the curve reaches 0 (SE 0 x inf) the curve itself
    se_1 = 5 / 6 * math.sqrt(1 / 30)
    assert km["low"].iloc[[0, 2, 4]].to_numpy() == pytest.approx([5 / 6 - 2 * se_1, 0, 0])
    assert km["high"].iloc[[0, 2, 4]].to_numpy() == pytest.approx([1, 8 / 9, 0])
    # area under the steps 1, 5/6, 2/3, 4/9, 4/9 over [0,1], [1,2], ..., [4,5]
    assert km_restricted_mean(km) == pytest.approx(61 / 18)


def test_kaplan_meier_without_censoring_is_one_minus_the_empirical_cdf():
    times = np.random.default_rng(1).exponential(10, 200).round()
    km = kaplan_meier(times, np.ones(200, bool))
    expected = [np.mean(times > t) for t in km["time"]]
    assert km["survival"].to_numpy() == pytest.approx(expected)


def test_kaplan_meier_keeps_calls_answered_at_a_time_at_risk_at_that_time():
    """Waits to the second tie a lot: abandonments and answers at the same second both count at risk there."""
    rng = np.random.default_rng(12)
    waits, abandoned = queued_calls(rng.lognormal(5.0, 1.0, 3000), rng.exponential(150, 3000))
    waits = np.ceil(waits)
    km = kaplan_meier(waits, abandoned)
    assert km["time"].tolist() == sorted(set(waits))
    by_hand = []
    for t in km["time"]:
        at_risk, events = np.sum(waits >= t), np.sum((waits == t) & abandoned)
        by_hand.append(1 - events / at_risk)
    assert km["survival"].to_numpy() == pytest.approx(np.cumprod(by_hand), rel=1e-12)


SCIPY_FAMILIES = {"weibull": (stats.weibull_min, lambda p: (p[0], p[2])),
                  "lognormal": (stats.lognorm, lambda p: (math.log(p[2]), p[0])),
                  "gamma": (stats.gamma, lambda p: (p[0], p[2]))}


def whole_second_records(rng, n=1500):
    """Waits recorded to the second; an abandonment at r is known to lie in [r - 1, r + 1] (see censored.py)."""
    waits, abandoned = queued_calls(rng.weibull(0.8, n) * 250, rng.exponential(200, n))
    waits = np.round(waits)
    keep = (waits > 0) | abandoned
    waits, abandoned = waits[keep], abandoned[keep]
    data = stats.CensoredData(right=waits[~abandoned],
                              interval=np.column_stack([np.maximum(waits[abandoned] - 1, 0), waits[abandoned] + 1]))
    return waits, abandoned, data


@pytest.mark.parametrize("family", list(SCIPY_FAMILIES))
def test_censored_fits_agree_with_scipy_fit_of_the_same_censored_data(family):
    """Our interval- and right-censored likelihood, maximised, against scipy's `fit(CensoredData)`:
    the same maximum (scipy's optimiser stops a little earlier), our log-likelihood at least its."""
    waits, abandoned, data = whole_second_records(np.random.default_rng(13))
    ours = fit_censored(family, waits, abandoned, resolution_s=1.0)
    generator, parameters = SCIPY_FAMILIES[family]
    theirs = type(ours)(*parameters(generator.fit(data, floc=0)))
    assert ours.mean == pytest.approx(theirs.mean, rel=1e-5) and ours.cv == pytest.approx(theirs.cv, rel=1e-5)
    loglik = [censored_loglik(dist, waits, abandoned, resolution_s=1.0) for dist in (ours, theirs)]
    assert loglik[0] >= loglik[1] - 1e-8


def test_closed_form_exponential_is_within_1e_4_of_the_interval_censored_maximum():
    """Abandonments / total waiting is the maximum for exactly recorded waits; with waits recorded to
    the second it is a hair off the interval-censored maximum scipy finds (docs/calibration.md)."""
    waits, abandoned, data = whole_second_records(np.random.default_rng(14))
    ours = fit_censored("exponential", waits, abandoned, resolution_s=1.0)
    assert ours.mean == pytest.approx(stats.expon.fit(data, floc=0)[1], rel=1e-4)


def test_exponential_mean_patience_recovered_with_70_percent_censored():
    rng = np.random.default_rng(2)
    n, mean_patience = 3000, 200.0
    # P(abandon) = offered / (patience + offered) means = 0.3 with offered mean = 0.3/0.7 * 200
    waits, abandoned = queued_calls(rng.exponential(mean_patience, n), rng.exponential(mean_patience * 3 / 7, n))
    fit = fit_patience(waits, abandoned)
    events = abandoned.sum()
    assert 0.65 < 1 - abandoned.mean() < 0.75
    # the censored MLE (total waiting / abandonments) has SE = mean / sqrt(abandonments)
    se = mean_patience / math.sqrt(events)
    exponential = fit.candidates.set_index("family").loc["exponential"]
    assert abs(exponential["mean"] - mean_patience) < 4 * se
    assert exponential["mean_se"] == pytest.approx(exponential["mean"] / math.sqrt(events), rel=1e-3)
    # ignoring the censoring (mean wait of the abandoned) is hopelessly biased: the test can tell
    assert abs(waits[abandoned].mean() - mean_patience) > 10 * se


def test_weibull_patience_recovered_and_chosen_by_aic():
    rng = np.random.default_rng(3)
    n, shape, scale = 3000, 2.0, 250.0
    waits, abandoned = queued_calls(scale * rng.weibull(shape, n), rng.exponential(200, n))
    fit = fit_patience(waits, abandoned)
    true_mean = scale * math.gamma(1 + 1 / shape)
    assert fit.best.name == "weibull" and fit.candidates.loc[1, "delta_aic"] > 10
    assert abs(fit.best.shape - shape) / shape < 0.1
    weibull = fit.candidates.loc[0]
    assert abs(weibull["mean"] - true_mean) < 4 * weibull["mean_se"]
    # the SE is no smaller than with every patience seen, and not absurdly larger
    uncensored_se = true_mean * fit.best.cv / math.sqrt(n)
    assert uncensored_se < weibull["mean_se"] < 4 * uncensored_se


def test_lognormal_patience_recovered_and_chosen_by_aic():
    rng = np.random.default_rng(4)
    n, mu, sigma = 3000, 5.0, 0.8
    waits, abandoned = queued_calls(rng.lognormal(mu, sigma, n), rng.exponential(150, n))
    fit = fit_patience(waits, abandoned)
    assert fit.best.name == "lognormal"
    best = fit.candidates.loc[0]
    assert abs(best["mean"] - math.exp(mu + sigma ** 2 / 2)) < 4 * best["mean_se"]
    assert abs(fit.best.mu - mu) < 0.15 and abs(fit.best.sigma - sigma) < 0.1


def test_bootstrap_interval_needs_an_rng_and_covers_the_truth():
    rng = np.random.default_rng(5)
    waits, abandoned = queued_calls(rng.exponential(120, 800), rng.exponential(120, 800))
    without = fit_patience(waits, abandoned, families=("exponential",))
    assert np.isnan(without.candidates.loc[0, "mean_ci_low"]) and "no rng" in without.summary()
    fit = fit_patience(waits, abandoned, rng=np.random.default_rng(6), bootstrap=40, families=("exponential",))
    row = fit.candidates.loc[0]
    assert row["mean_ci_low"] < 120 < row["mean_ci_high"]
    assert row["mean_ci_low"] < row["mean"] < row["mean_ci_high"]


def test_zero_and_missing_waits_are_counted_and_summary_says_what_the_means_are():
    rng = np.random.default_rng(7)
    waits, abandoned = queued_calls(rng.exponential(100, 500), rng.exponential(100, 500))
    fit = fit_patience(np.r_[waits, 0, 0, np.nan], np.r_[abandoned, True, False, True])
    assert (fit.n, fit.excluded, fit.abandoned) == (500, 3, abandoned.sum())
    text = fit.summary()
    assert "3 excluded" in text and "restricted mean" in text and "longest observed wait" in text
    with pytest.raises(ValueError, match="no abandoned"):
        fit_patience([10, 20, 30], [False, False, False])


def test_abandon_rate_against_mean_wait_recovers_exponential_patience():
    rng = np.random.default_rng(8)
    mean_patience, per_interval = 150.0, 1500
    waits, abandoned, intervals = [], [], []
    for hour, offered_mean in enumerate(np.linspace(10, 120, 12)):  # quiet to busy hours
        w, a = queued_calls(rng.exponential(mean_patience, per_interval), rng.exponential(offered_mean, per_interval))
        waits.append(w)
        abandoned.append(a)
        intervals += [f"h{hour:02d}"] * per_interval
    check = abandon_vs_wait(np.concatenate(waits), np.concatenate(abandoned), intervals)
    events = np.concatenate(abandoned).sum()
    se = mean_patience / math.sqrt(events)  # of the pooled ratio; the slope is a little noisier: 5 SE
    assert abs(1 / check.pooled_rate_per_s - mean_patience) < 4 * se
    assert abs(check.implied_mean_patience_s - mean_patience) < 5 * se
    assert len(check.table) == 12 and check.table["used"].all()
    assert "mean patience" in check.summary()


def test_small_intervals_are_flagged_not_used():
    waits = np.r_[np.full(40, 30.0), np.full(5, 300.0)]
    abandoned = np.r_[np.arange(40) < 4, np.ones(5, bool)]
    check = abandon_vs_wait(waits, abandoned, ["a"] * 40 + ["b"] * 5, min_calls=30)
    assert check.table["used"].tolist() == [True, False]
    assert check.slope_per_s == pytest.approx(0.1 / 30)


def test_plots_work_headless():
    rng = np.random.default_rng(9)
    waits, abandoned = queued_calls(rng.exponential(100, 300), rng.exponential(100, 300))
    ax = fit_patience(waits, abandoned).plot()
    assert len(ax.lines) == 1 + 3  # the KM step curve and three fitted survival curves
    check = abandon_vs_wait(waits, abandoned, pd.Series(np.arange(300) % 3), min_calls=10)
    assert check.plot() is not None


def test_headline_leads_with_what_the_data_show_and_flags_an_extrapolated_mean():
    """Heavy-tailed patience seen only up to the longest wait: the fitted mean lies far beyond the
    data, so the headline gives the median and the Kaplan-Meier mean first and flags the mean."""
    rng = np.random.default_rng(10)
    waits, abandoned = queued_calls(rng.lognormal(6.0, 1.5, 3000), rng.exponential(150, 3000))
    fit = fit_patience(waits, abandoned)
    longest = waits.max()
    assert fit.longest_wait_s == longest
    assert fit.best.name == "lognormal" and fit.best.mean > 2 * fit.km_restricted_mean  # the misleading case
    text = fit.headline()
    assert text.startswith(f"median {fit.median():.0f} s (fitted lognormal, within the observed waits), "
                           f"Kaplan-Meier mean within the longest observed wait of {longest:.0f} s: "
                           f"{fit.km_restricted_mean:.0f} s; ")
    share = fit.share_beyond_longest_wait()
    assert share == pytest.approx(stats.lognorm(s=fit.best.sigma, scale=math.exp(fit.best.mu)).sf(longest))
    assert text.endswith(f"fitted lognormal: mean {fit.best.mean:.0f} s, extrapolated beyond the longest observed "
                         f"wait of {longest:.0f} s ({share:.0%} of its patience lies there)")
    assert fit.supported() in fit.summary() and fit.fitted_mean() in fit.summary()  # the report says the same


def test_headline_of_patience_seen_whole_calls_no_mean_extrapolated():
    """Short patience, long offered waits: nearly every caller's patience is observed, the fitted
    mean is not an extrapolation and the Kaplan-Meier mean agrees with it."""
    rng = np.random.default_rng(11)
    waits, abandoned = queued_calls(rng.exponential(20, 2000), rng.exponential(4000, 2000))
    fit = fit_patience(waits, abandoned, families=("exponential",))
    assert fit.share_beyond_longest_wait() < 0.01
    assert fit.headline().endswith(f"fitted exponential: mean {fit.best.mean:.0f} s (within the observed waits)")
    assert fit.km_restricted_mean == pytest.approx(fit.best.mean, rel=0.1)
