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
