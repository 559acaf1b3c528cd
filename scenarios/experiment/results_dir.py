"""A results directory is written whole or not at all.

Everything goes into a hidden staging folder beside the target, which replaces the target only when
the run has finished; so a reader never finds a new `config.resolved.yaml` beside an older run's
`summary.csv`. A run that fails (or is interrupted) leaves what it was asked to do
(`config.resolved.yaml`) and `run.failed.yaml` with the error, as desmod does, and no tables: in the
target when it was new or held no finished results, else in `<target>.failed/` beside it, so a
failed re-run never destroys the last good results. A folder that does not hold helpdesk-sim
results (marked by MARKER, or, from before the marker, holding only names we write, or calibrate's
report and its plots) is never replaced. `calibrate --report` stages its report folder here too.

Hidden names carry the writing process's id (`.<target>.<pid>.<random>.partial`), so what a run
killed outright (SIGKILL, a power cut) left behind is swept by the next run of the same target once
that process is gone, and a concurrent run's on this machine is never touched (`calibration.atomic`
finds them, says why a folder shared between machines is the exception, and
writes single files such as report.html and the calibration profile the same way).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import yaml

from calibration.atomic import PARTIAL, left_by_dead_processes
from scenarios.experiment.interrupts import Interrupted, raise_if_stopped, signals_held

FAILED = "run.failed.yaml"
MARKER = ".helpdesk-sim-results"
RESULT_TABLES = ("summary", "replications", "intervals", "groups", "group_intervals", "comparison", "sweep",
                 "overall", "interval_errors")  # the last two: backtest's
LEGACY_FILES = {"config.resolved.yaml", FAILED, "report.html"} | {f"{t}.{ext}" for t in RESULT_TABLES
                                                                   for ext in ("csv", "parquet")}
KEPT_ON_FAILURE = ("config.resolved.yaml", FAILED, MARKER)
CALIBRATION_REPORT_HEADING = "# Calibration report"  # the first line of calibration/report.py's report.md


@contextmanager
def results_directory(out: Path, request: dict, say=None, option: str = "--out") -> Iterator[Path]:
    """Yield a staging folder; on success it becomes `out`, on failure `out` holds the request and
    `run.failed.yaml` (`request`: the command and its arguments, and the error). The exception is
    re-raised. `say(text)`: told when earlier results in `out` were replaced, so nothing is
    overwritten silently. `option`: how the command line names `out`, in refusals."""
    out = Path(os.path.abspath(out))  # `.` and `..` get a real name to stage beside
    refuse_foreign(out, option)
    _sweep_after_killed_runs(out, say)
    had_results = _finished(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=PARTIAL, dir=out.parent))
    except OSError as problem:
        raise ValueError(f"{option} {out}: cannot write there ({problem.strerror or problem})") from None
    failed = out.with_name(f"{out.name}.failed")
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are as readable as any folder
        (staging / MARKER).write_text("written by helpdesk-sim; this folder is replaced whole by the next run\n")
        yield staging
        raise_if_stopped()  # one whose first raise was lost: the results are not published
    except BaseException as problem:
        with signals_held():
            _keep_only_the_request(staging)
            _record_failure(staging / FAILED, problem, request)
            _replace(failed if _finished(out) else out, staging)
        raise
    with signals_held():
        _replace(out, staging)
    if had_results and say is not None:
        say(f"replaced the earlier results in {out}")
    if failed.is_dir() and (failed / MARKER).exists():
        shutil.rmtree(failed, ignore_errors=True)  # an earlier attempt's record, now superseded


def _finished(out: Path) -> bool:
    return out.is_dir() and not (out / FAILED).exists() and any(out.iterdir())


def refuse_foreign(out: Path, option: str = "--out") -> None:
    """Refuse a target that is a file or lies below one, the file system's root, or a non-empty folder
    that does not hold our results (`out`: absolute; `option`: how the command line names it)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"{option} {out} is a file; give a folder for the results")
    refuse_below_a_file(out, option)
    if out.parent == out:
        raise ValueError(f"{option} {out} is the file system's root; give a folder for the results")
    if out.is_dir() and any(out.iterdir()) and not _ours(out):
        raise ValueError(f"{option} {out} is a folder that does not hold helpdesk-sim results; it would be "
                         f"replaced whole, so give a new or empty folder")


def refuse_below_a_file(path: Path, option: str) -> None:
    """A path whose parent folder would have to be a file that already exists cannot be written."""
    blocking = next((parent for parent in Path(path).parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"{option} {path} lies below {blocking}, which is a file; give another path")


def _ours(folder: Path) -> bool:
    """Marked by us; or, written before the marker, a resolved config and only names we write, or
    a calibration report."""
    if (folder / MARKER).exists():
        return True
    names = {path.name for path in folder.iterdir() if path.is_file()}
    subfolders = [path for path in folder.iterdir() if path.is_dir()]
    if _a_calibration_report(folder, names, subfolders):
        return True
    return ("config.resolved.yaml" in names or FAILED in names or "comparison.csv" in names
            or "sweep.csv" in names or "interval_errors.csv" in names) and names <= LEGACY_FILES and all(_ours(sub) or sub.name == "variants"
                                                                       for sub in subfolders)


def _a_calibration_report(folder: Path, names: set, subfolders: list) -> bool:
    """`calibrate --report` from before the marker: its report.md (by its first line) and PNG plots only."""
    if subfolders or "report.md" not in names or any(n != "report.md" and not n.endswith(".png") for n in names):
        return False
    with open(folder / "report.md", encoding="utf-8", errors="replace") as report:
        return report.readline().rstrip("\n") == CALIBRATION_REPORT_HEADING


def _replace(out: Path, staging: Path) -> None:
    """Swap the staging folder in: the old results are moved aside first, so the target is never a mix."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_only_the_request(staging: Path) -> None:
    """A failed run leaves no tables behind: only the resolved configs, which say what was asked."""
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.is_file() and path.name not in KEPT_ON_FAILURE:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _record_failure(path: Path, problem: BaseException, request: dict) -> None:
    if isinstance(problem, Interrupted):
        error = f"interrupted by {problem.signal_name}"
    else:
        error = "interrupted" if isinstance(problem, KeyboardInterrupt) else f"{type(problem).__name__}: {problem}"
    record = {**request, "failed": datetime.now(timezone.utc).isoformat(timespec="seconds"), "error": error,
              "traceback": "".join(traceback.format_exception(problem)).rstrip().splitlines()}
    path.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _sweep_after_killed_runs(out: Path, say=None) -> None:
    """Remove the staging folders of `out` whose process is gone; put back results a run killed
    mid-swap had moved aside (`.<target>.old-<pid>`, and the same for `<target>.failed`) if the
    target itself is missing."""
    if not out.parent.is_dir():
        return
    for staging in left_by_dead_processes(out.parent, f".{out.name}.", PARTIAL, folders=True, random=True):
        shutil.rmtree(staging, ignore_errors=True)
        if say is not None:
            say(f"removed {staging.name}, left beside {out.name} by a run that was killed")
    for target in (out, out.with_name(f"{out.name}.failed")):
        for old in left_by_dead_processes(out.parent, f".{target.name}.old-", "", folders=True):
            _put_back(old, target, say)


def _put_back(old: Path, target: Path, say=None) -> None:
    """Results moved aside by a killed swap: back in place if nothing took it, else let go of."""
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        return
    try:
        old.rename(target)
    except FileNotFoundError:
        return  # a run starting at the same moment put it back first
    if say is not None:
        say(f"restored {target}: a run killed while replacing it had moved it to {old.name}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
