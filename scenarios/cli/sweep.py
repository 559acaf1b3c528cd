"""`helpdesk-sim sweep`: a grid of variants of one scenario, each paired against the first."""
from __future__ import annotations

import re
from pathlib import Path

import click
import numpy as np

from scenarios.experiment.results import write_table
from scenarios.experiment.results_dir import results_directory
from scenarios.experiment.precision import check_rows
from scenarios.experiment.sweep import (best_variant, check_axes, grid, known_kpi, parse_axis, parse_condition,
                                        short_keys, sweep_table, variant_name)
from scenarios.format.scenario import load_scenario

from . import friendly_errors, main, write_report_to
from .compare import _number, run_paired
from .plan import counted, describe_reached, experiment_options, invocation, make_plan, output_options

SHOWN = ["service_level", "abandon_rate", "asa_s", "occupancy", "cost"]
MAX_VARIANTS = 500


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vary", "axes", multiple=True, required=True, metavar="KEY.PATH=V1,V2,…|A..B[:STEP]",
              help="A scenario value to vary: a list, or a numeric range with both ends (repeatable: a grid).")
@click.option("--target", "targets", multiple=True, metavar="KPI[@ROW]>=VALUE",
              help="What the best variant must reach on average, e.g. 'service_level>=0.8' (quoted; repeatable).")
@click.option("--best-by", default="cost", show_default=True, metavar="KPI",
              help="Among variants that reach every --target, the best has the lowest of this KPI.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a value in every variant (repeatable).")
@experiment_options
@output_options
@friendly_errors
def sweep(scenario, axes, targets, best_by, overrides, plan_options, out, table_format, report):
    """Run every combination of the --vary values over the same replications, each paired against the
    first combination. Writes sweep.csv and each variant's results; shows the best variant for the
    --target (the lowest --best-by among those that reach it).

    \b
    Examples:
      helpdesk-sim sweep scenarios/library/baseline.yaml \\
          --vary staffing.groups.l1.shifts.early.agents=5..8 --target 'service_level>=0.8'
      helpdesk-sim sweep scenarios/library/it-helpdesk.yaml \\
          --vary policies.callback.accept_probability=0.3,0.6 --vary demand.scale=1.0,1.1 -r 10
    """
    axes = [parse_axis(text) for text in axes]
    check_axes(axes)
    conditions = [parse_condition(text) for text in targets]
    known_kpi(best_by, "--best-by")
    settings = grid(axes)
    if len(settings) > MAX_VARIANTS:
        raise ValueError(f"the sweep makes {len(settings)} variants; at most {MAX_VARIANTS} in one run")
    names = [variant_name(setting) for setting in settings]
    variants = {name: load_scenario(scenario, tuple(overrides) + tuple(("--vary", f"{k}={v}") for k, v in setting.items()))
                for name, setting in zip(names, settings)}
    check_rows([condition.row for condition in conditions], [v.model for v in variants.values()], "--target")
    plan = make_plan(plan_options, variants[names[0]].experiment, [v.model for v in variants.values()])
    out = out or Path("results") / f"sweep-{scenario.stem}"
    click.echo(f"{len(names)} variants, the same {'batches of ' if plan.targets else ''}{counted(plan.replications, 'replication')} "
               f"each, seed {plan.seed}", err=True)
    with results_directory(out, invocation(), lambda text: click.echo(text, err=True)) as staging:
        folders = dict(zip(names, _folders(names)))
        results, reached = run_paired({folders[n]: variants[n] for n in names}, plan, staging / "variants",
                                      table_format, "sweep")
        table = sweep_table(names, settings, results)
        write_table(table, staging, "sweep", table_format)
    click.echo(sweep_console(table, [axis.key for axis in axes], conditions, best_by))
    if reached:
        click.echo(describe_reached(reached), err=True)
    click.echo(f"sweep.{table_format} and each variant's results (variants/) in {out}/", err=True)
    if report:
        write_report_to(out)


def _folders(names: list[str]) -> list[str]:
    """A folder name per variant: its settings with only safe characters, numbered in grid order."""
    return [f"{index:03d}-{re.sub(r'[^A-Za-z0-9_.=-]+', '_', name)[:80]}" for index, name in enumerate(names)]


def sweep_console(table, keys: list[str], conditions: list, objective: str) -> str:
    """One line per variant (the `all` row): its settings, the means ± 95 % half-width of the shown
    KPIs, whether it reaches the targets; then the best variant."""
    overall = table[table.contact_type == "all"]
    kpis = [k for k in dict.fromkeys(SHOWN + [c.kpi for c in conditions if c.row == "all"] + [objective])
            if overall[overall.kpi == k]["mean"].notna().any()]
    best, meeting = best_variant(table, conditions, objective)
    short = list(short_keys(keys).values())
    width = max([12] + [len(name) + 2 for name in short])
    lines = [f"{'':2}" + "".join(f"{name:>{width}}" for name in short) + "".join(f"{kpi:>22}" for kpi in kpis)]
    for variant, rows in overall.groupby("variant", sort=False):
        rows = rows.set_index("kpi")
        mark = "* " if variant == best else "+ " if variant in meeting else "  "
        cells = "".join(f"{str(rows[key].iloc[0]):>{width}}" for key in keys)
        cells += "".join(f"{_number(rows.at[k, 'mean']) + ' ±' + _number(rows.at[k, 'ci95']):>22}" for k in kpis)
        lines.append(mark + cells)
    lines.append(_verdict(table, best, meeting, conditions, objective))
    return "\n".join(lines)


def _verdict(table, best, meeting, conditions, objective) -> str:
    if not conditions:
        return f"(no --target given: the lowest {objective} is marked *)" if best else ""
    stated = " and ".join(str(condition) for condition in conditions)
    if best is None:
        return f"no variant reaches {stated} on average"
    lines = [f"* best: {best} — the lowest {objective} of the {len(meeting)} variant(s) that reach {stated} "
             f"on average (marked * and +)"]
    rows = table[table.variant == best].set_index(["contact_type", "kpi"])
    for condition in conditions:
        mean, half = rows.at[(condition.row, condition.kpi), "mean"], rows.at[(condition.row, condition.kpi), "ci95"]
        sure = np.isfinite(half) and condition.holds(mean - half) and condition.holds(mean + half)
        lines.append(f"  {condition.kpi}{'' if condition.row == 'all' else '@' + condition.row} "
                     f"{_number(mean)} ±{_number(half)}: " + ("the whole 95 % interval meets the target" if sure else
                     "the 95 % interval reaches past the target; add replications (--precision) to be sure"))
    return "\n".join(lines)

