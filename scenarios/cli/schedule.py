"""`helpdesk-sim schedule`: the least-cost roster from allowed shifts that meets the target, verified
by simulation and compared with the current roster (docs/staffing.md)."""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd
import yaml

from simulator import limits

from scenarios.experiment.compare import compare as paired_comparison
from scenarios.experiment.interval_check import interval_check
from scenarios.experiment.requirements import group_queues, slot_label
from scenarios.experiment.results import write_scenario_file, write_table
from scenarios.experiment.results_dir import results_directory
from scenarios.experiment.runner import run_scenarios
from scenarios.experiment.schedule import schedule_table
from scenarios.experiment.staffing import iterate_staffing, parse_staffing_targets
from scenarios.experiment.staffing_trim import trim_requirement
from scenarios.experiment.verified_schedule import verify_schedule, week_vectors
from scenarios.format.scenario import load_scenario
from scenarios.format.shift_templates import load_shift_templates

from . import friendly_errors, main, write_report_to
from .compare import comparison_table, run_paired
from .plan import STAFFING_ROUNDS, TRIM_ROUNDS, experiment_options, invocation, make_plan, output_options


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--shifts", "templates", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The shifts that may be worked, per group (see docs/staffing.md).")
@click.option("--target", "targets", multiple=True, required=True, metavar="service_level=0.8",
              help="Every interval's target: service_level=SHARE, and optionally 'abandon_rate<=SHARE'.")
@click.option("--requirements", type=click.Path(dir_okay=False, path_type=Path),
              help="requirements.csv from `helpdesk-sim staff` (default: staff first, here).")
@click.option("--rounds", type=click.IntRange(min=1, max=20), default=4, show_default=True,
              help="Most schedule-simulate-raise rounds.")
@click.option("--round-replications", type=click.IntRange(min=1, max=limits.MAX_REPLICATIONS), default=5, show_default=True,
              help="Replications per round of the staffing step.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario value.")
@experiment_options
@output_options
@friendly_errors
def schedule(scenario, templates, targets, requirements, rounds, round_replications, overrides, plan_options, out,
             table_format, report):
    """Choose how many agents work each allowed shift so that every interval meets the target at the
    least cost: the requirement per interval (as `staff` finds it), an integer program over the shift
    templates (HiGHS), then simulation; where an interval still misses with confidence its
    requirement is raised and the program solved again. Writes schedule.csv, schedule.yaml (a
    runnable scenario), the rounds, and the comparison with the current roster.

    \b
    Examples:
      helpdesk-sim schedule scenarios/library/it-helpdesk.yaml --shifts scenarios/library/it-helpdesk-shifts.yaml \\
          --target service_level=0.8 --workers 2 --report
    """
    loaded = load_scenario(scenario, tuple(overrides))
    model = loaded.model
    target = parse_staffing_targets(targets, model.kpis.service_level_threshold_s)
    choices = load_shift_templates(templates, [group.name for group in model.groups])
    groups = list(dict.fromkeys(candidate.group for candidate in choices.candidates))
    plan = make_plan(plan_options, loaded.experiment, [model] * (rounds + 2),
                     (STAFFING_ROUNDS + 2 * TRIM_ROUNDS) * round_replications)
    if plan.targets:
        raise ValueError("schedule checks its answer with --replications; --precision is for run, compare and sweep")
    out = out or Path("results") / f"schedule-{scenario.stem}"
    simulate = lambda s, n: run_scenarios([s.model], n, plan.seed, plan.executor)[0]  # noqa: E731
    say = lambda line: click.echo(line, err=True)  # noqa: E731
    with results_directory(out, invocation(), lambda text: click.echo(text, err=True)) as staging:
        table = _requirements(requirements, loaded, groups, target, lambda s: simulate(s, round_replications),
                              say)
        write_table(table, staging, "requirements")
        verified = verify_schedule(loaded, week_vectors(table, groups), choices, target,
                                   lambda s: simulate(s, plan.replications), rounds, say)
        shifts = schedule_table(verified.candidates, verified.schedule,
                                {g.name: g.cost_per_hour for g in model.groups})
        write_table(shifts, staging, "schedule")
        write_table(verified.rounds, staging, "rounds")
        write_table(verified.check, staging, "interval_check")
        write_table(_coverage(verified, model.calendar.interval_s), staging, "coverage")
        write_scenario_file(verified.scenario.document, loaded.source, staging / "schedule.yaml",
                            made_by="helpdesk-sim schedule")
        results, _ = run_paired({"current": loaded, "scheduled": verified.scenario}, plan, staging, table_format,
                                "compare")
        comparison = paired_comparison(results[0], {"scheduled": results[1]})
        write_table(comparison, staging, "comparison", table_format)
        current = interval_check(results[0].intervals, list(dict.fromkeys(verified.check.contact_type)), target,
                                 model.calendar.interval_s)
    click.echo(_summary(shifts, verified, model.calendar.interval_s))
    click.echo(f"intervals missing the target with confidence: current roster {_misses(current)}, "
               f"scheduled {_misses(verified.check)}")
    click.echo(_service_levels(comparison, verified))
    click.echo(comparison_table(comparison, "current"))
    click.echo(f"schedule.csv, schedule.yaml, rounds.csv and the comparison with the current roster in {out}/",
               err=True)
    if report:
        write_report_to(out)


def _requirements(path, loaded, groups, target, simulate, say) -> pd.DataFrame:
    if path is None:
        say("requirement per interval by simulation (as `helpdesk-sim staff`):")
        queues = group_queues(loaded.model, tuple(groups))
        settled = iterate_staffing(loaded, queues, target, simulate, report=say)
        return trim_requirement(loaded, settled, queues, target, simulate, report=say).requirements
    _same_scenario(Path(path), loaded)
    table = pd.read_csv(path)
    missing = [group for group in groups if group not in set(table.get("group", []))]
    slots = 7 * int(round(86400.0 / loaded.model.calendar.interval_s))
    if missing or "agents_required" not in table:
        raise ValueError(f"{path}: no requirement for {', '.join(missing) or 'any group'} "
                         f"(expected requirements.csv from `helpdesk-sim staff`)")
    if any((table.group == group).sum() != slots for group in groups):
        raise ValueError(f"{path}: expected {slots} intervals a week per group, as the scenario's calendar has")
    return table


def _same_scenario(path: Path, loaded) -> None:
    """requirements.csv from `staff` sits beside its config.resolved.yaml: refuse another scenario's."""
    record = path.parent / "config.resolved.yaml"
    if not record.is_file():
        return
    source = (yaml.safe_load(record.read_text(encoding="utf-8")) or {}).get("provenance", {}).get("source")
    if source and Path(source).resolve() != Path(loaded.source).resolve():
        raise ValueError(f"{path} was made for {source}, not {loaded.source}; run `helpdesk-sim staff` on this "
                         f"scenario, or leave out --requirements")


def _coverage(verified, interval_s: float) -> pd.DataFrame:
    """Per group and interval of the week: the requirement and the agents the schedule puts on duty."""
    rows = []
    for index, (group, required) in enumerate(verified.required.items()):
        for slot, need in enumerate(required):
            weekday, clock = slot_label(slot, interval_s)
            rows.append({"group": group, "weekday": weekday, "interval": clock, "agents_required": need,
                         "agents_on_duty_expected": round(float(verified.schedule.coverage[index][slot]), 3)})
    return pd.DataFrame(rows)


def _misses(check: pd.DataFrame) -> str:
    decided = check[check.meets.notna()]
    return f"{int((decided.meets == False).sum())} of {len(decided)}"  # noqa: E712


def _service_levels(comparison: pd.DataFrame, verified) -> str:
    """Each call or chat type's service level, current and scheduled (the `all` row mixes in tickets)."""
    types = list(dict.fromkeys(verified.check.contact_type))
    rows = comparison[(comparison.kpi == "service_level") & comparison.contact_type.isin(types)]
    return "\n".join(f"{row.contact_type} service level: current {row.base:.3f}, scheduled {row.alternative:.3f} "
                     f"({row['diff']:+.3f} ±{row.diff_ci95:.3f})" for _, row in rows.iterrows()) + "\n"


def _runs(cells: list, interval_s: float) -> list[tuple[str, str, str, str]]:
    """(group, interval of the week) cells as runs of back-to-back intervals within a day."""
    slots = int(round(86400.0 / interval_s))
    runs: list[list] = []
    for group, slot in sorted(cells):
        if runs and runs[-1][0] == group and runs[-1][2] == slot - 1 and slot % slots:
            runs[-1][2] = slot
        else:
            runs.append([group, slot, slot])
    return [(group, *slot_label(first, interval_s),
             "24:00" if (last + 1) % slots == 0 else slot_label(last + 1, interval_s)[1]) for group, first, last in runs]


def _summary(shifts: pd.DataFrame, verified, interval_s: float) -> str:
    lines = ["", f"{'group':<12}{'shift':<16}{'days':<22}{'hours':<13}{'agents':>7}{'cost a week':>14}"]
    for _, row in shifts.iterrows():
        lines.append(f"{row.group:<12}{row['shift']:<16}{row.days:<22}{row.start + '-' + row.end:<13}"
                     f"{row.agents:>7}{row.cost_per_week:>14,.0f}")
    lines.append(f"{'total':<63}{shifts.agents.sum():>7}{shifts.cost_per_week.sum():>14,.0f}")
    for group, day, first, last in _runs(verified.schedule.uncovered, interval_s):
        lines.append(f"no allowed shift covers {group}'s requirement on {day} {first}-{last}")
    missed = verified.check[verified.check.meets == False]  # noqa: E712
    verdict = ("every interval meets the target (or is not shown to miss it)" if verified.met else
               f"{len(missed)} intervals still miss the target with confidence:")
    lines.append(f"simulated over the rounds in rounds.csv: {verdict}")
    for _, row in missed.head(10).iterrows():
        lines.append(f"  {row.weekday} {row.interval} {row.contact_type}: {row.service_level_mean:.3f} "
                     f"±{row.service_level_ci95:.3f}")
    return "\n".join(lines) + "\n"
