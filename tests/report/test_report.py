"""report.html: one self-contained page for run, compare and sweep results; user text escaped; rebuilt
by `helpdesk-sim report DIR` from the tables on disk (CSV or parquet)."""
from __future__ import annotations

import re

import pytest

from tests.scenarios.helpers import SMALL, TINY, edit, invoke, no_traceback, write

HOSTILE = "<script>alert('x')</script> & <b>co</b>"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?!data:|#)[a-z]+:""", re.IGNORECASE)


def ok(result):
    assert result.exit_code == 0 and no_traceback(result), result.output
    return result


def test_a_run_report_is_one_offline_page_with_user_text_escaped(tmp_path):
    scenario = write(tmp_path, edit(TINY, "name: tiny", f'name: "{HOSTILE}"'))
    ok(invoke("run", scenario, "--out", tmp_path / "out", "--report"))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert not EXTERNAL.search(page)  # no http(s)/file links or sources: charts are data URIs
    assert page.count('src="data:image/png;base64,') >= 2
    assert "Staffing against workload" in page and "KPI definitions in use" in page


def test_compare_and_sweep_reports_hold_their_comparisons(tmp_path):
    path = write(tmp_path, SMALL)
    ok(invoke("compare", path, "--alt", "more:staffing.groups.l1.shifts.0.agents=6", "-r", 3, "--out",
              tmp_path / "compare", "--report"))
    page = (tmp_path / "compare" / "report.html").read_text(encoding="utf-8")
    assert 'id="comparison-table"' in page and "Interval profiles side by side" in page
    assert page.count('class="scenario"') == 2
    ok(invoke("sweep", path, "--vary", "staffing.groups.l1.shifts.0.agents=3,4", "-r", 2, "--out",
              tmp_path / "sweep", "--report", "--format", "parquet"))
    page = (tmp_path / "sweep" / "report.html").read_text(encoding="utf-8")
    assert 'id="sweep-table"' in page and "First variant" in page


def test_the_report_command_rebuilds_and_refuses_folders_without_results(tmp_path):
    ok(invoke("run", write(tmp_path, TINY), "--out", tmp_path / "out"))
    assert not (tmp_path / "out" / "report.html").exists()
    ok(invoke("report", tmp_path / "out"))
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000
    (tmp_path / "empty").mkdir()
    result = invoke("report", tmp_path / "empty")
    assert result.exit_code == 2 and "holds no results" in result.output and no_traceback(result)
    (tmp_path / "out" / "group_intervals.csv").unlink()  # as an older helpdesk-sim wrote it
    result = invoke("report", tmp_path / "out")
    assert result.exit_code == 2 and "no group_intervals.csv" in result.output and no_traceback(result)


def test_an_understaffed_desk_is_warned_about(tmp_path):
    """One agent for 30 calls an hour of 4 minutes (twice the capacity), nobody patient: over
    capacity all day, and the queue never clears from one day to the next."""
    text = edit(edit(TINY, "horizon: 1d", "horizon: 3d"), "      patience: {dist: exponential, mean: 6min}\n", "")
    ok(invoke("run", write(tmp_path, edit(text, "agents: 3", "agents: 1")), "-r", 3, "--out", tmp_path / "out",
              "--report"))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "l1 is over 100 % of its capacity" in page and "backlog is not clearing" in page
