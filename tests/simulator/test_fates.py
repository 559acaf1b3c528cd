"""Fates drawn before the run: tiers, escalations, repeats, and how episode rows link up.

Statistical checks use 4 binomial (or sample) standard errors of the drawn sample itself.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simulator.config import (AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, PriorityTier, Repeat,
                              Resolution, Shift)
from simulator.distributions import Exponential
from simulator.fates import draw_demand

H, DAY = 3600.0, 86400.0


def desk(*contacts: ContactType, groups=None) -> ModelConfig:
    names = {c.name: 1 for c in contacts}
    groups = groups or (AgentGroup("l1", names, (Shift(tuple(range(7)), 0.0, 0.0, 5),)),
                        AgentGroup("l2", {}, (Shift(tuple(range(7)), 0.0, 0.0, 2),),
                                   resolution=Resolution(0.6, "l3", Exponential(2 * H))),
                        AgentGroup("l3", {}, (Shift(tuple(range(7)), 0.0, 0.0, 1),)))
    return ModelConfig(contacts, groups, Calendar(horizon_s=20 * DAY))


TICKETS = ContactType("tickets", Arrivals(rate_per_s=60 / H), Exponential(300.0),
                      resolution=Resolution(0.7, "l2", Exponential(1800.0)),
                      repeat=Repeat(0.2, Exponential(DAY)),
                      priority_mix=(PriorityTier("vip", 0.15, 5), PriorityTier("gold", 0.25, 3)))


def within(observed: float, expected: float, n: int) -> bool:
    return abs(observed - expected) <= 4 * math.sqrt(expected * (1 - expected) / n)


def test_tier_shares_and_priorities():
    demand = draw_demand(desk(TICKETS), 1, 0)
    n = len(demand)
    assert within((demand.tier == 1).mean(), 0.15, n) and within((demand.tier == 2).mean(), 0.25, n)
    assert set(np.unique(demand.priority[demand.tier == 1])) == {5}
    assert set(np.unique(demand.priority[demand.tier == 0])) == {1}


def test_escalation_counts_follow_each_stage_probability():
    demand = draw_demand(desk(TICKETS), 2, 0)
    first = demand.escalations[:len(demand)]
    n = len(first)
    assert within((first >= 1).mean(), 0.3, n)
    assert within((first >= 2).mean(), 0.3 * 0.4, n)
    assert first.max() == 2  # tickets → l2 → l3, no further
    stage1, stage2 = demand.stage_handle_s[:, 0], demand.stage_handle_s[:, 1]
    assert abs(stage1.mean() - 1800) < 4 * 1800 / math.sqrt(len(stage1))
    assert abs(stage2.mean() - 2 * H) < 4 * 2 * H / math.sqrt(len(stage2))


def test_repeat_counts_are_geometric_and_episodes_link_in_order():
    demand = draw_demand(desk(TICKETS), 3, 0)
    n = len(demand)
    counts = np.zeros(n, int)
    for contact in range(n):
        episode, number = contact, 0
        while demand.next_episode[episode] >= 0:
            assert math.isfinite(demand.repeat_delay_s[episode])
            episode = demand.next_episode[episode]
            number += 1
            assert demand.episode_number[episode] == number
        assert math.isinf(demand.repeat_delay_s[episode])
        counts[contact] = number
    assert len(demand.handle_s) == n + counts.sum()  # every repeat episode is reached exactly once
    mean, sd = 0.2 / 0.8, math.sqrt(0.2) / 0.8  # geometric: P(N ≥ k) = 0.2^k
    assert abs(counts.mean() - mean) <= 4 * sd / math.sqrt(n)


def test_a_type_keeps_its_fates_when_another_type_is_added():
    other = ContactType("other", Arrivals(rate_per_s=30 / H), Exponential(200.0))
    alone, together = draw_demand(desk(TICKETS), 4, 0), draw_demand(desk(TICKETS, other), 4, 0)
    mine = together.contact_type[:len(together)] == 0
    assert np.array_equal(alone.arrival_s, together.arrival_s[mine])
    assert np.array_equal(alone.handle_s[:len(alone)], together.handle_s[:len(together)][mine])
    assert np.array_equal(alone.escalations[:len(alone)], together.escalations[:len(together)][mine])
    assert np.array_equal(alone.tier, together.tier[mine])


def test_first_episode_fates_do_not_depend_on_the_repeat_probability():
    """A what-if on repeats (better fixes) keeps every first contact's own needs."""
    fewer = dataclasses.replace(TICKETS, repeat=Repeat(0.05, Exponential(DAY)))
    a, b = draw_demand(desk(TICKETS), 5, 0), draw_demand(desk(fewer), 5, 0)
    n = len(a)
    for name in ("arrival_s", "tier"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    for name in ("handle_s", "escalations", "patience_s"):
        assert np.array_equal(getattr(a, name)[:n], getattr(b, name)[:n])
    assert (b.next_episode[:n] >= 0).sum() < (a.next_episode[:n] >= 0).sum()


@pytest.mark.parametrize("probability", [0.0, 1e-9])
def test_no_or_negligible_repeats_draw_no_repeat_episodes(probability):
    demand = draw_demand(desk(dataclasses.replace(TICKETS, repeat=Repeat(probability, Exponential(DAY)))), 6, 0)
    assert len(demand.handle_s) == len(demand) and (demand.next_episode == -1).all()


def test_a_longer_escalation_path_keeps_every_earlier_escalation_decision():
    """Adding a third tier (a staffing-section change) must not re-draw who L1 escalates. (The coins of
    all stages came from one matrix whose shape followed the path length: 279 of 923 flipped.)"""
    two_tiers = desk(TICKETS, groups=(AgentGroup("l1", {"tickets": 1}, (Shift(tuple(range(7)), 0.0, 0.0, 5),)),
                                      AgentGroup("l2", {}, (Shift(tuple(range(7)), 0.0, 0.0, 2),))))
    three_tiers = desk(TICKETS)
    assert len(two_tiers.network.paths[0]) == 2 and len(three_tiers.network.paths[0]) == 3
    a, b = draw_demand(two_tiers, 7, 0), draw_demand(three_tiers, 7, 0)
    n = len(a)
    assert np.array_equal(a.escalations[:n] >= 1, b.escalations[:n] >= 1)
    assert np.array_equal(a.stage_handle_s[:, 0], b.stage_handle_s[:, 0])
