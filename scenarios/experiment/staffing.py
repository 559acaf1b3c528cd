"""Simulated staffing: the iterative staffing algorithm (Feldman, Mandelbaum, Massey & Whitt 2008).

Simulate the desk with some roster, measure each group's load per interval, staff every interval
for that load by the Erlang step (requirements.py), and simulate again with that staffing, until
the requirement stops moving. The load is the infinite-server load (work in progress had every
visit been answered on arrival), so a peak's work is staffed for while it is still in hand; the
loop lets the routing, retrials, escalations and repeat contacts that the staffing itself changes
settle. Every round runs the same replication indices, so the customers never change between
rounds (common random numbers) and only the staffing does.

Stopping rule: the requirement table is unchanged; or, from round 3 on, the week's agent-hours moved
by under 1 % and no interval by more than one agent or a tenth of its staffing, whichever is more
(what is left is the noise of a finite simulation); else stop after `max_rounds` and say it did
not settle.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from simulator.erlang_solve import StaffingTarget
from scenarios.format.scenario import Scenario, scenario_from_document

from .requirements import WEEKDAYS, GroupQueue, check_staffable, mean_handle_s, requirement_table, weekly_loads
from .runner import Results

SETTLED_AFTER = 3  # rounds before a one-agent wobble counts as settled


@dataclass(frozen=True)
class Staffing:
    requirements: pd.DataFrame  # requirement_table rows, with the staffing before the first round
    rounds: pd.DataFrame  # round, cells_changed, largest_change, agent_hours_per_week
    settled: bool
    scenario: Scenario  # the scenario staffed with the requirement (agents_per_interval)


def iterate_staffing(scenario: Scenario, queues: list[GroupQueue], target: StaffingTarget,
                     simulate: Callable[[Scenario], Results], max_rounds: int = 8,
                     report: Callable[[str], None] = lambda text: None) -> Staffing:
    """Rounds of simulate → measure load → Erlang step; `simulate` runs one scenario's replications."""
    check_staffable(scenario.model)
    interval_s = scenario.model.calendar.interval_s
    current, previous, before, rounds = scenario, None, None, []
    for number in range(1, max_rounds + 1):
        results = simulate(current)
        loads = weekly_loads(results.group_intervals, interval_s)
        table = requirement_table(loads, queues, mean_handle_s(results.group_replications,
                                                               results.group_intervals, interval_s),
                                  target, interval_s, previous)
        before = table.agents_on_shift_before if before is None else before
        change = None if previous is None else np.abs(table.agents_required - previous.agents_required)
        rounds.append({"round": number, "cells_changed": np.nan if change is None else int((change > 0).sum()),
                       "largest_change": np.nan if change is None else int(change.max()),
                       "agent_hours_per_week": float(table.agents_required.sum() * interval_s / 3600.0)})
        report(_round_line(rounds[-1]))
        settled = change is not None and (change.max() == 0 or (number >= SETTLED_AFTER and _wobble(previous, table)))
        previous = table
        current = staffed_scenario(scenario, table, interval_s)
        if settled:
            break
    return Staffing(previous.assign(agents_on_shift_before=before), pd.DataFrame(rounds), settled, current)


def _wobble(before: pd.DataFrame, after: pd.DataFrame) -> bool:
    """Only noise left: the total within 1 %, every interval within max(1 agent, 10 %)."""
    total_before, total_after = before.agents_required.sum(), after.agents_required.sum()
    allowed = np.maximum(1, np.ceil(0.1 * np.maximum(before.agents_required, after.agents_required)))
    return (abs(total_after - total_before) <= 0.01 * max(total_before, 1)
            and bool((np.abs(after.agents_required - before.agents_required) <= allowed).all()))


def _round_line(row: dict) -> str:
    moved = "" if np.isnan(row["cells_changed"]) else (f", {row['cells_changed']} intervals changed "
                                                      f"(at most {row['largest_change']} agents)")
    return f"round {row['round']}: {row['agent_hours_per_week']:.0f} agent-hours a week{moved}"


def staffed_scenario(scenario: Scenario, table: pd.DataFrame, interval_s: float,
                     column: str = "agents_required") -> Scenario:
    """The scenario with each staffed group's shifts replaced by agents per interval (on duty, so
    without shrinkage: the roster that delivers them is the schedule's job)."""
    document = staffed_document(scenario.document, table, interval_s, column)
    return scenario_from_document(document, scenario.source)


def staffed_document(document: dict, table: pd.DataFrame, interval_s: float, column: str) -> dict:
    document = copy.deepcopy(document)
    for group in document["staffing"]["groups"]:
        rows = table[table.group == group["name"]]
        if rows.empty:
            continue
        for key in ("shifts", "agents_per_interval", "shrinkage"):
            group.pop(key, None)
        weekly = {day: [int(v) for v in rows.loc[rows.weekday == day, column]] for day in WEEKDAYS}
        group["agents_per_interval"] = {"interval": f"{int(interval_s // 60)}min", **weekly}
    return document


STAFFING_TARGET = re.compile(r"^\s*(service_level|abandon_rate)\s*(>=|<=|=)\s*([0-9.]+%?)\s*$")


def parse_staffing_targets(texts, threshold_s: float) -> StaffingTarget:
    """`service_level=0.8` (or `>=`, or `80%`) and optionally `abandon_rate<=0.05`: what every interval
    must reach. The service level is the scenario's own (answered within `kpis.service_level.threshold`)."""
    level, cap = None, None
    for text in texts:
        match = STAFFING_TARGET.match(str(text))
        if not match:
            raise ValueError(f"--target needs service_level=SHARE (e.g. 0.8) or 'abandon_rate<=SHARE' (quoted); "
                             f"got {text!r}")
        kpi, sign, value = match.groups()
        share = float(value[:-1]) / 100.0 if value.endswith("%") else float(value)
        if kpi == "service_level" and sign != "<=":
            level = share
        elif kpi == "abandon_rate" and sign != ">=":
            cap = share
        else:
            raise ValueError(f"--target {text!r}: staffing raises service level and lowers abandonment; "
                             f"write service_level>=… or abandon_rate<=…")
    if level is None:
        raise ValueError("staffing needs a service-level target, e.g. --target service_level=0.8")
    return StaffingTarget(level, threshold_s, cap)
