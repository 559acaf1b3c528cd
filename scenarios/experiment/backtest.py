"""Back-test: replay a history's own days (arrival volumes and the agents who really worked) with a
profile's fitted handle times and patience, and compare simulated KPIs with what happened.

The profile can come from another period than the history (fit on January, test on February). The
back-test scenario is an ordinary scenario document (arrival `series`, `agents_per_interval`), so it
is written out and can be re-run or edited like any other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.history import History
from calibration.observed import observed_intervals, overall
from simulator.units import duration, format_duration

from .runner import Results, run_experiment
from scenarios.format.scenario import Scenario, scenario_from_document

COMPARED = ["offered", "abandon_rate", "asa_s", "service_level", "occupancy"]


@dataclass(frozen=True)
class Backtest:
    scenario: Scenario
    observed: pd.DataFrame  # per interval, the history's own KPIs
    results: Results
    overall: pd.DataFrame  # per KPI: observed, simulated, ci95, error, relative error
    intervals: pd.DataFrame  # per interval: observed and simulated side by side
    interval_errors: pd.DataFrame  # per KPI over intervals: bias, mean absolute error, correlation


def run_backtest(profile: dict, history: History, replications: int = 10, seed: int = 1, workers: int = 1,
                 threshold_s: float = 20.0, availability: float = 1.0, progress=None,
                 after_call_work_s: float = 0.0) -> Backtest:
    """`availability`: the share of the agents seen working in an interval who were free to take
    calls (other tasks are not in the log); 1 replays the headcount as seen. `after_call_work_s`: a
    constant wrap-up after every call (the log records talk time only)."""
    _check_profile(profile)
    interval_s = _interval_of(profile)
    observed = _contiguous(observed_intervals(history, interval_s, threshold_s), interval_s)
    document = backtest_document(profile, history, observed, interval_s, threshold_s, availability, after_call_work_s)
    scenario = scenario_from_document(document, "backtest")
    results = run_experiment(scenario.model, replications, seed, workers, progress)
    side_by_side = _side_by_side(observed, results.intervals)
    return Backtest(scenario, observed, results, _overall(observed, results, interval_s), side_by_side,
                    _interval_errors(side_by_side))


def _check_profile(profile) -> None:
    contacts = profile.get("contacts") if isinstance(profile, dict) else None
    if not isinstance(contacts, list) or not contacts or not all(isinstance(c, dict) and "name" in c for c in contacts):
        raise ValueError("not a calibration profile: `contacts` must be a list of contact types with names "
                         "(write one with `helpdesk-sim calibrate`)")


def backtest_document(profile: dict, history: History, observed: pd.DataFrame, interval_s: float,
                      threshold_s: float, availability: float = 1.0, after_call_work_s: float = 0.0) -> dict:
    """A scenario: the profile's contact types with the history's arrivals per interval, one group of
    all-skilled agents with the history's agents per interval."""
    origin = observed["interval_start"].iloc[0]
    contacts = [_replayed_contact(entry, counts, interval_s)
                for entry, counts in zip(profile["contacts"], _arrivals_per_type(profile, history, observed, interval_s))]
    if after_call_work_s > 0:
        for contact in contacts:
            contact["after_call_work"] = {"dist": "constant", "value": f"{after_call_work_s:g}s"}
    return {
        "name": "Back-test", "description": "History replayed with the profile's fitted distributions.",
        "calendar": {"start": origin.strftime("%Y-%m-%d %H:%M"), "horizon": f"{len(observed) * interval_s:g}s",
                     "warmup": "0s", "interval": format_duration(interval_s)},
        "demand": {"contacts": contacts},
        "staffing": {"groups": [{
            "name": "agents", "skills": {c["name"]: 1 for c in contacts},
            "agents_per_interval": {"interval": format_duration(interval_s),
                                    "agents": [int(round(a * availability)) for a in observed["agents"]]}}]},
        "kpis": {"service_level": {"threshold": f"{threshold_s:g}s"}},
    }


def _replayed_contact(entry: dict, counts: np.ndarray, interval_s: float) -> dict:
    contact = {key: value for key, value in entry.items() if key != "arrivals"}
    per_hour = counts * 3600.0 / interval_s
    contact["arrivals"] = {"series": {"interval": format_duration(interval_s), "unit": "1/h",
                                      "rates": [float(rate) for rate in per_hour]}}
    return contact


def _arrivals_per_type(profile: dict, history: History, observed: pd.DataFrame, interval_s: float):
    """Observed arrivals per interval for each profile type; types the profile lacks go to `other`."""
    names = [entry["name"] for entry in profile["contacts"]]
    pooled = {member: name for name, diag in (profile.get("diagnostics") or {}).items()
              for member in (diag or {}).get("pooled_from", [])}
    contacts = history.contacts
    mapped = contacts["contact_type"].map(lambda t: t if t in names else pooled.get(t, "other" if "other" in names else None))
    if mapped.isna().any():
        missing = sorted(set(contacts.loc[mapped.isna(), "contact_type"].dropna()))
        raise ValueError(f"the history has contact types {missing} that the profile does not describe")
    origin = observed["interval_start"].iloc[0]
    slot = ((contacts["arrived_at"] - origin) // pd.Timedelta(seconds=interval_s)).to_numpy()
    inside = (slot >= 0) & (slot < len(observed))
    return [np.bincount(slot[inside & (mapped == name).to_numpy()], minlength=len(observed)) for name in names]


def _contiguous(observed: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    """Days without data become closed intervals, so the replay's clock runs straight through."""
    grid = pd.date_range(observed["interval_start"].iloc[0], observed["interval_start"].iloc[-1],
                         freq=pd.Timedelta(seconds=interval_s))
    table = observed.set_index("interval_start").reindex(grid)
    table["in_history"] = table["offered"].notna()
    table[["offered", "answered", "abandoned", "agents", "busy_s"]] = table[
        ["offered", "answered", "abandoned", "agents", "busy_s"]].fillna(0)
    return table.rename_axis("interval_start").reset_index()


def _overall(observed: pd.DataFrame, results: Results, interval_s: float) -> pd.DataFrame:
    seen = overall(observed[observed["in_history"]], interval_s)
    simulated = results.summary.set_index("contact_type").loc["all"]
    rows = []
    for kpi in COMPARED:
        value, half = float(simulated[kpi]), float(simulated[f"{kpi}_ci95"])
        error = value - seen[kpi]
        rows.append({"kpi": kpi, "observed": seen[kpi], "simulated": value, "simulated_ci95": half,
                     "error": error, "relative_error": error / seen[kpi] if seen[kpi] else np.nan})
    return pd.DataFrame(rows)


def _side_by_side(observed: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    everything = intervals[intervals["contact_type"] == "all"]
    simulated = everything.groupby("interval_start")[COMPARED].mean()
    table = observed[observed["in_history"]].set_index("interval_start")[COMPARED]
    joined = table.add_suffix("_observed").join(simulated.add_suffix("_simulated"), how="left")
    return joined.reset_index()


def _interval_errors(side_by_side: pd.DataFrame) -> pd.DataFrame:
    """Bias, mean absolute error and correlation over intervals where both sides are defined."""
    rows = []
    for kpi in COMPARED:
        seen, simulated = side_by_side[f"{kpi}_observed"], side_by_side[f"{kpi}_simulated"]
        both = seen.notna() & simulated.notna() & (side_by_side["offered_observed"] > 0)
        difference = simulated[both] - seen[both]
        rows.append({"kpi": kpi, "intervals": int(both.sum()), "bias": difference.mean(),
                     "mean_absolute_error": difference.abs().mean(),
                     "correlation": seen[both].corr(simulated[both]) if both.sum() > 2 else np.nan})
    return pd.DataFrame(rows)


def _interval_of(profile: dict) -> float:
    return duration(profile.get("interval", "30min"))
