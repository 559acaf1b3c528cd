"""The shifts a schedule may use (`--shifts FILE`): per agent group, shift templates with their
allowed start times, length, days, breaks, and limits. Each template and start time becomes one
candidate shift, validated by the scenario's own shift reader, so a template accepts exactly what
a scenario shift does (plus `starts`, `length`, `min`, `max`, `part_time`).

```yaml
budget: 60000                 # optional: the week's roster cost may not exceed it
groups:
  - name: l1
    part_time_share: 0.3      # optional: at most this share of the group's agents on part-time shifts
    shifts:
      - {name: early, days: mon-fri, start: "07:30", end: "16:00", breaks: [{after: 4h, length: 30min}]}
      - {name: day, days: mon-fri, starts: ["08:00", "09:00", "10:00"], length: 8.5h, max: 12}
      - {name: part, days: mon-fri, starts: "10:00..14:00 every 1h", length: 4h, part_time: true}
      - {name: flex, days: sun-thu, starts: ["08:00", "12:00"], length: 8h, per_day: true}  # each day on its own
```
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from simulator import units
from simulator.config import Shift
from simulator.limits import MAX_AGENTS

from .reader import Section, item_name, items_of
from .staffing import _shift
from .values import non_negative, whole_number
from .yamlfile import LocatedDict, read_yaml

STARTS = re.compile(r"^\s*(\d{1,2}:\d{2})\s*\.\.\s*(\d{1,2}:\d{2})\s+every\s+(\S+)\s*$")
MAX_CANDIDATES = 5000
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Candidate:
    """One shift an agent may be given: the template it came from, and its own start."""

    group: str
    template: str
    shift: Shift
    part_time: bool = False
    spec: dict = field(default_factory=dict, compare=False)  # as a scenario shift (without `agents`)

    @property
    def name(self) -> str:
        return self.shift.name


@dataclass(frozen=True)
class TemplateLimit:
    """At least `low` and at most `high` agents over all start times of a template."""

    group: str
    template: str
    low: int
    high: int | None


@dataclass(frozen=True)
class ShiftChoices:
    candidates: tuple[Candidate, ...]
    limits: tuple[TemplateLimit, ...]
    part_time_share: dict  # group → the largest share of its agents on part-time shifts
    budget: float | None  # the week's roster cost cap


def load_shift_templates(path: Path, groups: list[str]) -> ShiftChoices:
    top = Section(read_yaml(Path(path)), "")
    budget = top.take("budget", non_negative, None)
    candidates, limits, shares = [], [], {}
    for name, section in items_of(top, "groups"):
        if name not in groups:
            raise section.error(f"no agent group {name!r} in the scenario (groups: {', '.join(groups)})", "name")
        share = section.take("part_time_share", units.probability, None)
        if share is not None:
            shares[name] = share
        for index, template in enumerate(section.take("shifts")):
            made, limit = _template(name, Section(template, section.child_path(f"shifts.{index}"), section))
            candidates.extend(made)
            limits.append(limit)
        section.done()
    top.done()
    if not candidates:
        raise top.error("no shift templates: give `groups` with `shifts`")
    if len(candidates) > MAX_CANDIDATES:
        raise top.error(f"{len(candidates)} candidate shifts; at most {MAX_CANDIDATES} (use fewer start times)")
    names = [(c.group, c.name) for c in candidates]
    repeated = sorted({f"{g}.{n}" for g, n in names if names.count((g, n)) > 1})
    if repeated:
        raise top.error(f"shift names must be unique within a group: {', '.join(repeated)}")
    return ShiftChoices(tuple(candidates), tuple(limits), shares, budget)


def _template(group: str, section: Section) -> tuple[list[Candidate], TemplateLimit]:
    name = section.take("name", item_name)
    if section.has("start") == section.has("starts"):
        raise section.error("give `start` (one time) or `starts` (a list, or \"HH:MM..HH:MM every 30min\")")
    starts = [section.take("start", str)] if section.has("start") else section.take("starts", _starts)
    if section.has("end") == section.has("length"):
        raise section.error("give `end` or `length`, not both or neither")
    length = section.take("length", units.duration, None)
    end = section.take("end", str, None)
    low = section.take("min", whole_number(0, MAX_AGENTS), 0)
    high = section.take("max", whole_number(0, MAX_AGENTS), None)
    if high is not None and high < low:
        raise section.error(f"max {high} is below min {low}", "max")
    part_time = section.take("part_time", _flag, False)
    per_day = section.take("per_day", _flag, False)
    shared = {key: section.take(key) for key in ("days", "breaks") if section.has(key)}
    days = [None]
    if per_day:
        days = [DAY_NAMES[d] for d in section.take("days", units.days)]
    section.done()
    made = []
    for start, day in ((start, day) for start in starts for day in days):
        clock = units.clock(start)
        try:
            finish = end if end is not None else _clock_after(clock, length)
        except ValueError as problem:
            raise section.error(str(problem), "length") from None
        label = name if len(starts) == 1 else f"{name}-{start}"
        data = LocatedDict({**shared, **({"days": day} if day else {}), "name": f"{label}-{day}" if day else label,
                            "start": start, "end": finish, "agents": 0})
        data.where, data.key_where = getattr(section.data, "where", ("", 0)), getattr(section.data, "key_where", {})
        spec = {key: value for key, value in data.items() if key != "agents"}
        made.append(Candidate(group, name, _shift(Section(data, section.path, section)), part_time, spec))
    return made, TemplateLimit(group, name, low, high)


def _starts(value) -> list[str]:
    if isinstance(value, list) and value:
        return [str(v) for v in value]
    match = STARTS.match(str(value))
    if not match:
        raise ValueError('expected a list of start times or "HH:MM..HH:MM every 30min"')
    first, last, step = units.clock(match.group(1)), units.clock(match.group(2)), units.duration(match.group(3))
    if last < first:
        last += 86400.0  # over midnight: "22:00..02:00 every 1h"
    count = int((last - first) // step) + 1
    if count > MAX_CANDIDATES:  # before making them: "every 1s" is 86 400 start times
        raise ValueError(f"{value!r} makes {count} start times; at most {MAX_CANDIDATES} candidate shifts in all")
    return [units.format_clock((first + k * step) % 86400.0) for k in range(count)]


def _clock_after(start: float, length: float) -> str:
    if not 0 < length < 86400 and not (length == 86400 and start == 0):
        raise ValueError("a shift lasts more than 0 and less than 24h (a 24h shift starts at 00:00)")
    end = (start + length) % 86400.0
    return "24:00" if length == 86400 else units.format_clock(end)


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value
