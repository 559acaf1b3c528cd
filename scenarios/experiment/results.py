"""The results directory: CSVs with the contract's columns, and the resolved config for the record."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import yaml

import simulator
from simulator.distributions import describe
from simulator.kpis import repeats_an_earlier_row
from simulator.table import Table
from simulator import units
from simulator.units import format_duration

from .alerts import alerts
from .runner import Results
from scenarios.format.scenario import Scenario

HEADLINE = ["offered", "answered", "abandon_rate", "service_level", "asa_s", "aht_s", "occupancy", "cost"]
TICKET_HEADLINE = ["contacts", "first_response_s", "resolution_time_h", "fcr_rate", "escalation_rate",
                   "repeat_rate", "sla_met_rate", "backlog_end"]
GROUP_HEADLINE = ["handled", "asa_s", "aht_s", "escalation_rate", "occupancy", "utilization",
                  "agents_staffed_mean", "cost"]


def write_resolved_config(scenario: Scenario, out: Path, replications: int, seed: int) -> Path:
    """Written before the run starts, so even a failed run leaves a record of what was asked."""
    out.mkdir(parents=True, exist_ok=True)
    document = plain_document(scenario.document)
    document.pop("provenance", None)
    document["experiment"] = {**document.get("experiment", {}), "replications": replications, "seed": seed}
    document["provenance"] = provenance(scenario.source)
    document["resolved"] = resolved_distributions(scenario)
    path = out / "config.resolved.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_scenario_file(document: dict, source: str, path: Path, **record) -> Path:
    """A scenario a command made (staffed, scheduled) as a file that runs as it is, its provenance
    (where it came from, which command made it, and `record`) in place of the source's."""
    document = plain_document(document)
    document.pop("provenance", None)
    document["provenance"] = {**provenance(source), **record}
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


TABLE_FORMATS = ("csv", "parquet")


def write_results(results: Results, out: Path, table_format: str = "csv") -> list[str]:
    """Every table, and `warnings.txt` (one line per warning, empty when none); returns the warnings."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("summary", "replications", "intervals", "groups", "group_intervals"):
        write_table(results.tables[name], out, name, table_format)
    found = alerts(results.tables["intervals"], results.tables["group_intervals"])
    (out / "warnings.txt").write_text("".join(f"{line}\n" for line in found), encoding="utf-8")
    return found


def write_table(frame, out: Path, name: str, table_format: str = "csv") -> Path:
    """`name.csv`, or `name.parquet` (smaller and faster to read back for large sweeps), from a
    DataFrame or a `Table`."""
    if table_format == "parquet":
        if isinstance(frame, Table):
            frame = frame.to_pandas()
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("--format parquet needs pyarrow: pip install 'helpdesk-sim[parquet]'") from None
        frame.to_parquet(out / f"{name}.parquet", index=False)
        return out / f"{name}.parquet"
    if table_format != "csv":
        raise ValueError(f"unknown table format {table_format!r}; use one of {', '.join(TABLE_FORMATS)}")
    if isinstance(frame, Table):
        frame.write_csv(out / f"{name}.csv")
    else:
        frame.to_csv(out / f"{name}.csv", index=False)
    return out / f"{name}.csv"


def read_table(out: Path, name: str):
    """A table of a results directory, whichever format it was written in (a DataFrame)."""
    import pandas as pd
    if (out / f"{name}.parquet").exists():
        return pd.read_parquet(out / f"{name}.parquet")
    if not (out / f"{name}.csv").exists():
        raise ValueError(f"{out} has no {name}.csv: it is incomplete or was written by an older helpdesk-sim; "
                         f"run the scenario again to get every table")
    return pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])


def provenance(source: str) -> dict:
    return {"source": str(source), "package_version": _version(), "git_revision": _git_revision(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def resolved_distributions(scenario: Scenario) -> dict:
    """Every distribution of the model with its mean and cv, as the format promises."""
    model = scenario.model
    contacts = {}
    for contact in model.contacts:
        entry = {"handle_time": describe(contact.handle_time),
                 "mean_arrivals_per_hour": round(contact.arrivals.mean_rate_per_s() * 3600, 6)}
        scale = model.arrival_scale(contact)
        if scale != 1.0:
            entry["mean_arrivals_per_hour_scaled"] = round(contact.arrivals.mean_rate_per_s() * scale * 3600, 6)
        if contact.patience is not None:
            entry["patience"] = describe(contact.patience)
        if contact.retrial is not None:
            entry["retrial_delay"] = describe(contact.retrial.delay)
        entry.update(_escalated(contact.resolution))
        if contact.repeat is not None:
            entry["repeat_delay"] = describe(contact.repeat.delay)
        if contact.after_call_work is not None:
            entry["after_call_work"] = describe(contact.after_call_work)
        factor = dict(model.policies.automation.handle_time_factor).get(contact.name) if model.policies.automation \
            else None
        if factor is not None:
            entry["handle_time_with_agent_assist"] = describe(contact.handle_time.scaled(factor))
        contacts[contact.name] = entry
    resolved = {"contacts": contacts, "horizon": format_duration(model.calendar.horizon_s)}
    for key, owners in (("queues", model.queues), ("groups", model.groups)):
        described = {owner.name: _escalated(owner.resolution) for owner in owners if _escalated(owner.resolution)}
        if described:
            resolved[key] = described
    return resolved


def _escalated(resolution) -> dict:
    if resolution is None or resolution.escalate_to is None:
        return {}
    return {"escalated_handle_time": {resolution.escalate_to: describe(resolution.escalated_handle_time)}}


def console_tables(results: Results, model) -> str:
    """What a run prints: the queue headline, the ticket lifecycle (when the scenario models one)
    and the agent groups, each as mean ± 95 % half-width. Columns with no value and channel or
    priority rows that only repeat a contact type's row are left out (they stay in the CSVs)."""
    summary = results.tables["summary"]
    summary = summary.take(np.array([not repeats_an_earlier_row(name, model) for name in summary["contact_type"]],
                                    dtype=bool))
    tables = [headline_table(summary)]
    channels = sorted({contact.channel for contact in model.contacts})
    if len(channels) > 1:
        tables[0] += (f"\n(`all` mixes {' and '.join(channels)}: its waits and service level average unlike "
                      f"targets; read the channel rows for them)")
    lifecycle = ["fcr_rate", "escalation_rate", "repeat_rate", "sla_met_rate"]
    if any(_has_a_value(summary[kpi]) for kpi in lifecycle):
        tables.append(headline_table(summary, TICKET_HEADLINE))
    tables.append(headline_table(results.tables["groups"], GROUP_HEADLINE, key="group"))
    return "\n\n".join(tables)


DURATION_SUFFIX = {"_s": 1.0, "_h": 3600.0}  # a KPI column's unit, by its name's suffix


def _has_a_value(column) -> bool:
    return bool(np.any(~np.isnan(np.asarray(column, dtype=float))))


def headline_table(summary: Table, columns=HEADLINE, key: str = "contact_type") -> str:
    """The summary as a terminal table: mean ± 95 % half-width for the headline KPIs; durations in
    the unit a person reads them in (`asa` 34.8 h, not `asa_s` 125,274), so the header drops the
    column's unit suffix."""
    columns = [kpi for kpi in columns if _has_a_value(summary[kpi])]
    header = [key] + [_duration_unit(kpi)[0] for kpi in columns]
    rows = [[str(row[key])] + [_cell(row, kpi) for kpi in columns] for row in summary.records()]
    widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(text.rjust(width) for text, width in zip(line, widths)) for line in [header] + rows]
    return "\n".join(lines)


def _duration_unit(kpi: str) -> tuple[str, float | None]:
    """(name shown, seconds per unit of the column) — None when the column is not a duration."""
    for suffix, seconds in DURATION_SUFFIX.items():
        if kpi.endswith(suffix):
            return kpi[:-len(suffix)], seconds
    return kpi, None


def _cell(row, kpi: str) -> str:
    mean, half = row[kpi], row.get(f"{kpi}_ci95", np.nan)
    if np.isnan(mean):
        return "–"
    per_unit = _duration_unit(kpi)[1]
    if per_unit is not None:
        unit, size = units.readable_unit(mean * per_unit)
        text = f"{mean * per_unit / size:,.1f}"
        return f"{text} {unit}" if np.isnan(half) else f"{text} ±{half * per_unit / size:,.1f} {unit}"
    digits = 3 if abs(mean) < 10 else 1 if abs(mean) < 1000 else 0
    text = f"{mean:,.{digits}f}"
    return text if np.isnan(half) else f"{text} ±{half:,.{digits}f}"


def plain_document(value):
    """A loaded document as plain dicts, lists and text (dates as "YYYY-MM-DD HH:MM:SS"), for YAML."""
    if isinstance(value, dict):
        return {str(key): plain_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_document(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


def _version() -> str:
    return simulator.__version__


def _git_revision() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent)
        return done.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
