"""`helpdesk-sim calibrate` and `helpdesk-sim backtest` end to end, on the bundled history slices.

Calibrate writes a profile in the scenario format (plus diagnostics, sources, accounting, observed
KPIs) and an optional report; bad input ends with `error: …` and exit code 2 and writes nothing.
Backtest replays a history with a profile's fits and writes observed-vs-simulated CSVs. A scenario
(`scenarios/library/bank.yaml`) starts from the bundled profile or from any freshly calibrated one.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import calibration.report as report_module
from calibration.loaders import load_history
from calibration.profile import CalibrationProfile
from scenarios.experiment.backtest import COMPARED
from scenarios.experiment.results_dir import MARKER
from scenarios.cli import calibration as calibration_commands
from scenarios.cli import main

from .helpers import console_script, hidden, reaped_pid, snapshot, wait_for

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "calibration" / "data"
WEEK = DATA / "bank_1999-01_week.txt"
FEBRUARY = DATA / "bank_1999-02_slice.txt"
SERVICENOW = DATA / "servicenow_incidents_slice.csv.gz"
BANK_SCENARIO = ROOT / "scenarios" / "library" / "bank.yaml"
BUNDLED_PROFILE = ROOT / "scenarios" / "library" / "profiles" / "bank-1999-01-week.yaml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BANK_TYPES = ["PS", "NW", "NE", "TT", "other"]  # the week at the default --min-contacts 100
FAST = ("--bootstrap", "0", "--resamples", "0")


def invoke(*args):
    """`helpdesk-sim ARGS` in-process; stdout and stderr stay apart (click >= 8.2)."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=True)


def clean(result) -> bool:
    """No traceback printed and nothing but the intended exit escaped."""
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    return not escaped and "Traceback" not in result.output and "Traceback" not in result.stderr


def everything_under(folder: Path) -> set[str]:
    """Every file and folder below `folder` (hidden temporaries included), relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def referenced_images(report: Path) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------
# calibrate: the bank week

@pytest.fixture(scope="module")
def week_history():
    return load_history(WEEK, "anonymous-bank")


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """The bank week calibrated once, with a report, into `profiles/week.yaml` given relative to the
    working directory (so `sources` must be made relative to the profile, not to the cwd)."""
    folder = tmp_path_factory.mktemp("week")
    here = os.getcwd()
    os.chdir(folder)
    try:
        result = invoke("calibrate", WEEK, "--format", "anonymous-bank", "--out", "profiles/week.yaml",
                        "--report", "report", *FAST)
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    assert clean(result)
    return folder, result


@pytest.fixture(scope="module")
def week_profile(week) -> dict:
    folder, _ = week
    return yaml.safe_load((folder / "profiles" / "week.yaml").read_text(encoding="utf-8"))


def test_calibrate_writes_a_profile_with_every_section(week, week_profile):
    folder, result = week
    assert (folder / "profiles" / "week.yaml").is_file()
    assert set(week_profile) >= {"profile_version", "created", "period", "interval", "sources", "contacts",
                                 "observed", "diagnostics", "accounting"}
    assert week_profile["interval"] == "30min"
    assert week_profile["period"] == {"start": "1999-01-18", "end": "1999-01-24", "days_without_data": []}
    # no temporary left beside the profile
    assert everything_under(folder / "profiles") == {"week.yaml"}
    # the summary table on stdout names every type; the accounting goes to stderr
    for name in BANK_TYPES:
        assert re.search(rf"^\s*{name}\s+\d+", result.stdout, re.MULTILINE), result.stdout
    assert "profile written to profiles/week.yaml" in result.stderr
    assert "phantom" in result.stderr


def test_profile_contacts_are_in_the_scenario_format(week_profile):
    contacts = week_profile["contacts"]
    assert [c["name"] for c in contacts] == BANK_TYPES
    for contact in contacts:
        assert {"name", "arrivals", "handle_time", "patience"} <= set(contact)
        weekly = contact["arrivals"]["weekly"]
        assert weekly["interval"] == "30min" and weekly["unit"] == "1/h"
        assert [day for day in DAYS if day in weekly] == list(DAYS)
        for day in DAYS:
            assert len(weekly[day]) == 48
            assert all(isinstance(v, float) and v >= 0 for v in weekly[day])
        assert "dist" in contact["handle_time"] and "dist" in contact["patience"]
    # one week: the weekly table holds every call once (rate per hour x half an hour)
    ps = contacts[0]["arrivals"]["weekly"]
    assert sum(sum(ps[day]) for day in DAYS) * 0.5 == pytest.approx(
        week_profile["diagnostics"]["PS"]["arrivals"]["counted"], rel=1e-5)


def test_profile_sources_accounting_and_observed(week, week_profile, week_history):
    folder, _ = week
    (source,) = week_profile["sources"]
    assert source["format"] == "anonymous-bank"
    assert not Path(source["path"]).is_absolute()
    assert (folder / "profiles" / source["path"]).resolve() == WEEK.resolve()
    # the books: read = kept + rejected, and kept is the history's own count
    books = pd.DataFrame(week_profile["accounting"])
    read = int(books.loc[books["status"] == "read", "count"].sum())
    kept = int(books.loc[books["status"] == "kept", "count"].sum())
    rejected = int(books.loc[books["status"] == "rejected", "count"].sum())
    assert read == 7508 and kept == len(week_history) and read == kept + rejected
    assert week_profile["observed"]["kpis"]["offered"] == len(week_history)
    assert set(week_profile["observed"]["kpis"]) == set(COMPARED)
    agents = week_profile["observed"]["agents_per_interval"]
    assert all(len(agents[day]) == 48 and all(isinstance(a, int) for a in agents[day]) for day in DAYS)
    assert set(week_profile["diagnostics"]) == set(BANK_TYPES)
    assert week_profile["diagnostics"]["other"]["pooled_from"]  # the small types, pooled


def test_console_leads_patience_with_what_the_data_show(week, week_profile):
    """Per type the median and the Kaplan-Meier mean within the observed waits come first; the fitted
    mean written to the profile follows, flagged where it extrapolates beyond the longest wait."""
    _, result = week
    for name in BANK_TYPES:
        patience = week_profile["diagnostics"][name]["patience"]
        used, longest = patience["used"], patience["longest_observed_wait_s"]
        row = next(line for line in result.stdout.splitlines() if line.split()[:1] == [name])
        assert f"{used['median_s']:.0f} s" in row
        assert f"{patience['km_restricted_mean_s']:.0f} s within {longest:.0f} s" in row
        assert f"{used['mean_s']:.0f} s" not in row.replace(f"{used['median_s']:.0f} s", "")
        flag = (f"{name}  fitted {used['family']}: mean {used['mean_s']:.0f} s, extrapolated beyond the longest "
                f"observed wait of {longest:.0f} s")
        assert (flag in result.stdout) == (used["share_beyond_longest_wait"] >= 0.01), name
    assert (f"day_to_day_cv not estimable for {', '.join(BANK_TYPES)} (no weekday observed on two days): left out"
            in result.stdout)
    assert all("day_to_day_cv" not in contact["arrivals"] for contact in week_profile["contacts"])
    ps = week_profile["diagnostics"]["PS"]["patience"]
    assert ps["used"]["mean_s"] > 3 * ps["km_restricted_mean_s"]  # the headline this guards against


def test_a_one_off_spike_is_flagged_on_the_console_and_in_the_profile(week, week_profile):
    """Monday 15:00 in the bundled week holds a one-off burst of PS calls, which the weekly table would
    replay every Monday: flagged, not smoothed (docs/calibration.md)."""
    _, result = week
    spikes = {(s["weekday"], s["slot"]): s for s in week_profile["diagnostics"]["PS"]["arrivals"]["spikes"]}
    monday = spikes[("mon", "15:00")]
    assert monday["ratio"] > 3 and monday["date"] == "1999-01-18" and monday["on_date"] == monday["arrivals"]
    assert f"Flagged spike, PS mon 15:00: {monday['arrivals']} arrivals over 1 day observed" in result.stdout
    rate = week_profile["contacts"][0]["arrivals"]["weekly"]["mon"][30]
    assert rate * 0.5 == pytest.approx(monday["arrivals"])  # flagged, and still in the table as observed


def test_progress_bar_on_a_terminal_only(week, monkeypatch):
    _, result = week
    assert "\r" not in result.stderr and "step" not in result.stderr  # CliRunner's stderr is no terminal

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        with calibration_commands._progress_bar("calibrate") as show:
            show("PS: patience", 2, 4)
        assert ("PS: patience" in stream.getvalue() and "2/4" in stream.getvalue()) == shown


def test_report_references_its_plots(week):
    folder, result = week
    report = folder / "report" / "report.md"
    assert report.is_file()
    assert f"report: {Path('report') / 'report.md'}" in result.stderr
    images = referenced_images(report)
    assert images, "the report shows no plot"
    for image in images:
        assert image.endswith(".png")
        assert (report.parent / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    # every plot written is shown, and every type has its arrivals heatmap
    assert {p.name for p in report.parent.glob("*.png")} == set(images)
    assert {f"{name}-arrivals.png" for name in BANK_TYPES} <= set(images)
    text = report.read_text(encoding="utf-8")
    assert "## Data accounting" in text
    for name in BANK_TYPES:
        assert f"## Contact type `{name}`" in text


# ---------------------------------------------------------------------------------------------------
# calibrate: the report and the profile written whole, or not at all (issue 13)

ONE_TYPE = ("--min-contacts", "100000", *FAST)  # every type pooled as `other`: five plots, a quick report


def calibrate_week(out: Path, report: Path):
    return invoke("calibrate", WEEK, "--format", "anonymous-bank", "--out", out, "--report", report, *ONE_TYPE)


def failing_after(count: int, monkeypatch) -> list[Path]:
    """The report's plots: `count` saved, then the next one fails. Returns where they were saved."""
    saved, save = [], report_module._figure

    def figure(figure, folder):
        if len(saved) == count:
            raise RuntimeError("plotting failed")
        saved.append(folder / figure.file_name)
        return save(figure, folder)
    monkeypatch.setattr(report_module, "_figure", figure)
    return saved


def test_a_report_failing_midway_leaves_the_earlier_report_and_profile_as_they_were(week, tmp_path, monkeypatch):
    """The plots went straight into --report, so a failure left some plots and no report.md over the last
    good report, and the profile had been replaced already. Now both stay as they were, the failure is
    recorded beside them (as for results folders), and nothing is left hidden."""
    folder, _ = week
    shutil.copytree(folder / "report", tmp_path / "report")
    shutil.copy(folder / "profiles" / "week.yaml", tmp_path / "profile.yaml")
    before = snapshot(tmp_path)
    saved = failing_after(3, monkeypatch)
    result = calibrate_week(tmp_path / "profile.yaml", tmp_path / "report")
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError), result.output
    assert len(saved) == 3 and all(path.parent.name.startswith(".report.") for path in saved)  # drawn aside
    failed = tmp_path / "report.failed"
    assert sorted(path.name for path in failed.iterdir()) == [MARKER, "run.failed.yaml"]
    record = yaml.safe_load((failed / "run.failed.yaml").read_text(encoding="utf-8"))
    assert record["error"] == "RuntimeError: plotting failed" and record["command"].endswith("calibrate")
    shutil.rmtree(failed)
    assert snapshot(tmp_path) == before, "the failed calibrate changed or left something"


def test_a_report_failing_midway_into_a_new_folder_leaves_only_the_failure_record(tmp_path, monkeypatch):
    failing_after(3, monkeypatch)
    result = calibrate_week(tmp_path / "profile.yaml", tmp_path / "report")
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError), result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report"]  # no profile, nothing hidden
    assert sorted(path.name for path in (tmp_path / "report").iterdir()) == [MARKER, "run.failed.yaml"]
    record = yaml.safe_load((tmp_path / "report" / "run.failed.yaml").read_text(encoding="utf-8"))
    assert record["error"] == "RuntimeError: plotting failed"


def test_a_rerun_replaces_the_report_whole_and_says_so(tmp_path, monkeypatch):
    report = tmp_path / "report"
    failing_after(0, monkeypatch)
    assert calibrate_week(tmp_path / "profile.yaml", report).exit_code == 1
    monkeypatch.undo()
    assert calibrate_week(tmp_path / "profile.yaml", report).exit_code == 0  # over the failure record
    (report / "PS-arrivals.png").write_bytes(b"a plot of a type this run does not have")
    result = calibrate_week(tmp_path / "profile.yaml", report)
    assert result.exit_code == 0 and clean(result), result.output
    assert f"replaced the earlier results in {report}" in result.stderr
    assert {path.name for path in report.glob("*.png")} == set(referenced_images(report / "report.md"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["profile.yaml", "report"]


def test_a_report_from_before_the_marker_is_replaced_but_a_folder_of_other_work_is_refused(week, tmp_path):
    folder, _ = week
    legacy = tmp_path / "legacy"
    shutil.copytree(folder / "report", legacy)
    (legacy / MARKER).unlink()  # as calibrate wrote it before it staged its report
    result = calibrate_week(tmp_path / "profile.yaml", legacy)
    assert result.exit_code == 0 and f"replaced the earlier results in {legacy}" in result.stderr, result.output
    assert not (legacy / "PS-arrivals.png").exists() and (legacy / "other-arrivals.png").is_file()
    for name, text in (("notes.txt", "mine"), ("report.md", "# Minutes of the planning meeting\n")):
        other = tmp_path / name.replace(".", "-")
        other.mkdir()
        (other / name).write_text(text)
        (other / "chart.png").write_bytes(b"mine too")
        before = snapshot(tmp_path)
        result = calibrate_week(tmp_path / "elsewhere.yaml", other)
        assert result.exit_code == 2 and clean(result), result.output
        assert result.stderr.startswith(f"error: --report {other} is a folder that does not hold helpdesk-sim")
        assert result.stdout == "" and snapshot(tmp_path) == before  # refused before calibrating


def test_out_and_report_on_one_path_is_refused(tmp_path):
    result = calibrate_week(tmp_path / "calibrated", tmp_path / "calibrated")
    assert result.exit_code == 2 and clean(result) and "--out and --report are both" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["report.md", "arrivals.png", "sub/profile.yaml"])
def test_a_profile_the_report_would_replace_is_refused(tmp_path, name):
    """`--out DIR/report.md --report DIR` once exited 0 with the profile's YAML lost under the report."""
    folder = tmp_path / "calibrated"
    result = calibrate_week(folder / name, folder)
    assert result.exit_code == 2 and clean(result), result.output
    assert "lies in the --report folder" in result.stderr and list(tmp_path.iterdir()) == []


def test_a_stop_while_the_profile_is_written_waits_until_the_report_is_in_place(tmp_path, monkeypatch):
    """The profile and the report are two places: a SIGTERM between writing one and swapping in the
    other once left the new profile beside the earlier report (or none)."""
    write = CalibrationProfile.write

    def write_then_stopped(profile, path):
        write(profile, path)
        signal.raise_signal(signal.SIGTERM)  # as if sent now
    monkeypatch.setattr(CalibrationProfile, "write", write_then_stopped)
    result = calibrate_week(tmp_path / "profile.yaml", tmp_path / "report")
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert (tmp_path / "profile.yaml").exists() and (tmp_path / "report" / "report.md").exists()
    assert hidden(tmp_path) == []


def test_a_profile_inside_the_report_folder_is_published_with_it(tmp_path):
    """Written beside the report and then the report swapped in, it would be replaced by it."""
    folder = tmp_path / "calibrated"
    result = calibrate_week(folder / "profile.yaml", folder)
    assert result.exit_code == 0 and clean(result), result.output
    assert {"profile.yaml", "report.md"} <= {path.name for path in folder.iterdir()}
    (source,) = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))["sources"]
    assert (folder / source["path"]).resolve() == WEEK.resolve()
    assert hidden(tmp_path) == []


def test_what_a_killed_calibrate_left_is_swept_by_the_next(tmp_path):
    """SIGKILL cannot be caught: a staging folder or a profile's temporary named by a process that is gone
    is removed by the next calibrate writing the same report or profile; a running process's is kept."""
    dead, running = reaped_pid(), os.getppid()
    for pid in (dead, running):
        staging = tmp_path / f".report.{pid}.abcd1234.partial"
        staging.mkdir()
        (staging / "PS-arrivals.png").write_bytes(b"half the plots")
        (tmp_path / f".profile.yaml.{pid}.partial").write_text("half a profile")
    result = calibrate_week(tmp_path / "profile.yaml", tmp_path / "report")
    assert result.exit_code == 0, result.output
    assert f"removed .report.{dead}.abcd1234.partial" in result.stderr
    assert hidden(tmp_path) == [f".profile.yaml.{running}.partial", f".report.{running}.abcd1234.partial"]


def test_sigterm_while_the_report_is_drawn_leaves_no_report_no_profile_and_nothing_hidden(tmp_path):
    report, profile = tmp_path / "report", tmp_path / "profile.yaml"
    process = subprocess.Popen(console_script() + ["calibrate", str(WEEK), "--format", "anonymous-bank", "--out",
                                                   str(profile), "--report", str(report), *FAST],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:  # some plots drawn, report.md not yet: mid-report
        staging = wait_for(lambda: [path for path in tmp_path.glob(".report.*.partial") if any(path.glob("*.png"))])
        assert process.poll() is None, "calibrate ended before the signal: it must be mid-report"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left, if the test failed
            os.killpg(process.pid, signal.SIGKILL)
    assert staging[0].name.startswith(f".report.{process.pid}."), "the staging folder names its process"
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report"]  # no profile, nothing hidden
    assert sorted(path.name for path in report.iterdir()) == [MARKER, "run.failed.yaml"]
    record = yaml.safe_load((report / "run.failed.yaml").read_text(encoding="utf-8"))
    assert record["error"] == "interrupted by SIGTERM" and record["arguments"]["report"] == str(report)


# ---------------------------------------------------------------------------------------------------
# calibrate: bad input ends with `error:`, exit code 2, and writes nothing

def _bank_header() -> str:
    return WEEK.read_bytes().split(b"\n", 1)[0].decode() + "\n"


def _phantoms_only() -> str:
    lines = WEEK.read_text().split("\n")
    return lines[0] + "\n" + "\n".join(line for line in lines[1:] if "\tPHANTOM\t" in line) + "\n"


BAD_INPUTS = {
    # id: (file name, content or None for no file, format, extra options, words the message must hold)
    "missing-file": ("absent.txt", None, "anonymous-bank", (), ["absent.txt", "not found"]),
    "empty-bank": ("empty.txt", "", "anonymous-bank", (), ["empty.txt", "empty"]),
    "empty-csv": ("empty.csv", "", "csv", (), ["empty.csv", "empty"]),
    "header-only-bank": ("header.txt", _bank_header(), "anonymous-bank", (), ["header.txt", "no rows"]),
    "header-only-csv": ("header.csv", "arrived_at,agent\n", "csv", (), ["header.csv", "no rows"]),
    "csv-without-arrived_at": ("tickets.csv", "created,agent\n2024-01-01 09:00,ann\n", "csv", (),
                               ["tickets.csv", "arrived_at", "created"]),
    "all-rows-rejected": ("phantoms.txt", _phantoms_only(), "anonymous-bank", (),
                          ["phantoms.txt", "rejected", "phantom"]),
    "map-without-equals": ("tickets.csv", "created\n2024-01-01 09:00\n", "csv", ("--map", "arrived_at"),
                           ["--map", "FIELD=COLUMN", "arrived_at"]),
    "map-without-field": ("tickets.csv", "created\n2024-01-01 09:00\n", "csv", ("--map", "=created"),
                          ["--map", "FIELD=COLUMN"]),
    "map-unknown-field": ("tickets.csv", "created\n2024-01-01 09:00\n", "csv", ("--map", "opened=created"),
                          ["opened"]),
    "map-missing-column": ("tickets.csv", "created\n2024-01-01 09:00\n", "csv", ("--map", "arrived_at=opened"),
                           ["tickets.csv", "opened"]),
    "servicenow-as-bank": ("incidents.csv", "number,opened_at\nINC1,29/2/2016 01:16\n", "anonymous-bank", (),
                           ["incidents.csv", "missing required column"]),
    "unknown-date-format": ("tickets.csv", "created\n2024-01-01 09:00\n", "csv",
                            ("--map", "arrived_at=created", "--date-format", "dd/mm/yyyy"),
                            ["unknown date format 'dd/mm/yyyy'", "day-first"]),
    "date-format-for-the-bank": ("bank.txt", _bank_header() + "x\n", "anonymous-bank", ("--date-format", "iso"),
                                 ["--date-format does not apply", "anonymous-bank"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_an_error_and_writes_nothing(tmp_path, case):
    name, content, history_format, extra, words = BAD_INPUTS[case]
    inputs = tmp_path / "in"
    inputs.mkdir()
    history = inputs / name
    if content is not None:
        history.write_text(content, encoding="utf-8")
    before = everything_under(tmp_path)
    result = invoke("calibrate", history, "--format", history_format, *extra, "--out", tmp_path / "out" / "profile.yaml",
                    "--report", tmp_path / "report", *FAST)
    assert result.exit_code == 2, result.output
    assert clean(result), result.output
    assert result.stderr.startswith("error:") or "\nerror:" in result.stderr, result.stderr
    message = result.stderr[result.stderr.index("error:"):]
    assert message.count("\n") == 1, f"one line of error expected: {message!r}"
    for word in words:
        assert word in message, message
    assert result.stdout == ""
    assert everything_under(tmp_path) == before, "a failed calibrate wrote something"


def test_bad_input_stderr_starts_with_error(tmp_path):
    """Loading fails before anything is printed: the message is the first thing on stderr."""
    result = invoke("calibrate", tmp_path / "absent.txt", "--format", "anonymous-bank", "--out",
                    tmp_path / "profile.yaml", *FAST)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: history file not found"), result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_rejected_by_the_command_line(tmp_path):
    result = invoke("calibrate", WEEK, "--format", "excel", "--out", tmp_path / "profile.yaml", *FAST)
    assert result.exit_code == 2
    assert clean(result)
    assert "Invalid value for '--format'" in result.stderr and "anonymous-bank" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_history_and_out_are_required(tmp_path):
    assert invoke("calibrate", "--format", "csv", "--out", tmp_path / "p.yaml").exit_code == 2
    assert invoke("calibrate", WEEK, "--format", "anonymous-bank").exit_code == 2
    assert invoke("calibrate", WEEK, "--out", tmp_path / "p.yaml").exit_code == 2
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------------
# calibrate: a hand-made CSV with --map, and the ServiceNow ticket log

TICKET_COLUMNS = "Opened,Picked up,Closed,Who,Kind,Gave up"


def _tickets_csv(path: Path, days=(1, 2), stamp=str, header=TICKET_COLUMNS) -> int:
    """Two days (by default Mon 1 and Tue 2 January 2024) of 60 contacts, 09:00-12:00, named columns
    that need --map; every 5th caller gives up after waiting; handle times vary; three agents.
    `stamp` writes the times (default ISO 8601)."""
    rows = [header]
    count = 0
    for day in days:
        for i in range(60):
            arrived = pd.Timestamp(2024, 1, day, 9) + pd.Timedelta(seconds=180 * i + 7 * (i % 5))
            wait = pd.Timedelta(seconds=5 + 13 * (i % 7))
            if i % 5 == 4:
                rows.append(f"{stamp(arrived)},,{stamp(arrived + wait)},,{'billing' if i % 2 else 'tech'},yes")
            else:
                handle = pd.Timedelta(seconds=60 + 37 * ((i * 7) % 11) + day)
                answered = arrived + wait
                rows.append(f"{stamp(arrived)},{stamp(answered)},{stamp(answered + handle)},agent{i % 3},"
                            f"{'billing' if i % 2 else 'tech'},no")
            count += 1
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return count


def test_csv_with_a_column_map_calibrates(tmp_path):
    history = tmp_path / "tickets.csv"
    rows = _tickets_csv(history)
    out = tmp_path / "profile.yaml"
    result = invoke("calibrate", history, "--format", "csv", "--map", "arrived_at=Opened",
                    "--map", "answered_at=Picked up", "--map", "ended_at=Closed", "--map", "agent=Who",
                    "--map", "contact_type=Kind", "--map", "abandoned=Gave up", "--min-contacts", "10",
                    "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    assert clean(result)
    profile = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert sorted(c["name"] for c in profile["contacts"]) == ["billing", "tech"]
    for contact in profile["contacts"]:
        assert "handle_time" in contact and "patience" in contact
        weekly = contact["arrivals"]["weekly"]
        assert sum(weekly["mon"]) > 0 and sum(weekly["tue"]) > 0
        assert all(sum(weekly[day]) == 0 for day in ("wed", "thu", "fri", "sat", "sun"))
    assert profile["sources"] == [{"path": "tickets.csv", "format": "csv", "map": {
        "arrived_at": "Opened", "answered_at": "Picked up", "ended_at": "Closed", "agent": "Who",
        "contact_type": "Kind", "abandoned": "Gave up"}}]
    assert profile["observed"]["kpis"]["offered"] == rows
    assert profile["observed"]["kpis"]["abandon_rate"] == pytest.approx(24 / 120)
    books = pd.DataFrame(profile["accounting"])
    assert int(books.loc[books["status"] == "kept", "count"].sum()) == rows


TICKET_MAP = ("--map", "arrived_at=Opened", "--map", "answered_at=Picked up", "--map", "ended_at=Closed",
              "--map", "agent=Who", "--map", "contact_type=Kind", "--map", "abandoned=Gave up")


def day_first(time: pd.Timestamp) -> str:
    return time.strftime("%d/%m/%Y %H:%M:%S")


def test_csv_with_day_first_dates_calibrates_without_being_told(tmp_path):
    """Mon 15 and Tue 16 January: 15 and 16 cannot be months, so the dates are read day-first."""
    history = tmp_path / "tickets.csv"
    rows = _tickets_csv(history, days=(15, 16), stamp=day_first)
    result = invoke("calibrate", history, "--format", "csv", *TICKET_MAP, "--min-contacts", "10",
                    "--out", tmp_path / "profile.yaml", *FAST)
    assert result.exit_code == 0, result.stderr
    profile = yaml.safe_load((tmp_path / "profile.yaml").read_text(encoding="utf-8"))
    assert profile["observed"]["kpis"]["offered"] == rows
    assert profile["period"]["start"] == "2024-01-15" and "date_format" not in profile["sources"][0]


def test_ambiguous_day_first_dates_need_date_format_which_backtest_reuses(tmp_path):
    """1 and 2 January could be months: refused with the columns named, until --date-format says;
    the profile's sources keep it, so the back-test reads the history the same way."""
    history = tmp_path / "tickets.csv"
    rows = _tickets_csv(history, stamp=day_first)
    out = tmp_path / "profile.yaml"
    refused = invoke("calibrate", history, "--format", "csv", *TICKET_MAP, "--min-contacts", "10", "--out", out, *FAST)
    assert refused.exit_code == 2 and clean(refused) and not out.exists()
    message = refused.stderr[refused.stderr.index("error:"):]
    assert message.count("\n") == 1 and "tickets.csv: columns `Opened`, `Picked up`, `Closed`" in message
    assert "could be day-first or month-first" in message and "--date-format" in message
    told = invoke("calibrate", history, "--format", "csv", *TICKET_MAP, "--min-contacts", "10",
                  "--date-format", "day-first", "--out", out, *FAST)
    assert told.exit_code == 0, told.stderr
    profile = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert profile["sources"][0]["date_format"] == "day-first" and profile["observed"]["kpis"]["offered"] == rows
    backtest = invoke("backtest", out, "-r", 1, "--out", tmp_path / "bt")
    assert backtest.exit_code == 0, backtest.stderr
    overall = pd.read_csv(tmp_path / "bt" / "overall.csv").set_index("kpi")
    assert overall.loc["offered", "observed"] == rows


def test_backtest_reads_another_history_with_its_own_date_format(tmp_path):
    """A history in the contact schema's own column names (no --map), dates day-first and ambiguous."""
    calibrated = tmp_path / "tickets.csv"
    _tickets_csv(calibrated, days=(15, 16), stamp=day_first)
    out = tmp_path / "profile.yaml"
    assert invoke("calibrate", calibrated, "--format", "csv", *TICKET_MAP, "--min-contacts", "10",
                  "--out", out, *FAST).exit_code == 0
    other = tmp_path / "other.csv"
    rows = _tickets_csv(other, stamp=day_first, header="arrived_at,answered_at,ended_at,agent,contact_type,abandoned")
    refused = invoke("backtest", out, "-r", 1, "--history", other, "--format", "csv", "--out", tmp_path / "no")
    assert refused.exit_code == 2 and clean(refused) and "could be day-first or month-first" in refused.stderr
    told = invoke("backtest", out, "-r", 1, "--history", other, "--format", "csv", "--date-format", "day-first",
                  "--out", tmp_path / "bt")
    assert told.exit_code == 0, told.stderr
    overall = pd.read_csv(tmp_path / "bt" / "overall.csv").set_index("kpi")
    assert overall.loc["offered", "observed"] == rows


def test_csv_with_arrival_times_only_calibrates_arrivals(tmp_path):
    """`arrived_at` is the csv format's only required field (calibration/loaders/contact_table.py), so
    a log of arrival times alone must give an arrival profile, with no handle time and no patience
    (as for ServiceNow), not fail because there is nothing to compute observed KPIs from."""
    history = tmp_path / "arrivals.csv"
    times = [pd.Timestamp(2024, 1, 1 + day, 8) + pd.Timedelta(seconds=97 * i) for day in range(7)
             for i in range(40)]
    history.write_text("Created\n" + "\n".join(str(t) for t in times) + "\n", encoding="utf-8")
    out = tmp_path / "profile.yaml"
    result = invoke("calibrate", history, "--format", "csv", "--map", "arrived_at=Created",
                    "--min-contacts", "10", "--out", out, *FAST)
    assert result.exit_code == 0, result.stderr
    profile = yaml.safe_load(out.read_text(encoding="utf-8"))
    (contact,) = profile["contacts"]
    assert "handle_time" not in contact and "patience" not in contact
    weekly = contact["arrivals"]["weekly"]
    assert sum(sum(weekly[day]) for day in DAYS) * 0.5 == pytest.approx(len(times))


@pytest.fixture(scope="module")
def servicenow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("servicenow")
    result = invoke("calibrate", SERVICENOW, "--format", "servicenow", "--out", folder / "tickets.yaml",
                    "--report", folder / "report", *FAST)
    assert result.exit_code == 0, result.output
    assert clean(result)
    return folder, result, yaml.safe_load((folder / "tickets.yaml").read_text(encoding="utf-8"))


def test_servicenow_calibrates_without_handle_time_or_patience(servicenow):
    folder, result, profile = servicenow
    # 76 incidents, every category under the default --min-contacts 100: one pooled type
    (contact,) = profile["contacts"]
    assert contact["name"] == "other"
    assert len(profile["diagnostics"]["other"]["pooled_from"]) > 1
    assert profile["diagnostics"]["other"]["contacts"] == 76
    assert "handle_time" not in contact and "patience" not in contact
    assert "handle_time" not in profile["diagnostics"]["other"]
    assert "patience" not in profile["diagnostics"]["other"]
    assert "give one" in result.stdout and "no abandons" in result.stdout
    report = (folder / "report" / "report.md").read_text(encoding="utf-8")
    assert "give `handle_time` in the scenario" in report
    for image in referenced_images(folder / "report" / "report.md"):
        assert (folder / "report" / image).is_file()
    assert profile["observed"]["kpis"]["offered"] == 76
    assert profile["observed"]["kpis"]["abandon_rate"] == 0


def test_servicenow_observed_occupancy_is_unknown_not_zero(servicenow):
    """No ticket carries a handle time, so the history says nothing about how busy agents were:
    the observed occupancy must be unknown (null), not 0.0 (agents idle all the time)."""
    _, _, profile = servicenow
    assert profile["observed"]["kpis"]["occupancy"] is None


def test_a_profile_without_handle_time_needs_one_in_the_scenario(servicenow, tmp_path):
    folder, _, _ = servicenow
    scenario = """\
name: tickets
calendar: {start: 2024-01-01 00:00, horizon: 1d, warmup: 0s, interval: 1h}
demand:
  profile: PROFILE
CONTACTS
staffing:
  groups:
    - name: l1
      skills: {other: 1}
      shifts:
        - {days: all, start: "00:00", end: "24:00", agents: 3}
experiment: {replications: 2, seed: 1}
""".replace("PROFILE", str(folder / "tickets.yaml"))
    bare = tmp_path / "bare.yaml"
    bare.write_text(scenario.replace("CONTACTS\n", ""), encoding="utf-8")
    result = invoke("run", bare, "--out", tmp_path / "bare")
    assert result.exit_code == 2 and clean(result)
    assert result.stderr.startswith("error:") and "handle_time" in result.stderr, result.stderr
    given = tmp_path / "given.yaml"
    given.write_text(scenario.replace(
        "CONTACTS", "  contacts:\n    - {name: other, handle_time: {dist: exponential, mean: 20min}}"), encoding="utf-8")
    result = invoke("run", given, "--out", tmp_path / "given")
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "given" / "summary.csv").set_index("contact_type")
    assert summary.loc["other", "offered"] > 0


# ---------------------------------------------------------------------------------------------------
# backtest

@pytest.fixture(scope="module")
def bundled_backtest(tmp_path_factory):
    out = tmp_path_factory.mktemp("backtest") / "full"
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 2, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.output
    assert clean(result)
    return out, result


def test_backtest_of_the_bundled_profile_writes_observed_and_simulated(bundled_backtest, week_history):
    out, result = bundled_backtest
    assert sorted(p.name for p in out.iterdir()) == [".helpdesk-sim-results", "interval_errors.csv", "intervals.csv",
                                                     "overall.csv"]  # a results folder, written whole
    overall = pd.read_csv(out / "overall.csv")
    assert list(overall["kpi"]) == COMPARED
    assert {"observed", "simulated", "simulated_ci95", "error", "relative_error"} <= set(overall.columns)
    assert overall[["observed", "simulated"]].notna().all().all()
    offered = overall.set_index("kpi").loc["offered"]
    assert offered["observed"] == len(week_history) == 7189
    assert offered["simulated"] == pytest.approx(len(week_history), rel=0.05)
    intervals = pd.read_csv(out / "intervals.csv")
    assert {f"{kpi}_{side}" for kpi in COMPARED for side in ("observed", "simulated")} <= set(intervals.columns)
    assert intervals["offered_observed"].sum() == len(week_history)
    assert len(intervals) == 7 * 48  # the week, every half hour (closed hours included)
    errors = pd.read_csv(out / "interval_errors.csv")
    assert list(errors["kpi"]) == COMPARED
    assert {"intervals", "bias", "mean_absolute_error", "correlation"} <= set(errors.columns)
    assert errors.set_index("kpi").loc["offered", "correlation"] > 0.9
    assert "Observed vs simulated" in result.stdout and f"results in {out}/" in result.stderr


def test_lower_availability_lowers_the_simulated_service_level(bundled_backtest, tmp_path):
    full, _ = bundled_backtest
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 2, "--seed", 3, "--availability", 0.75, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    seen = pd.read_csv(full / "overall.csv").set_index("kpi")
    fewer = pd.read_csv(tmp_path / "overall.csv").set_index("kpi")
    assert fewer.loc["service_level", "simulated"] < seen.loc["service_level", "simulated"]
    assert fewer.loc["abandon_rate", "simulated"] > seen.loc["abandon_rate", "simulated"]
    # the observed side does not depend on the assumption
    pd.testing.assert_series_equal(fewer["observed"], seen["observed"])


def test_after_call_work_keeps_agents_busy_after_each_call(bundled_backtest, tmp_path):
    full, _ = bundled_backtest
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 2, "--seed", 3, "--after-call-work", "60s", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    seen = pd.read_csv(full / "overall.csv").set_index("kpi")
    wrapped = pd.read_csv(tmp_path / "overall.csv").set_index("kpi")
    assert wrapped.loc["abandon_rate", "simulated"] > seen.loc["abandon_rate", "simulated"]
    assert wrapped.loc["occupancy", "simulated"] > seen.loc["occupancy", "simulated"]
    pd.testing.assert_series_equal(wrapped["observed"], seen["observed"])


def test_after_call_work_must_be_a_duration(tmp_path):
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 1, "--after-call-work", "a minute", "--out", tmp_path / "o")
    assert result.exit_code == 2 and clean(result) and "duration" in result.stderr


@pytest.mark.parametrize("availability", ["0", "1.5", "-0.2"])
def test_availability_out_of_range_is_rejected(tmp_path, availability):
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 1, "--availability", availability, "--out", tmp_path / "o")
    assert result.exit_code == 2 and clean(result)
    assert "--availability" in result.stderr
    assert not (tmp_path / "o").exists()


def test_backtest_on_another_month(tmp_path):
    """Fit on January (the bundled profile), test on February."""
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 2, "--history", FEBRUARY, "--format", "anonymous-bank",
                    "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert clean(result)
    overall = pd.read_csv(tmp_path / "overall.csv").set_index("kpi")
    assert overall.loc["offered", "observed"] == len(load_history(FEBRUARY, "anonymous-bank"))
    intervals = pd.read_csv(tmp_path / "intervals.csv")
    assert pd.to_datetime(intervals["interval_start"]).min() >= pd.Timestamp("1999-02-01")


def test_history_without_format_is_an_error(tmp_path):
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 1, "--history", FEBRUARY, "--out", tmp_path / "o")
    assert result.exit_code == 2 and clean(result)
    assert result.stderr.startswith("error:") and "--history needs --format" in result.stderr, result.stderr
    assert not (tmp_path / "o").exists()


def test_backtest_of_a_scenario_without_sources_is_an_error(tmp_path):
    result = invoke("backtest", BANK_SCENARIO, "-r", 1, "--out", tmp_path / "o")
    assert result.exit_code == 2 and clean(result)
    assert result.stderr.startswith("error:") and "--history" in result.stderr
    assert not (tmp_path / "o").exists()


def test_backtest_of_a_missing_profile_is_an_error(tmp_path):
    result = invoke("backtest", tmp_path / "absent.yaml", "-r", 1, "--out", tmp_path / "o")
    assert result.exit_code == 2 and clean(result)
    assert result.stderr.startswith("error:") and "absent.yaml" in result.stderr
    assert not (tmp_path / "o").exists()


MALFORMED_PROFILES = {
    # the source entry lacks `format` (KeyError in scenarios/cli_calibration.py::_history_for)
    "source-without-format": (f"sources: [{{path: {WEEK}}}]\ncontacts: [{{name: PS}}]\n", ()),
    # `contacts` is not a list (TypeError in scenarios/backtest.py::_arrivals_per_type)
    "contacts-not-a-list": ("contacts: 3\n", ("--history", FEBRUARY, "--format", "anonymous-bank")),
}


@pytest.mark.parametrize("case", list(MALFORMED_PROFILES), ids=list(MALFORMED_PROFILES))
def test_backtest_of_a_malformed_profile_is_an_error(tmp_path, case):
    text, extra = MALFORMED_PROFILES[case]
    profile = tmp_path / "profile.yaml"
    profile.write_text(text, encoding="utf-8")
    result = invoke("backtest", profile, "-r", 1, *extra, "--out", tmp_path / "o")
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.exception!r}\n{result.stderr}"
    assert clean(result)
    assert "error:" in result.stderr
    assert not (tmp_path / "o").exists()


def test_backtest_finds_the_sources_of_a_profile_calibrated_elsewhere(week, tmp_path, monkeypatch,
                                                                      week_history):
    """`sources` are relative to the profile, so the back-test works from any working directory."""
    folder, _ = week
    monkeypatch.chdir(tmp_path)
    result = invoke("backtest", folder / "profiles" / "week.yaml", "-r", 1, "--out", "bt")
    assert result.exit_code == 0, result.output
    overall = pd.read_csv(tmp_path / "bt" / "overall.csv").set_index("kpi")
    assert overall.loc["offered", "observed"] == len(week_history)


# ---------------------------------------------------------------------------------------------------
# the library scenario on the bundled profile, and on a freshly calibrated one

def _run_bank(out: Path, *extra):
    result = invoke("run", BANK_SCENARIO, "-r", 2, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    assert clean(result)
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["contact_type"]) == sorted(BANK_TYPES + ["all"])
    assert (summary.set_index("contact_type")["offered"] > 0).all()
    return yaml.safe_load((out / "config.resolved.yaml").read_text(encoding="utf-8"))


def test_bank_scenario_runs_on_the_bundled_profile(tmp_path):
    resolved = _run_bank(tmp_path / "bundled")
    profile = yaml.safe_load(BUNDLED_PROFILE.read_text(encoding="utf-8"))
    ps = next(c for c in resolved["demand"]["contacts"] if c["name"] == "PS")
    assert ps["patience"] == profile["contacts"][0]["patience"]
    assert ps["handle_time"] == profile["contacts"][0]["handle_time"]


def test_bank_scenario_runs_on_a_calibrated_profile(week, week_profile, tmp_path):
    folder, _ = week
    resolved = _run_bank(tmp_path / "fresh", "--set", f"demand.profile={folder / 'profiles' / 'week.yaml'}")
    by_name = {c["name"]: c for c in resolved["demand"]["contacts"]}
    for contact in week_profile["contacts"]:
        assert by_name[contact["name"]]["handle_time"] == contact["handle_time"]
        assert by_name[contact["name"]]["patience"] == contact["patience"]
        assert by_name[contact["name"]]["arrivals"]["weekly"] == contact["arrivals"]["weekly"]


def test_bank_scenario_with_a_missing_profile_is_an_error(tmp_path):
    result = invoke("run", BANK_SCENARIO, "-r", 1, "--out", tmp_path / "o", "--set",
                    f"demand.profile={tmp_path / 'absent.yaml'}")
    assert result.exit_code == 2 and clean(result)
    assert "profile not found" in result.stderr


def test_backtest_never_writes_into_a_folder_of_other_work(tmp_path):
    """Its CSVs went into any folder, beside (or over) what was there: now a results folder, whole."""
    out = tmp_path / "documents"
    out.mkdir()
    (out / "overall.csv").write_text("my own table")
    result = invoke("backtest", BUNDLED_PROFILE, "-r", 1, "--out", out)
    assert result.exit_code == 2 and "does not hold helpdesk-sim results" in result.stderr
    assert (out / "overall.csv").read_text() == "my own table"
