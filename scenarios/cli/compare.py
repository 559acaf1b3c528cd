"""`helpdesk-sim compare`: a base scenario against alternatives, paired over the same replications."""
from __future__ import annotations

import re
from pathlib import Path

import click
import numpy as np

from scenarios.experiment.compare import compare as paired_comparison
from scenarios.experiment.results import write_resolved_config, write_results, write_table
from scenarios.experiment.results_dir import results_directory
from scenarios.format.scenario import load_scenario

from . import friendly_errors, main, write_report_to
from .plan import counted, describe_reached, experiment_options, invocation, make_plan, output_options

HEADLINE = ["service_level", "abandon_rate", "asa_s", "resolution_time_h", "sla_met_rate", "lost_rate",
            "occupancy", "cost"]


@main.command()
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("alternatives", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--alt", "inline", multiple=True, metavar="NAME:KEY.PATH=VALUE",
              help="An alternative made from BASE by an override (repeat a NAME to set several keys).")
@experiment_options
@output_options
@friendly_errors
def compare(base, alternatives, inline, plan_options, out, table_format, report):
    """Compare BASE with each ALTERNATIVE (files, or --alt overrides of BASE) over the same
    replications (common random numbers): for every KPI, contact type, channel, priority and agent
    group, the means, the paired difference with its 95 % CI, the unpaired CI for contrast, and a
    verdict. Writes comparison.csv and each scenario's results.

    \b
    Examples:
      helpdesk-sim compare scenarios/library/it-helpdesk.yaml scenarios/library/it-helpdesk-callback.yaml
      helpdesk-sim compare scenarios/library/baseline.yaml \\
          --alt "one more:staffing.groups.l1.shifts.early.agents=7" --precision service_level=0.005
    """
    scenarios = _scenarios(base, alternatives, inline)
    if len(scenarios) < 2:
        raise ValueError("give at least one alternative: a scenario file, or --alt NAME:KEY.PATH=VALUE")
    names = list(scenarios)
    for name in names[1:]:
        if scenarios[name].model.kpis != scenarios[names[0]].model.kpis:
            click.echo(f"warning: {name} measures KPIs differently from {names[0]} (its `kpis:` section); its "
                       f"differences mix a change of definition with a change of operation", err=True)
    plan = make_plan(plan_options, scenarios[names[0]].experiment, [s.model for s in scenarios.values()])
    out = out or Path("results") / f"compare-{base.stem}"
    click.echo(f"{len(names)} scenarios, the same {'batches of ' if plan.targets else ''}{counted(plan.replications, 'replication')} "
               f"each, seed {plan.seed}", err=True)
    with results_directory(out, invocation(), lambda text: click.echo(text, err=True)) as staging:
        results, reached = run_paired(scenarios, plan, staging, table_format, "compare")
        table = paired_comparison(results[0], dict(zip(names[1:], results[1:])))
        write_table(table, staging, "comparison", table_format)
    click.echo(comparison_table(table, names[0]))
    if reached:
        click.echo(describe_reached(reached), err=True)
    click.echo(f"comparison.{table_format} and each scenario's results in {out}/", err=True)
    if report:
        write_report_to(out)


def run_paired(scenarios: dict, plan, staging: Path, table_format: str, label: str):
    """Every scenario over the same replications, each one's results in its own folder of `staging`."""
    for name, scenario in scenarios.items():
        write_resolved_config(scenario, staging / name, plan.replications, plan.seed)
    results, reached = plan.run([scenario.model for scenario in scenarios.values()], label)
    for (name, scenario), result in zip(scenarios.items(), results):
        if reached:
            write_resolved_config(scenario, staging / name, reached.replications, plan.seed)
        for line in write_results(result, staging / name, table_format):
            click.echo(f"warning ({name}): {line}", err=True)
    return results, reached


def _scenarios(base: Path, files, inline) -> dict:
    """Name → loaded scenario: the base, the files, then the inline alternatives (unique names)."""
    scenarios = {_unique(base.stem, {}): load_scenario(base)}
    for path in files:
        scenarios[_unique(path.stem, scenarios)] = load_scenario(path)
    overrides: dict[str, list[str]] = {}
    for text in inline:
        name, separator, assignment = text.partition(":")
        if not separator or "=" not in assignment or "=" in name or not name.strip():
            raise ValueError(f"--alt needs NAME:KEY.PATH=VALUE, e.g. 'one more:staffing.groups.l1.shifts.early."
                             f"agents=7'; got {text!r}")
        overrides.setdefault(name.strip(), []).append(assignment)
    for name, assignments in overrides.items():
        scenarios[_unique(name, scenarios)] = load_scenario(base, tuple((f"--alt {name!r}", a) for a in assignments))
    return scenarios


def _unique(name: str, taken) -> str:
    """A name that is also a safe folder name inside the results (no path separators, no leading dot)."""
    name = re.sub(r"[^\w .=+,-]+", "_", name).strip().lstrip(".") or "alternative"
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


def comparison_table(table, base: str) -> str:
    """Headline KPIs of the `all` row per alternative: base, alternative, paired difference ±95 %,
    the unpaired ± it would have been, and the verdict."""
    blocks = []
    for name, rows in table[(table.contact_type == "all") & table.kpi.isin(HEADLINE)].groupby("scenario", sort=False):
        rows = rows.set_index("kpi").reindex(HEADLINE).dropna(subset=["base", "alternative"], how="all")
        lines = [f"== {name} against {base} ({counted(int(rows.replications.max()), 'paired replication')})",
                 f"{'kpi':<18}{'base':>12}{'alternative':>13}{'difference ±95 %':>24}{'unpaired ±':>12}  verdict"]
        for kpi, row in rows.iterrows():
            lines.append(f"{kpi:<18}{_number(row.base):>12}{_number(row.alternative):>13}"
                         f"{_number(row['diff'], signed=True) + ' ±' + _number(row.diff_ci95):>24}"
                         f"{_number(row.unpaired_ci95):>12}  {row.verdict}"
                         f"{'' if row.better == 'neither' else f' ({row.better} is better)'}")
        widths = rows[["diff_ci95", "unpaired_ci95"]].dropna()
        widths = widths[widths.diff_ci95 > 0]
        if len(widths):
            ratio = float(np.median(widths.unpaired_ci95 / widths.diff_ci95))
            lines.append(f"(pairing the replications made these intervals {ratio:.1f}x narrower than comparing "
                         f"two independent runs would)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _number(value, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    size = abs(value)
    form = ",.0f" if size >= 1000 else ".1f" if size >= 10 else ".3f" if size >= 0.1 or size == 0 else ".2g"
    return format(value, ("+" if signed else "") + form)
