"""Little's law for the queue: time-average line length L = arrival rate λ × mean wait W.

Over a finite window [from, to) of length T the law holds as a sample-path identity once the
boundaries are accounted for: ∫ queue length dt = Σ (part of each wait inside the window). A contact
that arrived inside the window has its wait measured up to answer, abandonment or the window's end
(`wait_s`), so its whole measured wait lies inside; the only extra term is B, the waiting done inside
the window by contacts that were already in line at its start (arrived during warm-up). Hence

    L · T = λ̂ · T · W + B,   λ̂ = offered / T,   W = mean_wait_s,

exactly, with B ≥ 0 computed from the log. The first tests check that identity (tolerance: float
rounding only). The second checks the law against the *configured* arrival rate λ: then
L − λ·W = (λ̂ − λ)·W + B/T, and the noise is that of a Poisson count, sd(λ̂) = √(λ̂/T), so the
tolerance is 4·√(λ̂/T)·W + B/T, all from the data of the replication. The third checks it across
replications, where the noise is estimated from the spread of L − λ·W itself (4 standard errors).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Retrial, Shift
from simulator.distributions import Exponential, Lognormal
from simulator.engine import simulate
from simulator.interval_kpis import interval_kpis
from simulator.kpis import ALL, replication_kpis
from simulator.outcomes import visit_outcomes as outcomes

MIN, H, DAY = 60.0, 3600.0, 86400.0
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def call_centre(rates_per_h, agents: int, patience_s: float | None, *, warmup_s=2 * H, horizon_s=DAY,
                retrial: bool = False, cv: float = 1.0) -> ModelConfig:
    """One around-the-clock group serving every type; lognormal handle times (cv 1 ~ exponential)."""
    contacts = tuple(
        ContactType(f"type{k}", Arrivals(rate_per_s=rate / H), Lognormal.from_mean_cv(240.0, cv),
                    priority=1 + k % 2, patience=None if patience_s is None else Exponential(patience_s),
                    retrial=Retrial(0.5, Exponential(300.0)) if retrial and patience_s else None)
        for k, rate in enumerate(rates_per_h))
    group = AgentGroup("agents", {c.name: 1 for c in contacts}, (Shift(tuple(range(7)), 0.0, 0.0, agents),))
    return ModelConfig(contacts, (group,), Calendar(horizon_s=horizon_s, warmup_s=warmup_s))


def carried_in(log, result, selected) -> float:
    """B: waiting done inside the window by contacts that arrived before it (still in line at its start)."""
    before = selected & (log.arrival_s < log.measure_from_s)
    left_line = (log.arrival_s + result.wait_s)[before]
    return float((np.minimum(left_line, log.measure_to_s) - log.measure_from_s).clip(min=0).sum())


models = st.builds(
    call_centre,
    st.lists(st.floats(10.0, 60.0), min_size=1, max_size=3),
    st.integers(1, 8),
    st.one_of(st.none(), st.floats(60.0, 900.0)),
    warmup_s=st.sampled_from([0.0, 1 * H, 4 * H]),
    horizon_s=st.sampled_from([0.5 * DAY, DAY]),
    retrial=st.booleans(),
    cv=st.sampled_from([0.5, 1.0, 1.5]),
)


@SETTINGS
@given(models, st.integers(0, 2 ** 31 - 1))
def test_queue_length_equals_arrival_rate_times_wait_plus_carried_in(model, seed):
    log = simulate(model, seed, 0)
    result = outcomes(log)
    table = replication_kpis(log, model).set_index("contact_type")
    window = log.measure_to_s - log.measure_from_s
    for index, name in enumerate(model.contact_names + (ALL,)):
        selected = (log.contact_type == index) if name != ALL else np.ones(len(log), bool)
        row = table.loc[name]
        if row.offered == 0:
            continue
        rate = row.offered / window
        expected = rate * row.mean_wait_s + carried_in(log, result, selected) / window
        assert row.queue_len_mean == pytest.approx(expected, rel=1e-9, abs=1e-9), name


@SETTINGS
@given(models, st.integers(0, 2 ** 31 - 1))
def test_littles_law_for_contacts_that_waited(model, seed):
    """Only contacts that actually queued: L = (rate of contacts entering the line) × (their mean wait)."""
    log = simulate(model, seed, 0)
    result = outcomes(log)
    everything = np.ones(len(log), bool)
    window = log.measure_to_s - log.measure_from_s
    queued = result.measured & (result.wait_s > 0)
    queue_len = replication_kpis(log, model).set_index("contact_type").loc[ALL, "queue_len_mean"]
    rate_in_line = queued.sum() / window
    mean_wait_in_line = result.wait_s[queued].mean() if queued.any() else 0.0
    boundary = carried_in(log, result, everything) / window
    assert queue_len == pytest.approx(rate_in_line * mean_wait_in_line + boundary, rel=1e-9, abs=1e-9)


@SETTINGS
@given(models, st.integers(0, 2 ** 31 - 1))
def test_littles_law_with_the_configured_arrival_rate(model, seed):
    log = simulate(model, seed, 0)
    result = outcomes(log)
    table = replication_kpis(log, model).set_index("contact_type")
    window = log.measure_to_s - log.measure_from_s
    row = table.loc[ALL]
    first_attempt_rate = sum(c.arrivals.rate_per_s for c in model.contacts)
    if any(c.retrial for c in model.contacts):
        return  # retrials add arrivals at a rate the config does not state; covered by the tests above
    observed_rate = row.offered / window
    boundary = carried_in(log, result, np.ones(len(log), bool)) / window
    tolerance = 4 * math.sqrt(max(observed_rate, first_attempt_rate) / window) * row.mean_wait_s + boundary
    assert abs(row.queue_len_mean - first_attempt_rate * row.mean_wait_s) <= tolerance + 1e-9


def test_littles_law_across_replications():
    """A busy M/M/5 with abandonment, 12 replications of a day after a 2 h warm-up.

    d_r = L_r − λ·W_r for each replication r (λ the configured rate); its mean over replications is
    zero up to the warm-up boundary term. Tolerance: 4 standard errors of d from its own spread,
    plus the largest boundary term seen.
    """
    model = call_centre([80.0], 5, 300.0, cv=1.0)
    rate = model.contacts[0].arrivals.rate_per_s
    differences, boundaries, queue_lengths = [], [], []
    for replication in range(12):
        log = simulate(model, 2024, replication)
        row = replication_kpis(log, model).set_index("contact_type").loc["type0"]
        window = log.measure_to_s - log.measure_from_s
        differences.append(row.queue_len_mean - rate * row.mean_wait_s)
        boundaries.append(carried_in(log, outcomes(log), log.contact_type == 0) / window)
        queue_lengths.append(row.queue_len_mean)
    differences = np.asarray(differences)
    assert np.mean(queue_lengths) > 0.5, "the line should be long enough for the test to mean something"
    standard_error = differences.std(ddof=1) / math.sqrt(len(differences))
    assert abs(differences.mean()) <= 4 * standard_error + max(boundaries)


@SETTINGS
@given(models, st.integers(0, 2 ** 31 - 1))
def test_interval_queue_lengths_add_up_to_the_window(model, seed):
    """Σ over intervals of (mean line length × interval length) = mean line length × window."""
    log = simulate(model, seed, 0)
    overall = replication_kpis(log, model).set_index("contact_type")
    intervals = interval_kpis(log, model)
    edges = np.append(np.arange(log.measure_from_s, log.measure_to_s, model.calendar.interval_s), log.measure_to_s)
    lengths = np.diff(edges)
    window = log.measure_to_s - log.measure_from_s
    for name in model.contact_names + (ALL,):
        per_interval = intervals[intervals.contact_type == name].queue_len_mean.to_numpy()
        assert len(per_interval) == len(lengths)
        assert (per_interval * lengths).sum() / window == pytest.approx(
            overall.loc[name, "queue_len_mean"], rel=1e-9, abs=1e-9), name
