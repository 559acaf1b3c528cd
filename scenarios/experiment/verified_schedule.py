"""Schedule, simulate, and raise the requirement where the schedule still misses: a simulation-
optimisation loop around the integer program (schedule.py).

Each round solves the least-cost schedule for the current requirement, simulates the scenario with
that schedule, and checks every interval (interval_check.py). Where a call or chat type misses its
target with confidence, the requirement of the scheduled groups that answer it first is raised by
one agent in that interval, and the schedule is solved again.

Stopping rule: no interval misses with confidence; or a round could raise nothing (every miss is in
an interval no scheduled group answers first, or one no allowed shift covers); or `max_rounds`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from simulator.erlang_solve import StaffingTarget
from simulator.network import build_network
from scenarios.format.scenario import Scenario, scenario_from_document
from scenarios.format.shift_templates import ShiftChoices

from .interval_check import interval_check
from .requirements import REAL_TIME, WEEKDAYS
from .runner import Results
from .schedule import Schedule, scheduled_document, solve_schedule


@dataclass(frozen=True)
class VerifiedSchedule:
    schedule: Schedule
    candidates: list
    scenario: Scenario
    results: Results
    check: pd.DataFrame
    rounds: pd.DataFrame  # round, cost, intervals missing, intervals raised
    required: dict  # group → the final requirement per interval of the week
    met: bool


def week_vectors(requirements: pd.DataFrame, groups: list[str]) -> dict[str, np.ndarray]:
    """group → agents required per interval of the week, Monday 00:00 first (requirements.csv order)."""
    return {group: requirements.loc[requirements.group == group, "agents_required"].to_numpy(float).copy()
            for group in groups}


def verify_schedule(scenario: Scenario, required: dict[str, np.ndarray], choices: ShiftChoices,
                    target: StaffingTarget, simulate: Callable[[Scenario], Results], max_rounds: int = 4,
                    report: Callable[[str], None] = lambda text: None) -> VerifiedSchedule:
    model = scenario.model
    groups = list(required)
    by_name = {group.name: group for group in model.groups}
    shrinkage = {name: by_name[name].shrinkage for name in groups}
    cost = {name: by_name[name].cost_per_hour for name in groups}
    interval_s = model.calendar.interval_s
    candidates = [c for c in choices.candidates if c.group in groups]
    answering = _first_groups(scenario, groups)
    types = [c.name for c in model.contacts if c.channel in REAL_TIME]
    rounds = []
    for number in range(1, max_rounds + 1):
        schedule = solve_schedule(required, choices, shrinkage, cost, interval_s)
        staffed = scenario_from_document(scheduled_document(scenario.document, candidates, schedule.agents, groups),
                                         scenario.source)
        results = simulate(staffed)
        check = interval_check(results.intervals, types, target, interval_s)
        missed = check[check.meets == False]  # noqa: E712  (object column: True, False or None)
        raised = _raise(required, missed, answering, schedule.uncovered, interval_s) if number < max_rounds else 0
        rounds.append({"round": number, "cost_per_week": round(schedule.cost, 2), "intervals_missing": len(missed),
                       "intervals_raised": raised})
        report(f"round {number}: schedule costs {schedule.cost:,.0f} a week; {len(missed)} intervals miss the "
               f"target with confidence" + (f", requirement raised in {raised}" if raised else ""))
        if missed.empty or not raised:
            break
    return VerifiedSchedule(schedule, candidates, staffed, results, check, pd.DataFrame(rounds), required,
                            missed.empty)


def _first_groups(scenario: Scenario, groups: list[str]) -> dict[str, list[str]]:
    """Contact type → the scheduled groups that answer it first (most preferred among those scheduled)."""
    model = scenario.model
    network = build_network(model)
    answering = {}
    for index, contact in enumerate(model.contacts):
        served = [(preference, model.groups[g].name) for preference, g in network.served_by[network.type_queue(index)]
                  if model.groups[g].name in groups]
        best = min((p for p, _ in served), default=None)
        answering[contact.name] = [name for p, name in served if p == best]
    return answering


def _raise(required: dict, missed: pd.DataFrame, answering: dict, uncovered: list, interval_s: float) -> int:
    """One more agent in each missed interval for the groups answering that type first; how many raised."""
    slots = int(round(86400.0 / interval_s))
    blocked = set(uncovered)
    raised = set()
    for _, row in missed.iterrows():
        hours, minutes = map(int, row.interval.split(":"))
        slot = WEEKDAYS.index(row.weekday) * slots + int((hours * 3600 + minutes * 60) // interval_s)
        for group in answering.get(row.contact_type, []):
            if (group, slot) not in blocked and (group, slot) not in raised:
                required[group][slot] += 1
                raised.add((group, slot))
    return len(raised)
