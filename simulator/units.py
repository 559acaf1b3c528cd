"""Human units a planner writes (`20s`, `5min`, `120/h`, `mon-fri`, `08:00`) turned into engine units.

Inside the engine time is float seconds and rates are per second. Every parser raises `ValueError`
with a message that says what was expected, so the scenario loader can add the file and line.
"""
from __future__ import annotations

import math
import re

from .limits import MAX_DURATION_S, MAX_RATE_PER_S, MIN_DURATION_S, shown

SECONDS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_DURATION = re.compile(rf"^\s*({_NUMBER})\s*([a-z]*)\s*$")
_RATE = re.compile(rf"^\s*({_NUMBER})\s*/\s*({_NUMBER})?\s*([a-z]+)\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_PART = re.compile(r"(\d+\.?\d*|\.\d+)\s*([a-z]+)\s*")


def duration(value, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """Seconds from `20s`, `5min`, `8h`, `2d`, `3h30min` or a plain number of seconds; must be positive,
    at least a millisecond and at most ten years (limits.py)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 20s, 5min or 8h, got {shown(value)}")
    if isinstance(value, int) and abs(value) > MAX_DURATION_S:  # too large for a float, maybe: refused below
        seconds = 2 * MAX_DURATION_S if value > 0 else -1.0
    elif isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and value.strip().lower() in ("inf", "infinite", "never"):
        seconds = math.inf
    else:
        match = _DURATION.match(str(value).lower())
        if match and match.group(2) in ("",) + tuple(SECONDS):
            seconds = float(match.group(1)) * SECONDS.get(match.group(2) or "s")
        else:
            seconds = _compound(str(value).lower())
            if seconds is None:
                raise ValueError(f"expected a duration such as 20s, 5min, 8h, 2d or 3h30min, got {shown(value)}")
    if math.isnan(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError(f"a duration must be {'zero or ' if allow_zero else ''}positive, got {shown(value)}")
    if math.isinf(seconds) and not allow_inf:
        raise ValueError(f"a duration must be finite, got {shown(value)}")
    if 0 < seconds < MIN_DURATION_S or MAX_DURATION_S < seconds < math.inf:
        never = " (write `inf` for never where that is allowed)" if seconds > MAX_DURATION_S else ""
        raise ValueError(f"a duration must be between 1 ms and {MAX_DURATION_S / 86400:.0f}d (ten years){never}, "
                         f"got {shown(value)}")
    return seconds


def _compound(text: str) -> float | None:
    """Seconds from `3h30min`, `1d 12h`, `2min30s`: unsigned parts, each unit once, largest first."""
    parts = _PART.findall(text)
    if len(parts) < 2 or _PART.sub("", text).strip():
        return None
    units_used = [unit for _, unit in parts]
    sizes = [SECONDS.get(unit) for unit in units_used]
    if None in sizes or sizes != sorted(sizes, reverse=True) or len(set(sizes)) != len(sizes):
        return None
    return sum(float(number) * size for (number, _), size in zip(parts, sizes))


def rate(value) -> float:
    """Events per second from `120/h`, `3/min`, `100/30min`, `2/s`, `500/d`; a bare number has no unit."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"a rate needs a unit, e.g. {value}/h or {value}/min; got {value!r}")
    match = _RATE.match(str(value).lower())
    if not match or match.group(3) not in SECONDS:
        raise ValueError(f"expected a rate such as 120/h, 3/min or 100/30min, got {value!r}")
    count, per, unit = float(match.group(1)), float(match.group(2) or 1), match.group(3)
    if count < 0 or per <= 0:
        raise ValueError(f"a rate must be zero or positive, got {value!r}")
    per_s = count / (per * SECONDS[unit])
    if not per_s <= MAX_RATE_PER_S:
        raise ValueError(f"a rate must be at most {MAX_RATE_PER_S:g}/s ({MAX_RATE_PER_S * 3600:,.0f}/h), got {value!r}")
    return per_s


def probability(value) -> float:
    """A number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"expected a probability between 0 and 1, got {value!r}")
    return float(value)


def clock(value, *, allow_24: bool = False) -> float:
    """Seconds after midnight from `HH:MM` (`24:00` only where an end of day is meant)."""
    match = _CLOCK.match(str(value))
    if not match:
        raise ValueError(f"expected a time of day as HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"not a valid time of day: {value!r}")
    return hours * 3600.0 + minutes * 60.0


def days(value) -> tuple[int, ...]:
    """Weekday indices (Monday = 0) from `mon`, `mon-fri`, `fri-mon`, `[mon, wed]`, `all`."""
    parts = value if isinstance(value, (list, tuple)) else str(value).split(",")
    found: set[int] = set()
    for part in parts:
        found.update(_day_range(str(part).strip().lower()))
    if not found:
        raise ValueError(f"expected days such as mon-fri, [mon, wed] or all, got {value!r}")
    return tuple(sorted(found))


def _day_range(text: str) -> list[int]:
    if text in ("all", "daily", "mon-sun"):
        return list(range(7))
    ends = [name.strip()[:3] for name in text.split("-")]
    if len(ends) > 2 or any(name not in DAY_NAMES for name in ends):
        raise ValueError(f"unknown day {text!r}: use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, or all")
    first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def format_clock(seconds: float) -> str:
    """`HH:MM` of a time of day in seconds after midnight (a whole day, 86400, is `24:00`)."""
    if seconds == 86400.0:
        return "24:00"
    seconds %= 86400.0
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


def readable_unit(seconds: float) -> tuple[str, float]:
    """The unit a person reads a duration of about this size in: (name, seconds per unit)."""
    for unit, size, below in (("s", 1.0, 120.0), ("min", 60.0, 7200.0), ("h", 3600.0, 172800.0)):
        if abs(seconds) < below:
            return unit, size
    return "d", 86400.0


def format_duration(seconds: float) -> str:
    """The shortest exact human form of a duration, for resolved configs and reports."""
    if math.isinf(seconds):
        return "inf"
    for unit in ("d", "h", "min"):
        count = seconds / SECONDS[unit]
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return f"{int(round(count))}{unit}"
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{float(seconds)!r}s"
