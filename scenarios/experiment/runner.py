"""Replications of one or more scenarios on an executor (executors.py), summarised with t-intervals.

A replication is a pure function of (model, seed, replication index), so results are identical on
any executor; workers only change the wall-clock time. Every scenario of a comparison runs the same
replication indices, so they see the same customers (common random numbers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from simulator.agent_kpis import GROUP_COLUMNS, group_kpi_table
from simulator.config import ModelConfig
from simulator.engine import simulate
from simulator.group_interval_kpis import group_interval_kpi_table
from simulator.interval_kpis import interval_kpi_table
from simulator.kpis import KPI_COLUMNS, replication_kpi_table
from simulator.outcomes import visit_outcomes
from simulator.stats import t_quantile
from simulator.table import Table, concat

from .executors import ExecutorSpec, mapper
from .interrupts import raise_if_stopped


class _Frame:
    """One of the results' tables as a pandas DataFrame, made the first time it is read: a run that
    only writes and prints its tables never loads pandas."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, results, owner=None):
        if results is None:
            return self
        frame = results.tables[self.name].to_pandas()
        results.__dict__[self.name] = frame  # read from here on, before this (non-data) descriptor
        return frame


@dataclass(frozen=True, eq=False)
class Results:
    """The tables of a run (`tables`, by name), each also the DataFrame attribute of that name:
    summary: per row key (contact type, channel, priority, all): mean, _sd, _ci95, replications;
    replications: per replication × row key; intervals: per replication × interval × contact type;
    groups: per agent group: mean, _sd, _ci95 of its KPIs, replications; group_replications: per
    replication × agent group; group_intervals: per replication × interval × agent group.
    The tables are what a results folder gets; a DataFrame is a copy made for reading, so a change
    to one is not written."""
    tables: dict[str, Table]

    summary = _Frame()
    replications = _Frame()
    intervals = _Frame()
    groups = _Frame()
    group_replications = _Frame()
    group_intervals = _Frame()

    @property
    def replication_count(self) -> int:
        return len(np.unique(self.tables["replications"]["replication"]))


def run_replication(model: ModelConfig, seed: int, replication: int) -> tuple[Table, Table, Table, Table]:
    """KPIs of one replication: overall, interval and group rows, tagged with the replication index."""
    log = simulate(model, seed, replication)
    visits = visit_outcomes(log)
    tables = (replication_kpi_table(log, model, visits), interval_kpi_table(log, model, visits),
              group_kpi_table(log, visits, model), group_interval_kpi_table(log, visits, model))
    return tuple(table.with_first("replication", replication) for table in tables)


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
    overall, intervals, groups, group_intervals = (concat(tables) for tables in zip(*outputs))
    return Results({"summary": summarise(overall), "replications": overall, "intervals": intervals,
                    "groups": summarise(groups, GROUP_COLUMNS, "group"), "group_replications": groups,
                    "group_intervals": group_intervals})


def joined(earlier: Results, later: Results) -> Results:
    """Two batches of replications of the same scenario as one set of results."""
    return results_of([tuple(batch.tables[name] for name in ("replications", "intervals", "group_replications",
                                                               "group_intervals")) for batch in (earlier, later)])


def _collect(results, progress):
    collected = []
    for result in results:
        raise_if_stopped()  # a SIGTERM lost while the pool forked its workers stops the run here
        collected.append(result)
        if progress:
            progress(1)
    return collected


def summarise(replications: Table, kpis: list[str] = KPI_COLUMNS, key: str = "contact_type") -> Table:
    """Mean, standard deviation and 95 % t-interval half-width over replications, per row key (in
    the order the keys first appear)."""
    keys = replications[key]
    rows = []
    for name in dict.fromkeys(keys.tolist()):
        mine = keys == name
        row = {key: name}
        for kpi in kpis:
            mean, sd, half_width = mean_and_ci(replications[kpi][mine].astype(float))
            row.update({kpi: mean, f"{kpi}_sd": sd, f"{kpi}_ci95": half_width})
        row["replications"] = int(np.count_nonzero(mine))
        rows.append(row)
    return Table.from_rows(rows)


def mean_and_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean, sd and t-interval half-width of the defined values (NaN: the KPI had no data that run)."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    if len(values) == 1:
        return float(values[0]), np.nan, np.nan
    sd = float(values.std(ddof=1))
    return float(values.mean()), sd, float(t_quantile((1 + confidence) / 2, len(values) - 1) * sd / np.sqrt(len(values)))
