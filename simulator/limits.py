"""The largest (and smallest) things a model may ask for, and the work and memory a request implies.

Every number is checked where it is read (units.py, distributions.py, the scenario parsers) and the
model's size in checks.py, so a request that cannot run is refused with the estimate and the limit
before anything runs or is written, instead of a memory error, an overflow or an endless run. The
limits are far above any helpdesk (docs/scenario-format.md, "Limits", says why each is where it is).
"""
from __future__ import annotations

import math

DAY_S = 86400.0

# Single values
MIN_DURATION_S = 1e-3  # a positive duration below a millisecond is lost in the clock's rounding
MAX_DURATION_S = 3650 * DAY_S  # ten years: longer than any run, so "never" (`inf`) is what is meant
MIN_SLOT_S = 60.0  # a weekly or dated table's interval: its "HH:MM" form is minute-precise anyway
MAX_RATE_PER_S = 100.0  # 360 000 an hour, a national call centre's peak many times over
MAX_FACTOR = 1000.0  # volume scales, handle-time factors: a thousandfold what-if is a different desk
MAX_AMOUNT = 1e12  # costs and other plain numbers: finite, with room for any currency
MIN_CV, MAX_CV = 1e-3, 100.0  # a distribution's cv: below, write `constant`; above, its mean says nothing
MAX_ERLANG_K = 1_000_000  # cv 1/sqrt(k) = 0.001
MIN_WEIBULL_SHAPE, MAX_WEIBULL_SHAPE = 0.1, 100.0  # cv 430 … 0.013: beyond, mean and variance overflow or cancel
MAX_PRIORITY = 32_767  # priorities are stored as 16-bit numbers
MAX_PREFERENCE = 1000
MAX_CONCURRENCY = 100
MAX_SEED = 2 ** 63 - 1

# The size of one replication
MAX_RUN_S = 1827 * DAY_S  # warm-up + horizon + cool-down: five years
MAX_AGENTS = 20_000  # seats over all groups (the most on duty at once in a table)
MAX_AGENT_SHIFTS = 2_000_000  # rostered agent-days in the run
MAX_CONTACTS = 30_000_000  # expected visits in one replication: a replication peaks near 400 bytes a
# visit (event log 64, the engine's columns and the KPI step's arrays), so about 12 GB at the cap; a
# year of a 25 000-a-day desk (about 9 million) must run (issue 11)
MAX_INTERVALS = 100_000  # reporting intervals in the run (a 5-year run at 30 min: 87 700)
MAX_CONTACT_TYPES = 32_767  # contact types are numbered in 16 bits

# The size of a request (every scenario × replication of a command)
MAX_REPLICATIONS = 10_000
MAX_TOTAL_CONTACTS = 1_000_000_000  # about an hour on two cores
MAX_TABLE_ROWS = 5_000_000  # interval and group-interval rows held in memory (~1.5 GB)


def finite_number(value, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    """A real number (not a bool or text) that is finite and in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, got {shown(value)}")
    number = float(value) if not isinstance(value, int) or abs(value) < 1e300 else math.copysign(1e300, value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {shown(value)}")
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low:g} and {high:g}, got {shown(value)}")
    return number


def shown(value) -> str:
    """`value!r` for a message, cut short (a 400-digit number or a pasted table would bury the point)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}… ({len(text)} characters)"


def readable(count: float) -> str:
    """`2.4 million`, `3.1 billion`: a large estimate as a person reads it."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if count >= size:
            return f"{count / size:.3g} {word}"
    return f"{count:,.0f}"
