"""Replications to a stated precision: add batches until each target's 95 % half-width is met.

A target is `KPI=HALFWIDTH` for the `all` row, or `KPI@ROW=HALFWIDTH` for a contact type, channel
or priority row (e.g. `service_level=0.01`, `abandon_rate@billing=0.005`). For a single scenario the
half-width is the KPI's own; for a comparison it is the paired difference's, against every
alternative. Runs stop at the first batch that meets every target, or at the cap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from simulator.kpis import KPI_COLUMNS, row_names
from simulator.stats import t_quantile

from .runner import Results, joined


@dataclass(frozen=True)
class Target:
    kpi: str
    half_width: float
    row: str = "all"

    def __str__(self) -> str:
        return f"{self.kpi}{'' if self.row == 'all' else '@' + self.row}={self.half_width:g}"


def parse_targets(texts) -> list[Target]:
    targets = []
    for text in texts:
        name, separator, value = str(text).partition("=")
        kpi, _, row = name.strip().partition("@")
        if not separator or not kpi:
            raise ValueError(f"--precision needs KPI=HALFWIDTH (e.g. service_level=0.01), got {text!r}")
        if kpi not in KPI_COLUMNS:
            raise ValueError(f"--precision: unknown KPI {kpi!r}; KPIs are the columns of summary.csv, e.g. "
                             f"service_level, abandon_rate, asa_s")
        try:
            half_width = float(value)
        except ValueError:
            raise ValueError(f"--precision: the half-width must be a number, got {value!r}") from None
        if not half_width > 0 or not np.isfinite(half_width):
            raise ValueError(f"--precision: the half-width must be positive, got {value!r}")
        targets.append(Target(kpi, half_width, row.strip() or "all"))
    return targets


def check_rows(rows: list[str], models, option: str) -> None:
    """Refuse a row no scenario has (a typo) before anything runs: `rows` as KPI@ROW named them."""
    known = list(dict.fromkeys(name for model in models for name in row_names(model)))
    for row in rows:
        if row not in known:
            raise ValueError(f"{option}: no row {row!r} (rows: {', '.join(known)})")


@dataclass(frozen=True)
class Reached:
    replications: int
    half_widths: dict  # str(target) → the worst half-width reached (over alternatives for a comparison)
    met: bool


def run_to_precision(run_batch: Callable[[int, int], list[Results]], targets: list[Target], batch: int,
                     cap: int) -> tuple[list[Results], Reached]:
    """`run_batch(first, count)` runs replications first … first + count - 1 of every scenario (the
    first one is the base). Batches of `batch` replications until the targets are met or `cap`."""
    results = run_batch(0, batch)
    while True:
        widths = {str(target): half_width(results, target) for target in targets}
        met = all(width <= target.half_width for target, width in zip(targets, widths.values()))
        done = results[0].replication_count
        if met or done >= cap:
            return results, Reached(done, widths, met)
        more = run_batch(done, min(batch, cap - done))
        results = [joined(earlier, later) for earlier, later in zip(results, more)]


def half_width(results: list[Results], target: Target) -> float:
    """The target KPI's half-width (one scenario), or the widest paired one against the base."""
    base = _values(results[0], target)
    if all(_values(r, target).isna().all() for r in results):
        raise ValueError(f"--precision: {target.kpi} has no value on row {target.row!r}: the scenario does not "
                         f"model what it measures (e.g. callback KPIs without callback)")
    if len(results) == 1:
        values = base.dropna().to_numpy(dtype=float)
        if len(values) < 2:
            return np.inf
        return float(t_quantile(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    from .compare import difference  # pandas: a comparison's tables are DataFrames; a plain `run` needs none
    widths = [difference(base, _values(other, target), target.kpi)["diff_ci95"] for other in results[1:]]
    return max((w if np.isfinite(w) else np.inf) for w in widths)


def _values(results: Results, target: Target):
    rows = results.replications[results.replications["contact_type"] == target.row]
    if rows.empty:
        raise ValueError(f"--precision: no row {target.row!r} (rows: "
                         f"{', '.join(results.replications['contact_type'].unique())})")
    return rows.set_index("replication")[target.kpi]
