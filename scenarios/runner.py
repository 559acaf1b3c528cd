"""Replications of one scenario, serial or in worker processes, summarised with t-intervals.

A replication is a pure function of (model, seed, replication index), so results are identical on
any executor; workers only change the wall-clock time.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from simulator.config import ModelConfig
from simulator.engine import simulate
from simulator.interval_kpis import interval_kpis
from simulator.kpis import KPI_COLUMNS, outcomes, replication_kpis


@dataclass(frozen=True)
class Results:
    summary: pd.DataFrame  # per contact type (+ all): mean, _sd, _ci95 of every KPI, replications
    replications: pd.DataFrame  # per replication × contact type
    intervals: pd.DataFrame  # per replication × interval × contact type


def run_replication(model: ModelConfig, seed: int, replication: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs of one replication: overall rows and interval rows, tagged with the replication index."""
    log = simulate(model, seed, replication)
    overall = replication_kpis(log, model)
    intervals = interval_kpis(log, model, outcomes(log))
    overall.insert(0, "replication", replication)
    intervals.insert(0, "replication", replication)
    return overall, intervals


def _run_one(arguments):
    return run_replication(*arguments)


def run_experiment(model: ModelConfig, replications: int, seed: int, workers: int = 1,
                   progress: Callable[[int], None] | None = None) -> Results:
    """All replications, in index order whatever the executor; `progress(n)` after each one."""
    jobs = [(model, seed, index) for index in range(replications)]
    if workers > 1 and replications > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outputs = _collect(pool.map(_run_one, jobs), progress)
    else:
        outputs = _collect(map(_run_one, jobs), progress)
    overall = pd.concat([o for o, _ in outputs], ignore_index=True)
    intervals = pd.concat([i for _, i in outputs], ignore_index=True)
    return Results(summarise(overall), overall, intervals)


def _collect(results, progress):
    collected = []
    for result in results:
        collected.append(result)
        if progress:
            progress(1)
    return collected


def summarise(replications: pd.DataFrame, kpis: list[str] = KPI_COLUMNS) -> pd.DataFrame:
    """Mean, standard deviation and 95 % t-interval half-width over replications, per contact type."""
    rows = []
    for contact_type, group in replications.groupby("contact_type", sort=False):
        row = {"contact_type": contact_type}
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
    return float(values.mean()), sd, float(stats.t.ppf((1 + confidence) / 2, len(values) - 1) * sd / np.sqrt(len(values)))
