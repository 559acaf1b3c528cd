"""Invariants of the ticket lifecycle on small random models (hypothesis).

Models have phone and email contact types with priority tiers, escalation to a named queue or to a
group (which may escalate once more), repeats, retrials, random shifts, an optional cool-down and
business hours. Checks read the event log directly.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from simulator.agent_kpis import group_kpis
from simulator.business_hours import BusinessHours
from simulator.config import (AgentGroup, Arrivals, Automation, Callback, ContactType, ModelConfig, Policies,
                              PriorityTier, Queue, Repeat, Resolution, Retrial, SelfService, Sla)
from simulator.engine import simulate
from simulator.eventlog import ABANDONED, DEFLECTED, ESCALATED, OPEN, RESOLVED, RETRIED
from simulator.fates import draw_demand
from simulator.kpis import ALL, replication_kpis
from simulator.outcomes import contact_outcomes, visit_outcomes

from .test_invariants import H, SETTINGS, calendars, durations, seeds, shifts, with_agents


@st.composite
def resolutions(draw, target: str):
    return Resolution(draw(st.sampled_from([0.0, 0.3, 0.7, 0.95])), target, draw(durations(120.0, 3600.0)),
                      draw(st.sampled_from([None, None, 5])))


@st.composite
def lifecycle_contacts(draw, count: int, targets: list[str], retrials: bool):
    """`retrials`: every type is a phone line whose callers abandon and may call again."""
    types = []
    for index in range(count):
        email = not retrials and draw(st.booleans())
        patience = None if email or (not retrials and draw(st.booleans())) else draw(durations(30.0, 900.0))
        retrial = Retrial(draw(st.floats(0.2, 0.8)), draw(durations(30.0, 1800.0))) if patience and \
            (retrials or draw(st.booleans())) else None
        priority = draw(st.integers(1, 2))
        mix = (PriorityTier("vip", draw(st.floats(0.0, 0.5)), priority + 2),) if draw(st.booleans()) else ()
        types.append(ContactType(
            f"type{index}", Arrivals(rate_per_s=draw(st.floats(2.0, 30.0)) / H), draw(durations(30.0, 900.0)),
            channel="email" if email else "phone", priority=priority, patience=patience, retrial=retrial,
            resolution=draw(resolutions(draw(st.sampled_from(targets)))) if draw(st.booleans()) else None,
            repeat=Repeat(draw(st.floats(0.0, 0.5)), draw(durations(60.0, 7200.0))) if draw(st.booleans()) else None,
            sla=Sla(draw(st.sampled_from([60.0, 3600.0])), 4 * H, draw(st.sampled_from(["wall", "business"]))),
            priority_mix=mix, after_call_work=draw(durations(10.0, 120.0)) if draw(st.booleans()) else None))
    return tuple(types)


@st.composite
def callbacks(draw):
    return Callback(draw(st.sampled_from([0.0, 30.0, 300.0])), draw(st.floats(0.0, 1.0)),
                    draw(st.sampled_from(["when_agent_free", "at_time"])), draw(st.floats(0.5, 1.0)))


@st.composite
def lifecycle_models(draw, retrials: bool = False):
    """Groups g0 (first line, serves every type), g1 (the named queue `tickets`), g2 (its own queue, as
    the last tier): escalation goes to `tickets` or to g2; g1 may escalate on to g2."""
    contacts = draw(lifecycle_contacts(draw(st.integers(1, 3)), ["tickets", "g2"], retrials))
    names = [c.name for c in contacts]
    group = lambda name, skills, resolution=None: AgentGroup(
        name, skills, tuple(draw(st.lists(shifts(), min_size=1, max_size=2))),
        shrinkage=draw(st.sampled_from([0.0, 0.2])), resolution=resolution)
    onwards = draw(resolutions("g2")) if draw(st.booleans()) else None
    groups = (group("g0", {name: 1 for name in names}), group("g1", {"tickets": 1, names[0]: 2}, onwards),
              group("g2", {"tickets": 2}))
    calendar = draw(calendars())
    hours = BusinessHours(tuple(((8 * H, 18 * H),) if day < 5 else () for day in range(7)))
    calendar = dataclasses.replace(calendar, cooldown_s=draw(st.sampled_from([0.0, 6 * H])),
                                   business_hours=draw(st.sampled_from([None, hours])))
    policies = Policies()
    if draw(st.booleans()):  # the levers in front of the agents
        policies = Policies(self_service=SelfService((names[0],), draw(st.floats(0, 1)), draw(st.floats(0, 1)),
                                                     draw(st.floats(1.0, 1.5))),
                            automation=Automation({names[-1]: draw(st.floats(0.5, 1.0))},
                                                  {names[-1]: draw(st.floats(0.0, 0.5))}),
                            callback=draw(callbacks()))
    return ModelConfig(contacts, groups, calendar, policies=policies, queues=(Queue("tickets"),))


def by_contact(log) -> pd.DataFrame:
    """The visit columns as a frame sorted by contact, then row (a contact's visits in time order)."""
    frame = log.visits_frame()
    frame["row"] = np.arange(len(frame))
    return frame.sort_values(["contact_id", "row"], kind="stable")


@SETTINGS
@given(lifecycle_models(), seeds)
def test_one_final_outcome_and_each_visit_follows_the_one_before(model, seed):
    log = simulate(model, seed, 0)
    contacts = contact_outcomes(log, visit_outcomes(log))  # asserts the chains
    assert len(contacts.final) == log.contacts
    frame = by_contact(log)
    following = frame.contact_id.to_numpy()[1:] == frame.contact_id.to_numpy()[:-1]
    arrival, stage, repeat = (frame[c].to_numpy() for c in ("arrival_s", "stage", "repeat"))
    assert (np.diff(arrival)[following] >= 0).all(), "a contact's visits are in time order"
    assert (np.diff(repeat)[following] >= 0).all()
    same_episode = following & (np.diff(repeat) == 0)
    assert (np.diff(stage)[same_episode] >= 0).all(), "stages only move onwards within an episode"


@SETTINGS
@given(lifecycle_models(retrials=True), seeds)
def test_each_contacts_outcome_is_read_off_its_own_visits(model, seed):
    """Final outcome, first response, resolution and the any-visit flags, contact by contact."""
    log = simulate(model, seed, 0)
    visits = visit_outcomes(log)
    contacts = contact_outcomes(log, visits)
    moment = log.measure_to_s
    until = [log.ended_s[v] + log.after_call_work_s[v] if visits.answered[v] else
             log.left_s[v] if visits.abandoned[v] or visits.missed[v] else
             log.arrival_s[v] if visits.deflected[v] else np.inf for v in range(len(log))]
    for contact in range(log.contacts):
        mine = np.flatnonzero(log.contact_id == contact)
        last = mine[-1]
        final = OPEN if log.outcome[last] == RETRIED else log.outcome[last]
        answers = log.answered_s[mine][~np.isnan(log.answered_s[mine])]
        assert contacts.final[contact] == final
        assert np.array_equal(contacts.first_response_s[contact], answers.min() if len(answers) else np.nan,
                              equal_nan=True)
        assert np.array_equal(contacts.resolved_s[contact], log.ended_s[last] if final == RESOLVED else np.nan,
                              equal_nan=True)
        assert contacts.escalated[contact] == (log.outcome[mine] == ESCALATED).any()
        assert contacts.repeated[contact] == (log.repeat[mine] > 0).any()
        assert contacts.open_at_end[contact] == any(log.arrival_s[v] < moment < until[v] for v in mine)


@SETTINGS
@given(lifecycle_models(), seeds)
def test_tickets_and_emails_never_abandon_and_visits_wait_at_their_priority(model, seed):
    log = simulate(model, seed, 0)
    email = np.array([c.channel == "email" for c in model.contacts])[log.contact_type]
    never = (log.stage > 0) | email
    assert np.isnan(log.left_s[never]).all()
    assert not np.isin(log.outcome[never], (ABANDONED, RETRIED)).any()
    tier_priority = [[t.priority for t in c.tiers] for c in model.contacts]
    first = log.stage == 0
    expected = np.array([tier_priority[k][log.tier[i]] for k, i in zip(log.contact_type, log.contact_id)])
    assert (log.priority[first] == expected[first]).all()


@SETTINGS
@given(lifecycle_models(), seeds)
def test_fcr_escalated_and_repeated_shares_add_up(model, seed):
    """Among resolved contacts: resolved at first contact + (escalated or came back) = 1, from the log."""
    log = simulate(model, seed, 0)
    table = replication_kpis(log, model).set_index("contact_type")
    frame = by_contact(log)
    per_contact = frame.groupby("contact_id").agg(
        last=("outcome", "last"), escalated=("outcome", lambda o: (o == ESCALATED).any()),
        repeated=("repeat", "max"), first_arrival=("arrival_s", "first"))
    measured = (per_contact.first_arrival >= log.measure_from_s) & (per_contact.first_arrival < log.measure_to_s)
    resolved = per_contact[measured & (per_contact["last"] == RESOLVED)]
    fcr = table.loc[ALL, "fcr_rate"]
    lifecycle = any(c.resolution is not None or c.repeat is not None for c in model.contacts)
    if not lifecycle or resolved.empty:
        assert np.isnan(fcr) or resolved.empty
        return
    other = (resolved.escalated | (resolved.repeated > 0)).mean()
    assert abs(fcr + other - 1.0) < 1e-9
    assert table.loc[ALL, "resolved"] == len(resolved)
    for column in ("fcr_rate", "escalation_rate", "repeat_rate", "lost_rate", "sla_met_rate", "p_wait"):
        values = table[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    groups = group_kpis(log, visit_outcomes(log), model)
    assert groups.handled.sum() == int((visit_outcomes(log).measured & visit_outcomes(log).handled).sum())


@SETTINGS
@given(lifecycle_models(retrials=True), seeds, st.integers(1, 4))
def test_a_staffing_change_leaves_every_contacts_fate_identical(model, seed, extra):
    """Common random numbers: the drawn fates are equal, and every visit both runs share has the same
    handle time, the same patience if it abandoned in both, the same retrial decision and delay."""
    bigger = with_agents(model, extra)
    demand, demand_bigger = draw_demand(model, seed, 0), draw_demand(bigger, seed, 0)
    for field in dataclasses.fields(demand):
        a, b = getattr(demand, field.name), getattr(demand_bigger, field.name)
        assert np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True), field.name
    key = ["contact_id", "repeat", "stage", "attempt"]
    runs = []
    for m in (model, bigger):
        frame = simulate(m, seed, 0).visits_frame()
        frame["handle"], frame["patience"] = frame.ended_s - frame.answered_s, frame.left_s - frame.arrival_s
        retried = frame[key + ["arrival_s"]].rename(columns={"arrival_s": "next_attempt"})
        retried["attempt"] -= 1  # the retrial's arrival, joined to the attempt it follows
        frame = frame.merge(retried, on=key, how="left")
        runs.append(frame.set_index(key))
    both = runs[0].merge(runs[1], how="inner", left_index=True, right_index=True, suffixes=("_a", "_b"))
    handled = both.answered_s_a.notna() & both.answered_s_b.notna()
    assert np.allclose(both.handle_a[handled], both.handle_b[handled], rtol=1e-9, atol=1e-6)
    hung_up = ["abandoned", "retried"]  # (a call back that missed leaves at a staffing-dependent time)
    left = both.outcome_a.isin(hung_up) & both.outcome_b.isin(hung_up)
    assert np.allclose(both.patience_a[left], both.patience_b[left], rtol=1e-9, atol=1e-6)
    assert (both.outcome_a[left].astype(str) == both.outcome_b[left].astype(str)).all(), "retrial decision"
    again = left & both.next_attempt_a.notna() & both.next_attempt_b.notna()
    assert np.allclose((both.next_attempt_a - both.left_s_a)[again], (both.next_attempt_b - both.left_s_b)[again],
                       rtol=1e-9, atol=1e-6), "retrial delay"
    concluded = both.outcome_a.isin(["resolved", "escalated"]) & both.outcome_b.isin(["resolved", "escalated"])
    assert (both.outcome_a[concluded].astype(str) == both.outcome_b[concluded].astype(str)).all()


@st.composite
def business_repeat_models(draw):
    """One phone line around the clock whose repeats count their delay in random open hours."""
    opens = draw(st.integers(0, 20)) * H
    closes = opens + draw(st.integers(1, 10)) * H
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    hours = BusinessHours(tuple(((opens, closes),) if day in days else () for day in range(7)))
    calls = ContactType("calls", Arrivals(rate_per_s=draw(st.floats(5.0, 30.0)) / H), draw(durations(60.0, 600.0)),
                        repeat=Repeat(draw(st.floats(0.2, 0.6)), draw(durations(600.0, 4 * H)), "business"))
    desk = AgentGroup("desk", {"calls": 1}, tuple(draw(st.lists(shifts(max_agents=6), min_size=1, max_size=2))))
    calendar = dataclasses.replace(draw(calendars()), business_hours=hours)
    return ModelConfig((calls,), (desk,), calendar)


@SETTINGS
@given(business_repeat_models(), seeds)
def test_repeats_on_the_business_clock_come_back_in_open_hours_after_their_business_delay(model, seed):
    from simulator.business_hours import BusinessClock
    log = simulate(model, seed, 0)
    demand = draw_demand(model, seed, 0)
    clock = BusinessClock(model.calendar.business_hours, model.calendar.start, 0.0, log.run_end_s)
    frame = by_contact(log)
    frame["episode_end"] = frame.groupby(["contact_id", "repeat"]).ended_s.transform("last")
    previous_end = frame.groupby("contact_id").episode_end.shift()
    repeats = frame[(frame.repeat > 0) & (frame.attempt == 0) & (frame.stage == 0)]
    if repeats.empty:
        return
    elapsed = clock.between(previous_end[repeats.index].to_numpy(), repeats.arrival_s.to_numpy())
    # the drawn delay of the episode before each repeat
    episode = {}
    for contact in repeats.contact_id.unique():
        row, number = int(contact), 0
        while demand.next_episode[row] >= 0:
            episode[(int(contact), number + 1)] = demand.repeat_delay_s[row]
            row, number = demand.next_episode[row], number + 1
    drawn = np.array([episode[(c, r)] for c, r in zip(repeats.contact_id, repeats.repeat)])
    assert np.allclose(elapsed, drawn, rtol=1e-9, atol=1e-6)
    opened = clock.elapsed(repeats.arrival_s.to_numpy() + 1e-3) - clock.elapsed(repeats.arrival_s.to_numpy() - 1e-3)
    assert (opened > 0).all(), "a repeat arrives while the desk's business hours are open"


@SETTINGS
@given(lifecycle_models(), seeds)
def test_changing_routing_or_later_tiers_keeps_every_first_contact_fate(model, seed):
    """Moving work between groups (skills), or adding or removing a later tier's escalation, must not
    re-draw what customers bring: arrivals, tiers, handle times, patience and the first handling's
    escalation decision."""
    g0, g1, g2 = model.groups
    rerouted = dataclasses.replace(model, groups=(g0, dataclasses.replace(g1, skills={"tickets": 1}),
                                                  dataclasses.replace(g2, skills={"tickets": 1, **g0.skill_map})))
    onwards = Resolution(0.5, "g2", model.contacts[0].handle_time)
    retiered = dataclasses.replace(model, groups=(g0, dataclasses.replace(
        g1, resolution=None if g1.resolution else onwards), g2))
    base = draw_demand(model, seed, 0)
    n = len(base)
    for variant in (rerouted, retiered):
        other = draw_demand(variant, seed, 0)
        for name in ("arrival_s", "contact_type", "tier", "priority"):
            assert np.array_equal(getattr(base, name), getattr(other, name)), name
        for name in ("handle_s", "patience_s"):
            assert np.array_equal(getattr(base, name)[:n], getattr(other, name)[:n]), name
        assert np.array_equal(base.escalations[:n] >= 1, other.escalations[:n] >= 1)


@SETTINGS
@given(lifecycle_models(), seeds, st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(1.0, 1.5),
       st.floats(0.5, 1.0), st.floats(0.0, 0.5))
def test_toggling_self_service_or_automation_keeps_every_contacts_own_fate(model, seed, attempt, containment,
                                                                          leak, assist, bot):
    """The levers only decide who reaches an agent and scale handle times: every other draw of every
    contact (arrival, tier, patience, escalation, repeats and their fates) stays the same."""
    first = model.contacts[0].name
    model = dataclasses.replace(model, policies=Policies())
    levers = dataclasses.replace(model, policies=Policies(
        self_service=SelfService((first,), attempt, containment, leak),
        automation=Automation(handle_time_factor={first: assist}, auto_resolve={first: bot})))
    plain, on = draw_demand(model, seed, 0), draw_demand(levers, seed, 0)
    n = len(plain)
    for field in dataclasses.fields(plain):
        if field.name not in ("deflection", "tried_self_service", "handle_s", "next_episode", "repeat_delay_s"):
            a, b = getattr(plain, field.name), getattr(on, field.name)
            assert np.array_equal(a, b, equal_nan=True), field.name
    reaching = on.deflection == 0
    for name in ("next_episode", "repeat_delay_s"):  # a contact resolved before an agent never comes back
        assert np.array_equal(getattr(plain, name)[:n][reaching], getattr(on, name)[:n][reaching])
        assert np.array_equal(getattr(plain, name)[n:], getattr(on, name)[n:])
    scale = on.handle_s / plain.handle_s
    mine = np.concatenate([plain.contact_type == 0, np.zeros(len(scale) - n, bool)])
    repeat_rows = np.arange(len(scale)) >= n
    assert np.allclose(scale[~mine & ~repeat_rows], 1.0)
    leaked = np.concatenate([on.tried_self_service & (on.deflection != DEFLECTED), np.zeros(len(scale) - n, bool)])
    assert np.allclose(scale[mine & leaked], assist * leak) and np.allclose(scale[mine & ~leaked], assist)


@SETTINGS
@given(lifecycle_models(retrials=True), seeds, st.floats(0.0, 1.0))
def test_callback_line_counts_match_the_visits_waiting(model, seed, accept):
    """The line length the callback quote uses is the number of visits really waiting in each queue."""
    from simulator.engine import Engine
    from simulator.roster import build_roster
    from simulator.routing import WAITING
    model = dataclasses.replace(model, policies=Policies(callback=Callback(60.0, accept)))
    engine = Engine(model, draw_demand(model, seed, 0), build_roster(model, seed, 0), seed, 0)
    log = engine.run()
    state, queue = np.frombuffer(bytes(engine.book.state), np.uint8), log.queue
    waiting = [int(((state == WAITING) & (queue == q)).sum()) for q in range(len(model.network.queue_names))]
    assert engine.desk.in_line == waiting
    accepted = log.callback == 2
    assert np.isnan(log.left_s[accepted & (log.outcome != 7)]).all(), "an accepted caller never abandons"


@SETTINGS
@given(lifecycle_models(retrials=True), seeds, st.sampled_from([0.0, 30.0, 120.0, 600.0]))
def test_overflow_only_after_its_wait_and_only_to_its_group(model, seed, after):
    """A visit is answered by the overflow group (for a queue it does not serve itself) only after
    waiting at least `after`, and the chains stay consistent."""
    from simulator.config import Overflow
    g0, g1, g2 = model.groups
    helper = dataclasses.replace(g2, skills={"tickets": 2})  # serves no contact type's queue itself
    model = dataclasses.replace(model, groups=(g0, g1, helper),
                                policies=Policies(overflow=(Overflow(after, "g2"),)))
    log = simulate(model, seed, 0)
    contact_outcomes(log, visit_outcomes(log))
    by_helper = (log.agent >= 0) & (log.roster.agent_group[np.maximum(log.agent, 0)] == 2) & (log.stage == 0)
    own = {model.network.queue_names.index(name) for name in helper.skill_map}
    overflowed = by_helper & ~np.isin(log.queue, sorted(own))
    assert ((log.answered_s - log.arrival_s)[overflowed] >= after - 1e-9).all()


@SETTINGS
@given(lifecycle_models(retrials=True), seeds, callbacks())
def test_toggling_callback_keeps_every_contacts_own_fate(model, seed, callback):
    """Callback coins come from their own stream: switching the lever on draws them and nothing else."""
    off = dataclasses.replace(model, policies=Policies())
    on = dataclasses.replace(model, policies=Policies(callback=callback))
    a, b = draw_demand(off, seed, 0), draw_demand(on, seed, 0)
    for field in dataclasses.fields(a):
        if field.name not in ("callback_accept", "callback_reach"):
            assert np.array_equal(getattr(a, field.name), getattr(b, field.name), equal_nan=True), field.name
    assert len(b.callback_accept) == len(b.handle_s) and len(a.callback_accept) == 0


def fates_by_customer(demand):
    """Each contact's own draws keyed by its type and serial number (stable across volume what-ifs)."""
    n = len(demand)
    return {(int(k), int(serial)): (arrival, handle, patience, int(tier))
            for k, serial, arrival, handle, patience, tier in zip(
                demand.contact_type, demand.serial, demand.arrival_s, demand.handle_s[:n], demand.patience_s[:n],
                demand.tier)}


@SETTINGS
@given(lifecycle_models(), seeds, st.floats(0.5, 2.0))
def test_a_volume_what_if_keeps_every_customer_who_would_have_come_anyway(model, seed, scale):
    """demand.scale below 1 keeps a share of the same customers (thinned), above 1 adds new ones on
    their own streams: the customers both runs share arrive when they did, with the same needs."""
    plain, scaled = (fates_by_customer(draw_demand(dataclasses.replace(model, demand_scale=s), seed, 0))
                     for s in (1.0, scale))
    smaller, larger = (scaled, plain) if scale < 1 else (plain, scaled)
    assert all(larger[key] == value for key, value in smaller.items())
    assert len(smaller) <= len(larger)
