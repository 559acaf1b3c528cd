"""`helpdesk-sim run` writes the results directory the contract describes (KPIS.md columns), results do
not depend on the number of workers, the seed decides everything; `helpdesk-sim erlang` answers."""
from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from .helpers import SMALL, TINY, console_script, invoke, no_traceback, write

# Every column of the KPIS.md table (`short_abandoned` and `abandon_rate_net` are named in the text of
# their rows); summary.csv carries each with `_ci95`, plus `replications`.
KPIS = [
    "offered", "deflected", "answered", "abandoned", "short_abandoned", "abandon_rate", "abandon_rate_net",
    "service_level", "asa_s", "mean_wait_s", "wait_p50_s", "wait_p90_s", "wait_p95_s", "first_response_s",
    "aht_s", "resolution_time_h", "resolution_p90_h", "fcr_rate", "escalation_rate", "repeat_rate",
    "callbacks_offered", "callbacks_accepted", "callback_delay_s", "sla_met_rate", "occupancy", "utilization",
    "agents_on_shift_mean", "queue_len_mean", "queue_len_max", "backlog_end", "agent_hours", "cost",
    "cost_per_resolved", "p_wait", "lost_rate",
]
RATES = ["abandon_rate", "abandon_rate_net", "service_level", "fcr_rate", "escalation_rate", "repeat_rate",
         "sla_met_rate", "occupancy", "utilization"]
CSVS = ("summary.csv", "replications.csv", "intervals.csv", "groups.csv", "group_intervals.csv")
TYPES = ["billing", "tech"]
ROWS = TYPES + ["priority:2", "priority:1", "all"]
REPLICATIONS, SEED, HOURS = 3, 5, 24  # SMALL: 1d measured in 1h intervals, 3 replications, seed 5


def run(directory: Path, *extra) -> Path:
    out = directory / "out"
    result = invoke("run", write(directory, SMALL), "--out", out, *extra)
    assert result.exit_code == 0, result.output
    assert no_traceback(result)
    return out


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    return run(tmp_path_factory.mktemp("serial"))


@pytest.fixture(scope="module")
def summary(serial) -> pd.DataFrame:
    return pd.read_csv(serial / "summary.csv")


@pytest.fixture(scope="module")
def replications(serial) -> pd.DataFrame:
    return pd.read_csv(serial / "replications.csv")


@pytest.fixture(scope="module")
def intervals(serial) -> pd.DataFrame:
    return pd.read_csv(serial / "intervals.csv")


# --- the results directory ----------------------------------------------------------------------------------

def test_run_writes_the_result_files(serial):
    assert {path.name for path in serial.iterdir()} >= set(CSVS) | {"config.resolved.yaml"}


def test_summary_has_one_row_per_contact_type_priority_and_all(summary):
    assert list(summary.contact_type) == ROWS  # billing and tech have priorities 2 and 1: priority rows


@pytest.mark.parametrize("kpi", KPIS)
def test_summary_has_every_kpi_with_its_ci95(summary, kpi):
    assert kpi in summary.columns
    assert f"{kpi}_ci95" in summary.columns


def test_summary_counts_replications(summary):
    assert (summary.replications == REPLICATIONS).all()


def test_summary_means_and_intervals_match_the_replications(summary, replications):
    from scipy import stats
    for contact_type in TYPES + ["all"]:
        values = replications.loc[replications.contact_type == contact_type, "offered"].to_numpy(dtype=float)
        row = summary.set_index("contact_type").loc[contact_type]
        assert row.offered == pytest.approx(values.mean())
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / len(values) ** 0.5
        assert row.offered_ci95 == pytest.approx(half)


def test_replications_csv_one_row_per_replication_and_contact_type(replications):
    assert len(replications) == REPLICATIONS * len(ROWS)
    assert sorted(replications.replication.unique()) == list(range(REPLICATIONS))
    assert not replications.duplicated(["replication", "contact_type"]).any()
    assert set(KPIS) <= set(replications.columns)


def test_kpi_sanity_in_replications(replications):
    rows = replications[replications.contact_type.isin(TYPES)]
    assert (rows.offered == rows.answered + rows.abandoned + rows.still_waiting).all()
    assert (rows.offered > 0).all()
    for rate in RATES:
        values = replications[rate].dropna()
        assert ((values >= 0) & (values <= 1)).all(), rate
    by_type = rows.groupby("replication").offered.sum()
    overall = replications[replications.contact_type == "all"].set_index("replication").offered
    assert (by_type == overall).all()


def test_intervals_csv_one_row_per_replication_interval_and_contact_type(intervals):
    types = set(intervals.contact_type)
    assert set(TYPES) <= types <= set(TYPES) | {"all"}
    assert intervals.interval_start.nunique() == HOURS
    assert len(intervals) == REPLICATIONS * HOURS * len(types)
    assert not intervals.duplicated(["replication", "interval_start", "contact_type"]).any()
    # measured period: after the 1 h warm-up, one day of 1 h intervals
    starts = pd.to_datetime(intervals.interval_start)
    assert starts.min() == pd.Timestamp("2024-01-01 01:00") and starts.max() == pd.Timestamp("2024-01-02 00:00")


def test_interval_counts_add_up_to_the_replication_totals(intervals, replications):
    for column in ("offered", "answered", "abandoned"):
        summed = intervals.groupby(["replication", "contact_type"])[column].sum()
        totals = replications.set_index(["replication", "contact_type"])[column]
        assert (summed == totals.loc[summed.index]).all(), column


def test_group_intervals_add_up_to_each_groups_occupancy_and_staffing(serial):
    """group_intervals.csv: one row per replication × interval × group; with equal 1 h intervals the
    busy and available agent-hours summed over the day give groups.csv's occupancy and mean staffing."""
    frame = pd.read_csv(serial / "group_intervals.csv")
    assert len(frame) == REPLICATIONS * HOURS * 2 and set(frame.group) == {"l1", "l2"}
    sums = frame.groupby(["replication", "group"])[["busy_agents_mean", "agents_on_shift_mean"]].sum()
    groups = pd.read_csv(serial / "groups.csv").set_index("group")
    occupancy = (sums.busy_agents_mean / sums.agents_on_shift_mean).groupby("group").mean()
    staffed = (sums.agents_on_shift_mean / HOURS).groupby("group").mean()
    for group in ("l1", "l2"):
        assert occupancy[group] == pytest.approx(groups.at[group, "occupancy"], rel=1e-9)
        assert staffed[group] == pytest.approx(groups.at[group, "agents_on_shift_mean"], rel=1e-9)
    assert (frame.offered_load >= 0).all() and (frame.busy_agents_mean <= frame.agents_on_shift_mean + 1e-9).all()


def test_a_types_interval_rows_count_the_agents_who_can_answer_it(intervals, serial):
    """billing and tech are both served by l1 and l2: their rows show both groups' agents, as `all` does."""
    staffed = intervals.pivot_table(index=["replication", "interval_start"], columns="contact_type",
                                    values="agents_on_shift_mean")
    assert np.allclose(staffed["billing"], staffed["all"]) and np.allclose(staffed["tech"], staffed["all"])
    assert staffed["all"].max() > 1 and staffed["all"].min() >= 1  # l2's one agent is there all day


def test_resolved_config_records_seed_replications_version_and_revision(serial):
    resolved = yaml.safe_load((serial / "config.resolved.yaml").read_text(encoding="utf-8"))
    assert resolved["experiment"] == {"replications": REPLICATIONS, "seed": SEED}
    provenance = resolved["provenance"]
    assert provenance["package_version"] == metadata.version("helpdesk-sim")
    revision = provenance["git_revision"]
    repository = Path(__file__).resolve().parents[2]
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=repository)
    if head.returncode == 0 and head.stdout.strip():
        assert revision == head.stdout.strip()
    else:
        assert revision == "unknown" or re.fullmatch(r"[0-9a-f]{40}", revision)
    assert provenance["source"].endswith("scenario.yaml")
    assert set(resolved["resolved"]["contacts"]) == set(TYPES)


def test_cli_options_override_the_experiment_section(tmp_path):
    out = run(tmp_path, "--replications", 2, "--seed", 77)
    resolved = yaml.safe_load((out / "config.resolved.yaml").read_text(encoding="utf-8"))
    assert resolved["experiment"] == {"replications": 2, "seed": 77}
    assert (pd.read_csv(out / "summary.csv").replications == 2).all()


def test_default_results_directory_is_results_slash_scenario_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", write(tmp_path, TINY, "tiny.yaml"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "results" / "tiny" / "summary.csv").is_file()


def test_headline_table_on_stdout(tmp_path):
    result = invoke("run", write(tmp_path, SMALL), "--out", tmp_path / "out")
    assert result.exit_code == 0
    tables = [table.splitlines() for table in result.stdout.strip().split("\n\n")]
    queues, contacts, groups = tables  # SMALL has an SLA: the contact (lifecycle) table is shown
    assert contacts[0].split()[:2] == ["contact_type", "contacts"] and "sla_met_rate" in contacts[0]
    assert queues[0].split()[0] == "contact_type" and "service_level" in queues[0]
    assert [line.split()[0] for line in queues[1:]] == TYPES + ["all"]
    assert groups[0].split()[:3] == ["group", "handled", "asa"] and "occupancy" in groups[0]
    assert [line.split()[0] for line in groups[1:]] == ["l1", "l2"]


def test_console_durations_carry_their_unit_and_cost_is_empty_when_nothing_costs(tmp_path):
    """Durations are printed in a readable unit (the header drops `_s`); TINY sets no cost_per_hour,
    so cost is not modelled: no cost column on the console and empty in summary.csv, not 0.000 ±0.000."""
    result = invoke("run", write(tmp_path, TINY), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.strip().split("\n\n")[0].splitlines()
    names = header.split()
    assert "aht" in names and "aht_s" not in names and "cost" not in names
    all_row = next(row for row in rows if row.split()[0] == "all")
    assert re.search(r"\d\.\d ±\d+\.\d (s|min)\b", all_row), all_row  # aht about 4 min, asa seconds
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary["cost"].isna().all() and summary["cost_per_resolved"].isna().all()


# --- reproducibility ----------------------------------------------------------------------------------------

def test_two_workers_give_results_identical_to_serial(serial, tmp_path):
    parallel = run(tmp_path, "--workers", 2)
    for name in CSVS:
        assert (parallel / name).read_bytes() == (serial / name).read_bytes(), name


def test_same_seed_gives_identical_results(serial, tmp_path):
    again = run(tmp_path, "--seed", SEED)
    for name in CSVS:
        assert (again / name).read_bytes() == (serial / name).read_bytes(), name


def test_different_seed_gives_different_results(serial, tmp_path):
    other = run(tmp_path, "--seed", SEED + 1)
    for name in CSVS:
        assert (other / name).read_bytes() != (serial / name).read_bytes(), name


def test_replication_does_not_depend_on_how_many_replications_run(serial, tmp_path):
    """Replication i is a function of (seed, i): asking for fewer replications keeps the first ones."""
    fewer = pd.read_csv(run(tmp_path, "--replications", 2) / "replications.csv")
    full = pd.read_csv(serial / "replications.csv")
    pd.testing.assert_frame_equal(fewer, full[full.replication < 2].reset_index(drop=True))


def test_console_script_end_to_end(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(console_script() + ["run", str(write(tmp_path, TINY)), "--replications", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert all((out / name).is_file() for name in CSVS + ("config.resolved.yaml",))


# --- erlang ---------------------------------------------------------------------------------------------------

def test_erlang_c_textbook_example():
    result = invoke("erlang", "c", "--arrivals", "100/30min", "--aht", "180s", "--agents", 14, "--threshold", "20s")
    assert result.exit_code == 0, result.output
    assert "0.17413" in result.stdout  # P(wait)
    assert "0.88835" in result.stdout  # service level
    assert re.search(r"P\(wait\)\s+0\.17413", result.stdout)
    assert re.search(r"service level\s+0\.88835", result.stdout)


def test_erlang_b_and_a_answer():
    b = invoke("erlang", "b", "--arrivals", "100/30min", "--aht", "180s", "--agents", 14)
    assert b.exit_code == 0, b.output
    assert re.search(r"offered load\s+10\.0000", b.stdout) and "blocking" in b.stdout
    a = invoke("erlang", "a", "--arrivals", "200/h", "--aht", "3min", "--patience", "5min", "--agents", 11)
    assert a.exit_code == 0, a.output
    assert "P(abandon)" in a.stdout and "service level" in a.stdout


@pytest.mark.parametrize("args, says", [
    (["c", "--arrivals", "100", "--aht", "180s", "--agents", "14"], "120/h"),
    (["c", "--arrivals", "100/30min", "--aht", "-180s", "--agents", "14"], "positive"),
    (["c", "--arrivals", "100/30min", "--aht", "0s", "--agents", "14"], "positive"),
    (["c", "--arrivals", "100/30min", "--aht", "180s", "--agents", "9"], "unstable"),
    (["c", "--arrivals", "100/30min", "--aht", "180s", "--agents", "14", "--threshold", "soon"], "duration"),
    (["b", "--arrivals", "lots", "--aht", "180s", "--agents", "14"], "rate"),
    (["a", "--arrivals", "200/h", "--aht", "3min", "--patience", "0s", "--agents", "11"], "positive"),
], ids=["rate-without-unit", "negative-aht", "zero-aht", "unstable", "bad-threshold", "bad-rate", "zero-patience"])
def test_erlang_bad_input_exits_2_with_a_message(args, says):
    result = invoke("erlang", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error:"), result.stderr
    assert says in result.stderr
    assert no_traceback(result)
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ["c", "--arrivals", "100/30min", "--aht", "180s", "--agents", "0"],
    ["c", "--arrivals", "100/30min", "--aht", "180s"],
    ["b", "--arrivals", "100/30min", "--aht", "180s", "--agents", "many"],
], ids=["zero-agents", "missing-agents", "agents-not-a-number"])
def test_erlang_usage_errors_exit_2_without_traceback(args):
    result = invoke("erlang", *args)
    assert result.exit_code == 2, result.output
    assert no_traceback(result)


def test_erlang_solve_gives_the_fewest_agents_and_shows_one_fewer():
    c = invoke("erlang", "c", "--arrivals", "100/30min", "--aht", "180s", "--solve", "agents", "--target", "0.8/20s")
    assert c.exit_code == 0, c.output
    assert re.search(r"fewest agents 14\b", c.stdout)
    assert re.search(r"13 agents\s+14 agents", c.stdout)
    assert re.search(r"service level\s+0\.79559\s+0\.88835", c.stdout)
    a = invoke("erlang", "a", "--arrivals", "200/h", "--aht", "3min", "--patience", "5min", "--solve", "agents",
               "--target", "80%/20s", "--max-abandon", "1%")
    assert a.exit_code == 0, a.output
    assert re.search(r"fewest agents 15\b", a.stdout)  # 14 agents abandon 1.4 %
    assert re.search(r"P\(abandon\)\s+0\.013984\s+0\.007514", a.stdout)


@pytest.mark.parametrize("args, says", [
    (["c", "--arrivals", "10/h", "--aht", "3min", "--solve", "agents"], "needs --target"),
    (["c", "--arrivals", "10/h", "--aht", "3min", "--solve", "agents", "--target", "0.8"], "SERVICE_LEVEL/THRESHOLD"),
    (["c", "--arrivals", "10/h", "--aht", "3min", "--solve", "agents", "--target", "1.2/20s"], "between 0 and 1"),
    (["c", "--arrivals", "10/h", "--aht", "3min", "--solve", "agents", "--target", "lots/20s"], "percentage"),
    (["c", "--arrivals", "10/h", "--aht", "3min", "--agents", "3", "--solve", "agents", "--target", "0.8/20s"],
     "not both"),
    (["a", "--arrivals", "10/h", "--aht", "3min", "--patience", "1min", "--agents", "3", "--max-abandon", "0.1"],
     "goes with --solve"),
    (["c", "--arrivals", "10/h", "--aht", "3min", "--threshold", "120s", "--solve", "agents", "--target", "0.8/20s"],
     "part of --target"),
], ids=["no-target", "no-threshold", "level-above-1", "level-not-a-number", "agents-and-solve", "cap-alone",
        "threshold-twice"])
def test_erlang_solve_bad_input_says_what_to_write(args, says):
    result = invoke("erlang", *args)
    assert result.exit_code == 2, result.output
    assert says in result.output and no_traceback(result)


def test_calls_with_nobody_on_shift_warn_on_the_console_and_in_warnings_txt(tmp_path):
    """TINY's calls arrive round the clock; with its one shift cut to 08:00-16:00, two thirds of them
    find nobody on shift: `run` says so (stderr) and writes it to warnings.txt."""
    night = TINY.replace('start: "00:00", end: "24:00"', 'start: "08:00", end: "16:00"')
    assert night != TINY
    result = invoke("run", write(tmp_path, night), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "billing contact(s) per run arrived" in result.stderr
    lines = (tmp_path / "out" / "warnings.txt").read_text().splitlines()
    assert any("when nobody who can answer them was on shift" in line for line in lines)
    healthy = invoke("run", write(tmp_path, TINY, "healthy.yaml"), "--out", tmp_path / "healthy")
    assert (tmp_path / "healthy" / "warnings.txt").read_text() == "" and "warning" not in healthy.stderr
