"""An email desk open Monday–Friday 09:00–17:00, tickets arriving around the clock, and so many agents
that every ticket is answered the moment it arrives or the moment the desk opens.

Then a ticket's wall-clock first response is the time from its arrival to the next opening (zero
while open), whose mean over a week of uniform arrivals is worked out by hand below; on the business
clock every first response is 0. Tolerance: 4 replication SEs (replicate.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from simulator.business_hours import BusinessHours
from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift, Sla
from simulator.distributions import Constant
from simulator.kpis import replication_kpis

from .replicate import assert_matches, per_replication

H = 3600.0
WEEKDAYS = (0, 1, 2, 3, 4)
# Closed stretches of the measured week (Monday 00:00 to the next Monday 00:00), as (start, end,
# next opening) in hours: Monday morning, four weeknights, and the weekend (open again Monday 09:00).
CLOSED = [(0, 9, 9)] + [(24 * d + 17, 24 * (d + 1) + 9, 24 * (d + 1) + 9) for d in range(4)] + [(113, 168, 177)]
# ∫ (next opening − t) dt over a stretch [a, b) = ((o − a)² − (o − b)²) / 2: 40.5 + 4 × 128 + 2007.5 = 2560 h²
MEAN_WAIT_H = sum(((o - a) ** 2 - (o - b) ** 2) / 2 for a, b, o in CLOSED) / 168
# Answered within 1 h of arrival on the wall clock: while open (5 × 8 h) or in the hour before an opening
WITHIN_AN_HOUR = (5 * 8 + 5 * 1) / 168


def email_desk() -> ModelConfig:
    rate = Arrivals(rate_per_s=6 / H)
    business = ContactType("business_sla", rate, Constant(60.0), channel="email",
                           sla=Sla(answer_within_s=60.0, clock="business"))
    wall = ContactType("wall_sla", rate, Constant(60.0), channel="email", sla=Sla(answer_within_s=H, clock="wall"))
    desk = AgentGroup("desk", {"business_sla": 1, "wall_sla": 1}, (Shift(WEEKDAYS, 9 * H, 17 * H, 1000),))
    hours = BusinessHours(tuple(((9 * H, 17 * H),) if day in WEEKDAYS else () for day in range(7)))
    return ModelConfig((business, wall), (desk,),
                       Calendar(horizon_s=7 * 86400, cooldown_s=3 * 86400, business_hours=hours))


def test_hand_computed_reference():
    assert MEAN_WAIT_H == pytest.approx(2560 / 168)


def test_every_ticket_answered_at_opening_first_response_and_sla_on_both_clocks():
    model = email_desk()

    def measure(visits, log):
        table = replication_kpis(log, model, visits).set_index("contact_type")
        assert table.loc["all", "still_waiting"] == 0  # the cool-down answers the last weekend's tickets
        return [table.loc["all", "first_response_s"] / H, table.loc["all", "first_response_business_s"],
                table.loc["business_sla", "sla_met_rate"], table.loc["wall_sla", "sla_met_rate"],
                table.loc["all", "backlog_end"]]

    values = per_replication(model, 8, 17, measure)
    # the horizon ends Monday 00:00: every ticket since Friday 17:00 (55 h, two types at 6/h) is waiting
    assert_matches(values[:, 4], 2 * 6 * 55, "backlog at the end of the horizon")
    assert_matches(values[:, 0], MEAN_WAIT_H, "first response on the wall clock (h)")
    assert np.abs(values[:, 1]).max() < 1e-6, "on the business clock every ticket is answered at once"
    assert (values[:, 2] == 1.0).all(), "business-clock SLA of 60 s: always met"
    assert_matches(values[:, 3], WITHIN_AN_HOUR, "wall-clock SLA of 1 h: met share")
