"""The validated, immutable model a replication runs: what arrives, who serves it, under which policies.

Built by the scenario loader (or directly, in notebooks and tests). Variants are copies made with
`dataclasses.replace`, never mutations. Times are seconds; rates are per second. Every value is a
number, string, tuple or another frozen dataclass (numpy tables are stored as tuples and handed out
as arrays), so configs compare and hash: variants can be told apart and cached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np

from .business_hours import BusinessHours
from .distributions import Distribution
from .policies import AGENT_SELECTION, QUEUE_DISCIPLINES

WEEK_S = 7 * 86400.0
CHANNELS = ("phone", "email", "chat")
QUEUE_POLICIES = tuple(QUEUE_DISCIPLINES)
ROUTING_POLICIES = tuple(AGENT_SELECTION)
SHIFT_END_POLICIES = ("finish_current",)
SL_ABANDON_VARIANTS = ("count_as_missed", "exclude", "exclude_short")
SLA_CLOCKS = ("wall", "business")
CALL_BACK_MODES = ("when_agent_free", "at_time")
DEFAULT_TIER = "default"


class ConfigError(ValueError):
    """A model that cannot run as written; `path` names the offending key (e.g. demand.contacts.billing)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


def frozen_table(values) -> tuple | None:
    """A number table (list, nested list or numpy array) as nested tuples of floats (hashable)."""
    if values is None:
        return None
    return tuple(map(frozen_table, values)) if np.ndim(values) > 1 else tuple(float(v) for v in values)


def _freeze(instance, **tables) -> None:
    for name, value in tables.items():
        object.__setattr__(instance, name, frozen_table(value))


@dataclass(frozen=True)
class Calendar:
    start: datetime = datetime(2024, 1, 1)  # a Monday
    horizon_s: float = 7 * 86400.0
    warmup_s: float = 0.0
    interval_s: float = 1800.0
    cooldown_s: float = 0.0  # simulated after the horizon so its contacts are followed to their end
    business_hours: BusinessHours | None = None  # None: SLAs run on the wall clock (24x7)

    @property
    def end_s(self) -> float:
        """End of the measured period."""
        return self.warmup_s + self.horizon_s

    @property
    def run_end_s(self) -> float:
        """End of the simulated run: arrivals and shifts go on through the cool-down."""
        return self.end_s + self.cooldown_s

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
    weekly_per_s: tuple | None = None  # 7 rows of slots per day
    day_to_day_cv: float = 0.0
    series_per_s: tuple | None = None
    series_slot_s: float = 1800.0

    def __post_init__(self):
        _freeze(self, weekly_per_s=self.weekly_per_s, series_per_s=self.series_per_s)

    @cached_property
    def weekly_table(self) -> np.ndarray:
        return np.array(self.weekly_per_s, dtype=float)

    @cached_property
    def series(self) -> np.ndarray:
        return np.array(self.series_per_s, dtype=float)

    @property
    def slot_s(self) -> float:
        return 86400.0 / len(self.weekly_per_s[0])

    def mean_rate_per_s(self) -> float:
        if self.series_per_s is not None:
            return float(self.series.mean())
        return self.rate_per_s if self.weekly_per_s is None else float(self.weekly_table.mean())


@dataclass(frozen=True)
class Retrial:
    probability: float
    delay: Distribution


@dataclass(frozen=True)
class Sla:
    """A target: first response within `answer_within_s` and resolution within `resolve_within_s`,
    both measured on `clock` (`business`: only open hours count)."""

    answer_within_s: float = math.inf
    resolve_within_s: float = math.inf
    clock: str = "wall"


@dataclass(frozen=True)
class Resolution:
    """What happens when an agent finishes a handling: resolved with probability `first_contact`,
    otherwise the work goes on as a ticket to `escalate_to` (a named queue or a group's own queue),
    taking `escalated_handle_time` there, at `escalated_priority` (None: it keeps its priority)."""

    first_contact: float = 1.0
    escalate_to: str | None = None
    escalated_handle_time: Distribution | None = None
    escalated_priority: int | None = None


@dataclass(frozen=True)
class Repeat:
    """A resolved contact comes back (the fix did not hold) with `probability`, after `delay`, counted
    on `clock` (`business`: only open hours count, so users come back while the desk is open)."""

    probability: float
    delay: Distribution
    clock: str = "wall"


@dataclass(frozen=True)
class PriorityTier:
    """A share of a contact type's customers served at another priority (VIP, urgent), with its own SLA."""

    name: str
    share: float
    priority: int
    sla: Sla | None = None


@dataclass(frozen=True)
class ContactType:
    name: str
    arrivals: Arrivals
    handle_time: Distribution
    channel: str = "phone"
    priority: int = 1
    patience: Distribution | None = None  # None: waits for ever
    retrial: Retrial | None = None
    sla: Sla | None = None  # the SLA of customers in no priority tier
    resolution: Resolution | None = None  # None: every handling resolves the contact
    repeat: Repeat | None = None
    priority_mix: tuple[PriorityTier, ...] = ()
    after_call_work: Distribution | None = None  # wrap-up: the agent stays busy after the customer leaves
    scale: float = 1.0  # this type's volume growth (on top of the model's demand_scale)

    @property
    def tiers(self) -> tuple[PriorityTier, ...]:
        """The default tier (the rest of the customers, at `priority`) first, then `priority_mix`."""
        rest = 1.0 - sum(tier.share for tier in self.priority_mix)
        return (PriorityTier(DEFAULT_TIER, rest, self.priority, self.sla),) + self.priority_mix


@dataclass(frozen=True)
class Queue:
    """A named queue for escalated work and tickets, served by the groups that list it in `skills`."""

    name: str
    channel: str = "email"
    resolution: Resolution | None = None


@dataclass(frozen=True)
class Break:
    """A break of `length_s`, `after_s` into the shift for every agent; or, with `window_s` (start and
    end offsets from the shift start), staggered: the shift's agents are spread evenly over the window
    (`after_s` is then the window's start)."""

    after_s: float
    length_s: float
    window_s: tuple[float, float] | None = None

    def start_for(self, seat: int, agents: int) -> float:
        """When seat `seat` of a shift of `agents` takes this break, from the shift start. A window
        holds the most back-to-back breaks that fit (no more than there are agents), spread evenly
        over it, and the seats take them in turn: at most ceil(agents / breaks that fit) of the shift
        are on this break at once."""
        if self.window_s is None:
            return self.after_s
        first, last = self.window_s
        slots = max(1, min(int((last - first) // self.length_s), agents))
        gap = (last - first - self.length_s) / (slots - 1) if slots > 1 else 0.0
        return first + (seat % slots) * gap


@dataclass(frozen=True)
class Shift:
    """`agents` people on `days`, from `start_s` to `end_s` after midnight; an end before the start runs overnight."""

    days: tuple[int, ...]
    start_s: float
    end_s: float
    agents: int
    breaks: tuple[Break, ...] = ()
    name: str = ""  # keys its absence draws; by default its position in the group

    @property
    def length_s(self) -> float:
        return (self.end_s - self.start_s) % 86400.0 or 86400.0


@dataclass(frozen=True)
class Proficiency:
    """A share of a group's agents who handle at `handle_time_factor` times the drawn handle time and
    resolve at `first_contact` (None: the work's own rate) instead of escalating."""

    share: float = 1.0
    handle_time_factor: float = 1.0
    first_contact: float | None = None


@dataclass(frozen=True)
class AgentGroup:
    """Agents with the same skills, rostered by `shifts` or, for replaying a history, by a table of
    agents on duty per slot from time 0 (`agents_per_slot`, slot length `slot_s`). `skills` name
    contact types, named queues or other groups (their own queue) with a preference (1 = first
    choice); it may be given as a dict and is kept as (name, preference) pairs. A group always
    serves its own queue (work escalated to it by name) first."""

    name: str
    skills: tuple  # ((queue name, preference), …)
    shifts: tuple[Shift, ...] = ()
    concurrency: int = 1  # chats an agent holds at once; a phone call or an email takes the agent whole
    chat_slowdown: float = 0.0  # a chat taken while holding m others lasts (1 + chat_slowdown·m) times longer
    shrinkage: float = 0.0
    cost_per_hour: float = 0.0
    agents_per_slot: tuple | None = None
    slot_s: float = 1800.0
    resolution: Resolution | None = None  # for the escalated work in its own queue
    discipline: str | None = None  # how its agents pick the next visit (None: policies.queue)
    max_bypass_s: float | None = None  # with `discipline`: its own cap on passing a visit over
    proficiency: tuple[Proficiency, ...] = ()  # cohorts by share of its agents (the rest: as drawn)

    def __post_init__(self):
        skills = self.skills.items() if isinstance(self.skills, dict) else self.skills
        object.__setattr__(self, "skills", tuple((str(name), int(preference)) for name, preference in skills))
        if self.agents_per_slot is not None:
            object.__setattr__(self, "agents_per_slot", tuple(int(round(v)) for v in self.agents_per_slot))

    @property
    def skill_map(self) -> dict[str, int]:
        return dict(self.skills)

    def queue_policy(self, policies: "Policies") -> tuple[str, float | None]:
        """(discipline, max bypass) this group's agents use: its own, or the scenario's."""
        if self.discipline is None:
            return policies.queue, policies.max_bypass_s
        return self.discipline, self.max_bypass_s


@dataclass(frozen=True)
class SelfService:
    """A portal or bot in front of the desk: `attempt_share` of the arrivals of `applies_to` try it
    first, `containment` of those are resolved there (deflected), the rest reach agents with their
    handle time multiplied by `leak_handle_time_factor`. Each try costs `cost_per_session`."""

    applies_to: tuple[str, ...]
    attempt_share: float
    containment: float
    leak_handle_time_factor: float = 1.0
    cost_per_session: float = 0.0


@dataclass(frozen=True)
class Automation:
    """Agent assist multiplies handle times (`handle_time_factor`, per contact type); a bot resolves a
    share of a type's contacts outright (`auto_resolve`); every contact of an automated type costs
    `cost_per_contact`. Pairs are (contact type, value)."""

    handle_time_factor: tuple[tuple[str, float], ...] = ()
    auto_resolve: tuple[tuple[str, float], ...] = ()
    cost_per_contact: float = 0.0

    def __post_init__(self):
        for name in ("handle_time_factor", "auto_resolve"):
            value = getattr(self, name)
            pairs = value.items() if isinstance(value, dict) else value
            object.__setattr__(self, name, tuple((str(k), float(v)) for k, v in pairs))

    @property
    def types(self) -> set[str]:
        return {name for name, _ in self.handle_time_factor + self.auto_resolve}


@dataclass(frozen=True)
class Callback:
    """Virtual hold (see `callback.py`): offered to callers of `applies_to` (default: every phone type)
    whose expected wait is over `offer_when_expected_wait_over_s`; `accept_probability` accept;
    `call_back` is `when_agent_free` (keep the place in line) or `at_time` (at the quoted time);
    `reach_probability` of call backs reach the customer."""

    offer_when_expected_wait_over_s: float
    accept_probability: float
    call_back: str = "when_agent_free"
    reach_probability: float = 1.0
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Overflow:
    """After waiting `after_s`, a first-contact visit of `applies_to` (default: every type) can also be
    taken by group `to`; it stays in its own queue too, and whichever answers first takes it."""

    after_s: float
    to: str
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policies:
    queue: str = "priority-fifo"
    max_bypass_s: float | None = None  # a visit passed over this long is served next (None: never)
    routing: str = "longest-idle"
    shift_end: str = "finish_current"
    self_service: SelfService | None = None
    automation: Automation | None = None
    callback: Callback | None = None
    overflow: tuple[Overflow, ...] = ()


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
    queues: tuple[Queue, ...] = ()
    demand_scale: float = 1.0  # volume growth of every contact type: a lever, applied when arrivals are drawn

    def arrival_scale(self, contact: ContactType) -> float:
        return self.demand_scale * contact.scale

    def __post_init__(self):
        from .checks import check_model
        check_model(self)

    @property
    def contact_names(self) -> tuple[str, ...]:
        return tuple(contact.name for contact in self.contacts)

    @cached_property
    def network(self):
        """Queues, who serves them and each contact type's escalation path (see `network.py`)."""
        from .network import build_network
        return build_network(self)
