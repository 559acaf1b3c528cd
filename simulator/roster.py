"""Who is rostered when: shift instances per agent, absences (shrinkage) and breaks, for one replication.

A pure function of the config and the absence streams, computed before the run, so KPIs can count
paid hours from it and the engine only walks a sorted list of rare events. Absences are drawn per
group, shift, day and seat, so changing one shift's headcount never re-draws another shift's
absences (and adding seats to a shift keeps the absences of the seats it had).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import AgentGroup, ModelConfig
from .streams import Stream, generator

# Event kinds, in the order they apply at the same instant: a shift ending before the next one starts.
SHIFT_END, SHIFT_START, BREAK = 0, 1, 2


@dataclass(frozen=True)
class Roster:
    agent_group: np.ndarray  # group index of each agent
    agent_concurrency: np.ndarray
    shift_agent: np.ndarray  # one entry per shift instance
    shift_start_s: np.ndarray
    shift_end_s: np.ndarray
    shift_absent: np.ndarray  # bool: the agent is off that day (shrinkage) but still paid
    break_agent: np.ndarray
    break_start_s: np.ndarray
    break_length_s: np.ndarray
    agent_position: np.ndarray | None = None  # in [0, 1): proficiency cohorts (spread: see `spread_positions`)

    @property
    def agents(self) -> int:
        return len(self.agent_group)

    def events(self) -> list[tuple[float, int, int, float]]:
        """(time, kind, agent, break length) in the order the engine applies them."""
        present = ~self.shift_absent
        rows = [(t, SHIFT_START, a, 0.0) for t, a in zip(self.shift_start_s[present], self.shift_agent[present])]
        rows += [(t, SHIFT_END, a, 0.0) for t, a in zip(self.shift_end_s[present], self.shift_agent[present])]
        rows += list(zip(self.break_start_s, [BREAK] * len(self.break_agent), self.break_agent, self.break_length_s))
        rows = [(float(t), int(k), int(a), float(length)) for t, k, a, length in rows]
        rows.sort()
        return rows


def build_roster(model: ModelConfig, seed: int, replication: int) -> Roster:
    """Every shift instance overlapping [0, end) of every group, with absences and breaks."""
    columns = {name: [] for name in ("group", "concurrency", "position", "agent", "start", "end", "absent", "b_agent",
                                     "b_start", "b_len")}
    first_agent = 0
    for group_index, group in enumerate(model.groups):
        absence = lambda owner, *parts, name=group.name: generator(seed, replication, Stream.ABSENCE,
                                                                   f"{name}/{owner}", *parts)
        first_agent = _add_group(columns, model, group_index, group, first_agent, absence)
    as_array = lambda key, dtype: np.asarray(columns[key], dtype=dtype)
    return Roster(as_array("group", np.int32), as_array("concurrency", np.int32), as_array("agent", np.int32),
                  as_array("start", float), as_array("end", float), as_array("absent", bool),
                  as_array("b_agent", np.int32), as_array("b_start", float), as_array("b_len", float),
                  as_array("position", float))


GOLDEN = (5 ** 0.5 - 1) / 2


def spread_positions(first: int, count: int) -> list[float]:
    """Positions of a group's agents first … first + count - 1 on the golden-ratio sequence: every run
    of consecutive agents (a shift's seats, the first n seats of a table on duty) covers [0, 1) about
    evenly, so a cohort of share s holds about s of any of them."""
    return [((index + 1) * GOLDEN) % 1.0 for index in range(first, first + count)]


def _add_group(columns, model: ModelConfig, group_index: int, group: AgentGroup, first_agent: int, absence) -> int:
    """`absence(owner, *parts)`: the absence generator of a part of this group."""
    if group.agents_per_slot is not None:
        return _add_table_group(columns, model, group_index, group, first_agent, absence)
    group_start = first_agent
    calendar = model.calendar
    midnight_0 = -(calendar.week_offset_s % 86400.0)  # sim time of the first day's midnight
    weekday_0 = calendar.start.weekday()
    for position, shift in enumerate(group.shifts):
        agents = range(first_agent, first_agent + shift.agents)
        columns["group"] += [group_index] * shift.agents
        columns["concurrency"] += [group.concurrency] * shift.agents
        columns["position"] += spread_positions(first_agent - group_start, shift.agents)
        for day in range(-1, math.ceil(calendar.run_end_s / 86400.0) + 1):
            start = midnight_0 + day * 86400.0 + shift.start_s
            if (weekday_0 + day) % 7 not in shift.days or start + shift.length_s <= 0 or start >= calendar.run_end_s:
                continue
            absent = np.zeros(shift.agents, bool)
            if group.shrinkage > 0:
                absent = absence(f"shift {shift.name or position}", day + 1).random(shift.agents) < group.shrinkage
            for seat, (agent, away) in enumerate(zip(agents, absent)):
                _add_instance(columns, agent, start, shift, bool(away), seat)
        first_agent += shift.agents
    return first_agent


def _add_table_group(columns, model: ModelConfig, group_index: int, group: AgentGroup, first_agent: int,
                     absence) -> int:
    """Agent j is on duty in every slot with more than j agents; consecutive slots make one stint.
    A stint's absence is keyed by its seat and first slot (other stints keep theirs when it changes)."""
    table = np.asarray(group.agents_per_slot, dtype=int)
    headcount = int(table.max(initial=0))
    columns["group"] += [group_index] * headcount
    columns["concurrency"] += [group.concurrency] * headcount
    columns["position"] += spread_positions(0, headcount)
    end_s = model.calendar.run_end_s
    for j in range(headcount):
        on = np.concatenate(([False], table > j, [False]))
        changes = np.flatnonzero(on[1:] != on[:-1])
        for first, after_last in zip(changes[::2], changes[1::2]):
            start, end = first * group.slot_s, min(after_last * group.slot_s, end_s)
            if start < end_s:
                away = group.shrinkage > 0 and absence("seat", j, int(first)).random() < group.shrinkage
                _add_stint(columns, first_agent + j, start, end, away)
    return first_agent + headcount


def _add_stint(columns, agent: int, start: float, end: float, absent: bool) -> None:
    columns["agent"].append(agent)
    columns["start"].append(start)
    columns["end"].append(end)
    columns["absent"].append(absent)


def _add_instance(columns, agent: int, start: float, shift, absent: bool, seat: int) -> None:
    _add_stint(columns, agent, start, start + shift.length_s, absent)
    if absent:
        return
    for pause in shift.breaks:
        columns["b_agent"].append(agent)
        columns["b_start"].append(start + pause.start_for(seat, shift.agents))
        columns["b_len"].append(pause.length_s)
