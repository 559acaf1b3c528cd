"""`helpdesk-sim`: the command line (run here; `erlang`, `calibrate` and `backtest` in their own modules).

Bad input ends with one clear message on stderr and exit code 2, never a traceback. The other
commands' modules are imported only when their command runs (or `--help` lists them), so `run`
does not start by loading what calibration, staffing or the report need.
"""
from __future__ import annotations

import functools
import importlib
import os
import sys
import traceback
import warnings
from pathlib import Path

# Before numpy loads: nothing on the command's path does large linear algebra, so BLAS threads only
# cost start-up time (~40 ms) and oversubscribe the cores under --workers.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click

from simulator import units

from scenarios.experiment.interrupts import stopping_cleanly
from scenarios.experiment.results import console_tables, write_resolved_config, write_results
from scenarios.experiment.results_dir import results_directory
from scenarios.format.scenario import load_scenario
from scenarios.format.yamlfile import ScenarioError, ScenarioWarning

from .plan import counted, describe_reached, experiment_options, invocation, make_plan, output_options


def _scenario_warnings_read_like_errors(show=warnings.formatwarning):
    """`warning: file:line: `key`: …` on stderr, without the Python source line a warning usually shows."""
    def formatted(message, category, filename, lineno, line=None):
        if issubclass(category, ScenarioWarning):
            return f"warning: {message}\n"
        return show(message, category, filename, lineno, line)
    return formatted


warnings.formatwarning = _scenario_warnings_read_like_errors()


TRACEBACK = "HELPDESK_SIM_TRACEBACK"  # set (to anything): an error's traceback too, for a bug report


def friendly_errors(command):
    """Turn input errors into `error: …` and exit code 2 (with the traceback above it when TRACEBACK is
    set in the environment: a fault the code did not foresee reads the same, and its report needs it)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ScenarioError, ValueError) as problem:
            _error(str(problem))
        except OSError as problem:  # the file system refused (a path below a file, no space, no permission)
            where = f"{problem.filename}: " if problem.filename else ""
            _error(f"{where}{problem.strerror or problem}")
    return wrapper


def _error(message: str) -> None:
    if os.environ.get(TRACEBACK):
        traceback.print_exc()
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


# Each command defined outside this module, and the module that registers it on `main` when imported.
LAZY_COMMANDS = {"backtest": "calibration", "calibrate": "calibration", "compare": "compare", "erlang": "erlang",
                 "report": "report", "schedule": "schedule", "staff": "staff", "sweep": "sweep"}


class LazyGroup(click.Group):
    """A group that imports a command's module (LAZY_COMMANDS) the first time the command is asked for."""

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            importlib.import_module(f".{LAZY_COMMANDS[name]}", __name__)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="helpdesk-sim")
def main():
    """Helpdesk capacity simulator: scenario runs and queueing formulas."""
    click.get_current_context().with_resource(stopping_cleanly())  # SIGTERM, SIGHUP: as Ctrl-C


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@experiment_options
@output_options
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a scenario value, e.g. staffing.groups.l1.shifts.0.agents=14 (repeatable).")
@friendly_errors
def run(scenario, plan_options, out, table_format, report, overrides):
    """Simulate SCENARIO and write summary.csv, replications.csv, intervals.csv, groups.csv,
    group_intervals.csv, warnings.txt and config.resolved.yaml.

    \b
    Examples:
      helpdesk-sim run scenarios/library/baseline.yaml -r 30 --workers 2
      helpdesk-sim run scenarios/library/baseline.yaml --precision service_level=0.005 --report
      helpdesk-sim run scenarios/library/baseline.yaml --set staffing.groups.l1.shifts.early.agents=7
    """
    loaded = load_scenario(scenario, tuple(overrides))
    plan = make_plan(plan_options, loaded.experiment, [loaded.model])
    out = out or Path("results") / scenario.stem
    click.echo(f"{loaded.name}: {'batches of ' if plan.targets else ''}{counted(plan.replications, 'replication')}, "
               f"seed {plan.seed}, {units.format_duration(loaded.model.calendar.horizon_s)} measured", err=True)
    with results_directory(out, invocation(), lambda text: click.echo(text, err=True)) as staging:
        write_resolved_config(loaded, staging, plan.replications, plan.seed)
        (results,), reached = plan.run([loaded.model])
        if reached:
            write_resolved_config(loaded, staging, reached.replications, plan.seed)
        found = write_results(results, staging, table_format)
    click.echo(console_tables(results, loaded.model))
    for line in found:
        click.echo(f"warning: {line}", err=True)
    if reached:
        click.echo(describe_reached(reached), err=True)
    click.echo(f"(mean ±95 % CI half-width over {counted(results.replication_count, 'replication')}) results in "
               f"{out}/", err=True)
    if report:
        write_report_to(out)


def write_report_to(out: Path) -> None:
    """report.html beside finished results (imported only when asked for: matplotlib is slow to load)."""
    from scenarios.report.report import write_report
    click.echo(f"report: {write_report(out)}", err=True)

