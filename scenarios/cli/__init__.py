"""`helpdesk-sim`: the command line (run here; `erlang`, `calibrate` and `backtest` in their own modules).

Bad input ends with one clear message on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from simulator import units

from scenarios.experiment.results import console_tables, write_resolved_config, write_results
from scenarios.experiment.runner import run_experiment
from scenarios.format.scenario import load_scenario
from scenarios.format.yamlfile import ScenarioError


def friendly_errors(command):
    """Turn input errors into `error: …` and exit code 2."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ScenarioError, ValueError) as problem:
            click.echo(f"error: {problem}", err=True)
            sys.exit(2)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="helpdesk-sim")
def main():
    """Helpdesk capacity simulator: scenario runs and queueing formulas."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replications", "-r", type=click.IntRange(min=1), help="Override experiment.replications.")
@click.option("--seed", type=click.IntRange(min=0), help="Override experiment.seed.")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; results are identical to a serial run.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), help="Results directory.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a scenario value, e.g. staffing.groups.l1.shifts.0.agents=14 (repeatable).")
@friendly_errors
def run(scenario, replications, seed, workers, out, overrides):
    """Simulate SCENARIO and write summary.csv, replications.csv, intervals.csv, groups.csv and
    config.resolved.yaml."""
    loaded = load_scenario(scenario, tuple(overrides))
    replications = replications or loaded.experiment.replications
    seed = loaded.experiment.seed if seed is None else seed
    out = out or Path("results") / scenario.stem
    write_resolved_config(loaded, out, replications, seed)
    click.echo(f"{loaded.name}: {replications} replications, seed {seed}, "
               f"{units.format_duration(loaded.model.calendar.horizon_s)} measured", err=True)
    with click.progressbar(length=replications, label="replications", file=sys.stderr) as bar:
        results = run_experiment(loaded.model, replications, seed, workers, progress=bar.update)
    write_results(results, out)
    click.echo(console_tables(results, loaded.model))
    click.echo(f"(mean ±95 % CI half-width over {replications} replications) results in {out}/", err=True)


from . import calibration, erlang  # noqa: E402,F401  (register their commands on `main`)
