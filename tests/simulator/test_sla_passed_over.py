"""`_passed_over` (did an agent of a group serving a contact's queue answer a later arrival while the
contact waited?) against brute force over every pair of visits, on small made-up logs, at once and a
window of arrival time at a time."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.sla import _passed_over
from tests.simulator.small_blocks import small_blocks

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None)
GROUP_OF_AGENT = np.array([0, 1, 1, 2])
SERVED_BY = ([(0, 0), (1, 1)], [(0, 2)], [(0, 1), (1, 2)])  # queue → (rank, group); arrivals tie often

visits = st.lists(st.tuples(st.integers(0, 8), st.one_of(st.none(), st.integers(0, 10)), st.integers(0, 10),
                            st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=25)


def made_up_log(rows):
    arrival = np.array([a for a, _, _, _, _ in rows], dtype=float)
    answered = np.array([np.nan if w is None else a + w for a, w, _, _, _ in rows])
    left = np.where(np.isnan(answered), arrival + np.array([p for _, _, p, _, _ in rows], dtype=float), np.nan)
    agent = np.where(np.isnan(answered), -1, np.array([g for _, _, _, g, _ in rows])).astype(np.int32)
    return SimpleNamespace(arrival_s=arrival, answered_s=answered, left_s=left, agent=agent, run_end_s=60.0,
                           queue=np.array([q for *_, q in rows], dtype=np.int16),
                           roster=SimpleNamespace(agent_group=GROUP_OF_AGENT))


def brute_force(rows, log):
    result = []
    for r in rows:
        wait_end = min(x for x in (log.answered_s[r], log.left_s[r], log.run_end_s) if not np.isnan(x))
        serving = {g for _, g in SERVED_BY[log.queue[r]]}
        result.append(any(log.agent[v] >= 0 and GROUP_OF_AGENT[log.agent[v]] in serving
                          and log.arrival_s[v] > log.arrival_s[r] and log.answered_s[v] < wait_end
                          for v in range(len(log.arrival_s))))
    return result


@SETTINGS
@given(visits, st.data())
def test_passed_over_matches_every_pair(rows, data):
    log = made_up_log(rows)
    chosen = np.array(sorted(data.draw(st.sets(st.integers(0, len(rows) - 1)))), dtype=np.int64)
    model = SimpleNamespace(groups=range(3), network=SimpleNamespace(served_by=SERVED_BY))
    waited = np.zeros(data.draw(st.integers(chosen.max() + 1 if len(chosen) else 0, len(rows))), bool)
    waited[chosen] = True
    expected = np.zeros(len(waited), bool)
    expected[chosen] = brute_force(chosen, log)
    assert list(_passed_over(waited, log, model)) == list(expected)
    with small_blocks(rows=3, steps=2):  # windows of arrival time of a step or two
        assert list(_passed_over(waited, log, model)) == list(expected)
