"""Agents required per agent group, weekday and interval, from the load a simulation saw.

The Erlang step of simulated staffing: each group is treated, interval by interval, as the
stationary M/M/n(+M) queue of its own work, with the load it actually saw in simulation (so the
routing of a multi-skill desk decides each group's share). With `infinite_server_load` (work in
progress had everyone been answered on arrival) this is the offered-load staffing of Feldman,
Mandelbaum, Massey & Whitt; with `offered_load` (the interval's own arrivals × their work) it is
SIPP, the per-interval Erlang answer planners usually get.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import units
from simulator.config import ModelConfig
from simulator.erlang_solve import StaffingTarget, fewest_agents
from simulator.network import build_network

REAL_TIME = ("phone", "chat")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class GroupQueue:
    """What the Erlang step needs to know about one group's work (times in seconds)."""

    name: str
    threshold_s: float  # inf: keep up with the load (work with no answer target)
    mean_patience_s: float  # inf: nobody abandons (Erlang C)
    shrinkage: float
    real_time: bool  # answers phone or chat contacts first: its service level is what the target is about
    open_only: tuple = ()  # per interval of the week, whether its SLA clock runs (business hours); () always


def group_queues(model: ModelConfig, names: tuple[str, ...] = ()) -> list[GroupQueue]:
    """The groups to staff and the threshold and patience of their first-choice work: a call or chat
    is answered within the scenario's service-level threshold; an email or ticket within its SLA's
    `answer_within` (in business hours only when that SLA runs on the business clock), or else only
    kept up with. By default every group with an answer target; named groups whatever their work."""
    known = [group.name for group in model.groups]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"--group: no agent group {', '.join(map(repr, unknown))} (groups: {', '.join(known)})")
    network = build_network(model)
    chosen = [_group_queue(model, network, g) for g, group in enumerate(model.groups)
              if not names or group.name in names]
    return chosen if names else [queue for queue in chosen if not math.isinf(queue.threshold_s)]


def _group_queue(model: ModelConfig, network, g: int) -> GroupQueue:
    served = network.serves[g]
    best = min(preference for _, preference in served)
    first_choice = {queue for queue, preference in served if preference == best}
    types = [c for c, contact in enumerate(model.contacts) if network.type_queue(c) in first_choice]
    thresholds, patience, weights, clocks = [], [], [], set()
    for c in types:
        contact = model.contacts[c]
        if contact.channel in REAL_TIME:
            thresholds.append(model.kpis.service_level_threshold_s)
            clocks.add("wall")
        elif contact.sla is not None and math.isfinite(contact.sla.answer_within_s):
            thresholds.append(contact.sla.answer_within_s)
            clocks.add(contact.sla.clock)
        patience.append(math.inf if contact.patience is None else contact.patience.mean)
        weights.append(contact.arrivals.mean_rate_per_s() * contact.scale)
    group = model.groups[g]
    business = clocks == {"business"} and model.calendar.business_hours is not None
    return GroupQueue(group.name, min(thresholds, default=math.inf), _mean_patience(patience, weights),
                      group.shrinkage, any(model.contacts[c].channel in REAL_TIME for c in types),
                      open_intervals(model.calendar.business_hours, model.calendar.interval_s) if business else ())


def open_intervals(hours, interval_s: float) -> tuple:
    """Per interval of the week (Monday 00:00 first): whether business hours are open in any of it."""
    slots = int(round(7 * 86400.0 / interval_s))
    starts = np.arange(slots) * interval_s
    open_ = np.zeros(slots, bool)
    for day, periods in enumerate(hours.weekly):
        for start, end in periods:
            begin, finish = day * 86400.0 + start, day * 86400.0 + end
            open_ |= (starts < finish) & (starts + interval_s > begin)
    return tuple(open_.tolist())


def _mean_patience(patience: list[float], weights: list[float]) -> float:
    """Arrival-weighted mean patience; any work that never abandons makes it Erlang C (the safe side)."""
    if not patience or any(math.isinf(p) for p in patience):
        return math.inf
    total = sum(weights)
    return float(np.dot(patience, weights) / total) if total > 0 else float(np.mean(patience))


def check_staffable(model: ModelConfig) -> None:
    """A weekly requirement needs every weekday measured, on intervals that start on the clock."""
    calendar = model.calendar
    if calendar.horizon_s < 7 * 86400.0 - 1e-6:
        raise ValueError(f"staffing needs at least a week measured (calendar.horizon is "
                         f"{calendar.horizon_s / 86400:g}d): a weekday never simulated would get a requirement "
                         f"from nowhere; use --set calendar.horizon=7d")
    if (86400.0 / calendar.interval_s) % 1:
        raise ValueError("staffing needs a calendar.interval that divides the day (e.g. 15min, 30min, 1h)")
    first = (calendar.week_offset_s + calendar.warmup_s) % calendar.interval_s
    if abs(first) > 1e-6 and abs(first - calendar.interval_s) > 1e-6:
        raise ValueError("staffing needs the measured intervals on the clock (09:00, 09:30, …): make the start "
                         "plus calendar.warmup a whole number of intervals after midnight")


def weekly_loads(group_intervals: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    """Mean load per group × weekday × interval of the day over replications and weeks (every weekday
    is measured: check_staffable)."""
    starts = pd.to_datetime(group_intervals.interval_start)
    frame = group_intervals.assign(weekday=starts.dt.day_of_week,
                                   slot=((starts - starts.dt.normalize()).dt.total_seconds() // interval_s).astype(int))
    columns = ["offered_load", "infinite_server_load", "busy_agents_mean", "agents_on_shift_mean"]
    means = frame.groupby(["group", "weekday", "slot"])[columns].mean()
    slots = int(round(86400.0 / interval_s))
    full = pd.MultiIndex.from_product([means.index.levels[0], range(7), range(slots)],
                                      names=["group", "weekday", "slot"])
    return means.reindex(full).fillna(0.0)  # only the last interval of a horizon cut short can be missing


def mean_handle_s(groups: pd.DataFrame, group_intervals: pd.DataFrame, interval_s: float) -> dict[str, float]:
    """Each group's agent time per handled visit (after-call work included): busy time / handled."""
    busy = group_intervals.groupby("group").busy_agents_mean.sum() * interval_s
    handled = groups.groupby("group").handled.sum()
    return {name: float(busy[name] / handled[name]) for name in handled.index if handled[name] > 0}


def required_agents(loads: pd.Series, queue: GroupQueue, mean_handle: float, target: StaffingTarget) -> np.ndarray:
    """The fewest agents per interval whose Erlang C/A answer at that load meets the target."""
    if math.isinf(queue.threshold_s):
        return np.array([math.floor(load) + 1 if load > 1e-9 else 0 for load in loads])  # keep up
    group_target = StaffingTarget(target.service_level, queue.threshold_s,
                                  target.max_abandon if queue.real_time else None)
    cache: dict[float, int] = {}
    answer = []
    for load in loads:
        key = round(float(load), 4)
        if key not in cache:
            cache[key] = fewest_agents(key, mean_handle, group_target, queue.mean_patience_s) if key > 0 else 0
        answer.append(cache[key])
    return np.array(answer, dtype=int)


def requirement_table(loads: pd.DataFrame, queues: list[GroupQueue], handle: dict[str, float],
                      target: StaffingTarget, interval_s: float, staffed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per group × weekday × interval: both loads, the simulated requirement, SIPP's and the gap.

    `staffed`: the requirement the simulation ran with (None in the first round, on the scenario's
    own roster). Agents on shift beyond it are agents past their duty finishing the work in hand
    (`finish_current`): that work needs no agent on duty, so it is taken off the load."""
    rows = []
    for queue in queues:
        if queue.name not in handle:
            raise ValueError(f"agent group {queue.name!r} handled nothing in the simulation of the scenario's own "
                             f"roster, so its work cannot be measured: give it some agents to start from (any "
                             f"roster will do), or name only the other groups with --group")
        part = loads.loc[queue.name].reset_index()
        finishing = np.zeros(len(part))
        if staffed is not None:
            ran_with = staffed.loc[staffed.group == queue.name, "agents_required"].to_numpy()
            finishing = np.clip(part.agents_on_shift_mean.to_numpy() - ran_with, 0.0, None)
        covered = covered_load(np.clip(part.infinite_server_load.to_numpy() - finishing, 0.0, None))
        required = required_agents(covered, queue, handle[queue.name], target)
        sipp = required_agents(part.offered_load, queue, handle[queue.name], target)
        if queue.open_only:  # the SLA clock stops when closed: the work waits for the opening hours
            required, sipp = np.where(queue.open_only, required, 0), np.where(queue.open_only, sipp, 0)
        rows.append(pd.DataFrame({
            "group": queue.name, "weekday": [WEEKDAYS[d] for d in part.weekday],
            "interval": [units.format_clock(slot * interval_s) for slot in part.slot],
            "offered_load": part.offered_load.round(4), "infinite_server_load": part.infinite_server_load.round(4),
            "finishing_agents": finishing.round(4), "staffed_load": covered.round(4),
            "agents_required": required, "agents_sipp": sipp, "sipp_gap": sipp - required,
            "agents_to_roster": np.ceil(required / (1.0 - queue.shrinkage) - 1e-9).astype(int),
            "agents_on_shift_before": part.agents_on_shift_mean.round(3)}))
    return pd.concat(rows, ignore_index=True)


def covered_load(load: np.ndarray) -> np.ndarray:
    """The load an interval's staffing must cover: its mean, or the load at its end when that is higher
    (half-way to the next interval's mean, the week wrapping round, but no more than twice its own
    mean: a load rising from nothing within the interval ends there), so a steep rise is covered
    through the interval and not only on average; an interval before the desk opens needs nobody.
    At a fall the start needs no cover: agents who go off duty at the boundary finish the work in hand."""
    end = np.minimum((load + np.roll(load, -1)) / 2.0, 2.0 * load)  # a rise from nothing ends at most at twice the mean
    return np.maximum(load, end)


def slot_label(slot: int, interval_s: float) -> tuple[str, str]:
    """(weekday, `HH:MM`) of an interval of the week, Monday 00:00 being slot 0."""
    per_day = int(round(86400.0 / interval_s))
    return WEEKDAYS[slot // per_day], units.format_clock(slot % per_day * interval_s)
