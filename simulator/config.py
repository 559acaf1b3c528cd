"""The validated, immutable model a replication runs: what arrives, who serves it, under which policies.

Built by the scenario loader (or directly, in notebooks and tests). Variants are copies made with
`dataclasses.replace`, never mutations. Times are seconds; rates are per second.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from .distributions import Distribution

WEEK_S = 7 * 86400.0
CHANNELS = ("phone",)
QUEUE_POLICIES = ("priority-fifo",)
ROUTING_POLICIES = ("longest-idle",)
SHIFT_END_POLICIES = ("finish_current",)
SL_ABANDON_VARIANTS = ("count_as_missed", "exclude", "exclude_short")


class ConfigError(ValueError):
    """A model that cannot run as written; `path` names the offending key (e.g. demand.contacts.billing)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Calendar:
    start: datetime = datetime(2024, 1, 1)  # a Monday
    horizon_s: float = 7 * 86400.0
    warmup_s: float = 0.0
    interval_s: float = 1800.0

    @property
    def end_s(self) -> float:
        return self.warmup_s + self.horizon_s

    @property
    def week_offset_s(self) -> float:
        """Seconds from Monday 00:00 to the start, so weekday and time of day follow from sim time."""
        start = self.start
        return start.weekday() * 86400.0 + start.hour * 3600.0 + start.minute * 60.0 + start.second


@dataclass(frozen=True)
class Arrivals:
    """Poisson arrivals: a constant rate, a weekly table (7 weekdays × slots) of rates, or a dated
    series of rates per slot from time 0 (to replay a history's own days; zero after its end)."""

    rate_per_s: float | None = None
    weekly_per_s: np.ndarray | None = None  # shape (7, slots per day)
    day_to_day_cv: float = 0.0
    series_per_s: np.ndarray | None = None
    series_slot_s: float = 1800.0

    @property
    def slot_s(self) -> float:
        return 86400.0 / self.weekly_per_s.shape[1]

    def mean_rate_per_s(self) -> float:
        if self.series_per_s is not None:
            return float(self.series_per_s.mean())
        return self.rate_per_s if self.weekly_per_s is None else float(self.weekly_per_s.mean())


@dataclass(frozen=True)
class Retrial:
    probability: float
    delay: Distribution


@dataclass(frozen=True)
class Sla:
    answer_within_s: float = math.inf
    resolve_within_s: float = math.inf


@dataclass(frozen=True)
class ContactType:
    name: str
    arrivals: Arrivals
    handle_time: Distribution
    channel: str = "phone"
    priority: int = 1
    patience: Distribution | None = None  # None: waits for ever
    retrial: Retrial | None = None
    sla: Sla | None = None


@dataclass(frozen=True)
class Break:
    after_s: float
    length_s: float


@dataclass(frozen=True)
class Shift:
    """`agents` people on `days`, from `start_s` to `end_s` after midnight; an end before the start runs overnight."""

    days: tuple[int, ...]
    start_s: float
    end_s: float
    agents: int
    breaks: tuple[Break, ...] = ()

    @property
    def length_s(self) -> float:
        return (self.end_s - self.start_s) % 86400.0 or 86400.0


@dataclass(frozen=True)
class AgentGroup:
    """Agents with the same skills, rostered by `shifts` or, for replaying a history, by a table of
    agents on duty per slot from time 0 (`agents_per_slot`, slot length `slot_s`)."""

    name: str
    skills: dict  # contact type name → preference (1 = first choice)
    shifts: tuple[Shift, ...] = ()
    concurrency: int = 1
    shrinkage: float = 0.0
    cost_per_hour: float = 0.0
    agents_per_slot: np.ndarray | None = None
    slot_s: float = 1800.0


@dataclass(frozen=True)
class Policies:
    queue: str = "priority-fifo"
    routing: str = "longest-idle"
    shift_end: str = "finish_current"


@dataclass(frozen=True)
class KpiSettings:
    service_level_threshold_s: float = 20.0
    service_level_abandoned: str = "count_as_missed"
    short_abandon_s: float = 5.0


@dataclass(frozen=True)
class ModelConfig:
    contacts: tuple[ContactType, ...]
    groups: tuple[AgentGroup, ...]
    calendar: Calendar = field(default_factory=Calendar)
    policies: Policies = field(default_factory=Policies)
    kpis: KpiSettings = field(default_factory=KpiSettings)
    name: str = "scenario"

    def __post_init__(self):
        check_model(self)

    @property
    def contact_names(self) -> tuple[str, ...]:
        return tuple(contact.name for contact in self.contacts)


def check_model(model: ModelConfig) -> None:
    """Cross-checks no single field can make: names unique, every contact type served, breaks in shifts."""
    if not model.contacts:
        raise ConfigError("the scenario has no contact types", "demand.contacts")
    if not model.groups:
        raise ConfigError("the scenario has no agent groups", "staffing.groups")
    _check_unique([c.name for c in model.contacts], "demand.contacts")
    _check_unique([g.name for g in model.groups], "staffing.groups")
    names = set(model.contact_names)
    for group in model.groups:
        _check_group(group, names)
    served = {name for group in model.groups for name in group.skills}
    for contact in model.contacts:
        if contact.name not in served:
            raise ConfigError(f"contact type {contact.name!r} has no agent group with a skill for it; "
                              f"add `{contact.name}: 1` to some group's skills", f"demand.contacts.{contact.name}")


def _check_unique(names: list[str], path: str) -> None:
    seen = {name for name in names if names.count(name) > 1}
    if seen:
        raise ConfigError(f"names must be unique, {sorted(seen)} appear more than once", path)


def _check_group(group: AgentGroup, contact_names: set[str]) -> None:
    path = f"staffing.groups.{group.name}"
    for skill in group.skills:
        if skill not in contact_names:
            raise ConfigError(f"group {group.name!r} has a skill for {skill!r}, which is not a contact type "
                              f"(known: {', '.join(sorted(contact_names))})", f"{path}.skills")
    if not group.shifts and group.agents_per_slot is None:
        raise ConfigError(f"group {group.name!r} has neither shifts nor agents per interval", path)
    if group.concurrency < 1:
        raise ConfigError("concurrency must be at least 1", f"{path}.concurrency")
    for index, shift in enumerate(group.shifts):
        for pause in shift.breaks:
            if pause.after_s + pause.length_s > shift.length_s:
                raise ConfigError(f"a break {pause.after_s / 60:g} min after the start lasting "
                                  f"{pause.length_s / 60:g} min does not fit in a {shift.length_s / 3600:g} h shift",
                                  f"{path}.shifts.{index}.breaks")
