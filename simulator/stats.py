"""Small summary helpers shared by the KPI modules: empty input gives NaN, never an error or a 0."""
from __future__ import annotations

import numpy as np


def ratio(numerator, denominator) -> float:
    return float(numerator) / float(denominator) if denominator > 0 else np.nan


def mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else np.nan


def percentile(values: np.ndarray, q: float, scratch: bool = False) -> float:
    """`scratch`: the values are a copy of the caller's, which numpy may reorder (no second copy)."""
    return float(np.percentile(values, q, overwrite_input=scratch)) if len(values) else np.nan


def defined(values: np.ndarray) -> np.ndarray:
    """The values that are not NaN."""
    return values[~np.isnan(values)]


def t_quantile(p: float, df):
    """Student's t quantile, `scipy.stats.t.ppf(p, df)` to the bit: the scipy.special function it calls
    (scipy.special loads in a fraction of scipy.stats' time, and only when an interval is computed)."""
    from scipy.special import stdtrit
    return stdtrit(np.asarray(df), p)
