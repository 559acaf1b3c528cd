"""Scenario keys of the ticket lifecycle: escalation tiers and queues, repeats, the email channel,
priority tiers, SLAs per tier on business hours, the cool-down; and the errors for each."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from scenarios.experiment.runner import run_experiment
from scenarios.format.scenario import load_scenario

from .helpers import TICKETS, assert_points_at, edit, invoke, load_error, marked_line, write

H = 3600.0


def assert_refused(tmp_path, text: str, key_path: str, *says: str) -> None:
    """Loading `text` fails at the line marked `# <-`, naming `key_path`, with each of `says` in the message."""
    path = write(tmp_path, text)
    error = load_error(path)
    assert_points_at(error, path, marked_line(text), key_path)
    for fragment in says:
        assert fragment in str(error), (fragment, str(error))


@pytest.fixture(scope="module")
def tickets(tmp_path_factory):
    return load_scenario(write(tmp_path_factory.mktemp("tickets"), TICKETS))


def test_queues_are_types_named_queues_and_escalation_target_groups(tickets):
    network = tickets.model.network
    assert network.queue_names == ("incident", "request", "escalation", "l3")
    assert network.queue_channels == ("phone", "email", "email", "email")
    l1, l2, l3 = network.serves
    assert l1 == ((0, 1), (1, 2))
    assert l2 == ((2, 1),)  # the named queue it lists
    assert l3 == ((3, 1), (0, 3))  # its own queue first (work escalated to it by name), then incidents


def test_escalation_path_follows_each_resolution(tickets):
    incident, request = tickets.model.network.paths
    assert [stage.queue for stage in incident] == [0, 2, 3]
    assert [stage.first_contact for stage in incident] == [0.75, 0.9, 1.0]
    assert incident[1].handle_time.mean == pytest.approx(30 * 60)  # the type's escalated handle time
    assert incident[2].handle_time.mean == pytest.approx(2 * H)  # l2's escalated handle time
    assert [stage.queue for stage in request] == [1]


def test_tiers_slas_repeat_and_business_hours(tickets):
    model = tickets.model
    incident, request = model.contacts
    default, vip = incident.tiers
    assert (default.name, default.share, default.priority) == ("default", pytest.approx(0.9), 1)
    assert (vip.name, vip.share, vip.priority) == ("vip", 0.1, 3)
    assert (vip.sla.resolve_within_s, vip.sla.clock) == (4 * H, "business")
    assert default.sla.resolve_within_s == 8 * H
    assert request.channel == "email" and request.patience is None
    assert request.tiers[0].sla.answer_within_s == 4 * H
    assert incident.repeat.probability == 0.1 and incident.repeat.delay.mean == pytest.approx(86400)
    hours = model.calendar.business_hours
    assert hours.weekly[0] == ((8 * H, 18 * H),) and hours.weekly[5] == ()
    assert hours.holidays == (date(2024, 1, 2),)
    assert model.calendar.cooldown_s == 86400 and model.calendar.run_end_s == 3 * 86400


def test_ticket_scenario_runs_and_reports_the_lifecycle(tickets):
    results = run_experiment(tickets.model, replications=2, seed=3)
    summary = results.summary.set_index("contact_type")
    assert list(summary.index) == ["incident", "request", "channel:phone", "channel:email", "priority:3",
                                   "priority:1", "all"]
    incident = summary.loc["incident"]
    for kpi in ("fcr_rate", "escalation_rate", "repeat_rate", "resolution_time_h", "sla_met_rate",
                "first_response_business_s", "resolution_time_business_h", "lost_rate"):
        assert np.isfinite(incident[kpi]), kpi
    request = summary.loc["request"]
    assert np.isnan(request["abandon_rate"]) and np.isnan(request["fcr_rate"])  # email: no abandonment
    assert request["abandoned"] == 0
    for _, reps in results.replications.groupby("replication"):  # email requests cannot abandon: they
        rows = reps.set_index("contact_type")                      # do not dilute the `all` abandon rate
        assert rows.loc["all", "abandon_rate"] == pytest.approx(rows.loc["all", "abandoned"] /
                                                                rows.loc["incident", "offered"])
    groups = results.groups.set_index("group")
    assert list(groups.index) == ["l1", "l2", "l3"]
    assert (groups["handled"] > 0).all()
    assert (groups["occupancy"].between(0, 1)).all()


def test_resolved_config_reports_every_distribution_of_the_lifecycle(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path, TICKETS), "--out", out, "--replications", "1")
    assert result.exit_code == 0, result.output
    import yaml
    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text())["resolved"]
    incident = resolved["contacts"]["incident"]
    assert incident["escalated_handle_time"]["escalation"]["reported_mean_s"] == pytest.approx(1800)
    assert incident["repeat_delay"]["reported_mean_s"] == pytest.approx(86400)
    assert incident["retrial_delay"]["reported_mean_s"] == pytest.approx(600)
    assert resolved["groups"]["l2"]["escalated_handle_time"]["l3"]["reported_mean_s"] == pytest.approx(7200)
    rerun = invoke("run", out / "config.resolved.yaml", "--out", tmp_path / "again")
    assert rerun.exit_code == 0, rerun.output
    assert (tmp_path / "again" / "groups.csv").read_text() == (out / "groups.csv").read_text()


def test_escalation_that_loops_back_is_refused_at_its_line(tmp_path):
    text = edit(TICKETS, "        escalate_to: l3", "        escalate_to: incident  # <-")
    assert_refused(tmp_path, text, "staffing.groups.l2.resolution.escalate_to", "loops back")


def test_named_queue_nobody_serves_is_refused(tmp_path):
    text = edit(TICKETS, "      skills: {escalation: 1}", "      skills: {incident: 2}")
    text = edit(text, "    - {name: escalation, channel: email}", "    - {name: escalation, channel: email}  # <-")
    assert_refused(tmp_path, text, "staffing.queues.escalation", "no agent group serving it", "escalation: 1")


def test_skill_for_an_unknown_queue_is_refused(tmp_path):
    text = edit(TICKETS, "      skills: {escalation: 1}", "      skills: {escalaton: 1}  # <-")
    assert_refused(tmp_path, text, "staffing.groups.l2.skills", "escalaton", "escalation")


def test_escalate_to_a_group_and_contact_type_of_the_same_name_is_ambiguous(tmp_path):
    text = edit(TICKETS, "    - name: l3\n", "    - name: incident\n")
    text = edit(text, "        escalate_to: l3", "        escalate_to: incident  # <-")
    assert_refused(tmp_path, text, "staffing.groups.l2.resolution.escalate_to", "ambiguous")


def test_overnight_business_hours_run_past_midnight(tmp_path):
    text = edit(TICKETS, 'business_hours: {mon-fri: "08:00-18:00", holidays: [2024-01-02]}',
                'business_hours: {all: ["22:00-06:00"]}')
    hours = load_scenario(write(tmp_path, text)).model.calendar.business_hours
    assert hours.weekly[3] == ((22 * H, 30 * H),)


def test_channel_rows_when_a_channel_has_several_types(tmp_path):
    text = edit(TICKETS, "staffing:\n", """    - name: access
      channel: email
      arrivals: {rate: 2/h}
      handle_time: {dist: exponential, mean: 5min}
staffing:
""")
    text = edit(text, "      skills: {incident: 1, request: 2}", "      skills: {incident: 1, request: 2, access: 2}")
    scenario = load_scenario(write(tmp_path, text))
    summary = run_experiment(scenario.model, replications=1, seed=1).summary.set_index("contact_type")
    assert ["channel:phone", "channel:email"] == [name for name in summary.index if name.startswith("channel:")]
    for column in ("offered", "contacts", "resolved", "backlog_end"):
        assert summary.loc["channel:email", column] == summary.loc["request", column] + summary.loc["access", column]


def test_group_resolution_that_no_escalated_work_reaches_is_refused(tmp_path):
    """A `resolution` on a first-line group would silently do nothing (it is for work escalated to it)."""
    text = edit(TICKETS, "      skills: {incident: 1, request: 2}\n",
                "      skills: {incident: 1, request: 2}\n"
                "      resolution: {first_contact: 0.5, escalate_to: l3,  # <-\n"
                "                   escalated_handle_time: {dist: exponential, mean: 1h}}\n")
    assert_refused(tmp_path, text, "staffing.groups.l1.resolution", "nothing is escalated to 'l1'", "contact types")


def test_weekly_staffing_and_arrival_tables_run_through_the_cool_down(tmp_path):
    text = edit(TICKETS, "      arrivals: {rate: 5/h}", '      arrivals: {series: {all: {"00:00-24:00": 5/h}}}')
    text = edit(text, '      shifts:\n        - {days: all, start: "00:00", end: "24:00", agents: 4}',
                '      agents_per_interval: {all: {"00:00-24:00": 4}}')
    model = load_scenario(write(tmp_path, text)).model
    run_end = model.calendar.run_end_s
    assert len(model.contacts[1].arrivals.series_per_s) * model.contacts[1].arrivals.series_slot_s == run_end
    assert len(model.groups[0].agents_per_slot) * model.groups[0].slot_s == run_end


def test_callback_for_an_email_type_is_refused(tmp_path):
    text = edit(TICKETS, "experiment:\n", "policies:\n  callback: {offer_when_expected_wait_over: 1min, "
                "accept_probability: 0.5, applies_to: [request]}  # <-\nexperiment:\n")
    assert_refused(tmp_path, text, "policies.callback.applies_to", "phone only", "request")
