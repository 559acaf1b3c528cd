"""A results directory is written whole or not at all; a failed run says why; parquet beside CSV."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import scenarios.cli.plan as plan_module
import scenarios.experiment.runner as runner_module
from scenarios.experiment.interrupts import Interrupted, signals_held, stopping_cleanly
from calibration.atomic import write_atomically

from .helpers import TINY, console_script, hidden, invoke, no_traceback, reaped_pid, wait_for, write

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "library" / "baseline.yaml"


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

    def fail(*args, **kwargs):
        raise problem
    monkeypatch.setattr(plan_module, "run_scenarios", fail)
    result = run(tmp_path, out, "--seed", 9)
    assert result.exit_code != 0
    assert sorted(path.name for path in out.iterdir()) == [".helpdesk-sim-results", "config.resolved.yaml",
                                                           "run.failed.yaml"]
    failed = yaml.safe_load((out / "run.failed.yaml").read_text())
    assert failed["error"] == error and failed["command"].endswith("run")
    assert failed["arguments"]["seed"] == 9 and failed["traceback"]
    assert yaml.safe_load((out / "config.resolved.yaml").read_text())["experiment"]["seed"] == 9


def test_a_failed_rerun_keeps_the_last_good_results_and_records_the_failure_beside_them(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run(tmp_path, out).exit_code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(plan_module, "run_scenarios", fail)
    assert run(tmp_path, out, "--seed", 9).exit_code != 0
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    record = yaml.safe_load((tmp_path / "out.failed" / "run.failed.yaml").read_text())
    assert record["error"] == "RuntimeError: disk on fire" and record["arguments"]["seed"] == 9
    monkeypatch.undo()
    assert run(tmp_path, out, "--seed", 10).exit_code == 0
    assert not (tmp_path / "out.failed").exists()  # superseded by the good run


def test_a_typo_in_a_precision_row_is_refused_before_anything_runs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setattr(plan_module, "run_scenarios", lambda *a, **k: pytest.fail("ran before checking the row"))
    result = run(tmp_path, out, "--precision", "service_level@biling=0.01")
    assert result.exit_code == 2 and "no row 'biling'" in result.output and no_traceback(result)


def test_precision_on_a_kpi_the_scenario_does_not_model_is_an_error_not_a_run_to_the_cap(tmp_path):
    result = run(tmp_path, tmp_path / "out", "--precision", "callback_delay_s=1", "-r", "2",
                 "--max-replications", "40")
    assert result.exit_code == 2 and "does not model" in result.output and no_traceback(result)
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_max_replications_without_precision_is_refused(tmp_path):
    result = run(tmp_path, tmp_path / "out", "--max-replications", "5")
    assert result.exit_code == 2 and "caps --precision" in result.output


def test_a_folder_that_is_not_results_is_never_replaced(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = run(tmp_path, out)
    assert result.exit_code == 2 and "does not hold helpdesk-sim results" in result.output and no_traceback(result)
    assert (out / "thesis.tex").read_text() == "years of work"


def test_a_folder_with_a_file_named_like_ours_beside_other_work_is_still_not_ours(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    (out / "summary.csv").write_text("a,b\n")
    assert run(tmp_path, out).exit_code == 2
    assert (out / "thesis.tex").read_text() == "years of work"


def test_out_dot_in_a_results_folder_and_in_a_foreign_one(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    result = run(tmp_path, ".")
    assert result.exit_code == 2 and "does not hold helpdesk-sim results" in result.output and no_traceback(result)
    assert [path.name for path in tmp_path.iterdir() if ".partial" in path.name] == []


def test_parquet_tables_hold_the_same_numbers_as_csv(tmp_path):
    pytest.importorskip("pyarrow", reason="parquet is optional: pip install 'helpdesk-sim[parquet]'")
    assert run(tmp_path, tmp_path / "csv").exit_code == 0
    assert run(tmp_path, tmp_path / "parquet", "--format", "parquet").exit_code == 0
    assert not (tmp_path / "parquet" / "summary.csv").exists()
    for table in ("summary", "replications", "intervals", "groups", "group_intervals"):
        parquet = pd.read_parquet(tmp_path / "parquet" / f"{table}.parquet")
        dates = [column for column in parquet if pd.api.types.is_datetime64_any_dtype(parquet[column])]
        csv = pd.read_csv(tmp_path / "csv" / f"{table}.csv", parse_dates=dates)
        pd.testing.assert_frame_equal(parquet, csv, check_dtype=False)  # parquet keeps the timestamps typed


def test_replacing_earlier_results_is_said(tmp_path):
    out = tmp_path / "out"
    first = run(tmp_path, out)
    assert first.exit_code == 0 and "replaced the earlier results" not in first.stderr
    again = run(tmp_path, out)
    assert again.exit_code == 0 and f"replaced the earlier results in {out}" in again.stderr
    assert "over 2 replications" in again.stderr and "2 replications, seed" in again.stderr


def test_an_out_below_a_file_or_at_the_root_is_refused_before_running(tmp_path):
    """Issue 13: `--out` below a file was a FileExistsError traceback; `--out /` must never be used."""
    (tmp_path / "notes.txt").write_text("mine")
    below = run(tmp_path, tmp_path / "notes.txt" / "results")
    assert below.exit_code == 2 and no_traceback(below)
    assert "lies below" in below.stderr and "notes.txt, which is a file" in below.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
    root = run(tmp_path, "/")
    assert root.exit_code == 2 and no_traceback(root) and "--out /" in root.stderr


def test_calibrate_never_writes_over_the_history_it_reads(tmp_path):
    """Issue 13: `calibrate H --out H` replaced the history with the profile."""
    from pathlib import Path
    source = Path(__file__).parents[2] / "calibration" / "data" / "bank_1999-01_type_aa.txt"
    history = tmp_path / "history.txt"
    history.write_bytes(source.read_bytes())
    for option, target in (("--out", history), ("--report", tmp_path)):
        extra = ("--out", tmp_path / "profile.yaml") if option == "--report" else ()
        result = invoke("calibrate", history, "--format", "anonymous-bank", option, target, *extra)
        assert result.exit_code == 2 and no_traceback(result) and option in result.stderr, result.output
        assert history.read_bytes() == source.read_bytes()
    below = invoke("calibrate", history, "--format", "anonymous-bank", "--out", history / "profile.yaml")
    assert below.exit_code == 2 and no_traceback(below) and "which is a file" in below.stderr
    assert not (tmp_path / "profile.yaml").exists()


# --- a killed run leaves no hidden staging folder ----------------------------------------------------------

def _children(pid: int) -> list[str]:
    """The processes `pid` started (Linux: /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("needs /proc/<pid>/task/<pid>/children (Linux)")
    return children.read_text().split()


@pytest.mark.parametrize("workers, group", [("1", False), ("2", False), ("2", True)],
                         ids=["serial", "workers", "workers-whole-group"])
def test_sigterm_mid_run_records_the_interruption_and_leaves_no_staging_folder(tmp_path, workers, group):
    """SIGTERM killed the process where it stood, so `.out.XXXX.partial` stayed beside the target for ever.
    With worker processes too, told or not (`timeout`, systemd and a closed terminal signal the whole
    group: workers that died of it mid-way through a result left a traceback, or a command that hung)."""
    out = tmp_path / "out"
    process = subprocess.Popen(console_script() + ["run", str(BASELINE), "-r", "200", "--workers", workers,
                                                   "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        staging = wait_for(lambda: [path for path in tmp_path.glob(".out.*.partial")
                                    if (path / "config.resolved.yaml").exists()])
        if group:
            wait_for(lambda: len(_children(process.pid)) >= 2)  # the workers are at work
            time.sleep(0.5)
        assert process.poll() is None, "the run ended before the signal: it must be mid-run"
        (os.killpg if group else os.kill)(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left, workers included, if the test failed
            os.killpg(process.pid, signal.SIGKILL)
    assert staging[0].name.startswith(f".out.{process.pid}."), "the staging folder names its process"
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert hidden(tmp_path) == []
    record = yaml.safe_load((out / "run.failed.yaml").read_text())
    assert record["error"] == "interrupted by SIGTERM" and record["arguments"]["replications"] == 200
    assert sorted(path.name for path in out.iterdir()) == [".helpdesk-sim-results", "config.resolved.yaml",
                                                           "run.failed.yaml"]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan is reaped by init at once)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_go_when_their_command_is_killed_outright(tmp_path):
    """SIGKILL (or the OOM killer) on the command left its forked workers waiting for the next job for
    ever: they hold the pool's pipe ends themselves, so they never saw them close."""
    process = subprocess.Popen(console_script() + ["run", str(BASELINE), "-r", "200", "--workers", "2",
                                                   "--out", str(tmp_path / "out")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        workers = wait_for(lambda: _children(process.pid) if len(_children(process.pid)) >= 2 else [])
        process.kill()
        process.wait(30)
        wait_for(lambda: not any(_running(int(pid)) for pid in workers), 30)  # fails the test if they stay
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_a_killed_runs_staging_folder_is_swept_by_the_next_run_but_a_running_ones_is_kept(tmp_path):
    """SIGKILL cannot be caught: the next run of the same target removes what a dead process left,
    and what a former process with this run's own id left (a container's pid 1 every time)."""
    dead, alive, own = reaped_pid(), os.getppid(), os.getpid()  # the run is in this process
    for pid in (dead, alive, own):
        (tmp_path / f".out.{pid}.abcd1234.partial").mkdir()
        (tmp_path / f".out.{pid}.abcd1234.partial" / "config.resolved.yaml").write_text("half")
    (tmp_path / f".other.{dead}.abcd1234.partial").mkdir()  # another target's: not this run's to judge
    result = run(tmp_path, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert f"removed .out.{dead}.abcd1234.partial" in result.stderr
    assert f"removed .out.{own}.abcd1234.partial" in result.stderr
    assert hidden(tmp_path) == [f".other.{dead}.abcd1234.partial", f".out.{alive}.abcd1234.partial"]


def test_results_a_killed_run_had_moved_aside_are_put_back(tmp_path):
    """Killed between moving the old results aside and renaming the new ones in: the target is missing."""
    out = tmp_path / "out"
    assert run(tmp_path, out).exit_code == 0
    moved = tmp_path / f".out.old-{reaped_pid()}"
    out.rename(moved)
    result = run(tmp_path, out, "--seed", 9)
    assert result.exit_code == 0 and f"restored {out}" in result.stderr, result.output
    assert hidden(tmp_path) == []
    assert yaml.safe_load((out / "config.resolved.yaml").read_text())["experiment"]["seed"] == 9


def test_a_failure_record_a_killed_run_had_moved_aside_is_put_back(tmp_path):
    """The failure path swaps `<target>.failed` the same way: its moved-aside copy is found too."""
    out = tmp_path / "out"
    failed = tmp_path / "out.failed"
    failed.mkdir()
    (failed / "run.failed.yaml").write_text("error: earlier\n")
    failed.rename(tmp_path / f".out.failed.old-{reaped_pid()}")
    result = run(tmp_path, out)
    assert result.exit_code == 0 and f"restored {failed}" in result.stderr, result.output
    assert hidden(tmp_path) == []


def test_a_file_written_atomically_sweeps_a_dead_writers_temporary_and_cleans_its_own(tmp_path):
    stale = tmp_path / f".report.html.{reaped_pid()}.partial"
    running = tmp_path / f".report.html.{os.getppid()}.partial"
    stale.write_text("half")
    running.write_text("another writer's")
    assert write_atomically(tmp_path / "report.html", "whole").read_text() == "whole"
    assert hidden(tmp_path) == [running.name]
    with pytest.raises(TypeError):
        write_atomically(tmp_path / "report.html", None)  # fails after the temporary file is opened
    assert hidden(tmp_path) == [running.name] and (tmp_path / "report.html").read_text() == "whole"


def _sleep_once_started(started):
    started.set()
    time.sleep(60)


def test_a_process_forked_by_a_command_stops_on_sigterm_as_on_ctrl_c():
    """Not by our handler: `Interrupted` raised in a pool's job cannot be unpickled by the command."""
    before = signal.getsignal(signal.SIGTERM)
    fork = multiprocessing.get_context("fork")
    with stopping_cleanly():
        assert signal.getsignal(signal.SIGTERM) is not before
        started = fork.Event()
        worker = fork.Process(target=_sleep_once_started, args=(started,))
        worker.start()
        assert started.wait(30)
        worker.terminate()  # SIGTERM
        worker.join(30)
    assert worker.exitcode == 1  # KeyboardInterrupt (Process prints it and exits 1)
    assert signal.getsignal(signal.SIGTERM) is before


def _orphan_after_one_job(ready):
    """A pool worker's life: installed, one job done, then waiting for the next; its command dies."""
    from scenarios.experiment.executors import _call_with_shared, _install
    _install(None)
    _call_with_shared(lambda shared, job: job, 1)
    ready.set()
    time.sleep(60)  # stands for waiting on the pool's queue


def test_a_pool_worker_leaves_stop_signals_to_its_command_unless_orphaned():
    fork = multiprocessing.get_context("fork")
    ready = fork.Event()
    worker = fork.Process(target=_orphan_after_one_job, args=(ready,))
    worker.start()
    assert ready.wait(30)
    worker.terminate()  # SIGTERM, from someone other than its command: ignored between jobs
    worker.join(1)
    assert worker.exitcode is None, "a worker between jobs died of SIGTERM"
    worker.kill()
    worker.join(30)


class LosesASigterm:
    """A SIGTERM handled inside `__del__`, where Python prints an exception instead of raising it: as
    when the signal lands while a pool forks its workers (it is handled in the fork's callbacks)."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)


def test_a_stop_signal_whose_raise_was_lost_is_raised_again_unprinted(capsys):
    with pytest.raises(Interrupted):
        with stopping_cleanly():
            LosesASigterm()
    assert "Exception ignored" not in capsys.readouterr().err


def test_a_run_whose_sigterm_was_lost_stops_at_the_next_replication_and_says_so(tmp_path, monkeypatch):
    ran = []

    def first_loses_a_sigterm(*args):
        if not ran:
            LosesASigterm()
        ran.append(args)
        return one(*args)
    one = runner_module._run_one
    monkeypatch.setattr(runner_module, "_run_one", first_loses_a_sigterm)
    result = run(tmp_path, tmp_path / "out", "-r", 5)
    assert result.exit_code == 128 + signal.SIGTERM and len(ran) == 1, result.output
    assert yaml.safe_load((tmp_path / "out" / "run.failed.yaml").read_text())["error"] == "interrupted by SIGTERM"
    assert no_traceback(result)


def test_signals_held_hold_while_another_thread_runs(tmp_path):
    """A signal mask holds only the thread that sets it (and those it starts): the kernel hands a
    process's SIGTERM to any other thread (tqdm's monitor, a BLAS pool), and Python then raises it in the
    main thread, mid-swap. Here that other thread, started before the hold, sends it itself."""
    go = threading.Event()

    def send():
        go.wait(30)
        os.kill(os.getpid(), signal.SIGTERM)
    sender = threading.Thread(target=send)
    sender.start()
    reached = []
    with pytest.raises(Interrupted):
        with stopping_cleanly(), signals_held():
            go.set()
            sender.join()
            (tmp_path / "run.failed.yaml").write_text("what a failure record writes")  # a flush runs handlers
            reached.append(True)
    assert reached, "SIGTERM was raised inside the held block"


def test_a_sweep_takes_only_its_own_targets_leftovers(tmp_path):
    """`.report.<n>.<pid>.partial` is the temporary of a file named `report.<n>` (a dated copy, say),
    written now by process <pid>: the sweep for `report` read <n> as a dead process's id and deleted it,
    and the sweep for a folder `report` said it removed it (rmtree cannot, on a file)."""
    for target in ("report", "out"):
        theirs = tmp_path / f".{target}.{reaped_pid()}.{os.getppid()}.partial"
        theirs.write_text("another process's half-written file")
    write_atomically(tmp_path / "report", "whole")
    result = run(tmp_path, tmp_path / "out")
    assert result.exit_code == 0 and "removed" not in result.stderr, result.stderr
    assert len(hidden(tmp_path)) == 2, "a live writer's temporary of another file was swept"


def test_a_leftover_named_by_an_impossible_pid_is_left_alone(tmp_path):
    (tmp_path / ".report.99999999999999999999.partial").write_text("not a pid")
    (tmp_path / ".report.\u00b2.partial").write_text("a superscript digit")
    assert write_atomically(tmp_path / "report", "whole").read_text() == "whole"


def test_a_stop_signal_while_the_pool_starts_is_the_interruption_not_a_shutdown_error(monkeypatch):
    """A signal that lands while the worker pool starts its manager thread (seen once under load in
    the SIGTERM test above) must leave as the interruption, not as the pool's failure to join a
    thread it never started."""
    import threading
    from concurrent.futures import ProcessPoolExecutor

    from scenarios.experiment import executors
    from scenarios.experiment.interrupts import Interrupted

    def signal_lands(self):  # the manager thread made, the signal landing inside its start()
        self._executor_manager_thread = threading.Thread(target=lambda: None)
        raise Interrupted(signal.SIGTERM)
    monkeypatch.setattr(ProcessPoolExecutor, "_start_executor_manager_thread", signal_lands)
    with pytest.raises(Interrupted):
        list(executors._pool_results(2, lambda shared, job: job, None, [1, 2, 3]))
