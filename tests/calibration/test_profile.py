"""`calibration.profile`: the profile document is reproducible, pools small contact types, carries the
history's own KPIs and weekly staffing, and is written atomically."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import calibration.profile as profile_module
from calibration.loaders import load_history
from calibration.observed import observed_intervals, overall
from calibration.profile import calibrate, write_yaml_atomically
from simulator.distributions import Mixture, from_spec
from simulator.units import DAY_NAMES

DATA = Path(__file__).resolve().parents[2] / "calibration" / "data"


@pytest.fixture(scope="module")
def week():
    return load_history(DATA / "bank_1999-01_week.txt", "anonymous-bank")


@pytest.fixture(scope="module")
def february():
    return load_history(DATA / "bank_1999-02_slice.txt", "anonymous-bank")


def document(history, seed, bootstrap=10, min_contacts=20, interval_s=1800.0, **options):
    return calibrate(history, np.random.default_rng(seed), interval_s, bootstrap, min_contacts,
                     **options).to_document()


def without_created(doc: dict) -> dict:
    return {key: value for key, value in doc.items() if key != "created"}


# ---------------------------------------------------------------------------------------------------
# reproducibility

def test_same_seed_gives_the_same_document(february):
    first, second = document(february, 5), document(february, 5)
    assert pd.Timestamp(first["created"]).tzinfo is not None  # an aware ISO timestamp
    assert without_created(first) == without_created(second)
    # and the same text once written (the YAML dump adds nothing random either)
    assert yaml.safe_dump(without_created(first)) == yaml.safe_dump(without_created(second))


def test_the_seed_decides_the_bootstrap(february):
    """Different seeds give different bootstrap p-values, so the seed really is what makes it repeat."""
    assert without_created(document(february, 5)) != without_created(document(february, 6))


def test_written_profiles_with_the_same_seed_differ_only_in_created(february, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        calibrate(february, np.random.default_rng(11), 1800.0, 5, 20,
                  sources=[{"path": "x.txt", "format": "anonymous-bank"}]).write(tmp_path / name)
    a = (tmp_path / "a.yaml").read_text(encoding="utf-8").splitlines()
    b = (tmp_path / "b.yaml").read_text(encoding="utf-8").splitlines()
    assert [x for x in a if not x.startswith("created:")] == [x for x in b if not x.startswith("created:")]
    assert yaml.safe_load("\n".join(a))["sources"] == [{"path": "x.txt", "format": "anonymous-bank"}]


# ---------------------------------------------------------------------------------------------------
# pooling small contact types

def test_small_types_are_pooled_as_other(week):
    counts = week.contacts["contact_type"].value_counts()
    doc = document(week, 1, bootstrap=0, min_contacts=500)
    large = sorted(name for name, count in counts.items() if count >= 500)
    small = sorted(name for name, count in counts.items() if count < 500)
    assert large == ["NW", "PS"] and len(small) >= 3
    assert sorted(c["name"] for c in doc["contacts"]) == ["NW", "PS", "other"]
    other = doc["diagnostics"]["other"]
    assert other["pooled_from"] == small
    assert other["contacts"] == int(counts[small].sum())
    assert doc["diagnostics"]["PS"]["pooled_from"] == [] and doc["diagnostics"]["NW"]["pooled_from"] == []
    assert doc["diagnostics"]["PS"]["contacts"] == int(counts["PS"])
    # one week: the pooled weekly table counts every pooled contact once
    weekly = next(c for c in doc["contacts"] if c["name"] == "other")["arrivals"]["weekly"]
    assert sum(sum(weekly[day]) for day in DAY_NAMES) * 0.5 == pytest.approx(other["arrivals"]["counted"],
                                                                              rel=1e-5)
    assert other["arrivals"]["counted"] + other["arrivals"]["outside_period"] == other["contacts"]


def test_no_pooling_when_every_type_is_large_enough(week):
    counts = week.contacts["contact_type"].value_counts()
    doc = document(week, 1, bootstrap=0, min_contacts=1)
    assert sorted(c["name"] for c in doc["contacts"]) == sorted(counts.index)
    assert all(diag["pooled_from"] == [] for diag in doc["diagnostics"].values())


def test_everything_pooled_when_no_type_is_large_enough(february):
    doc = document(february, 1, bootstrap=0, min_contacts=10_000)
    (contact,) = doc["contacts"]
    assert contact["name"] == "other"
    assert doc["diagnostics"]["other"]["pooled_from"] == sorted(february.contacts["contact_type"].unique())
    assert doc["diagnostics"]["other"]["contacts"] == len(february)


# ---------------------------------------------------------------------------------------------------
# observed KPIs and weekly staffing

def test_observed_kpis_are_the_observed_tables_overall(week):
    profile = calibrate(week, np.random.default_rng(1), 1800.0, 0, 100)
    table = observed_intervals(week, 1800.0)
    pd.testing.assert_frame_equal(profile.observed, table)
    expected = overall(table, 1800.0)
    kpis = profile.to_document()["observed"]["kpis"]
    assert set(kpis) == set(expected)
    for name, value in expected.items():
        assert kpis[name] == pytest.approx(value, rel=1e-5), name
    assert kpis["offered"] == len(week)


@pytest.mark.parametrize("interval_s, slots", [(1800.0, 48), (3600.0, 24)])
def test_weekly_agents_table_is_seven_days_of_integers(week, interval_s, slots):
    profile = calibrate(week, np.random.default_rng(1), interval_s, 0, 100)
    agents = profile.to_document()["observed"]["agents_per_interval"]
    assert list(agents) == ["interval", *DAY_NAMES]
    for day in DAY_NAMES:
        assert len(agents[day]) == slots
        assert all(type(value) is int and value >= 0 for value in agents[day])
    # each cell is the mean over that weekday's intervals of the agents seen, rounded
    observed = profile.observed
    starts = observed["interval_start"]
    means = observed.groupby([starts.dt.day_of_week, starts.dt.hour * 3600 + starts.dt.minute * 60])["agents"].mean()
    for (weekday, second), mean in means.items():
        assert agents[DAY_NAMES[weekday]][int(second // interval_s)] == int(round(mean))
    assert max(max(agents[day]) for day in DAY_NAMES) == int(round(means.max())) > 0


# ---------------------------------------------------------------------------------------------------
# atomic writing

class DumpFailed(RuntimeError):
    pass


def _failing_dump(document, stream, **options):
    stream.write("profile_version: 1\ncontacts:\n- name: PS\n")  # half a profile, then the failure
    stream.flush()
    raise DumpFailed("disk full")


def test_a_failed_write_leaves_no_file(february, tmp_path, monkeypatch):
    profile = calibrate(february, np.random.default_rng(1), 1800.0, 0, 20)
    monkeypatch.setattr(profile_module.yaml, "dump", _failing_dump)
    target = tmp_path / "profile.yaml"
    with pytest.raises(DumpFailed):
        profile.write(target)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_profile(february, tmp_path, monkeypatch):
    profile = calibrate(february, np.random.default_rng(1), 1800.0, 0, 20)
    target = tmp_path / "profile.yaml"
    profile.write(target)
    before = target.read_bytes()
    monkeypatch.setattr(profile_module.yaml, "dump", _failing_dump)
    with pytest.raises(DumpFailed):
        profile.write(target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["profile.yaml"]


def test_an_interrupted_write_leaves_no_temporary(tmp_path, monkeypatch):
    """Even a KeyboardInterrupt (not an Exception) while dumping cleans up."""
    def interrupted(document, stream, **options):
        stream.write("partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(profile_module.yaml, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_yaml_atomically({"a": 1}, tmp_path / "sub" / "profile.yaml")
    assert list((tmp_path / "sub").iterdir()) == []


def test_the_temporary_names_its_process(tmp_path, monkeypatch):
    """A process killed outright mid-write left `.profile.yaml.XXXX.tmp` for ever: the temporary now names
    its process (`calibration.atomic`), so the next write can tell a dead writer's from a running one's."""
    renamed = []
    replace = os.replace
    monkeypatch.setattr(os, "replace", lambda source, target: (renamed.append(Path(source).name),
                                                               replace(source, target)))
    write_yaml_atomically({"a": 1}, tmp_path / "profile.yaml")
    assert renamed == [f".profile.yaml.{os.getpid()}.partial"]
    assert [p.name for p in tmp_path.iterdir()] == ["profile.yaml"]


def test_written_profile_reads_back(february, tmp_path):
    profile = calibrate(february, np.random.default_rng(1), 1800.0, 0, 20)
    target = tmp_path / "deeper" / "profile.yaml"
    profile.write(target)
    assert [p.name for p in target.parent.iterdir()] == ["profile.yaml"]
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert without_created(written) == without_created(profile.to_document())


def test_written_profile_has_ordinary_file_permissions(february, tmp_path):
    """The temporary file behind the atomic write is created 0600; the profile it becomes must get
    the permissions any other written file gets (0666 minus the umask), so colleagues can read it."""
    profile = calibrate(february, np.random.default_rng(1), 1800.0, 0, 20)
    previous = os.umask(0o022)
    try:
        profile.write(tmp_path / "profile.yaml")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    plain = stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert plain == 0o644
    assert stat.S_IMODE((tmp_path / "profile.yaml").stat().st_mode) == plain


# ---------------------------------------------------------------------------------------------------
# progress

def test_progress_names_every_step_in_order_and_ends_complete(february):
    seen = []
    profile = calibrate(february, np.random.default_rng(1), 1800.0, 0, 20, resamples=0,
                        progress=lambda label, done, total: seen.append((label, done, total)))
    total = 3 * len(profile.contacts) + 1
    assert {t for _, _, t in seen} == {total}
    assert [done for _, done, _ in seen] == list(range(total)) + [total]
    expected = [f"{c.name}: {step}" for c in profile.contacts for step in ("arrivals", "handle time", "patience")]
    assert [label for label, _, _ in seen] == expected + ["observed KPIs", "done"]


# ---------------------------------------------------------------------------------------------------
# comments beside each fit

def comments_above(text: str, contact: str, key: str) -> list[str]:
    """The comment lines written just above `key:` inside contact `contact` of a written profile."""
    block = text.split(f"- name: {contact}\n", 1)[1].split("\n- name: ", 1)[0].splitlines()
    end = block.index(f"  {key}:")
    start = end
    while start > 0 and block[start - 1].startswith("  # "):
        start -= 1
    return [line[4:] for line in block[start:end]]


def test_written_profile_gives_each_fits_mean_and_cv_beside_it(week, tmp_path):
    """The numbers in the comments are those of the distribution a scenario builds from the spec."""
    profile = calibrate(week, np.random.default_rng(1), 1800.0, 0, 100, resamples=0)
    profile.write(tmp_path / "profile.yaml")
    text = (tmp_path / "profile.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert without_created(document) == without_created(profile.to_document())  # comments change no value
    assert text.startswith("# Written by `helpdesk-sim calibrate`")
    for entry in document["contacts"]:
        name, handle, patience = entry["name"], from_spec(entry["handle_time"]), from_spec(entry["patience"])
        above = comments_above(text, name, "handle_time")
        assert above[0] == f"handle time: {handle.name}: mean {handle.mean:,.0f} s, cv {handle.cv:.3g}", name
        if isinstance(handle, Mixture):
            body = handle.components[1]
            assert above[1].endswith(f"{body.name} body (mean {body.mean:,.0f} s, cv {body.cv:.3g})")
        above = comments_above(text, name, "patience")
        assert above[0].startswith(f"patience: {patience.name}: median {patience.median:,.0f} s")
        assert above[0].endswith(f"mean {patience.mean:,.0f} s, cv {patience.cv:.3g}")
        diagnosis = document["diagnostics"][name]["patience"]
        assert above[1] == (f"Kaplan-Meier mean within the longest observed wait "
                            f"({diagnosis['longest_observed_wait_s']:,.0f} s): "
                            f"{diagnosis['km_restricted_mean_s']:,.0f} s")
        assert (len(above) == 3 and above[2].startswith("the mean is extrapolated")) == \
            (diagnosis["used"]["share_beyond_longest_wait"] >= 0.01)


def test_one_week_writes_no_day_to_day_cv_and_says_why(week, tmp_path):
    """Each weekday is seen once: day-to-day variation cannot be estimated, so the profile must not
    pass a 0 (Poisson days) on as if it were measured; the key is left out, with the reason beside it."""
    profile = calibrate(week, np.random.default_rng(1), 1800.0, 0, 100, resamples=0)
    assert all(c.arrivals.day_to_day is None for c in profile.contacts)
    profile.write(tmp_path / "profile.yaml")
    text = (tmp_path / "profile.yaml").read_text(encoding="utf-8")
    for entry in yaml.safe_load(text)["contacts"]:
        assert "day_to_day_cv" not in entry["arrivals"]
        assert comments_above(text, entry["name"], "arrivals")[0].startswith("day_to_day_cv: not estimable")
