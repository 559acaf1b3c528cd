"""The report's warnings, each by its stated rule, on small frames where the answer is known."""
from __future__ import annotations

import numpy as np
import pandas as pd

from scenarios.experiment.alerts import backlog_not_clearing, nobody_on_shift, over_capacity

STARTS = pd.date_range("2024-01-01 08:00", periods=4, freq="1h")


def group_frame(load, agents, replications=4, noise=0.05):
    rows = []
    for replication in range(replications):
        for start, mean_load, staffed in zip(STARTS, load, agents):
            rows.append({"replication": replication, "interval_start": start, "group": "l2",
                         "offered_load": mean_load + noise * (replication - 1.5), "agents_on_shift_mean": staffed,
                         "busy_agents_mean": min(mean_load, staffed)})
    return pd.DataFrame(rows)


def test_over_capacity_needs_load_above_the_agents_on_shift_with_confidence():
    found = over_capacity(group_frame([2.0, 5.0, 3.1, 0.0], [3, 3, 3, 0]))
    assert len(found) == 1 and "l2 is over 100 % of its capacity in 1 interval(s)" in found[0]
    assert "Mon 01 Jan 09:00" in found[0] and "167%" in found[0]
    # 3.1 against 3 agents: above on average but not with confidence (noise ±0.1 over 4 replications)
    assert over_capacity(group_frame([3.1, 3.1, 3.1, 3.1], [3, 3, 3, 3], noise=0.2)) == []


def type_frame(offered, staffed, queue=None, days=1, types=("calls",)):
    """Intervals of `types` (calls can abandon; email cannot: its abandon_rate is empty) and `all`."""
    starts = pd.date_range("2024-01-01 00:00", periods=len(offered) * days, freq=f"{24 // len(offered)}h")
    rows = []
    for replication in range(4):
        for index, start in enumerate(starts):
            slot = index % len(offered)
            for name in types + ("all",):
                rows.append({"replication": replication, "interval_start": start, "contact_type": name,
                             "offered": offered[slot], "agents_on_shift_mean": staffed[slot],
                             "abandon_rate": np.nan if name == "email" else 0.1,
                             "queue_len_mean": np.nan if queue is None else queue(index, replication)})
    return pd.DataFrame(rows)


def test_arrivals_with_nobody_on_shift_are_named_by_type():
    found = nobody_on_shift(type_frame([3, 5, 0, 2], [0, 2, 0, 2]))
    assert len(found) == 1 and found[0].startswith("3.0 calls contact(s) per run arrived in 1 interval(s)")


def test_email_waiting_for_the_morning_and_a_stray_call_are_not_flagged():
    """Email cannot abandon: it waits by design (a backlog it leaves is the backlog warning's); fewer
    than one call per run in all is a retrial or two, not a gap in the roster."""
    assert nobody_on_shift(type_frame([3, 5, 0, 2], [0, 2, 0, 2], types=("email",))) == []
    assert nobody_on_shift(type_frame([0.5, 5, 0, 2], [0, 2, 0, 2])) == []


def test_over_capacity_leaves_out_intervals_with_less_than_one_agent_on_average():
    """A shift's last minutes (agents finishing work after it) are not a capacity shortfall."""
    assert over_capacity(group_frame([2.0, 5.0, 3.1, 0.4], [3, 3, 3, 0.05])) != []
    assert over_capacity(group_frame([2.0, 2.0, 2.0, 0.4], [3, 3, 3, 0.05])) == []


def test_a_backlog_that_grows_day_after_day_is_flagged_and_one_that_clears_is_not():
    growing = type_frame([5, 5, 5, 5], [1, 1, 1, 1], lambda index, rep: 2.0 * index + rep * 0.1, days=3)
    assert "not clearing" in backlog_not_clearing(growing)[0]
    clearing = type_frame([5, 5, 5, 5], [1, 1, 1, 1], lambda index, rep: float(index % 4 + rep), days=3)
    assert backlog_not_clearing(clearing) == []
    # a weekend nobody works is left out: only the staffed days are compared
    weekend = type_frame([5, 5, 5, 5], [1, 1, 1, 1], lambda index, rep: float(index % 4) * (index < 8)
                         + 40.0 * (index >= 8) + rep, days=3)
    weekend.loc[pd.to_datetime(weekend.interval_start).dt.day == 3, "agents_on_shift_mean"] = 0
    assert backlog_not_clearing(weekend) == []
