"""Contacts' chains walked a block of later visits at a time (chains.py) against the whole log sorted
by contact at once: the same last visits, the same pairs checked (so the same number of visits that
do not follow, on a log with some arrivals moved), and the same first responses (np.fmin.reduceat)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from scenarios.format.scenario import load_scenario
from simulator.chains import follows, last_visits, later_first_responses, misnumbered
from simulator.engine import simulate
from tests.simulator.small_blocks import small_blocks

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def sorted_at_once(log):
    """Each contact's last visit, the visits that do not follow, and each first response, from one
    stable sort of the whole log by contact id."""
    order = np.argsort(log.contact_id, kind="stable")
    sizes = np.bincount(log.contact_id, minlength=log.contacts)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    later = np.ones(len(order), bool)
    later[starts] = False
    broken = int(np.count_nonzero(~follows(log, order[np.flatnonzero(later) - 1], order[later])))
    return order[starts + sizes - 1], broken, np.fmin.reduceat(log.answered_s[order], starts)


@pytest.fixture(scope="module")
def log():
    model = load_scenario(LIBRARY / "it-helpdesk.yaml", ("calendar.horizon=3d",)).model
    return simulate(model, 7, 0)


@pytest.mark.parametrize("moved", [0, 5])
@pytest.mark.parametrize("rows", [1, 7, 100, 10**6])
def test_walked_in_blocks_is_sorted_at_once(log, moved, rows):
    arrival = log.arrival_s.copy()
    arrival[log.contacts + np.random.default_rng(moved).choice(len(log) - log.contacts, moved, replace=False)] += 1.5
    log = dataclasses.replace(log, arrival_s=arrival)
    last, broken, first = sorted_at_once(log)
    with small_blocks(rows=rows):
        walked, walked_broken = last_visits(log)
        contacts, seconds = later_first_responses(log)
        assert misnumbered(log) == 0
    assert np.array_equal(walked, last) and walked_broken == broken and (broken > 0) == (moved > 0)
    own = log.answered_s[:log.contacts].copy()
    own[contacts] = seconds
    assert own.tobytes() == first.tobytes()


def test_a_visit_of_no_contact_is_misnumbered(log):
    ids = log.contact_id.copy()
    ids[-1], ids[3] = log.contacts, 4
    with small_blocks(rows=7):
        assert misnumbered(dataclasses.replace(log, contact_id=ids)) == 2
