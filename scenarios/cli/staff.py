"""`helpdesk-sim staff`: agents required per interval and group, by simulation (docs/staffing.md)."""
from __future__ import annotations

from pathlib import Path

import click

from simulator import limits

from scenarios.experiment.interval_check import interval_check
from scenarios.experiment.requirements import REAL_TIME, group_queues
from scenarios.experiment.results import write_resolved_config, write_results, write_scenario_file, write_table
from scenarios.experiment.results_dir import results_directory
from scenarios.experiment.runner import run_scenarios
from scenarios.experiment.staffing import iterate_staffing, parse_staffing_targets
from scenarios.experiment.staffing_trim import trim_requirement
from scenarios.format.scenario import load_scenario

from . import friendly_errors, main, write_report_to
from .plan import TRIM_ROUNDS, counted, experiment_options, invocation, make_plan, output_options


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--target", "targets", multiple=True, required=True, metavar="service_level=0.8",
              help="Every interval's target: service_level=SHARE, and optionally 'abandon_rate<=SHARE'.")
@click.option("--group", "groups", multiple=True, metavar="NAME",
              help="Staff only these agent groups (repeatable); the others keep their roster. Default: all.")
@click.option("--rounds", type=click.IntRange(min=2, max=50), default=8, show_default=True,
              help="Most simulate-and-restaff rounds before giving up on the requirement settling.")
@click.option("--round-replications", type=click.IntRange(min=1, max=limits.MAX_REPLICATIONS), default=5, show_default=True,
              help="Replications per round (the final check uses --replications).")
@click.option("--trim/--no-trim", default=True, show_default=True,
              help="After the requirement settles, take agents off where the simulation shows the target beaten "
                   "with confidence (pooled groups), and put them back where it then falls short.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario value.")
@experiment_options
@output_options
@friendly_errors
def staff(scenario, targets, groups, rounds, round_replications, trim, overrides, plan_options, out, table_format,
          report):
    """Agents required per interval and group to meet a target in every interval, by the iterative
    staffing algorithm (simulate, staff each interval for the load seen in simulation, repeat until
    it settles), beside SIPP's Erlang-per-interval answer. Writes requirements.csv, requirements.png,
    staffed.yaml (the scenario staffed with the requirement, runnable) and that scenario's results
    with interval_check.csv (which intervals meet the target, with CIs).

    \b
    Examples:
      helpdesk-sim staff scenarios/library/baseline.yaml --target service_level=0.8
      helpdesk-sim staff scenarios/library/it-helpdesk.yaml --target service_level=0.8 \\
          --target 'abandon_rate<=0.05' --group l1 --group backoffice
    """
    loaded = load_scenario(scenario, tuple(overrides))
    model = loaded.model
    target = parse_staffing_targets(targets, model.kpis.service_level_threshold_s)
    queues = group_queues(model, tuple(groups))
    if not queues:
        raise ValueError("no agent group answers work with a target (calls, chats, or email with an SLA "
                         "`answer_within`); name groups with --group to staff them to keep up with their load")
    for queue in queues:
        group = next(g for g in model.groups if g.name == queue.name)
        calls = {contact.name for contact in model.contacts if contact.channel == "phone"}
        if group.concurrency > 1 and calls & set(group.skill_map):
            click.echo(f"warning: {group.name} holds several chats and also takes calls; a chat blocks calls, which the "
                       f"Erlang step cannot see, so its call service level may fall short: read interval_check.csv",
                       err=True)
    for group in model.groups:
        if not groups and group.name not in {queue.name for queue in queues}:
            click.echo(f"{group.name} keeps its roster: its first-choice work has no answer target (name it with "
                       f"--group to staff it to keep up with its load)", err=True)
    plan = make_plan(plan_options, loaded.experiment, [model], (rounds + 2 * TRIM_ROUNDS) * round_replications)
    if plan.targets:
        raise ValueError("staff checks its answer with --replications; --precision is for run, compare and sweep")
    out = out or Path("results") / f"staff-{scenario.stem}"
    simulate = lambda s: run_scenarios([s.model], round_replications, plan.seed, plan.executor)[0]  # noqa: E731
    click.echo(f"staffing {', '.join(q.name for q in queues)} for {target.service_level:g} answered within "
               f"{model.kpis.service_level_threshold_s:g}s, {counted(round_replications, 'replication')} a round", err=True)
    with results_directory(out, invocation(), lambda text: click.echo(text, err=True)) as staging:
        say = lambda line: click.echo(line, err=True)  # noqa: E731
        staffing = iterate_staffing(loaded, queues, target, simulate, rounds, say)
        if trim:
            staffing = trim_requirement(loaded, staffing, queues, target, simulate, report=say)
        write_table(staffing.requirements, staging, "requirements")
        write_table(staffing.rounds, staging, "rounds")
        write_scenario_file(staffing.scenario.document, loaded.source, staging / "staffed.yaml",
                            made_by="helpdesk-sim staff", note="agents_per_interval are agents on duty (no "
                            "shrinkage): roster agents_to_roster in requirements.csv to deliver them")
        _write_chart(staffing.requirements, staging / "requirements.png")
        write_resolved_config(staffing.scenario, staging, plan.replications, plan.seed)
        (results,), _ = plan.run([staffing.scenario.model], "check")
        write_results(results, staging, table_format)
        types = [c.name for c in model.contacts if c.channel in REAL_TIME]
        check = interval_check(results.intervals, types, target, model.calendar.interval_s)
        write_table(check, staging, "interval_check")
    click.echo(_summary(staffing, check, results, plan.replications, trim))
    click.echo(f"requirements.csv, staffed.yaml, interval_check.csv and the staffed scenario's results in {out}/",
               err=True)
    if report:
        write_report_to(out)


def _write_chart(table, path: Path) -> None:
    from scenarios.report.charts import requirement_figure  # matplotlib only when a chart is drawn
    requirement_figure(table).savefig(path, dpi=90, bbox_inches="tight")


def _summary(staffing, check, results, replications: int, trimmed: bool) -> str:
    settled = "settled" if staffing.settled else "did NOT settle (see rounds.csv; raise --rounds)"
    lines = [f"requirement {settled} after {len(staffing.rounds)} rounds{' (trimming included)' if trimmed else ''}",
             "",
             f"{'group':<14}{'agent-hours a week: required':>30}{'SIPP':>8}{'on shift before':>17}"]
    per_group = staffing.requirements.groupby("group", sort=False)
    interval_h = _interval_hours(staffing.requirements)
    for group, rows in per_group:
        lines.append(f"{group:<14}{rows.agents_required.sum() * interval_h:>30.0f}"
                     f"{rows.agents_sipp.sum() * interval_h:>8.0f}{rows.agents_on_shift_before.sum() * interval_h:>17.0f}")
    summary = results.summary.set_index("contact_type")
    lines += ["", f"staffed scenario over {counted(replications, 'replication')} (mean ±95 %):"]
    for row in [name for name in summary.index if name in set(check.contact_type)]:
        lines.append(f"  {row:<12} service level {summary.at[row, 'service_level']:.3f} "
                     f"±{summary.at[row, 'service_level_ci95']:.3f}, abandon {summary.at[row, 'abandon_rate']:.3f}")
    decided = check[check.meets.notna()]
    missed = decided[decided.meets == False]  # noqa: E712  (object column: True, False or None)
    lines.append(f"intervals missing the target with confidence: {len(missed)} of {len(decided)}")
    for _, row in missed.head(10).iterrows():
        lines.append(f"  {row.weekday} {row.interval} {row.contact_type}: {row.service_level_mean:.3f} "
                     f"±{row.service_level_ci95:.3f}")
    return "\n".join(lines)


def _interval_hours(table) -> float:
    per_day = table.groupby(["group", "weekday"]).size().iloc[0]
    return 24.0 / per_day
