"""A least-cost schedule: how many agents work each allowed shift so that, in every interval of the
week, the agents expected on duty cover the requirement. An integer program solved by HiGHS through
`scipy.optimize.milp`.

Variables: agents on each candidate shift (whole numbers). Coverage of an interval by one agent of a
shift is the share of the interval the agent is on duty (breaks taken out: a fixed break exactly, a
staggered break window by the average over its break positions), times (1 − shrinkage), the chance
the agent is not absent that day. The simulation seats breaks in turn from the window's start
(Break.start_for), so a shift with fewer agents than positions bunches them early: the program's
average is exact when a shift's agents fill its positions evenly, and `coverage` reports the
seated figure, which the verification by simulation is there to catch. Cost: the shift's rostered hours a week × the group's cost per
hour (absent agents are paid, as in the simulation). Constraints: coverage ≥ requirement in every
interval some candidate can cover; each template's min and max over its start times; each group's
part-time share; the week's budget.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from simulator.config import Shift
from simulator.units import format_clock
from scenarios.format.shift_templates import Candidate, ShiftChoices

from .requirements import WEEKDAYS

WEEK = 7 * 86400.0


@dataclass(frozen=True)
class Schedule:
    agents: np.ndarray  # per candidate
    cost: float  # the week's roster cost
    coverage: np.ndarray  # (groups × intervals of the week) agents expected on duty, breaks seated as simulated
    uncovered: list  # (group, interval index) with a requirement no candidate can cover


def on_duty(shift: Shift, interval_s: float) -> np.ndarray:
    """Per interval of the week (Monday 00:00 first): the share of it one agent of `shift` is on duty,
    a staggered break averaged over its positions (the integer program's linear coverage)."""
    return _duty(shift, interval_s, [[(pause, offset, 1.0 / len(starts)) for offset in starts]
                                     for pause in shift.breaks for starts in [_break_starts(pause)]])


def on_duty_seated(shift: Shift, agents: int, interval_s: float) -> np.ndarray:
    """Agents of `shift` on duty per interval of the week, each seat taking its break where the
    simulation puts it (Break.start_for): exact, where `on_duty` × agents is the program's average."""
    return sum((_duty(shift, interval_s, [[(pause, pause.start_for(seat, agents), 1.0)] for pause in shift.breaks])
                for seat in range(agents)), np.zeros(int(round(WEEK / interval_s))))


def _duty(shift: Shift, interval_s: float, breaks: list) -> np.ndarray:
    """One agent's on-duty share per interval; `breaks`: per break, (break, offset from the start, weight)."""
    slots = int(round(WEEK / interval_s))
    spans = []
    for day in shift.days:
        begin = day * 86400.0 + shift.start_s
        spans.append((begin, begin + shift.length_s, 1.0))
        for places in breaks:
            spans.extend((begin + offset, begin + offset + pause.length_s, -weight) for pause, offset, weight in places)
    duty = np.zeros(slots)
    edges = np.arange(slots + 1) * interval_s
    for start, end, weight in spans:
        for shift_by in (0.0, -WEEK):  # a shift running past Sunday midnight wraps to Monday
            overlap = np.clip(np.minimum(edges[1:], end + shift_by) - np.maximum(edges[:-1], start + shift_by), 0, None)
            duty += weight * overlap / interval_s
    return np.clip(duty, 0.0, 1.0)


def _break_starts(pause) -> list[float]:
    """Where the break may start: one place, or each of a window's back-to-back positions."""
    if pause.window_s is None:
        return [pause.after_s]
    first, last = pause.window_s
    positions = max(1, int((last - first) // pause.length_s))
    return sorted({pause.start_for(seat, positions) for seat in range(positions)})


def weekly_hours(shift: Shift) -> float:
    return len(shift.days) * shift.length_s / 3600.0


def solve_schedule(required: dict[str, np.ndarray], choices: ShiftChoices, shrinkage: dict[str, float],
                   cost_per_hour: dict[str, float], interval_s: float) -> Schedule:
    """The least-cost whole numbers of agents per candidate shift covering `required` (group → agents
    on duty per interval of the week). Raises ValueError when the limits leave no schedule."""
    groups = list(required)
    candidates = [c for c in choices.candidates if c.group in groups]
    if not candidates:
        raise ValueError("no shift template for the groups being scheduled")
    duty = np.array([on_duty(c.shift, interval_s) * (1.0 - shrinkage[c.group]) for c in candidates])
    cost = np.array([weekly_hours(c.shift) * cost_per_hour[c.group] for c in candidates])
    rows, lower, uncovered = [], [], []
    for g, group in enumerate(groups):
        mine = np.array([c.group == group for c in candidates])
        for slot, need in enumerate(required[group]):
            if need <= 0:
                continue
            if not (duty[mine, slot] > 1e-9).any():
                uncovered.append((group, slot))
                continue
            rows.append(np.where(mine, duty[:, slot], 0.0))
            lower.append(float(need))
    constraints = [LinearConstraint(np.array(rows), np.array(lower), np.inf)] if rows else []
    constraints += _limits(candidates, choices, cost)
    result = milp(cost if cost.any() else np.ones(len(candidates)), integrality=np.ones(len(candidates)),
                  bounds=Bounds(0, np.inf), constraints=constraints)
    if result.status != 0 or result.x is None:
        raise ValueError(f"no schedule meets the requirement within the shift limits and budget ({result.message}); "
                         f"raise `max`, the part-time share or the budget, or allow more shifts")
    agents = np.rint(result.x).astype(int)
    return Schedule(agents, float(cost @ agents), seated_coverage(candidates, agents, groups, shrinkage, interval_s),
                    uncovered)


def seated_coverage(candidates: list[Candidate], agents: np.ndarray, groups: list[str], shrinkage: dict,
                    interval_s: float) -> np.ndarray:
    """(groups × intervals of the week) agents expected on duty, breaks where the simulation puts them."""
    slots = int(round(WEEK / interval_s))
    coverage = np.zeros((len(groups), slots))
    for candidate, count in zip(candidates, agents):
        if count > 0:
            coverage[groups.index(candidate.group)] += (on_duty_seated(candidate.shift, int(count), interval_s)
                                                        * (1.0 - shrinkage[candidate.group]))
    return coverage


def _limits(candidates: list[Candidate], choices: ShiftChoices, cost: np.ndarray) -> list[LinearConstraint]:
    count = len(candidates)
    rows, low, high = [], [], []
    for limit in choices.limits:
        row = np.array([c.group == limit.group and c.template == limit.template for c in candidates], float)
        if row.any() and (limit.low > 0 or limit.high is not None):
            rows.append(row)
            low.append(limit.low)
            high.append(np.inf if limit.high is None else limit.high)
    for group, share in choices.part_time_share.items():
        mine = np.array([c.group == group for c in candidates], float)
        part = np.array([c.group == group and c.part_time for c in candidates], float)
        rows.append(part - share * mine)  # part-timers − share × everyone ≤ 0
        low.append(-np.inf)
        high.append(0.0)
    if choices.budget is not None:
        rows.append(cost)
        low.append(-np.inf)
        high.append(choices.budget)
    return [LinearConstraint(np.array(rows).reshape(-1, count), low, high)] if rows else []


def schedule_table(candidates: list[Candidate], schedule: Schedule, cost_per_hour: dict[str, float]) -> pd.DataFrame:
    """The shifts worked: group, shift, days, start, end, agents, rostered hours and cost a week."""
    rows = []
    for candidate, agents in zip(candidates, schedule.agents):
        if agents == 0:
            continue
        shift = candidate.shift
        hours = weekly_hours(shift)
        rows.append({"group": candidate.group, "shift": shift.name, "template": candidate.template,
                     "days": ",".join(WEEKDAYS[d] for d in shift.days), "start": format_clock(shift.start_s),
                     "end": format_clock(shift.end_s), "agents": int(agents), "part_time": candidate.part_time,
                     "hours_per_week": round(hours * agents, 2),
                     "cost_per_week": round(hours * agents * cost_per_hour[candidate.group], 2)})
    return pd.DataFrame(rows, columns=["group", "shift", "template", "days", "start", "end", "agents", "part_time",
                                       "hours_per_week", "cost_per_week"])


def scheduled_document(document: dict, candidates: list[Candidate], agents: np.ndarray, groups: list[str]) -> dict:
    """The scenario with the scheduled groups' shifts replaced by the chosen shifts and their agents."""
    document = copy.deepcopy(document)
    for group in document["staffing"]["groups"]:
        if group["name"] not in groups:
            continue
        group.pop("agents_per_interval", None)
        group["shifts"] = [{**c.spec, "agents": int(n)}
                           for c, n in zip(candidates, agents) if c.group == group["name"] and n > 0]
        if not group["shifts"]:
            group["shifts"] = [{"name": "none", "days": "mon", "start": "00:00", "end": "00:01", "agents": 0}]
    return document

