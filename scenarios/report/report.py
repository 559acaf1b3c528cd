"""`report.html` for a results directory of `run`, `compare` or `sweep`, rendered with Jinja2
(autoescaped: scenario names and descriptions are user text) from the tables on disk, so
`helpdesk-sim report DIR` can rebuild it at any time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import yaml

from scenarios.experiment.compare import direction
from scenarios.experiment.results import GROUP_HEADLINE, HEADLINE, TICKET_HEADLINE, read_table
from calibration.atomic import write_atomically
from simulator.config import KpiSettings

from scenarios.experiment.alerts import alerts
from .charts import Panel, forest_chart, profile_chart, sweep_chart
from .definitions import DEFINITIONS, variants
from .profiles import weekly_profile

COMPARED = ["service_level", "abandon_rate", "asa_s", "resolution_time_h", "sla_met_rate", "occupancy", "cost"]
SWEPT = ["service_level", "abandon_rate", "asa_s", "occupancy", "cost"]


@dataclass
class ScenarioResults:
    """One scenario's results folder, as the report reads it."""
    name: str
    summary: pd.DataFrame
    intervals: pd.DataFrame
    groups: pd.DataFrame
    group_intervals: pd.DataFrame
    config_text: str
    description: str
    kpis: KpiSettings


def load_results(folder: Path, name: str | None = None) -> ScenarioResults:
    if not (folder / "config.resolved.yaml").exists():
        raise ValueError(f"{folder} is not a results directory: it has no config.resolved.yaml")
    text = (folder / "config.resolved.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text) or {}
    return ScenarioResults(name or str(document.get("name", folder.name)), read_table(folder, "summary"),
                           read_table(folder, "intervals"), read_table(folder, "groups"),
                           read_table(folder, "group_intervals"), text, str(document.get("description", "")),
                           _kpi_settings(folder))


def _kpi_settings(folder: Path) -> KpiSettings:
    """The scenario's KPI choices, read back through the scenario loader (defaults included)."""
    from scenarios.format.scenario import load_scenario
    try:
        return load_scenario(folder / "config.resolved.yaml").model.kpis
    except Exception:  # noqa: BLE001  (a config that no longer loads still gets a report, with defaults)
        return KpiSettings()


def write_report(out: Path) -> Path:
    """report.html in `out` (a run, compare or sweep results directory); returns its path."""
    out = Path(out)
    if _has(out, "comparison"):
        context = compare_context(out)
    elif _has(out, "sweep"):
        context = sweep_context(out)
    elif _has(out, "summary"):
        context = run_context(out)
    else:
        raise ValueError(f"{out} holds no results (summary, comparison or sweep table) to report on")
    context.update(created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), folder=str(out.resolve()),
                   definitions=_definitions_in_use(context["scenarios"]))
    return write_atomically(out / "report.html", render(context))


def _definitions_in_use(sections: list[dict]) -> dict:
    """Definitions of the KPIs with a value in some table of the report, and of the workload columns."""
    shown = {row["name"] for section in sections for row in section["every_kpi"]["rows"]
             if any(cell["value"] for cell in row["cells"])}
    shown |= {column for section in sections for table in section["tables"] for column in table["columns"]}
    shown |= {"busy_agents_mean", "offered_load"}
    return {kpi: meaning for kpi, meaning in DEFINITIONS.items() if kpi in shown}


def render(context: dict) -> str:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("scenarios.report", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("report.html.j2").render(**context)


def _has(out: Path, name: str) -> bool:
    return (out / f"{name}.csv").exists() or (out / f"{name}.parquet").exists()


# --- one scenario -------------------------------------------------------------------------------------------

def run_context(out: Path) -> dict:
    results = load_results(out)
    return {"kind": "run", "title": results.name, "scenarios": [scenario_section(results)], "comparison": None,
            "sweep": None, "variants": variants(results.kpis)}


def scenario_section(results: ScenarioResults) -> dict:
    summary = results.summary
    tables = [kpi_table("Queues", summary, HEADLINE)]
    if summary.reindex(columns=TICKET_HEADLINE[1:]).notna().any().any():
        tables.append(kpi_table("Tickets and contacts", summary, TICKET_HEADLINE))
    tables.append(kpi_table("Agent groups", results.groups, GROUP_HEADLINE, key="group"))
    return {"name": results.name, "description": results.description, "tables": tables,
            "every_kpi": every_kpi_table(summary), "profile": profile_chart(interval_panels({"": results})),
            "capacity": capacity_chart(results), "alerts": alerts(results.intervals, results.group_intervals),
            "config": results.config_text}


def kpi_table(title: str, summary: pd.DataFrame, columns: list[str], key: str = "contact_type") -> dict:
    """Rows of `summary` by its key, the columns that have a value anywhere: mean ± 95 % half-width.
    A channel or priority row that only repeats a contact type's row is left out (it stays in the
    every-KPI table and the CSV)."""
    columns = [kpi for kpi in columns if kpi in summary and summary[kpi].notna().any()]
    values = summary.drop(columns=[key]).astype(float)
    copies = [index > 0 and ":" in str(summary[key].iloc[index])
              and any(values.iloc[index].equals(values.iloc[other]) for other in range(index))
              for index in range(len(summary))]
    rows = [{"name": str(row[key]), "cells": [cell(row, kpi, str(row[key])) for kpi in columns]}
            for (_, row), copy in zip(summary.iterrows(), copies) if not copy]
    return {"title": title, "key": key, "columns": columns, "rows": rows, "hidden": sum(copies)}


def every_kpi_table(summary: pd.DataFrame) -> dict:
    """Every KPI of summary.csv (rows) for every row key (columns), empty where not modelled."""
    from simulator.kpis import KPI_COLUMNS
    names = [str(name) for name in summary.contact_type]
    rows = [{"name": kpi, "cells": [cell(row, kpi, name) for name, (_, row) in zip(names, summary.iterrows())]}
            for kpi in KPI_COLUMNS if kpi in summary]
    return {"columns": names, "rows": rows}


def cell(row, kpi: str, key: str) -> dict:
    """What a table cell shows, and the exact value behind it (data-value, for checks and scripts)."""
    mean, half = float(row[kpi]), float(row.get(f"{kpi}_ci95", np.nan))
    return {"kpi": kpi, "row": key, "value": "" if np.isnan(mean) else repr(mean), "text": show(mean, half)}


def show(mean: float, half: float = np.nan) -> str:
    """`0.823 ±0.007`: three decimals under 10, one under 1000, none above; `–` for not modelled."""
    if np.isnan(mean):
        return "–"
    digits = 3 if abs(mean) < 10 else 1 if abs(mean) < 1000 else 0
    text = f"{mean:,.{digits}f}"
    return text if np.isnan(half) else f"{text} ±{half:,.{digits}f}"


def interval_panels(scenarios: dict[str, ScenarioResults]) -> list[Panel]:
    """Service level and abandonment per contact type (one scenario) or per scenario (several), the
    queue and the occupancy of the whole desk."""
    one = len(scenarios) == 1
    panels = [Panel("service level by interval of arrival", "service level", percent=True),
              Panel("abandon rate by interval of arrival", "abandon rate", percent=True),
              Panel("visits waiting (time-weighted mean)", "queue"),
              Panel("occupancy of agents on shift", "occupancy", percent=True)]
    for label, results in scenarios.items():
        intervals = results.intervals
        rows = list(dict.fromkeys(intervals.contact_type)) if one else ["all"]
        for index, kpi in enumerate(["service_level", "abandon_rate", "queue_len_mean", "occupancy"]):
            for row in (rows if index < 3 else ["all"]):
                mine = intervals[intervals.contact_type == row]
                if mine[kpi].notna().any():
                    panels[index].lines[row if one else label] = weekly_profile(mine, kpi)
    return [panel for panel in panels if panel.lines]


def capacity_chart(results: ScenarioResults) -> str:
    """Per group: agents on shift (step), offered load and busy agents with their CI bands."""
    panels = []
    for group, rows in results.group_intervals.groupby("group", sort=False):
        panels.append(Panel(f"{group}: staffing against workload", "agents",
                            {"offered load (Erlangs)": weekly_profile(rows, "offered_load"),
                             "busy agents": weekly_profile(rows, "busy_agents_mean")},
                            steps={"agents on shift": weekly_profile(rows, "agents_on_shift_mean")}))
    return profile_chart(panels) if panels else ""


# --- comparisons and sweeps ---------------------------------------------------------------------------------

def compare_context(out: Path) -> dict:
    table = read_table(out, "comparison")
    names = _scenario_folders(out, list(dict.fromkeys(table.scenario)))
    loaded = {name: load_results(out / name, name) for name in names}
    rows = table[(table.contact_type == "all") & table.kpi.isin(COMPARED) & table["diff"].notna()]
    rows = rows.assign(order=rows.kpi.map(COMPARED.index)).sort_values(["order"], kind="stable")
    base = next(iter(loaded.values()))
    return {"kind": "compare", "title": f"{names[0]} against {', '.join(names[1:])}",
            "scenarios": [scenario_section(results) for results in loaded.values()],
            "comparison": {"base": names[0], "rows": [_difference_row(row) for _, row in rows.iterrows()],
                           "forest": forest_chart(rows) if len(rows) else "",
                           "profiles": profile_chart(interval_panels(loaded))},
            "sweep": None, "variants": variants(base.kpis)}


def _scenario_folders(out: Path, alternatives: list[str]) -> list[str]:
    """The base folder (the one that is not an alternative) first, then the alternatives in order."""
    folders = [path.name for path in sorted(out.iterdir()) if (path / "config.resolved.yaml").exists()]
    bases = [name for name in folders if name not in alternatives]
    if len(bases) != 1:
        raise ValueError(f"{out}: expected one base scenario folder beside the alternatives, found {bases}")
    return bases + alternatives


def _difference_row(row) -> dict:
    better = direction(row.kpi)
    return {"scenario": row.scenario, "kpi": row.kpi, "base": show(row.base), "alternative": show(row.alternative),
            "diff": show(row["diff"], row.diff_ci95), "unpaired": show(row.unpaired_ci95),
            "verdict": row.verdict, "better": "" if better == "neither" else f"{better} is better",
            "replications": int(row.replications)}


def sweep_context(out: Path) -> dict:
    table = read_table(out, "sweep")
    overall = table[(table.contact_type == "all") & table.kpi.isin(SWEPT)]
    keys = list(table.columns[1:list(table.columns).index("contact_type")])
    kpis = [kpi for kpi in SWEPT if overall[overall.kpi == kpi]["mean"].notna().any()]
    rows = []
    for variant, mine in overall.groupby("variant", sort=False):
        mine = mine.set_index("kpi")
        rows.append({"name": variant, "settings": [str(mine[key].iloc[0]) for key in keys],
                     "cells": [{"text": show(mine.at[k, "mean"], mine.at[k, "ci95"]),
                                "diff": show(mine.at[k, "diff"], mine.at[k, "diff_ci95"]),
                                "verdict": mine.at[k, "verdict"]} for k in kpis]})
    first = sorted((out / "variants").iterdir())[0] if (out / "variants").is_dir() else None
    base = load_results(first) if first else None
    return {"kind": "sweep", "title": f"sweep of {', '.join(keys)}", "comparison": None,
            "scenarios": [scenario_section(base)] if base else [],
            "sweep": {"axes": keys, "kpis": kpis, "rows": rows, "chart": sweep_chart(overall, kpis)},
            "variants": variants(base.kpis if base else KpiSettings())}
