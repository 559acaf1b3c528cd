"""The profile as a readable YAML document: scenario-format contacts, diagnostics, sources, observations."""
from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from simulator.distributions import Mixture
from simulator.units import DAY_NAMES, format_duration

from .fit_patience import SHARE_IGNORED

from .observed import overall

SIGNIFICANT = 6


def profile_document(profile) -> dict:
    return {
        "profile_version": 1,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "period": {"start": str(profile.period_start.date()), "end": str(profile.period_end.date()),
                   "days_without_data": [str(day.date()) for day in profile.skip_dates]},
        "interval": format_duration(profile.interval_s),
        "sources": profile.sources,
        "contacts": [scenario_contact(c, profile.interval_s) for c in profile.contacts],
        "observed": _observed(profile),
        "diagnostics": {c.name: diagnostics(c) for c in profile.contacts},
        "accounting": _records(profile.accounting),
    }


HEADER = ("Written by `helpdesk-sim calibrate`. `contacts` is in the scenario format (a scenario starts from it",
          "with `demand.profile:`). The comments beside each fit give its mean and cv (and patience's median);",
          "they are for reading: the loader ignores them (`diagnostics` has every candidate's mean and cv).")


def profile_comments(profile) -> dict:
    """Comment lines for the written profile: a header, and per contact type per key (see `dump_commented`)."""
    return {"header": list(HEADER), "contacts": {c.name: contact_comments(c) for c in profile.contacts}}


def contact_comments(calibration) -> dict[str, list[str]]:
    """What a planner needs beside the parameters: each fit's mean and cv, patience's median and
    Kaplan-Meier mean, and whether the fitted mean extrapolates beyond the data."""
    comments = {"arrivals": day_to_day_comment(calibration.arrivals.day_to_day)
                + [f"flagged spike, replayed every week: {spike.brief()}" for spike in calibration.arrivals.spikes]}
    if calibration.handle is not None:
        first, *rest = describe(calibration.handle.best)
        comments["handle_time"] = [f"handle time: {first}", *(f"  {line}" for line in rest)]
    if calibration.patience is not None:
        fit = calibration.patience
        longest = fit.longest_wait_s
        beyond = " (beyond the longest observed wait)" if fit.median() > longest else ""
        comments["patience"] = [
            f"patience: {fit.best.name}: median {seconds(fit.median())}{beyond}, mean {seconds(fit.best.mean)}, "
            f"cv {fit.best.cv:.3g}",
            f"Kaplan-Meier mean within the longest observed wait ({seconds(longest)}): "
            f"{seconds(fit.km_restricted_mean)}"]
        if fit.share_beyond_longest_wait() >= SHARE_IGNORED:
            comments["patience"].append(f"the mean is extrapolated: {fit.share_beyond_longest_wait():.0%} of this "
                                        f"patience lies beyond {seconds(longest)}, where no caller was seen waiting")
    return comments


NOT_ESTIMABLE = ["day_to_day_cv: not estimable (no weekday observed on two days), so left out:",
                 "a scenario built on this profile draws Poisson days unless it sets one"]


def day_to_day_comment(variation) -> list[str]:
    """Where `day_to_day_cv` comes from, or why there is none."""
    if variation is None:
        return list(NOT_ESTIMABLE)
    verdict = "more variable than Poisson" if variation.p_value < 0.05 else "no more variable than Poisson"
    return [f"day_to_day_cv: daily volumes {verdict} (dispersion chi-square {variation.chi_square:.1f} on "
            f"{variation.degrees_of_freedom} df, p = {variation.p_value:.2g})"]


def describe(dist) -> list[str]:
    """['lognormal: mean 185 s, cv 1.09']; a mixture names its spike and body on a second line."""
    lines = [f"{dist.name}: mean {seconds(dist.mean)}, cv {dist.cv:.3g}"]
    if isinstance(dist, Mixture):
        spike, body = dist.components
        lines.append(f"= {dist.weights[0]:.1%} a uniform spike under {seconds(spike.high)} + {dist.weights[1]:.1%} "
                     f"a {body.name} body (mean {seconds(body.mean)}, cv {body.cv:.3g})")
    return lines


def seconds(value: float) -> str:
    return f"{value:,.0f} s" if abs(value) >= 100 else f"{value:.3g} s"


def _observed(profile) -> dict:
    if profile.observed is None:
        return {"note": "no answered contacts in this history: no observed KPIs or staffing"}
    return {"kpis": {k: _number(v) for k, v in overall(profile.observed, profile.interval_s).items()},
            "agents_per_interval": weekly_agents(profile.observed, profile.interval_s)}


def scenario_contact(calibration, interval_s: float) -> dict:
    """One `demand.contacts` entry of the scenario format."""
    arrivals = {"weekly": weekly_rates(calibration.arrivals.rates, interval_s)}
    if calibration.arrivals.day_to_day is not None:  # not estimable: left out, never a silent 0
        arrivals["day_to_day_cv"] = _number(calibration.arrivals.day_to_day.cv_beyond_poisson)
    entry = {"name": calibration.name, "channel": "phone", "priority": 1, "arrivals": arrivals}
    if calibration.handle is not None:
        entry["handle_time"] = _plain(calibration.handle.best.to_spec())
    if calibration.patience is not None:
        entry["patience"] = _plain(calibration.patience.best.to_spec())
    return entry


def weekly_rates(rates: pd.DataFrame, interval_s: float) -> dict:
    """The weekly table in list form: arrivals per hour per interval; unobserved weekdays are 0."""
    form = {"interval": format_duration(interval_s), "unit": "1/h"}
    for name in DAY_NAMES:
        row = rates.loc[name].to_numpy(dtype=float) if name in rates.index else np.zeros(rates.shape[1])
        form[name] = [_number(0.0 if np.isnan(value) else value) for value in row]
    return form


def weekly_agents(observed: pd.DataFrame, interval_s: float) -> dict:
    """Mean agents seen per weekday × interval, in the scenario's `agents_per_interval` weekly form."""
    starts = observed["interval_start"]
    table = observed.assign(weekday=starts.dt.day_of_week, slot=starts.dt.hour * 3600 + starts.dt.minute * 60)
    means = table.groupby(["weekday", "slot"])["agents"].mean()
    form = {"interval": format_duration(interval_s)}
    for weekday, name in enumerate(DAY_NAMES):
        form[name] = [int(round(means.get((weekday, slot), 0.0))) for slot in np.arange(0, 86400, interval_s)]
    return form


def diagnostics(calibration) -> dict:
    arrivals = calibration.arrivals
    section = {
        "contacts": int(len(calibration.contacts)),
        "pooled_from": [str(name) for name in calibration.pooled_from],
        "arrivals": {"counted": arrivals.arrivals, "outside_period": arrivals.outside_period,
                     "days_per_weekday": {str(k): int(v) for k, v in arrivals.days.items()},
                     **_dispersion(arrivals.day_to_day),
                     "spikes": [_spike(spike) for spike in arrivals.spikes],
                     "poisson_within_interval_ks": _number(arrivals.poisson.statistic),
                     "poisson_within_interval_p_value": _number(arrivals.poisson.p_value)},
        "flows": calibration.flows,
    }
    if "priority" in calibration.contacts:
        mix = calibration.contacts["priority"].value_counts(dropna=True)
        section["priority_mix"] = {int(k): int(v) for k, v in mix.items()}
    if calibration.handle is not None:
        fit = calibration.handle
        section["handle_time"] = {"used": fit.n, "excluded": fit.excluded, "bootstrap": fit.bootstrap,
                                  "notes": list(fit.notes), "candidates": _records(fit.candidates)}
    if calibration.patience is not None:
        fit = calibration.patience
        section["patience"] = {"queued": fit.n, "abandoned": fit.abandoned, "excluded": fit.excluded,
                               "longest_observed_wait_s": _number(fit.longest_wait_s),
                               "km_restricted_mean_s": _number(fit.km_restricted_mean),
                               "km_survival_at_longest_wait": _number(fit.km_survival_at_longest_wait),
                               "used": {"family": fit.best.name, "median_s": _number(fit.median()),
                                        "mean_s": _number(fit.best.mean), "cv": _number(fit.best.cv),
                                        "share_beyond_longest_wait": _number(fit.share_beyond_longest_wait())},
                               "resamples": fit.bootstrap, "candidates": _records(fit.candidates)}
    if calibration.abandon_check is not None:
        check = calibration.abandon_check
        section["abandon_vs_wait"] = {"intervals_used": int(check.table["used"].sum()),
                                      "implied_mean_patience_s": _number(check.implied_mean_patience_s),
                                      "pooled_mean_patience_s": _number(1 / check.pooled_rate_per_s)}
    return section


def _spike(spike) -> dict:
    return {"weekday": spike.weekday, "slot": spike.slot, "arrivals": spike.arrivals, "days": spike.days,
            "expected": _number(spike.expected), "ratio": _number(spike.ratio), "date": spike.date,
            "on_date": spike.on_date}


def _dispersion(variation) -> dict:
    if variation is None:
        return {"dispersion": "not estimable: no weekday observed on two days"}
    return {"dispersion_chi_square": _number(variation.chi_square), "dispersion_dof": int(variation.degrees_of_freedom),
            "dispersion_p_value": _number(variation.p_value)}


def _records(frame: pd.DataFrame) -> list:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = float(value)
    return float(f"{value:.{SIGNIFICANT}g}") if math.isfinite(value) else value


def _plain(value):
    """numpy scalars and containers → plain Python, numbers to 6 significant digits."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, pd.Timestamp):
        return str(value)
    return value if value is None or isinstance(value, str) else str(value)
