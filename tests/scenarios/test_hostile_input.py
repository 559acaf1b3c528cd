"""Issue 13: hostile, degenerate and huge input on the command line. Every case exits 2 with one
`error:` line naming the file (with its line) or the option, and the key; prints no traceback; takes
seconds, not the work it refuses; and leaves an earlier results folder exactly as it was, with nothing
beside it. (Values refused inside a scenario file, with their line, are in test_bad_input.py.)
"""
from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from simulator import limits
from simulator.config import AgentGroup, Arrivals, ConfigError, ContactType, ModelConfig, Shift
from simulator.distributions import Exponential, Lognormal

from .helpers import TINY, edit, invoke, no_traceback, snapshot, write

SECONDS = 20  # a refusal comes before the work: far less than any of these would take to run


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """Results of an earlier good run, copied into each test's folder as the --out it must not touch."""
    out = tmp_path_factory.mktemp("earlier") / "results"
    result = invoke("run", write(out.parent, TINY), "-r", 1, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def refused(tmp_path: Path, finished: Path, *args, says: tuple[str, ...]) -> str:
    """Run the command with --out over earlier results; assert a clean refusal that names `says`."""
    out = Path(tempfile.mkdtemp(dir=tmp_path)) / "results"
    shutil.copytree(finished, out)
    before, started = snapshot(out.parent), time.monotonic()  # a new sibling such as results.failed shows
    result = invoke(*args, "--out", out)
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert no_traceback(result), result.output
    message = result.stderr
    assert message.startswith("error:") or "Error:" in message, message
    for fragment in says:
        assert fragment in message, f"{fragment!r} not in {message}"
    assert result.stdout == ""
    assert snapshot(out.parent) == before, "the earlier results, or the folder beside them, changed"
    assert elapsed < SECONDS, f"took {elapsed:.1f} s: the refusal must come before the work"
    return message


@pytest.fixture
def scenario(tmp_path) -> Path:
    return write(tmp_path, TINY)


# --- class 1: --set, outside the file's error handling --------------------------------------------------

SETS = [
    ("calendar..horizon=2d", ("--set calendar..horizon=2d", "empty key")),
    ("=3", ("--set", "key path")),
    ("calendar.horizon", ("--set", "key.path=value")),
    ("calendar.horizon.x=2d", ("--set calendar.horizon.x=2d", "`calendar.horizon.x`", "is a value")),
    ("demand.contacts.billing.priority.x=3", ("`demand.contacts.billing.priority.x`", "is a value")),
    ("calendar.horizon={a", ("--set calendar.horizon={a", "`calendar.horizon`", "not valid YAML")),
    ("calendar.horizon=\t2d", ("`calendar.horizon`", "not valid YAML", "'\\t'")),
    ("calendar.horizon={[1, 2]: 3}", ("`calendar.horizon`", "a key must be a name, not a list")),
    ("calendar.horizon={~: 3}", ("`calendar.horizon`", "a key must be a name, not empty")),
    ("calendar.horizon=!!binary aGk=", ("`calendar.horizon`", "tag")),
    ("calendar.horizon=!!python/object:os.system x", ("`calendar.horizon`", "tag")),
    ("calendar.horizon=&a [*a]", ("`calendar.horizon`", "contains itself")),
    ("calendar=3", ("--set calendar=3", "`calendar`", "expected a mapping")),
    ("demand.contacts.billing=3", ("--set demand.contacts.billing=3", "expected a mapping")),
    ("demand.contacts.nobody.priority=3", ("`demand.contacts.nobody`", "no item `nobody`", "billing")),
    ("calendar.start=2024-13-45", ("--set calendar.start=2024-13-45", "`calendar.start`", "2024-13-45")),
    ("demand.contacts.billing.name=~", ("--set demand.contacts.billing.name=~", ".name`", "null")),
    ("demand.contacts.billing.handle_time={dist: gamma, mean: 4min, cv: 1e-200}",
     ("`demand.contacts.billing.handle_time`", "cv")),
]


@pytest.mark.parametrize("assignment, says", SETS, ids=[text for text, _ in SETS])
def test_run_set_is_refused_naming_the_option_and_the_key(tmp_path, finished, scenario, assignment, says):
    refused(tmp_path, finished, "run", scenario, "--set", assignment, says=says)


@pytest.mark.parametrize("command", [
    ("sweep", "--vary", "staffing.groups.l1.shifts.0.agents=2,3", "--set"),
    ("staff", "--target", "service_level=0.8", "--set")], ids=["sweep", "staff"])
@pytest.mark.parametrize("assignment, says", SETS[:4] + SETS[7:9] + SETS[12:13], ids=lambda value: str(value)[:30])
def test_sweep_and_staff_set_is_refused_the_same_way(tmp_path, finished, scenario, command, assignment, says):
    name, *options = command
    refused(tmp_path, finished, name, scenario, *options, assignment, says=says)


@pytest.mark.parametrize("alternative, says", [
    ("x:calendar..horizon=2d", ("--alt 'x' calendar..horizon=2d", "empty key")),
    ("x:calendar.horizon.y=3", ("--alt 'x' calendar.horizon.y=3", "is a value")),
    ("x:calendar.horizon={[1]: 2}", ("--alt 'x'", "`calendar.horizon`", "a key must be a name")),
], ids=["empty-key", "into-a-value", "unhashable-key"])
def test_compare_alt_is_refused_naming_itself(tmp_path, finished, scenario, alternative, says):
    refused(tmp_path, finished, "compare", scenario, "--alt", alternative, says=says)


def test_sweep_vary_is_refused_naming_itself(tmp_path, finished, scenario):
    refused(tmp_path, finished, "sweep", scenario, "--vary", "demand.scale=1,.nan",
            says=("--vary demand.scale=.nan", "`demand.scale`", "nan"))


# --- class 2: numbers checked for finiteness and range (files: test_bad_input.py) -------------------------

HANDLE = "demand.contacts.billing.handle_time"


@pytest.mark.parametrize("assignment, says", [
    (f"{HANDLE}={{dist: lognormal, mu: .nan, sigma: 1}}", ("mu", "finite")),
    (f"{HANDLE}={{dist: lognormal, mu: 1, sigma: 1000}}", ("sigma",)),
    (f"{HANDLE}={{dist: erlang, k: 1" + "0" * 400 + ", mean: 4min}", ("erlang k",)),
    (f"{HANDLE}={{dist: mixture, weights: [.nan, 1], components: [{{dist: constant, value: 1}}, "
     "{dist: constant, value: 2}]}", ("weight", "finite")),
    (f"{HANDLE}={{dist: scaled, factor: 1000, of: {{dist: exponential, mean: 3000d}}}}", ("mean", "3650d")),
    ("staffing.groups.l1.cost_per_hour=.inf", ("inf",)),
    ("demand.scale=1e300", ("1000",)),
], ids=["nan-mu", "huge-sigma", "erlang-k-10e400", "nan-weights", "scaled-mean", "inf-cost", "huge-scale"])
def test_numbers_out_of_range_are_refused_before_anything_is_written(tmp_path, finished, scenario, assignment, says):
    key = assignment.split("=")[0]
    refused(tmp_path, finished, "run", scenario, "--set", assignment, says=(f"--set {key}=", f"`{key}`") + says)


@pytest.mark.parametrize("change, path", [
    (lambda m: dict(demand_scale=math.inf), "demand_scale"),
    (lambda m: dict(contacts=(dataclasses.replace(m.contacts[0], arrivals=Arrivals(rate_per_s=math.nan)),)),
     "contacts.0.arrivals.rate_per_s"),
    (lambda m: dict(groups=(dataclasses.replace(m.groups[0], cost_per_hour=math.nan),)), "groups.0.cost_per_hour"),
    (lambda m: dict(calendar=dataclasses.replace(m.calendar, horizon_s=math.nan)), "calendar.horizon_s"),
    (lambda m: dict(contacts=(dataclasses.replace(m.contacts[0], handle_time=Lognormal(math.nan, 1.0)),)),
     "demand.contacts.billing.handle_time"),
], ids=["inf-scale", "nan-rate", "nan-cost", "nan-horizon", "nan-mu"])
def test_a_model_built_in_python_with_nan_or_infinity_is_refused(tmp_path, scenario, change, path):
    """Models built in notebooks skip the file's parsers: check_model refuses what would run and mislead."""
    from scenarios.format.scenario import load_scenario
    model = load_scenario(scenario).model
    with pytest.raises(ConfigError) as caught:
        dataclasses.replace(model, **change(model))
    assert caught.value.path == path, caught.value


@pytest.mark.parametrize("assignment, line, key, says", [
    (f"{HANDLE}.scale=1e300", 14, HANDLE, "1000"),
    ("staffing.groups.l1.skills.billing=1e9", 19, "staffing.groups.l1.skills", "1,000"),
], ids=["scale-edit", "preference"])
def test_a_set_inside_a_file_value_is_named_with_the_value_it_changed(tmp_path, finished, scenario, assignment,
                                                                     line, key, says):
    refused(tmp_path, finished, "run", scenario, "--set", assignment,
            says=(f"{scenario}:{line}:", f"`{key}`", says, f"(as changed by --set {assignment})"))


# --- class 3: sizes, estimated before any work ---------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (("--set", "calendar.horizon=365000d"), ("`calendar.horizon`", "3650d")),
    (("--set", "calendar.interval=0.001"), ("`calendar.interval`", "86.4 million reporting intervals", "100,000")),
    (("--set", "demand.contacts.billing.arrivals.rate=1000000000000/s"), ("`demand.contacts.billing.arrivals.rate`",)),
    (("--set", "demand.contacts.billing.scale=1000", "--set", "demand.contacts.billing.arrivals.rate=1800/h"),
     ("`demand.contacts.billing`", "43.2 million visits", "as changed by --set")),
    (("--set", "staffing.groups.l1.shifts.0.agents=1000000000"), ("`staffing.groups.l1.shifts.0.agents`", "20,000")),
    (("-r", "1000000000"), ("--replications", "10000")),
    (("--seed", "1" + "0" * 30), ("--seed",)),
    (("-r", "10000", "--set", "calendar.horizon=30d"), ("10000 replications", "21.6 million interval rows")),
    (("-r", "2000", "--set", "calendar.horizon=365d", "--set", "demand.contacts.billing.arrivals.rate=500/h"),
     ("2000 replications", "8.76 billion visits", "1 billion")),
    (("--precision", "service_level=0.001", "--max-replications", "1000000"), ("--max-replications",)),
], ids=["horizon-1000-years", "interval-1ms", "rate-1e12", "scale-and-rate", "agents-1e9", "replications-1e9",
        "seed-1e30", "interval-rows", "visits-in-all", "max-replications"])
def test_run_that_cannot_fit_is_refused_with_the_estimate_and_the_limit(tmp_path, finished, scenario, args, says):
    refused(tmp_path, finished, "run", scenario, *args, says=says)


def test_staff_counts_its_rounds_in_the_estimate(tmp_path, finished, scenario):
    refused(tmp_path, finished, "staff", scenario, "--target", "service_level=0.8", "--round-replications", 10000,
            says=("staffing rounds", "interval rows"))


def test_sweep_counts_every_variant(tmp_path, finished, scenario):
    big = ("--set", "calendar.horizon=365d")
    refused(tmp_path, finished, "sweep", scenario, "--vary", "demand.contacts.billing.arrivals.rate=100/h,400/h",
            *big, "-r", 400, says=("2 scenarios × 400 replications", "visits", "1 billion"))


def test_compare_counts_every_scenario(tmp_path, finished, scenario):
    refused(tmp_path, finished, "compare", scenario, "--alt", "a year:calendar.horizon=365d", "-r", 400,
            says=("2 scenarios × 400 replications", "10.5 million interval rows"))


@pytest.mark.parametrize("alternative, says", [
    ("extends: nothere.yaml\n", ("alternative.yaml:1:", "`extends`", "does not exist")),
    ("extends: scenario.yaml\ncalendar: {horizon: 1e400}\n", ("alternative.yaml:2:", "`calendar.horizon`")),
    ("extends: scenario.yaml\ncalendar: {interval: 0.001}\n", ("alternative.yaml:2:", "reporting intervals")),
], ids=["bad-extends", "infinite-horizon", "too-many-intervals"])
def test_compare_refuses_a_hostile_alternative_file_naming_it(tmp_path, finished, scenario, alternative, says):
    other = write(tmp_path, alternative, "alternative.yaml")
    refused(tmp_path, finished, "compare", scenario, other, says=says)


@pytest.mark.parametrize("text, says", [
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", (":26:", "nested more than 50 levels")),
    ("bomb: [&a0 [x, x, x, x, x, x, x, x, x, x], " + ", ".join(
        f"&a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)) + "]\n", (":26:", "5,000,000 values")),
], ids=["nested-5000-deep", "alias-bomb"])
def test_yaml_that_would_exhaust_the_stack_or_memory_is_refused(tmp_path, finished, text, says):
    path = write(tmp_path, TINY + text)
    refused(tmp_path, finished, "run", path, says=(str(path),) + says)


def test_too_many_contact_types_are_refused_not_wrapped():
    """32 768 types would wrap the 16-bit type index (and took minutes in a quadratic name check)."""
    contacts = tuple(ContactType(f"t{i}", Arrivals(rate_per_s=0.0), Exponential(60.0))
                     for i in range(limits.MAX_CONTACT_TYPES + 1))
    group = AgentGroup("g", {"t0": 1}, (Shift((0,), 0.0, 0.0, 1),))
    started = time.monotonic()
    with pytest.raises(ConfigError, match="32,768 contact types") as caught:
        ModelConfig(contacts, (group,))
    assert caught.value.path == "demand.contacts" and time.monotonic() - started < SECONDS


def test_too_many_contact_types_in_a_file_are_refused_before_each_is_read(tmp_path, finished, monkeypatch):
    monkeypatch.setattr("scenarios.format.contacts.MAX_CONTACT_TYPES", 1)
    text = edit(TINY, "    - name: billing\n", "    - {name: extra, arrivals: {rate: 1/h}, handle_time: "
                                                 "{dist: exponential, mean: 1min}}\n    - name: billing\n")
    path = write(tmp_path, text)
    refused(tmp_path, finished, "run", path, says=(f"{path}:", "`demand.contacts`", "2 contact types; at most 1"))


@pytest.mark.parametrize("template, says", [
    ('{name: d, days: mon-fri, starts: "00:00..23:59 every 1s", length: 8h}', ("shifts.yaml:4:", "starts", "86341")),
    ("{name: d, days: mon-fri, starts: [\"08:00\"], length: 8h, max: 1e400}", ("shifts.yaml:4:", "max", "20,000")),
    ('{name: d, days: mon-fri, starts: ["08:00"], length: 1e400}', ("shifts.yaml:4:", "length", "finite")),
], ids=["a-start-every-second", "infinite-max", "infinite-length"])
def test_schedule_shift_templates_are_sized_before_any_work(tmp_path, finished, scenario, template, says):
    shifts = write(tmp_path, f"groups:\n  - name: l1\n    shifts:\n      - {template}\n", "shifts.yaml")
    refused(tmp_path, finished, "schedule", scenario, "--shifts", shifts, "--target", "service_level=0.8", says=says)


# --- erlang: the options, sized -------------------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["b", "--arrivals", "10/min", "--aht", "1min", "--agents", "1000000000"], ("--agents", "100000")),
    (["b", "--arrivals", "100/s", "--aht", "3650d", "--agents", "10"], ("--arrivals × --aht", "100,000")),
    (["c", "--arrivals", "100/s", "--aht", "3000d", "--solve", "agents", "--target", "0.8/20s"], ("erlangs",)),
    (["a", "--arrivals", "10/min", "--aht", "1min", "--patience", "0.001s", "--solve", "agents",
      "--target", "0.8/20s"], ("--patience", "1/1000")),
    (["c", "--arrivals", "nan/min", "--aht", "1min", "--agents", "20"], ("--arrivals",)),
    (["c", "--arrivals", "10/min", "--aht", "inf", "--agents", "20"], ("--aht", "finite")),
    (["c", "--arrivals", "10/min", "--aht", "1min", "--agents", "20", "--threshold", "1e308"], ("--threshold",)),
    (["c", "--arrivals", "10/min", "--aht", "1min", "--solve", "agents", "--target", "nan/20s"], ("--target",)),
    (["a", "--arrivals", "10/min", "--aht", "1min", "--patience", "1min", "--solve", "agents", "--target",
      "0.8/20s", "--max-abandon", "nan"], ("--max-abandon",)),
], ids=["b-agents-1e9", "b-huge-load", "c-solve-huge-load", "a-tiny-patience", "nan-rate", "inf-aht",
        "huge-threshold", "nan-target", "nan-abandon-cap"])
def test_erlang_refuses_naming_the_option_and_in_seconds(args, says):
    started = time.monotonic()
    result = invoke("erlang", *args)
    assert result.exit_code == 2 and no_traceback(result), result.output
    assert all(fragment in result.stderr for fragment in says), result.stderr
    assert time.monotonic() - started < SECONDS


# --- class 6: the scenario side: extends, encodings ---------------------------------------------------------

@pytest.mark.parametrize("extends, says", [
    ("nothere.yaml", ("child.yaml:1:", "`extends`", "nothere.yaml does not exist")),
    ("[a, b]", ("child.yaml:1:", "`extends`", "path of a scenario file")),
    (".", ("child.yaml:1:", "`extends`", "folder")),
    ("child.yaml", ("child.yaml:1:", "`extends`", "loops back")),
], ids=["missing", "a-list", "a-folder", "itself"])
def test_a_failed_extends_names_the_file_that_refers_to_it(tmp_path, finished, extends, says):
    child = write(tmp_path, f"extends: {extends}\nname: child\n", "child.yaml")
    refused(tmp_path, finished, "run", child, says=says)


def test_an_error_in_an_extended_file_says_which_extends_reached_it(tmp_path, finished):
    write(tmp_path, TINY.replace("  horizon: 1d", "  horizon: -1d"), "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\n", "child.yaml")
    refused(tmp_path, finished, "run", child, says=("base.yaml:5:", "`calendar.horizon`"))
    (tmp_path / "base.yaml").write_bytes(TINY.replace("tiny", "t\xe9st").encode("latin-1"))
    refused(tmp_path, finished, "run", child, says=("base.yaml:1:", "not UTF-8", "reached by `extends` in",
                                                   "child.yaml:1"))


@pytest.mark.parametrize("data, says", [
    (TINY.replace("tiny", "t\xe9st").encode("latin-1"), (":1:", "not UTF-8", "0xe9")),
    (TINY.replace("billing", "bil\x00ling", 1).encode(), (":10:", "not valid YAML", "#x0000")),
], ids=["latin-1", "nul"])
def test_bytes_that_are_not_text_name_the_file_and_line(tmp_path, finished, data, says):
    path = tmp_path / "scenario.yaml"
    path.write_bytes(data)
    refused(tmp_path, finished, "run", path, says=(str(path),) + says)


# --- class 7: silent limits, now said ---------------------------------------------------------------------------

def test_workers_are_capped_at_the_replications_and_it_is_said(tmp_path, scenario):
    result = invoke("run", scenario, "-r", 2, "--workers", 64, "--out", tmp_path / "out")
    assert result.exit_code == 0 and no_traceback(result), result.output
    assert "note: --workers 64 capped at" in result.stderr


def test_a_run_with_nothing_answered_still_runs(tmp_path, scenario):
    """No arrivals, or nobody on shift: the group-interval load was a numpy casting traceback."""
    for assignment in ("demand.contacts.billing.arrivals.rate=0/h", "staffing.groups.l1.shifts.0.days=sat"):
        result = invoke("run", scenario, "-r", 1, "--set", assignment, "--out", tmp_path / "out")
        assert result.exit_code == 0 and no_traceback(result), result.output
