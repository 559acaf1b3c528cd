"""`helpdesk-sim erlang b|c|a`: the analytic queueing formulas from the command line."""
from __future__ import annotations

import click

from simulator import erlang, units

from . import friendly_errors, main


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
