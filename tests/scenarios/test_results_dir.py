"""A results directory is written whole or not at all; a failed run says why; parquet beside CSV."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

import scenarios.cli.plan as plan_module

from .helpers import TINY, invoke, no_traceback, write


def run(tmp_path, out, *extra):
    return invoke("run", write(tmp_path, TINY), "--out", out, *extra)


def test_a_new_run_replaces_the_old_results_whole(tmp_path):
    out = tmp_path / "out"
    assert run(tmp_path, out).exit_code == 0
    (out / "stale.csv").write_text("from an older run")
    assert run(tmp_path, out, "--seed", 8).exit_code == 0
    assert not (out / "stale.csv").exists()
    assert yaml.safe_load((out / "config.resolved.yaml").read_text())["experiment"]["seed"] == 8
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no staging left


@pytest.mark.parametrize("problem, error", [(RuntimeError("disk on fire"), "RuntimeError: disk on fire"),
                                            (KeyboardInterrupt(), "interrupted")])
def test_a_failed_run_leaves_its_request_and_the_error_and_no_tables(tmp_path, monkeypatch, problem, error):
    out = tmp_path / "out"
    assert run(tmp_path, out).exit_code == 0

    def fail(*args, **kwargs):
        raise problem
    monkeypatch.setattr(plan_module, "run_scenarios", fail)
    result = run(tmp_path, out, "--seed", 9)
    assert result.exit_code != 0
    assert sorted(path.name for path in out.iterdir()) == ["config.resolved.yaml", "run.failed.yaml"]
    failed = yaml.safe_load((out / "run.failed.yaml").read_text())
    assert failed["error"] == error and failed["command"].endswith("run")
    assert failed["arguments"]["seed"] == 9 and failed["traceback"]
    assert yaml.safe_load((out / "config.resolved.yaml").read_text())["experiment"]["seed"] == 9


def test_a_folder_that_is_not_results_is_never_replaced(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = run(tmp_path, out)
    assert result.exit_code == 2 and "does not hold helpdesk-sim results" in result.output and no_traceback(result)
    assert (out / "thesis.tex").read_text() == "years of work"


def test_parquet_tables_hold_the_same_numbers_as_csv(tmp_path):
    pytest.importorskip("pyarrow", reason="parquet is optional: pip install 'helpdesk-sim[parquet]'")
    assert run(tmp_path, tmp_path / "csv").exit_code == 0
    assert run(tmp_path, tmp_path / "parquet", "--format", "parquet").exit_code == 0
    assert not (tmp_path / "parquet" / "summary.csv").exists()
    for table in ("summary", "replications", "intervals", "groups"):
        parquet = pd.read_parquet(tmp_path / "parquet" / f"{table}.parquet")
        dates = [column for column in parquet if pd.api.types.is_datetime64_any_dtype(parquet[column])]
        csv = pd.read_csv(tmp_path / "csv" / f"{table}.csv", parse_dates=dates)
        pd.testing.assert_frame_equal(parquet, csv, check_dtype=False)  # parquet keeps the timestamps typed
