"""Replications of one or more scenarios on an executor (executors.py), summarised with t-intervals.

A replication is a pure function of (model, seed, replication index), so results are identical on
any executor; workers only change the wall-clock time. Every scenario of a comparison runs the same
replication indices, so they see the same customers (common random numbers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from simulator.agent_kpis import GROUP_COLUMNS, group_kpis
from simulator.config import ModelConfig
from simulator.engine import simulate
from simulator.group_interval_kpis import group_interval_kpis
from simulator.interval_kpis import interval_kpis
from simulator.kpis import KPI_COLUMNS, replication_kpis
from simulator.outcomes import visit_outcomes
from simulator.stats import t_quantile

from .executors import ExecutorSpec, mapper
from .interrupts import raise_if_stopped


@dataclass(frozen=True)
class Results:
    summary: pd.DataFrame  # per row key (contact type, channel, priority, all): mean, _sd, _ci95, replications
    replications: pd.DataFrame  # per replication × row key
    intervals: pd.DataFrame  # per replication × interval × contact type
    groups: pd.DataFrame  # per agent group: mean, _sd, _ci95 of its KPIs, replications
    group_replications: pd.DataFrame  # per replication × agent group
    group_intervals: pd.DataFrame  # per replication × interval × agent group: staffing against workload


def run_replication(model: ModelConfig, seed: int, replication: int):
    """KPIs of one replication: overall, interval and group rows, tagged with the replication index."""
    log = simulate(model, seed, replication)
    visits = visit_outcomes(log)
    overall = replication_kpis(log, model, visits)
    intervals = interval_kpis(log, model, visits)
    groups = group_kpis(log, visits, model)
    group_intervals = group_interval_kpis(log, visits, model)
    for frame in (overall, intervals, groups, group_intervals):
        frame.insert(0, "replication", replication)
    return overall, intervals, groups, group_intervals


def _run_one(models: list[ModelConfig], job: tuple[int, int, int]):
    """Job (model index, seed, replication index) of `models` (sent to each worker once)."""
    model, seed, replication = job
    return run_replication(models[model], seed, replication)


def run_experiment(model: ModelConfig, replications: int, seed: int, workers: int = 1,
                   progress: Callable[[int], None] | None = None, executor: ExecutorSpec | None = None,
                   first: int = 0) -> Results:
    """Replications `first`, …, `first + replications - 1`, in index order whatever the executor;
    `progress(n)` after each one."""
    return run_scenarios([model], replications, seed, executor or ExecutorSpec.choose(None, workers, None),
                         progress, first)[0]


def run_scenarios(models: list[ModelConfig], replications: int, seed: int, executor: ExecutorSpec,
                  progress: Callable[[int], None] | None = None, first: int = 0) -> list[Results]:
    """The same replication indices (and so the same customers) for every model, all on one executor."""
    jobs = [(k, seed, index) for k in range(len(models)) for index in range(first, first + replications)]
    with mapper(executor) as run_all:
        outputs = _collect(run_all(_run_one, models, jobs), progress)
    return [results_of(outputs[k * replications:(k + 1) * replications]) for k in range(len(models))]


def results_of(outputs: list) -> Results:
    """Results from the per-replication outputs (overall, intervals, groups, group intervals)."""
    overall, intervals, groups, group_intervals = (pd.concat(frames, ignore_index=True) for frames in zip(*outputs))
    return Results(summarise(overall), overall, intervals, summarise(groups, GROUP_COLUMNS, "group"), groups,
                   group_intervals)


def joined(earlier: Results, later: Results) -> Results:
    """Two batches of replications of the same scenario as one set of results."""
    return results_of([(earlier.replications, earlier.intervals, earlier.group_replications, earlier.group_intervals),
                       (later.replications, later.intervals, later.group_replications, later.group_intervals)])


def _collect(results, progress):
    collected = []
    for result in results:
        raise_if_stopped()  # a SIGTERM lost while the pool forked its workers stops the run here
        collected.append(result)
        if progress:
            progress(1)
    return collected


def summarise(replications: pd.DataFrame, kpis: list[str] = KPI_COLUMNS, key: str = "contact_type") -> pd.DataFrame:
    """Mean, standard deviation and 95 % t-interval half-width over replications, per row key."""
    rows = []
    for name, group in replications.groupby(key, sort=False):
        row = {key: name}
        for kpi in kpis:
            mean, sd, half_width = mean_and_ci(group[kpi].to_numpy(dtype=float))
            row.update({kpi: mean, f"{kpi}_sd": sd, f"{kpi}_ci95": half_width})
        row["replications"] = len(group)
        rows.append(row)
    return pd.DataFrame(rows)


def mean_and_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean, sd and t-interval half-width of the defined values (NaN: the KPI had no data that run)."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    if len(values) == 1:
        return float(values[0]), np.nan, np.nan
    sd = float(values.std(ddof=1))
    return float(values.mean()), sd, float(t_quantile((1 + confidence) / 2, len(values) - 1) * sd / np.sqrt(len(values)))
