"""Lists under `extends` (issue 12): shifts and breaks merge by name like contacts and groups, an
inherited item without a name is named by its position, `{append: [...]}` adds and `{replace: [...]}`
replaces on purpose; a child list that can be merged by none of these replaces the inherited one
whole, and says so on stderr."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from scenarios.format.scenario import load_scenario
from scenarios.format.yamlfile import ScenarioWarning

from .helpers import SMALL, assert_points_at, load_error, marked_line, write

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
LATE = '{name: late, days: mon-fri, start: "14:00", end: "22:00", agents: 2}'


def l1_shifts(scenario):
    return next(group for group in scenario.model.groups if group.name == "l1").shifts


def child_of_small(tmp_path, l1_lines: str, name: str = "child.yaml") -> Path:
    """SMALL as base.yaml (l1 has two shifts without names, the first with a break) and a child
    file whose l1 entry is `l1_lines`."""
    write(tmp_path, SMALL, "base.yaml")
    return write(tmp_path, "extends: base.yaml\nstaffing:\n  groups:\n    - name: l1\n" + l1_lines, name)


def quietly(path: Path, overrides: tuple = ()):
    """Load, failing the test on any scenario warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        return load_scenario(path, overrides)


def test_a_named_shift_in_a_child_is_added_to_the_inherited_ones(tmp_path):
    """The issue: one late shift in a child file replaced both of the parent's shifts, silently."""
    parent = l1_shifts(load_scenario(write(tmp_path, SMALL, "base.yaml")))
    shifts = l1_shifts(quietly(child_of_small(tmp_path, f"      shifts:\n        - {LATE}\n")))
    assert shifts[:2] == parent  # the inherited shifts, breaks and all, in their places
    assert [(s.name, s.start_s, s.agents) for s in shifts[2:]] == [("late", 14 * 3600, 2)]


def test_an_inherited_shift_is_changed_by_its_name_or_its_position(tmp_path):
    baseline = LIBRARY / "baseline.yaml"
    write(tmp_path, f"extends: {baseline}\n", "parent.yaml")
    child = write(tmp_path, "extends: parent.yaml\nstaffing:\n  groups:\n    - name: l1\n      shifts:\n"
                            "        - {name: late, agents: 9}\n", "child.yaml")
    before, after = l1_shifts(load_scenario(baseline)), l1_shifts(quietly(child))
    assert [s.name for s in after] == ["early", "late", "saturday"]
    assert after[1].agents == 9 and after[1].breaks == before[1].breaks and after[1].start_s == before[1].start_s
    assert (after[0], after[2]) == (before[0], before[2])

    unnamed = l1_shifts(quietly(child_of_small(tmp_path, "      shifts:\n        - {name: 1, agents: 7}\n")))
    plain = l1_shifts(load_scenario(tmp_path / "base.yaml"))
    assert [s.agents for s in unnamed] == [4, 7] and unnamed[0] == plain[0]
    assert unnamed[1].name == "1"  # its absences stay keyed as before: by position 1


def test_a_child_list_without_names_replaces_the_inherited_one_with_a_warning(tmp_path):
    text = ("extends: base.yaml\nstaffing:\n  groups:\n    - name: l1\n      shifts:\n"
            '        - {days: mon-fri, start: "14:00", end: "22:00", agents: 2}  # <-\n')
    write(tmp_path, SMALL, "base.yaml")
    child = write(tmp_path, text, "child.yaml")
    with pytest.warns(ScenarioWarning) as caught:
        shifts = l1_shifts(load_scenario(child))
    assert len(shifts) == 1 and shifts[0].start_s == 14 * 3600
    warning = caught[0].message
    assert (Path(warning.file), warning.line, warning.path) == (child.resolve(), marked_line(text),
                                                               "staffing.groups.l1.shifts")
    assert "replaces the inherited shifts (#0, #1) whole" in str(warning)
    assert "{append: [...]}" in str(warning) and "{replace: [...]}" in str(warning)


def test_the_warning_is_said_on_stderr_by_the_command(tmp_path):
    child = child_of_small(tmp_path, f'      shifts:\n        - {{days: mon-fri, start: "08:00", end: "20:00", agents: 5}}\n')
    done = subprocess.run([sys.executable, "-c", "from scenarios.cli import main; main()", "run", str(child),
                           "-r", "1", "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("warning:"))
    assert line.startswith(f"warning: {child.resolve()}:6: `staffing.groups.l1.shifts`: replaces the inherited shifts")
    assert "Traceback" not in done.stderr and "warnings.warn" not in done.stderr


def test_an_empty_list_removes_the_inherited_items_and_says_so(tmp_path):
    """`breaks: []` used to keep the inherited breaks (an empty list "merged by name"); it removes them."""
    text = "      shifts:\n        - {name: 0, breaks: []}\n"
    with pytest.warns(ScenarioWarning, match=r"replaces the inherited breaks \(#0\)"):
        shifts = l1_shifts(load_scenario(child_of_small(tmp_path, text)))
    assert shifts[0].breaks == () and shifts[0].agents == 4


def test_append_adds_after_the_inherited_items_in_a_file_and_with_set(tmp_path):
    parent = l1_shifts(load_scenario(write(tmp_path, SMALL, "base.yaml")))
    child = child_of_small(tmp_path, "      shifts:\n        append:\n"
                                     '          - {days: sat, start: "09:00", end: "13:00", agents: 1}\n')
    shifts = l1_shifts(quietly(child))
    assert shifts[:2] == parent and (shifts[2].days, shifts[2].agents) == ((5,), 1)

    night = '{name: night, days: mon-fri, start: "22:00", end: "06:00", agents: 1}'
    shifts = l1_shifts(quietly(tmp_path / "base.yaml", (f"staffing.groups.l1.shifts={{append: {night}}}",
                                                         f"staffing.groups.l1.shifts.0.breaks={{append: [{{after: 5h, length: 10min}}]}}")))
    assert [s.name for s in shifts] == ["", "", "night"] and shifts[2].end_s == 6 * 3600
    assert [(b.after_s, b.length_s) for b in shifts[0].breaks] == [(7200, 900), (18000, 600)]


def test_append_refuses_a_name_that_is_already_there(tmp_path):
    baseline = LIBRARY / "baseline.yaml"
    text = (f"extends: {baseline}\nstaffing:\n  groups:\n    - name: l1\n      shifts:\n        append:  # <-\n"
            f"          - {LATE}\n")
    child = write(tmp_path, text, "child.yaml")
    error = load_error(child)
    assert_points_at(error, child, marked_line(text), "staffing.groups.l1.shifts")
    assert "`late` is already one" in str(error)


def test_replace_replaces_on_purpose_without_a_warning(tmp_path):
    child = child_of_small(tmp_path, "      shifts:\n        replace:\n"
                                     '          - {days: all, start: "00:00", end: "24:00", agents: 6}\n')
    assert [(s.start_s, s.agents) for s in l1_shifts(quietly(child))] == [(0, 6)]


def test_breaks_merge_by_name_and_a_window_replaces_the_inherited_after(tmp_path):
    base = SMALL.replace("breaks: [{after: 2h, length: 15min}]",
                         "breaks: [{name: coffee, after: 2h, length: 15min}, {name: lunch, after: 4h, length: 30min}]")
    write(tmp_path, base, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nstaffing:\n  groups:\n    - name: l1\n      shifts:\n"
                            '        - {name: 0, breaks: [{name: lunch, window: "11:00-13:00"}]}\n', "child.yaml")
    coffee, lunch = l1_shifts(quietly(child))[0].breaks
    assert (coffee.after_s, coffee.length_s, coffee.window_s) == (7200, 900, None)
    assert (lunch.length_s, lunch.window_s) == (1800, (3 * 3600, 5 * 3600))  # the shift starts at 08:00


def test_library_staggered_breaks_change_the_baseline_breaks_by_name():
    base = {g.name: g for g in load_scenario(LIBRARY / "baseline.yaml").model.groups}
    staggered = {g.name: g for g in quietly(LIBRARY / "baseline-staggered-breaks.yaml").model.groups}
    for group, shift in (("l1", 0), ("l1", 1), ("l2", 0)):
        before, after = base[group].shifts[shift].breaks, staggered[group].shifts[shift].breaks
        assert [b.length_s for b in after] == [b.length_s for b in before]
        assert all(b.window_s is None for b in before) and all(b.window_s is not None for b in after)


def test_a_name_written_twice_is_refused(tmp_path):
    text = SMALL.replace("breaks: [{after: 2h, length: 15min}]",
                         "breaks: [{name: lunch, after: 2h, length: 15min}, {name: lunch, after: 4h, length: 30min}]")
    assert "break names must be unique within a shift: lunch" in str(load_error(write(tmp_path, text, "base.yaml")))

    parent = SMALL.replace('        - {days: mon-fri, start: "10:00"', '        - {name: early, days: mon-fri, start: "10:00"')
    parent = parent.replace('        - {days: mon-fri, start: "08:00"', '        - {name: early, days: mon-fri, start: "08:00"')
    write(tmp_path, parent, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nstaffing:\n  groups:\n    - name: l1\n      shifts:\n"
                            "        - {name: early, agents: 1}\n", "child.yaml")
    error = load_error(child)
    assert "two items are named `early`" in str(error) and error.path == "staffing.groups.l1.shifts"
