"""Trim the simulated requirement where the simulation shows slack the Erlang step cannot see.

The Erlang step staffs each group as its own queue. Where groups pool work (a back office that
takes calls when no email waits), the desk meets the target with fewer agents than that, and only a
simulation can tell. So, after the requirement settles: simulate it; in every interval where every
call or chat type beats the target with confidence (the lower end of its 95 % interval above it),
take one agent off the real-time group with the most slack there (agents above the load they were
staffed for); simulate again; put the agent back, for good, unless that interval still beats the
target with confidence and neither of the two after it (queues carry over) is shown not to. A trim stays only where the
simulation shows the target still met with confidence, so trimming never trades a met target for
noise (it leaves some slack where the simulation cannot tell).

Stopping rule: a round that takes nobody off and puts nobody back, or `max_rounds`; trims of the
last round that no simulation checked are undone.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from simulator.erlang_solve import StaffingTarget
from scenarios.format.scenario import Scenario

from .interval_check import interval_check
from .requirements import REAL_TIME, GroupQueue
from .runner import Results
from .staffing import Staffing, staffed_scenario

CARRY_OVER = 2  # a trim is put back when its interval or one of this many after it falls short


def trim_requirement(scenario: Scenario, staffing: Staffing, queues: list[GroupQueue], target: StaffingTarget,
                     simulate: Callable[[Scenario], Results], max_rounds: int = 4,
                     report: Callable[[str], None] = lambda text: None) -> Staffing:
    model = scenario.model
    interval_s = model.calendar.interval_s
    table = staffing.requirements.copy()
    table["cell"] = table.weekday + " " + table.interval
    order = {cell: position for position, cell in enumerate(dict.fromkeys(table.cell))}
    trimmable = {queue.name for queue in queues if queue.real_time}
    types = [contact.name for contact in model.contacts if contact.channel in REAL_TIME]
    frozen: set[int] = set()
    last: list[int] = []
    rounds = []
    for number in range(1, max_rounds + 1):
        results = simulate(staffed_scenario(scenario, table, interval_s))
        above, short = _verdicts(interval_check(results.intervals, types, target, interval_s), target.service_level)
        short_positions = {order[cell] for cell in short if cell in order}
        restored = [row for row in last if table.at[row, "cell"] not in above
                    or any((order[table.at[row, "cell"]] + k) % len(order) in short_positions
                           for k in range(1, CARRY_OVER + 1))]
        table.loc[restored, "agents_required"] += 1
        frozen.update(restored)
        trimmed = [] if number == max_rounds else _take_off(table, above, trimmable, frozen)
        rounds.append({"round": f"trim {number}", "cells_changed": len(trimmed) + len(restored),
                       "largest_change": 1 if trimmed or restored else 0,
                       "agent_hours_per_week": float(table.agents_required.sum() * interval_s / 3600.0)})
        report(f"trim {number}: {len(trimmed)} intervals one agent fewer, {len(restored)} put back")
        last = trimmed
        if not trimmed and not restored:
            break
    table.loc[last, "agents_required"] += 1  # never checked by a simulation
    shrinkage = {queue.name: queue.shrinkage for queue in queues}
    table["agents_to_roster"] = np.ceil(table.agents_required / (1.0 - table.group.map(shrinkage)) - 1e-9).astype(int)
    table["sipp_gap"] = table.agents_sipp - table.agents_required
    table = table.drop(columns="cell")
    return Staffing(table, pd.concat([staffing.rounds, pd.DataFrame(rounds)], ignore_index=True), staffing.settled,
                    staffed_scenario(scenario, table, interval_s))


def _verdicts(check: pd.DataFrame, level: float) -> tuple[set[str], set[str]]:
    """Intervals ("mon 09:30") where every type beats the target with confidence; and those where
    some type does not (its 95 % interval reaches down to the target or below). Types no two
    replications saw in an interval have no say."""
    check = check.assign(cell=check.weekday + " " + check.interval,
                         lower=check.service_level_mean - check.service_level_ci95)
    decided = check[check.service_level_ci95.notna()]
    above = {cell for cell, rows in decided.groupby("cell") if (rows.lower > level).all()}
    return above, set(decided.cell) - above


def _take_off(table: pd.DataFrame, above: set[str], trimmable: set[str], frozen: set[int]) -> list[int]:
    """One agent off the real-time group with the most slack in each interval that beats the target."""
    rows = table[table.cell.isin(above) & table.group.isin(trimmable) & (table.agents_required > 0)
                 & ~table.index.isin(list(frozen))]
    if rows.empty:
        return []
    slack = rows.agents_required - rows.staffed_load
    chosen = slack.groupby(rows.cell).idxmax().tolist()
    table.loc[chosen, "agents_required"] -= 1
    return chosen
