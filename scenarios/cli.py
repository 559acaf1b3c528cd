"""`helpdesk-sim`: run scenarios and the Erlang calculators from the command line.

Bad input ends with one clear message on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from simulator import erlang, units

from .results import headline_table, write_resolved_config, write_results
from .runner import run_experiment
from .scenario import load_scenario
from .yamlfile import ScenarioError


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
    """Simulate SCENARIO and write summary.csv, replications.csv, intervals.csv, config.resolved.yaml."""
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
    click.echo(headline_table(results.summary))
    click.echo(f"(mean ±95 % CI half-width over {replications} replications) results in {out}/", err=True)


@main.group(name="erlang")
def erlang_group():
    """Analytic queueing formulas (Erlang B, C and A)."""


def _rate(text: str) -> float:
    return units.rate(text)


@erlang_group.command(name="b")
@click.option("--arrivals", required=True, help="Arrival rate with unit, e.g. 100/30min.")
@click.option("--aht", required=True, help="Mean handle time, e.g. 180s.")
@click.option("--agents", required=True, type=click.IntRange(min=0))
@friendly_errors
def erlang_b_command(arrivals, aht, agents):
    """Blocking probability with no waiting room (M/M/n/n)."""
    load = _rate(arrivals) * units.duration(aht)
    click.echo(f"offered load  {load:.4f} erlangs\nblocking      {erlang.erlang_b(agents, load):.5f}")


@erlang_group.command(name="c")
@click.option("--arrivals", required=True, help="Arrival rate with unit, e.g. 100/30min.")
@click.option("--aht", required=True, help="Mean handle time, e.g. 180s.")
@click.option("--agents", required=True, type=click.IntRange(min=1))
@click.option("--threshold", default="20s", show_default=True, help="Service-level threshold.")
@friendly_errors
def erlang_c_command(arrivals, aht, agents, threshold):
    """Waiting probability, ASA and service level (M/M/n, no abandonment)."""
    result = erlang.erlang_c_metrics(_rate(arrivals), units.duration(aht), agents,
                                     units.duration(threshold, allow_zero=True))
    click.echo(f"P(wait)        {result.p_wait:.5f}\nservice level  {result.service_level:.5f}"
               f"\nASA            {result.asa:.3f} s\noccupancy      {result.occupancy:.4f}")


@erlang_group.command(name="a")
@click.option("--arrivals", required=True, help="Arrival rate with unit, e.g. 200/h.")
@click.option("--aht", required=True, help="Mean handle time, e.g. 3min.")
@click.option("--patience", required=True, help="Mean patience (exponential), e.g. 5min.")
@click.option("--agents", required=True, type=click.IntRange(min=1))
@click.option("--threshold", default="20s", show_default=True, help="Service-level threshold.")
@friendly_errors
def erlang_a_command(arrivals, aht, patience, agents, threshold):
    """Waiting, abandonment and service level with impatient callers (M/M/n+M)."""
    result = erlang.erlang_a_metrics(_rate(arrivals), units.duration(aht), units.duration(patience), agents,
                                     units.duration(threshold, allow_zero=True))
    click.echo(f"P(wait)            {result.p_wait:.6f}\nP(abandon)         {result.p_abandon:.6f}"
               f"\nmean wait (all)    {result.mean_wait_all:.3f} s\nASA (answered)     "
               f"{result.mean_wait_answered:.3f} s\nservice level      {result.service_level:.5f}"
               f"\noccupancy          {result.occupancy:.4f}")


from . import cli_calibration  # noqa: E402,F401  (registers `calibrate` and `backtest` on `main`)
