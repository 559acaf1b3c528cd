"""`helpdesk-sim erlang b|c|a`: the analytic queueing formulas from the command line, and the fewest
agents that meet a service-level target (`--solve agents --target 0.8/20s`). Each option's error names
the option; agents and the offered load are bounded (MAX_ERLANG_AGENTS), so no formula loops for ever."""
from __future__ import annotations

import math

import click

from simulator import erlang, units
from simulator.erlang_solve import StaffingTarget, fewest_agents, metrics_at

from . import friendly_errors, main

# Exact answers take milliseconds up to here (Erlang B walks one step per agent): far above any desk.
MAX_ERLANG_AGENTS = 100_000
# Erlang A's service level walks the phases a caller passes within the threshold; with a patience far
# shorter than the threshold they are thousands (seconds per evaluation), and the answer is "all hang up".
MAX_THRESHOLD_PER_PATIENCE = 1000


@main.group(name="erlang")
def erlang_group():
    """Analytic queueing formulas (Erlang B, C and A), and staffing for a target."""


def _option(name: str, parse, text, **keywords):
    """`parse(text)`, its error naming the option: `--aht: a duration must be positive, got '-3min'`."""
    try:
        return parse(text, **keywords)
    except ValueError as problem:
        raise ValueError(f"{name}: {problem}") from None


def _load(arrivals: str, aht: str) -> float:
    """Offered load in Erlangs (--arrivals × --aht), at most MAX_ERLANG_AGENTS."""
    load = _option("--arrivals", units.rate, arrivals) * _option("--aht", units.duration, aht)
    if load > MAX_ERLANG_AGENTS:
        raise ValueError(f"--arrivals × --aht: an offered load of {load:,.0f} erlangs; the formulas here take at most "
                         f"{MAX_ERLANG_AGENTS:,}")
    return load


def _check_patience(patience_s: float, threshold_s: float) -> None:
    if threshold_s > MAX_THRESHOLD_PER_PATIENCE * patience_s:
        raise ValueError(f"--patience {units.format_duration(patience_s)} is under 1/{MAX_THRESHOLD_PER_PATIENCE} of the "
                         f"threshold {units.format_duration(threshold_s)}: nearly every caller hangs up at once, and "
                         f"the service level would take thousands of steps to work out")


def parse_target(text: str, max_abandon: str | None = None) -> StaffingTarget:
    """`0.8/20s` or `80%/20s`: the share answered within a threshold; `--max-abandon 0.05` or `5%`."""
    level, separator, threshold = str(text).partition("/")
    if not separator:
        raise ValueError(f"expected a target as SERVICE_LEVEL/THRESHOLD, e.g. 0.8/20s or 80%/20s, got {text!r}")
    return _option("--target", lambda _: StaffingTarget(
        _share(level, "service level"), units.duration(threshold.strip(), allow_zero=True),
        None if max_abandon is None else _share(max_abandon, "--max-abandon")), text)


def _share(text: str, what: str) -> float:
    text = str(text).strip()
    try:
        share = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"expected {what} as a share (0.8) or a percentage (80%), got {text!r}") from None
    if not 0 <= share <= 1:  # NaN too
        raise ValueError(f"{what} must be between 0 and 1 (or 0% and 100%), got {text!r}")
    return share


def _solve_options(command):
    command = click.option("--target", help="With --solve: service level/threshold to meet, e.g. 0.8/20s.")(command)
    return click.option("--solve", type=click.Choice(["agents"]),
                        help="Find the fewest agents that meet --target instead of evaluating --agents.")(command)


def _check_mode(solve, agents, target, threshold):
    if solve and threshold is not None:
        raise click.UsageError("with --solve the threshold is part of --target (e.g. --target 0.8/120s), not --threshold")
    if solve and target is None:
        raise click.UsageError("--solve agents needs --target, e.g. --target 0.8/20s")
    if not solve and agents is None:
        raise click.UsageError("give --agents, or --solve agents --target 0.8/20s")
    if solve and agents is not None:
        raise click.UsageError("give --agents or --solve agents, not both")


ROWS_C = (("P(wait)", "p_wait", "{:.5f}"), ("service level", "service_level", "{:.5f}"),
          ("ASA (s)", "mean_wait_all", "{:.3f}"), ("occupancy", "occupancy", "{:.4f}"))
ROWS_A = (("P(wait)", "p_wait", "{:.6f}"), ("P(abandon)", "p_abandon", "{:.6f}"),
          ("mean wait (all, s)", "mean_wait_all", "{:.3f}"), ("ASA (answered, s)", "mean_wait_answered", "{:.3f}"),
          ("service level", "service_level", "{:.5f}"), ("occupancy", "occupancy", "{:.4f}"))


def _echo_solution(load, aht, patience, target, rows):
    """The answer, then the KPIs at that many agents and one fewer (the reason one fewer is not enough)."""
    agents = fewest_agents(load, aht, target, patience)
    abandon = "" if target.max_abandon is None else f", abandonment <= {target.max_abandon:g}"
    click.echo(f"offered load  {load:.4f} erlangs\ntarget        {target.service_level:g} answered within "
               f"{units.format_duration(target.threshold)}{abandon}\nfewest agents {agents}\n")
    counts = [n for n in (agents - 1, agents) if n >= 1 and (n > load or not math.isinf(patience))]
    columns = [metrics_at(load, aht, n, target.threshold, patience) for n in counts]
    width = max(len(label) for label, _, _ in rows) + 2
    click.echo(" " * width + "".join(f"{f'{n} agents':>14}" for n in counts))
    for label, field, form in rows:
        click.echo(f"{label:<{width}}" + "".join(f"{form.format(getattr(m, field)):>14}" for m in columns))
    if agents - 1 not in counts and agents > 1:
        click.echo(f"({agents - 1} agents cannot keep up: the queue grows without bound)")


@erlang_group.command(name="b")
@click.option("--arrivals", required=True, help="Arrival rate with unit, e.g. 100/30min.")
@click.option("--aht", required=True, help="Mean handle time, e.g. 180s.")
@click.option("--agents", required=True, type=click.IntRange(min=0, max=MAX_ERLANG_AGENTS))
@friendly_errors
def erlang_b_command(arrivals, aht, agents):
    """Blocking probability with no waiting room (M/M/n/n)."""
    load = _load(arrivals, aht)
    click.echo(f"offered load  {load:.4f} erlangs\nblocking      {erlang.erlang_b(agents, load):.5f}")


@erlang_group.command(name="c")
@click.option("--arrivals", required=True, help="Arrival rate with unit, e.g. 100/30min.")
@click.option("--aht", required=True, help="Mean handle time, e.g. 180s.")
@click.option("--agents", type=click.IntRange(min=1, max=MAX_ERLANG_AGENTS), help="Agents on duty (or use --solve agents).")
@click.option("--threshold", help="Service-level threshold [default: 20s] (with --solve: in --target).")
@_solve_options
@friendly_errors
def erlang_c_command(arrivals, aht, agents, threshold, solve, target):
    """Waiting probability, ASA and service level (M/M/n, no abandonment).

    \b
    Examples:
      helpdesk-sim erlang c --arrivals 100/30min --aht 180s --agents 14
      helpdesk-sim erlang c --arrivals 100/30min --aht 180s --solve agents --target 0.8/20s
    """
    _check_mode(solve, agents, target, threshold)
    threshold = "20s" if threshold is None else threshold
    load, aht_s = _load(arrivals, aht), _option("--aht", units.duration, aht)
    if solve:
        _echo_solution(load, aht_s, math.inf, parse_target(target), ROWS_C)
        return
    result = erlang.erlang_c_metrics(load / aht_s, aht_s, agents,
                                     _option("--threshold", units.duration, threshold, allow_zero=True))
    click.echo(f"P(wait)        {result.p_wait:.5f}\nservice level  {result.service_level:.5f}"
               f"\nASA            {result.asa:.3f} s\noccupancy      {result.occupancy:.4f}")


@erlang_group.command(name="a")
@click.option("--arrivals", required=True, help="Arrival rate with unit, e.g. 200/h.")
@click.option("--aht", required=True, help="Mean handle time, e.g. 3min.")
@click.option("--patience", required=True, help="Mean patience (exponential), e.g. 5min.")
@click.option("--agents", type=click.IntRange(min=1, max=MAX_ERLANG_AGENTS), help="Agents on duty (or use --solve agents).")
@click.option("--threshold", help="Service-level threshold [default: 20s] (with --solve: in --target).")
@_solve_options
@click.option("--max-abandon", help="With --solve: also keep abandonment at or under this share, e.g. 0.05.")
@friendly_errors
def erlang_a_command(arrivals, aht, patience, agents, threshold, solve, target, max_abandon):
    """Waiting, abandonment and service level with impatient callers (M/M/n+M).

    \b
    Examples:
      helpdesk-sim erlang a --arrivals 200/h --aht 3min --patience 5min --agents 11
      helpdesk-sim erlang a --arrivals 200/h --aht 3min --patience 5min --solve agents --target 0.8/20s --max-abandon 0.03
    """
    _check_mode(solve, agents, target, threshold)
    threshold = "20s" if threshold is None else threshold
    if max_abandon is not None and not solve:
        raise click.UsageError("--max-abandon goes with --solve agents")
    load, aht_s = _load(arrivals, aht), _option("--aht", units.duration, aht)
    patience_s = _option("--patience", units.duration, patience)
    if solve:
        goal = parse_target(target, max_abandon)
        _check_patience(patience_s, goal.threshold)
        _echo_solution(load, aht_s, patience_s, goal, ROWS_A)
        return
    threshold_s = _option("--threshold", units.duration, threshold, allow_zero=True)
    _check_patience(patience_s, threshold_s)
    result = erlang.erlang_a_metrics(load / aht_s, aht_s, patience_s, agents, threshold_s)
    click.echo(f"P(wait)            {result.p_wait:.6f}\nP(abandon)         {result.p_abandon:.6f}"
               f"\nmean wait (all)    {result.mean_wait_all:.3f} s\nASA (answered)     "
               f"{result.mean_wait_answered:.3f} s\nservice level      {result.service_level:.5f}"
               f"\noccupancy          {result.occupancy:.4f}")
