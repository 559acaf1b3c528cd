"""Staffing against workload per group and interval (group_intervals.csv) against Erlang A (M/M/n+M).

Exact references: agents on shift = n; offered load = λ·E[S] = a (every arrival brings its work,
answered or not); busy agents = a·(1 − P(abandon)) (only answered callers are served). Tolerance: 4
replication standard errors (replicate.py).
"""
import numpy as np

from simulator import erlang
from simulator.group_interval_kpis import group_interval_kpis

from .replicate import assert_matches, exponential_minutes, per_replication, single_queue

RATE_PER_MIN, AHT_MIN, PATIENCE_MIN, AGENTS = 2.0, 3.0, 2.0, 6  # a = 6 Erlangs on 6 agents: P(abandon) 0.176


def _per_interval_means(result, log):
    frame = group_interval_kpis(log, result, MODEL)
    return [frame.agents_on_shift_mean.mean(), frame.offered_load.mean(), frame.busy_agents_mean.mean(),
            np.nansum(frame.busy_agents_mean) / np.nansum(frame.agents_on_shift_mean)]


MODEL = single_queue(AGENTS, RATE_PER_MIN, exponential_minutes(AHT_MIN), exponential_minutes(PATIENCE_MIN), days=8,
                     warmup_h=2.0)


def test_staffing_load_and_busy_agents_match_erlang_a():
    exact = erlang.erlang_a_metrics(RATE_PER_MIN, AHT_MIN, PATIENCE_MIN, AGENTS)
    load = RATE_PER_MIN * AHT_MIN
    values = per_replication(MODEL, 8, 5, _per_interval_means)
    assert (values[:, 0] == AGENTS).all()  # around the clock, no breaks: every interval has all six
    assert_matches(values[:, 1], load, "offered load (Erlangs)")
    assert_matches(values[:, 2], load * (1 - exact.p_abandon), "busy agents")
    assert_matches(values[:, 3], load * (1 - exact.p_abandon) / AGENTS, "occupancy")


def test_infinite_server_load_is_the_offered_load_when_demand_is_steady():
    values = per_replication(MODEL, 8, 5, lambda result, log: group_interval_kpis(log, result, MODEL)
                             .infinite_server_load.mean())
    assert_matches(values, RATE_PER_MIN * AHT_MIN, "infinite-server load (Erlangs)")


# Twelve busy hours (4/min) and twelve quiet ones (1/min), 30-minute exponential work, ample agents:
# the M(t)/M/∞ load m(t) = ∫ λ(t − u) e^{−u/E[S]} du lags the drop at noon by hours, while the work
# that arrives per interval (offered_load) drops at once. The reference is that integral, averaged
# over each 30-minute interval, summed over the past days numerically (the periodic steady state).
BUSY, QUIET, WORK_MIN = 4.0, 1.0, 30.0


def _step_day_model():
    from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift
    table = tuple((BUSY / 60.0, QUIET / 60.0) for _ in range(7))
    calls = ContactType("calls", Arrivals(weekly_per_s=table), exponential_minutes(WORK_MIN))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(tuple(range(7)), 0.0, 0.0, 250),))
    return ModelConfig((calls,), (desk,), Calendar(horizon_s=4 * 86400.0, warmup_s=86400.0, interval_s=1800.0))


def _periodic_load(minute_of_day: np.ndarray) -> np.ndarray:
    lags = np.arange(0.0, 30 * 1440.0, 0.25) + 0.125  # midpoint rule over 30 days of lags, in minutes
    past = (minute_of_day[:, None] - lags[None, :]) % 1440.0
    rates = np.where(past < 720.0, BUSY, QUIET)
    return (rates * np.exp(-lags / WORK_MIN)).sum(axis=1) * 0.25


def test_infinite_server_load_lags_a_drop_in_demand_as_m_t_g_infinity_says():
    model = _step_day_model()
    shown = [24, 25, 27, 47, 0, 2]  # 12:00, 12:30, 13:30, 23:30, 00:00, 01:00 (intervals of the day)

    def measure(result, log):
        frame = group_interval_kpis(log, result, model)
        slot = ((frame.interval_start - frame.interval_start.dt.normalize()).dt.total_seconds() // 1800).astype(int)
        return frame.groupby(slot).infinite_server_load.mean().loc[shown].to_numpy()

    values = per_replication(model, 6, 11, measure)
    for column, interval in enumerate(shown):
        minutes = interval * 30.0 + np.arange(0.0, 30.0, 0.5) + 0.25
        exact = float(_periodic_load(minutes).mean())
        assert_matches(values[:, column], exact, f"infinite-server load in interval {interval}")
    assert values[:, 0].mean() > 2.5 * QUIET * WORK_MIN  # well above the quiet hours' own λ·E[S] (30)
