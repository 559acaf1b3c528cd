"""`compare`: paired differences over the same replications, verdicts, and the contrast with unpaired."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.experiment.compare import COLUMNS, compare, direction, verdict
from scenarios.experiment.runner import run_experiment
from scenarios.format.scenario import load_scenario

from .helpers import SMALL, invoke, no_traceback, write

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def test_a_scenario_against_itself_differs_by_exactly_zero(tmp_path):
    result = invoke("compare", write(tmp_path, SMALL), write(tmp_path, SMALL, "same.yaml"), "-r", 3,
                    "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert list(table.columns) == COLUMNS
    measured = table.dropna(subset=["diff"])
    assert len(measured) > 100 and (measured["diff"] == 0).all() and (measured["diff_ci95"] == 0).all()
    assert set(measured.verdict) == {"no detectable difference"}
    assert {"billing", "tech", "all"} <= set(table.contact_type) and {"l1", "l2"} <= set(table.group)


def test_one_more_agent_on_the_baseline_is_detected_with_a_narrower_paired_interval():
    """Baseline vs one more agent in l1's early shift, 10 replications each: the service-level difference's
    interval excludes 0, and pairing narrows it at least twice (measured: +0.022 ±0.003 paired against
    ±0.008 unpaired, 3.3x on the headline KPIs)."""
    base = load_scenario(LIBRARY / "baseline.yaml")
    more = load_scenario(LIBRARY / "baseline.yaml", ("staffing.groups.l1.shifts.early.agents=7",))
    runs = [run_experiment(s.model, 10, base.experiment.seed) for s in (base, more)]
    row = compare(runs[0], {"more": runs[1]}).set_index(["contact_type", "kpi"]).loc[("all", "service_level")]
    assert row["diff"] - row.diff_ci95 > 0 and row.verdict == "better"
    assert row.unpaired_ci95 >= 2 * row.diff_ci95


@pytest.mark.parametrize("kpi, mean, half, expected", [
    ("service_level", 0.02, 0.01, "better"), ("service_level", -0.02, 0.01, "worse"),
    ("abandon_rate", -0.02, 0.01, "better"), ("abandon_rate", 0.005, 0.01, "no detectable difference"),
    ("occupancy", 0.05, 0.01, "higher"), ("cost", 10.0, 0.0, "worse"), ("asa_s", 1.0, float("nan"),
                                                                         "too few replications")])
def test_verdicts_follow_the_direction_of_better(kpi, mean, half, expected):
    assert verdict(mean, half, direction(kpi)) == expected


def test_inline_alternatives_and_names(tmp_path):
    path = write(tmp_path, SMALL)
    result = invoke("compare", path, "--alt", "more:staffing.groups.l1.shifts.0.agents=6",
                    "--alt", "more:staffing.groups.l2.shifts.0.agents=2", "--alt", "cheap:staffing.groups.l1.cost_per_hour=20",
                    "-r", 2, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(tmp_path / "out" / "comparison.csv").scenario) == {"more", "cheap"}
    for name in ("scenario", "more", "cheap"):
        assert (tmp_path / "out" / name / "summary.csv").is_file()
    assert "== more against scenario" in result.stdout and "paired replications" in result.stdout


def test_alternative_names_stay_inside_the_results_folder(tmp_path):
    result = invoke("compare", write(tmp_path, SMALL), "--alt", f"{tmp_path}/abs:demand.scale=1.1",
                    "--alt", "..:demand.scale=1.2", "-r", 2, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    inside = sorted(path.name for path in (tmp_path / "out").iterdir() if path.is_dir())
    assert len(inside) == 3 and not (tmp_path / "abs").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "scenario.yaml"]


def test_an_alternative_that_measures_differently_is_flagged(tmp_path):
    result = invoke("compare", write(tmp_path, SMALL), "--alt", "lenient:kpis.service_level.threshold=60s",
                    "-r", 2, "--out", tmp_path / "out")
    assert result.exit_code == 0 and "measures KPIs differently" in result.stderr


@pytest.mark.parametrize("args, says", [
    ((), "at least one alternative"),
    (("--alt", "no colon here"), "NAME:KEY.PATH=VALUE"),
    (("--alt", "x:staffing.groups.l1.shifts.0.agentz=3"), "agentz"),
    (("--alt", "y:staffing.groups.l1.cost_per_hour=20", "--precision", "servce_level=0.01"), "unknown KPI"),
    (("--alt", "y:staffing.groups.l1.cost_per_hour=20", "--precision", "service_level=-1"), "positive"),
])
def test_bad_comparisons_are_refused_without_a_traceback(tmp_path, args, says):
    result = invoke("compare", write(tmp_path, SMALL), *args, "-r", 2, "--out", tmp_path / "out")
    assert result.exit_code == 2 and no_traceback(result) and says in result.stderr, result.output


def _half_width(values: np.ndarray) -> float:
    from scipy import stats
    return stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))


def test_precision_stops_at_the_first_batch_that_meets_the_target(tmp_path):
    target, batch = 0.03, 3
    result = invoke("run", write(tmp_path, SMALL), "-r", batch, "--precision", f"service_level={target}",
                    "--max-replications", 60, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    reps = pd.read_csv(tmp_path / "out" / "replications.csv")
    levels = reps[reps.contact_type == "all"].sort_values("replication").service_level.to_numpy()
    ran = len(levels)
    assert ran % batch == 0 and ran > batch, "the target needs more than one batch (else the test proves little)"
    assert _half_width(levels) <= target < _half_width(levels[:ran - batch])
    assert f"precision met after {ran} replications" in result.stderr


def test_precision_in_a_comparison_is_the_paired_half_width(tmp_path):
    target, batch = 0.012, 3
    result = invoke("compare", write(tmp_path, SMALL), "--alt", "more:staffing.groups.l1.shifts.0.agents=6",
                    "-r", batch, "--precision", f"service_level={target}", "--max-replications", 60,
                    "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    row = pd.read_csv(tmp_path / "out" / "comparison.csv").query("contact_type == 'all' and kpi == 'service_level'")
    ran = int(row.replications.iloc[0])
    base = pd.read_csv(tmp_path / "out" / "scenario" / "replications.csv").query("contact_type == 'all'")
    more = pd.read_csv(tmp_path / "out" / "more" / "replications.csv").query("contact_type == 'all'")
    diffs = more.set_index("replication").service_level - base.set_index("replication").service_level
    assert row.diff_ci95.iloc[0] == pytest.approx(_half_width(diffs.to_numpy())) and row.diff_ci95.iloc[0] <= target
    assert ran == batch or _half_width(diffs.sort_index().to_numpy()[:ran - batch]) > target


def test_precision_reports_a_cap_that_was_not_enough(tmp_path):
    result = invoke("run", write(tmp_path, SMALL), "-r", 2, "--precision", "service_level=0.00001",
                    "--max-replications", 4, "--out", tmp_path / "out")
    assert result.exit_code == 0 and "NOT met" in result.stderr and "after 4 replications" in result.stderr


def test_compare_sweep_and_report_are_in_the_help_with_examples():
    listing = invoke("--help").output
    for command in ("compare", "sweep", "report"):
        assert command in listing
        assert "Examples:" in invoke(command, "--help").output, command
