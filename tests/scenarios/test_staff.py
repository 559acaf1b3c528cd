"""`staff`: requirements per interval and group, the staffed scenario, and the interval check."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from scenarios.experiment.requirements import covered_load
from scenarios.experiment.staffing import parse_staffing_targets
from scenarios.format.scenario import load_scenario

from .helpers import SMALL, invoke, no_traceback, write


def test_staff_writes_the_requirement_a_runnable_staffed_scenario_and_its_check(tmp_path):
    out = tmp_path / "out"
    result = invoke("staff", write(tmp_path, SMALL), "--set", "calendar.horizon=7d", "--target", "service_level=0.8", "--round-replications", 2,
                    "-r", 2, "--out", out)
    assert result.exit_code == 0, result.output
    requirements = pd.read_csv(out / "requirements.csv")
    assert set(requirements.group) == {"l1", "l2"} and len(requirements) == 2 * 7 * 24  # 1h intervals
    assert (requirements.agents_required >= 0).all() and (requirements.agents_sipp >= 0).all()
    l1 = requirements[requirements.group == "l1"]
    assert (l1.agents_to_roster == np.ceil(l1.agents_required / 0.9 - 1e-9)).all()  # l1's 10 % shrinkage
    assert (requirements.sipp_gap == requirements.agents_sipp - requirements.agents_required).all()
    staffed = load_scenario(out / "staffed.yaml")  # runs as it is
    table = staffed.document["staffing"]["groups"][0]["agents_per_interval"]
    assert table["mon"] == [int(v) for v in l1[l1.weekday == "mon"].agents_required]
    assert "shifts" not in staffed.document["staffing"]["groups"][0]
    check = pd.read_csv(out / "interval_check.csv")
    assert set(check.contact_type) == {"billing", "tech"} and "meets" in check
    assert (out / "requirements.png").stat().st_size > 5_000 and (out / "summary.csv").is_file()
    assert "agent-hours a week" in result.stdout and "intervals missing the target" in result.stdout


def test_staff_keeps_the_roster_of_groups_left_out(tmp_path):
    out = tmp_path / "out"
    result = invoke("staff", write(tmp_path, SMALL), "--set", "calendar.horizon=7d", "--target", "service_level=0.8", "--group", "l1",
                    "--round-replications", 1, "-r", 1, "--out", out)
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out / "requirements.csv").group) == {"l1"}
    groups = yaml.safe_load((out / "staffed.yaml").read_text())["staffing"]["groups"]
    assert "agents_per_interval" in groups[0] and groups[1]["shifts"][0]["agents"] == 1


@pytest.mark.parametrize("args, says", [
    (["--target", "service_level=1.5"], "between 0 and 1"),
    (["--target", "abandon_rate<=0.05"], "needs a service-level target"),
    (["--target", "service_level<=0.8"], "raises service level"),
    (["--target", "cost=3"], "--target needs"),
    (["--target", "service_level=0.8", "--group", "l9"], "no agent group 'l9'"),
    (["--target", "service_level=0.8", "--precision", "service_level=0.01"], "--precision is for"),
    (["--target", "service_level=0.8", "--set", "calendar.horizon=2d"], "at least a week"),
    (["--target", "service_level=0.8", "--set", "calendar.warmup=90min"], "on the clock"),
], ids=["level", "no-level", "wrong-direction", "kpi", "group", "precision", "short-horizon", "off-grid"])
def test_staff_input_errors_are_one_line(tmp_path, args, says):
    result = invoke("staff", write(tmp_path, SMALL), "--set", "calendar.horizon=7d", *args, "-r", 1, "--out", tmp_path / "out")
    assert result.exit_code == 2 and says in result.output and no_traceback(result), result.output


def test_targets_parse_as_shares_or_percentages():
    target = parse_staffing_targets(["service_level>=80%", "abandon_rate<=0.05"], 20.0)
    assert (target.service_level, target.threshold, target.max_abandon) == (0.8, 20.0, 0.05)


def test_covered_load_covers_the_end_of_a_rising_interval_and_only_the_mean_of_a_falling_one():
    assert covered_load(np.array([10.0, 20.0, 10.0])).tolist() == [15.0, 20.0, 10.0]  # the week wraps round
    assert covered_load(np.array([0.0, 10.0, 20.0])).tolist() == [0.0, 15.0, 20.0]  # nobody before opening


def test_staff_is_in_the_help_with_examples():
    result = invoke("staff", "--help")
    assert result.exit_code == 0 and "Examples:" in result.output and "--target service_level=0.8" in result.output
