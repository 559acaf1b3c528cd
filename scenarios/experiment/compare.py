"""Comparison with confidence: each alternative against the base, paired over the same replications.

All scenarios run the same replication indices, so replication r of every scenario sees the same
customers (common random numbers); the difference of a KPI between two scenarios is then measured
per replication, and its 95 % t-interval is usually far narrower than the interval an unpaired
comparison of the two means would give (also reported, so the gain is visible). A verdict says
whether the interval excludes zero, in the KPI's direction of "better".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.agent_kpis import GROUP_COLUMNS
from simulator.kpis import KPI_COLUMNS
from simulator.stats import t_quantile

from .runner import Results

HIGHER_IS_BETTER = {"answered", "service_level", "resolved", "fcr_rate", "sla_met_rate", "deflected", "auto_resolved"}
LOWER_IS_BETTER = {
    "abandoned", "short_abandoned", "still_waiting", "abandon_rate", "abandon_rate_net", "lost_rate", "asa_s",
    "p_wait", "mean_wait_s", "wait_p50_s", "wait_p90_s", "wait_p95_s", "first_response_s", "first_response_business_s",
    "resolution_time_h", "resolution_p90_h", "resolution_time_business_h", "escalation_rate", "repeat_rate",
    "callbacks_missed", "callback_delay_s", "queue_len_mean", "queue_len_max", "backlog_end", "self_service_cost",
    "automation_cost", "cost", "cost_per_resolved", "sla_overtaken_rate",
}
COLUMNS = ["scenario", "contact_type", "group", "kpi", "better", "base", "alternative", "diff", "diff_ci95",
           "unpaired_ci95", "replications", "verdict"]
NO_DIFFERENCE = "no detectable difference"


def direction(kpi: str) -> str:
    """`higher`, `lower`, or `neither` (counts of work and staffing: a change, not a verdict)."""
    return "higher" if kpi in HIGHER_IS_BETTER else "lower" if kpi in LOWER_IS_BETTER else "neither"


def compare(base: Results, alternatives: dict[str, Results]) -> pd.DataFrame:
    """comparison.csv: one row per alternative × row (contact type, channel, priority, all; groups) × KPI."""
    frames = []
    for name, alternative in alternatives.items():
        frames.append(_paired(name, base.replications, alternative.replications, "contact_type", KPI_COLUMNS))
        frames.append(_paired(name, base.group_replications, alternative.group_replications, "group",
                              GROUP_COLUMNS))
    return pd.concat(frames, ignore_index=True).reindex(columns=COLUMNS)


def _paired(name: str, base: pd.DataFrame, alternative: pd.DataFrame, key: str, kpis: list[str]) -> pd.DataFrame:
    rows = []
    for row in list(dict.fromkeys(list(base[key]) + list(alternative[key]))):
        left = base[base[key] == row].set_index("replication")
        right = alternative[alternative[key] == row].set_index("replication")
        for kpi in kpis:
            a = left[kpi] if kpi in left else pd.Series(dtype=float)
            b = right[kpi] if kpi in right else pd.Series(dtype=float)
            rows.append({"scenario": name, "contact_type": row if key == "contact_type" else "",
                         "group": row if key == "group" else "", "kpi": kpi, **difference(a, b, kpi)})
    return pd.DataFrame(rows)


def difference(base: pd.Series, alternative: pd.Series, kpi: str) -> dict:
    """Means, the mean paired difference (replications where both are defined) with its 95 %
    half-width, the unpaired (Welch) half-width for contrast, and the verdict."""
    both = pd.concat([base.rename("a"), alternative.rename("b")], axis=1).dropna()
    diffs = (both["b"] - both["a"]).to_numpy(dtype=float)
    mean, half = _mean_half_width(diffs)
    result = {"better": direction(kpi), "base": _mean(base), "alternative": _mean(alternative), "diff": mean,
              "diff_ci95": half, "unpaired_ci95": _welch_half_width(both["a"], both["b"]),
              "replications": len(diffs)}
    result["verdict"] = verdict(mean, half, result["better"]) if len(diffs) else _missing(base, alternative)
    return result


def verdict(mean: float, half: float, better: str) -> str:
    """Better or worse when the interval excludes zero (higher or lower for a KPI with no better side)."""
    if np.isnan(half):
        return "too few replications"
    if abs(mean) <= half:
        return NO_DIFFERENCE
    if better == "neither":
        return "higher" if mean > 0 else "lower"
    return "better" if (mean > 0) == (better == "higher") else "worse"


def _missing(base: pd.Series, alternative: pd.Series) -> str:
    if base.notna().any() == alternative.notna().any():
        return "not measured"  # e.g. a KPI of a mechanism neither scenario uses
    return "only in the alternative" if alternative.notna().any() else "only in the base"


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else np.nan


def _mean_half_width(values: np.ndarray) -> tuple[float, float]:
    if len(values) == 0:
        return np.nan, np.nan
    if len(values) == 1:
        return float(values[0]), np.nan
    sd = values.std(ddof=1)
    return float(values.mean()), float(t_quantile(0.975, len(values) - 1) * sd / np.sqrt(len(values)))


def _welch_half_width(a: pd.Series, b: pd.Series) -> float:
    """The 95 % half-width of the difference of two means as if the runs were independent."""
    n = len(a)
    if n < 2:
        return np.nan
    va, vb = a.var(ddof=1) / n, b.var(ddof=1) / n
    total = va + vb
    if total == 0:
        return 0.0
    freedom = total ** 2 / ((va ** 2 + vb ** 2) / (n - 1))
    return float(t_quantile(0.975, freedom) * np.sqrt(total))
