"""A sweep: a grid of variants of one scenario, each paired against the first, and the best one for
a stated target (e.g. the cheapest that reaches service level ≥ 0.8)."""
from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.kpis import KPI_COLUMNS

from .compare import compare

RANGE = re.compile(r"^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*(?::\s*([\d.]+))?\s*$")
CONDITION = re.compile(r"^\s*([a-z_0-9]+)(?:@([^<>=!]+))?\s*(<=|>=|<|>|==)\s*(-?[\d.eE+-]+)\s*$")
COMPARE = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}


@dataclass(frozen=True)
class Axis:
    key: str
    values: tuple[str, ...]


def parse_axis(text: str) -> Axis:
    """`KEY=V1,V2,…` or `KEY=A..B[:STEP]` (numbers; both ends included)."""
    key, separator, values = str(text).partition("=")
    if not separator or not key.strip() or not values.strip():
        raise ValueError(f"--vary needs KEY.PATH=V1,V2,… or KEY.PATH=A..B[:STEP], got {text!r}")
    span = RANGE.match(values)
    listed = _steps(*span.groups(), text) if span else tuple(v.strip() for v in values.split(",") if v.strip())
    repeated = sorted({value for value in listed if listed.count(value) > 1})
    if repeated:
        raise ValueError(f"--vary {text!r} gives {', '.join(repeated)} more than once; give each value once")
    return Axis(key.strip(), listed)


def check_axes(axes: list[Axis]) -> None:
    """One --vary per key: a second would silently replace the first in every variant."""
    keys = [axis.key for axis in axes]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"--vary {', '.join(repeated)} is given more than once; list all its values in one --vary")


def _steps(low: str, high: str, step: str | None, text: str) -> tuple[str, ...]:
    whole = all(part is None or re.fullmatch(r"-?\d+", part) for part in (low, high, step))
    try:
        first, last, size = float(low), float(high), float(step or 1)
    except ValueError:
        raise ValueError(f"--vary {text!r}: a range is A..B or A..B:STEP with numbers, e.g. 5..8 or 0.5..1:0.1") from None
    if size <= 0 or last < first:
        raise ValueError(f"--vary {text!r}: a range needs A <= B and a positive step")
    count = int(np.floor((last - first) / size + 1e-9)) + 1
    if count > 1000:
        raise ValueError(f"--vary {text!r} makes {count} values; a sweep takes at most 1000 per key")
    values = [first + index * size for index in range(count)]
    return tuple(str(int(round(v))) if whole else f"{v:g}" for v in values)


def grid(axes: list[Axis]) -> list[dict[str, str]]:
    """Every combination, the first value of every axis first (the variant the others pair against)."""
    return [dict(zip((axis.key for axis in axes), combination))
            for combination in itertools.product(*(axis.values for axis in axes))]


def variant_name(settings: dict[str, str]) -> str:
    """`agents=8, cost_per_hour=30`: each key's shortest distinct ending and its value."""
    short = short_keys(list(settings))
    return ", ".join(f"{short[key]}={value}" for key, value in settings.items())


def short_keys(keys: list[str]) -> dict[str, str]:
    """Each key by as few of its last parts as tell it apart from the others (`l1.shifts.early.agents`
    and `l2.shifts.early.agents` become `l1…agents`-style endings `l1.shifts.early.agents`, `l2…`)."""
    short = {}
    for key in keys:
        parts = key.split(".")
        for size in range(1, len(parts) + 1):
            ending = ".".join(parts[-size:])
            if not any(other != key and (other == ending or other.endswith("." + ending)) for other in keys):
                break
        short[key] = ending
    return short


def sweep_table(names: list[str], settings: list[dict], results: list) -> pd.DataFrame:
    """sweep.csv: per variant × row × KPI, the mean, its 95 % half-width, and the paired difference
    from the first variant with its half-width and verdict."""
    table = compare(results[0], dict(zip(names, results)))
    table = table[table["group"] == ""].drop(columns=["group", "base", "unpaired_ci95"])
    summaries = {name: result.summary.set_index("contact_type") for name, result in zip(names, results)}
    table["mean"] = [summaries[n].at[row, kpi] if row in summaries[n].index else np.nan
                     for n, row, kpi in zip(table.scenario, table.contact_type, table.kpi)]
    table["ci95"] = [summaries[n].at[row, f"{kpi}_ci95"] if row in summaries[n].index else np.nan
                     for n, row, kpi in zip(table.scenario, table.contact_type, table.kpi)]
    for position, key in enumerate(settings[0], start=1):
        table.insert(position, key, table.scenario.map(dict(zip(names, (s[key] for s in settings)))))
    return table.rename(columns={"scenario": "variant"}).drop(columns=["alternative"])


@dataclass(frozen=True)
class Condition:
    kpi: str
    row: str
    compare: str
    value: float

    def holds(self, mean: float) -> bool:
        return not np.isnan(mean) and COMPARE[self.compare](mean, self.value)

    def __str__(self) -> str:
        return f"{self.kpi}{'' if self.row == 'all' else '@' + self.row} {self.compare} {self.value:g}"


def parse_condition(text: str) -> Condition:
    match = CONDITION.match(str(text))
    if not match:
        hint = " (quote it: the shell reads > and < as redirections)" if not re.search("[<>=]", str(text)) else ""
        raise ValueError(f"--target needs KPI[@ROW]>=VALUE (or <=, <, >, ==), e.g. 'service_level>=0.8'; "
                         f"got {text!r}{hint}")
    kpi, row, sign, value = match.groups()
    known_kpi(kpi, "--target")
    try:
        return Condition(kpi, (row or "all").strip(), sign, float(value))
    except ValueError:
        raise ValueError(f"--target {text!r}: {value!r} is not a number") from None


def known_kpi(kpi: str, option: str) -> str:
    if kpi not in KPI_COLUMNS:
        raise ValueError(f"{option}: unknown KPI {kpi!r}; KPIs are the columns of summary.csv, e.g. "
                         f"service_level, abandon_rate, asa_s, cost")
    return kpi


def best_variant(table: pd.DataFrame, conditions: list[Condition], objective: str) -> tuple[str | None, list]:
    """The variant with the lowest `objective` (on `all`) among those whose means meet every condition;
    and the variants that meet them (for the console)."""
    means = table.pivot_table(index="variant", columns=["contact_type", "kpi"], values="mean", sort=False)
    meeting = [variant for variant in means.index
               if all(cond.holds(means.at[variant, (cond.row, cond.kpi)]) if (cond.row, cond.kpi) in means.columns
                      else False for cond in conditions)]
    if not meeting:
        return None, []
    if ("all", objective) not in means.columns:
        raise ValueError(f"--best-by {objective}: no variant has a value of it (the scenario does not model it)")
    scores = means.loc[meeting, ("all", objective)]
    return str(scores.idxmin()), meeting
