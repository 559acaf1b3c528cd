"""The options every experiment command shares (run, compare, sweep): how many replications (or to
what precision), which seed, and on which executor; and running a set of scenarios under them. A plan
is made only for work that fits (limits.py): every scenario × replication is estimated first."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import click

from simulator import limits
from simulator.workload import estimate

from scenarios.experiment.executors import EXECUTORS, ExecutorSpec, progress_bar
from scenarios.experiment.precision import Reached, Target, check_rows, parse_targets, run_to_precision
from scenarios.experiment.results import TABLE_FORMATS
from scenarios.experiment.runner import Results, run_scenarios


MAX_REPLICATIONS = 200
# The most rounds the staffing steps simulate (iterate_staffing's max_rounds; trim_requirement's, which
# simulates about twice a round): the workload estimates of `staff` and `schedule` count them.
STAFFING_ROUNDS, TRIM_ROUNDS = 8, 4


@dataclass(frozen=True)
class Plan:
    replications: int
    seed: int
    executor: ExecutorSpec
    targets: tuple[Target, ...] = ()
    cap: int = 200

    def run(self, models: list, label: str = "replications") -> tuple[list[Results], Reached | None]:
        """Every model over the same replication indices; in batches to the targets, if any."""
        total = self.cap if self.targets else self.replications
        check_rows([target.row for target in self.targets], models, "--precision")
        with progress_bar(total * len(models), label) as bar:
            batch = lambda first, count: run_scenarios(models, count, self.seed, self.executor, bar.update, first)
            if not self.targets:
                return batch(0, self.replications), None
            return run_to_precision(batch, list(self.targets), self.replications, self.cap)


def experiment_options(command):
    """--replications, --seed, --precision, --max-replications, --workers, --executor, --scheduler."""
    options = [
        click.option("--replications", "-r", type=click.IntRange(min=1, max=limits.MAX_REPLICATIONS),
                     help="Replications (with --precision: the size of each batch). Default: the scenario's."),
        click.option("--seed", type=click.IntRange(min=0, max=limits.MAX_SEED), help="Override experiment.seed."),
        click.option("--precision", "precision", multiple=True, metavar="KPI[@ROW]=HALFWIDTH",
                     help="Add batches of replications until the 95 % half-width is under this, e.g. "
                          "service_level=0.01 (paired, for comparisons). Repeatable."),
        click.option("--max-replications", type=click.IntRange(min=2, max=limits.MAX_REPLICATIONS),
                     default=MAX_REPLICATIONS, show_default=True,
                     help="Cap on replications with --precision."),
        click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Worker processes (or Dask workers), at most one per core and per replication; results "
                          "are identical to a serial run."),
        click.option("--executor", type=click.Choice(EXECUTORS),
                     help="serial, processes (default with --workers > 1) or dask (a local cluster, or --scheduler)."),
        click.option("--scheduler", metavar="ADDRESS", help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ]
    for option in reversed(options):
        command = option(command)

    @functools.wraps(command)
    def wrapper(*args, replications, seed, precision, max_replications, workers, executor, scheduler, **kwargs):
        kwargs["plan_options"] = dict(replications=replications, seed=seed, precision=precision,
                                      max_replications=max_replications, workers=workers, executor=executor,
                                      scheduler=scheduler)
        return command(*args, **kwargs)
    return wrapper


def output_options(command):
    """--out, --format and --report, shared by the commands that write a results directory."""
    options = [
        click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
                     help="Results directory, written whole or not at all (default: under results/)."),
        click.option("--format", "table_format", type=click.Choice(TABLE_FORMATS), default="csv",
                     show_default=True, help="Format of the result tables (parquet for large sweeps)."),
        click.option("--report", is_flag=True, help="Also write report.html (see `helpdesk-sim report`)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def invocation() -> dict:
    """The command and its arguments as given, for run.failed.yaml."""
    context = click.get_current_context()
    return {"command": context.command_path,
            "arguments": {name: value if isinstance(value, (int, float, bool, type(None))) else str(value)
                          for name, value in context.params.items()}}


def make_plan(options: dict, experiment, models: list, extra_runs: int = 0) -> Plan:
    """The plan from the command line, falling back to the (base) scenario's `experiment` section,
    for `models` (and `extra_runs` replications of the first, e.g. staffing rounds) if all of it fits."""
    targets = tuple(parse_targets(options["precision"]))
    replications = options["replications"] or (min(experiment.replications, 10) if targets else
                                               experiment.replications)
    if targets and replications > options["max_replications"]:
        given = "--replications" if options["replications"] else f"the batch size ({replications})"
        raise ValueError(f"{given} is larger than --max-replications ({options['max_replications']})")
    if not targets and options["max_replications"] != MAX_REPLICATIONS:
        raise ValueError("--max-replications caps --precision; give --precision too, or --replications alone")
    replications = max(replications, 2) if targets else replications
    check_workload(models, options["max_replications"] if targets else replications, extra_runs)
    return Plan(replications, experiment.seed if options["seed"] is None else options["seed"],
                ExecutorSpec.choose(options["executor"], _workers(options, replications), options["scheduler"]),
                targets, options["max_replications"])


def check_workload(models: list, replications: int, extra_runs: int = 0) -> None:
    """Every model × replication (and `extra_runs` more of the first) within the limits of one command
    (limits.py), said with the estimate."""
    work = [estimate(model) for model in models]
    scenarios = f"{counted(len(models), 'scenario')} × {counted(replications, 'replication')}" + \
        (f" (and {extra_runs} more in staffing rounds)" if extra_runs else "")
    visits = sum(w.visits for w in work) * replications + work[0].visits * extra_runs
    if visits > limits.MAX_TOTAL_CONTACTS:
        raise ValueError(f"{scenarios} would simulate about {limits.readable(visits)} visits; one command simulates "
                         f"at most {limits.readable(limits.MAX_TOTAL_CONTACTS)} (about an hour on two cores): give "
                         f"fewer --replications (or --precision), or fewer scenarios")
    rows = sum(w.table_rows for w in work) * replications + work[0].table_rows * extra_runs
    if rows > limits.MAX_TABLE_ROWS:
        raise ValueError(f"{scenarios} would keep about {limits.readable(rows)} interval rows (intervals × "
                         f"(contact types + groups + 1) each); at most {limits.readable(limits.MAX_TABLE_ROWS)} fit "
                         f"in memory: give fewer --replications, or a longer calendar.interval (--set)")


def _workers(options: dict, replications: int) -> int:
    """--workers, capped (and said so) at the cores here and the replications run at once: more
    processes only add start-up time. A remote Dask scheduler's workers are its own."""
    asked = options["workers"]
    if options["scheduler"]:
        return asked
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    most = max(1, min(cores, replications))
    if asked > most:
        reason = f"{counted(cores, 'core')} here" if cores <= replications else \
            f"{counted(replications, 'replication')} at a time"
        click.echo(f"note: --workers {asked} capped at {most} ({reason})", err=True)
    return min(asked, most)


def describe_reached(reached: Reached | None) -> str:
    if reached is None:
        return ""
    widths = ", ".join(f"{target} (reached ±{width:.4g})" for target, width in reached.half_widths.items())
    verdict = "met" if reached.met else "NOT met: the cap on replications was reached"
    return f"precision {verdict} after {counted(reached.replications, 'replication')}: {widths}"


def counted(count: int, noun: str) -> str:
    """`1 replication`, `20 replications`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
