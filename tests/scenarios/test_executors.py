"""Every executor gives byte-identical results: serial, a process pool, and a Dask LocalCluster."""
from __future__ import annotations

import operator
import os

import pytest

from scenarios.experiment.executors import ExecutorSpec, mapper

from .helpers import SMALL, invoke, no_traceback, write

TABLES = ["comparison.csv"] + [f"{scenario}/{table}.csv" for scenario in ("scenario", "more")
                               for table in ("summary", "replications", "intervals", "groups", "group_intervals")]


def compare_on(tmp_path, name: str, *executor) -> dict:
    out = tmp_path / name
    result = invoke("compare", write(tmp_path, SMALL), "--alt", "more:staffing.groups.l1.shifts.0.agents=6",
                    "-r", 4, "--out", out, *executor)
    assert result.exit_code == 0 and no_traceback(result), result.output
    return {table: (out / table).read_bytes() for table in TABLES}


def test_serial_process_pool_and_dask_give_byte_identical_csvs(tmp_path):
    pytest.importorskip("distributed", reason="Dask is optional: pip install 'helpdesk-sim[cluster]'")
    serial = compare_on(tmp_path, "serial", "--executor", "serial")
    assert compare_on(tmp_path, "processes", "--workers", 2) == serial
    assert compare_on(tmp_path, "dask", "--executor", "dask", "--workers", 2) == serial


@pytest.mark.parametrize("executor, workers, scheduler, message", [
    ("serial", 1, "tcp://10.0.0.5:8786", "--scheduler is for --executor dask"),
    ("threads", 1, None, "unknown executor")])
def test_executor_choices_that_cannot_work_are_refused(executor, workers, scheduler, message):
    with pytest.raises(ValueError, match=message):
        ExecutorSpec.choose(executor, workers, scheduler)


def test_a_scheduler_alone_means_dask_and_workers_mean_processes():
    assert ExecutorSpec.choose(None, 1, "tcp://host:8786").kind == "dask"
    assert ExecutorSpec.choose(None, 3, None).kind == "processes"
    assert ExecutorSpec.choose(None, 1, None).kind == "serial"


@pytest.mark.parametrize("kind, workers", [("serial", 1), ("processes", 2)])
def test_each_job_gets_the_shared_data_and_results_come_in_job_order(kind, workers):
    with mapper(ExecutorSpec(kind, workers)) as run_all:
        assert list(run_all(operator.getitem, ("a", "b", "c", "d"), [3, 1, 2, 0, 3])) == ["d", "b", "c", "a", "d"]


def test_local_dask_workers_run_without_dask_malloc_trim_threshold(monkeypatch):
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 makes glibc map and unmap every large NumPy array afresh
    (about 18 % more CPU per replication)."""
    pytest.importorskip("distributed", reason="Dask is optional: pip install 'helpdesk-sim[cluster]'")
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with mapper(ExecutorSpec("dask", 1)) as run_all:
        assert list(run_all(os.getenv, "MALLOC_TRIM_THRESHOLD_", [None])) == [None]
