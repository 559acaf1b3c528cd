"""Shared helpers for the scenario-file tests: a tiny valid scenario and ways to break it.

Tests mark the line an error must point at with a trailing `# <-` comment, so expected line numbers
follow the YAML text instead of being counted by hand.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from scenarios.cli import main
from scenarios.format.scenario import load_scenario
from scenarios.format.yamlfile import ScenarioError

MARK = "# <-"

# One contact type, one 24x7 group, one day measured: loads in milliseconds, runs in well under a second.
TINY = """\
name: tiny
description: one contact type, one round-the-clock group
calendar:
  start: 2024-01-01 00:00
  horizon: 1d
  warmup: 0s
  interval: 1h
demand:
  contacts:
    - name: billing
      priority: 2
      arrivals:
        rate: 30/h
      handle_time: {dist: exponential, mean: 4min}
      patience: {dist: exponential, mean: 6min}
staffing:
  groups:
    - name: l1
      skills: {billing: 1}
      shrinkage: 0.0
      shifts:
        - {days: all, start: "00:00", end: "24:00", agents: 3}
experiment:
  replications: 2
  seed: 7
"""

# Two contact types and two groups with day shifts and a break: the shape of the library baseline, tiny.
SMALL = """\
name: small
calendar:
  start: 2024-01-01 00:00
  horizon: 1d
  warmup: 1h
  interval: 1h
demand:
  contacts:
    - name: billing
      priority: 2
      arrivals:
        weekly:
          mon-fri: {"08:00-12:00": 40/h, "12:00-18:00": 30/h}
      handle_time: {dist: lognormal, mean: 4min, cv: 1.1}
      patience: {dist: exponential, mean: 6min}
      retrial: {probability: 0.3, delay: {dist: exponential, mean: 10min}}
      sla: {answer_within: 60s}
    - name: tech
      priority: 1
      arrivals: {rate: 8/h}
      handle_time: {dist: gamma, mean: 9min, cv: 0.8}
      patience: {dist: exponential, mean: 10min}
staffing:
  groups:
    - name: l1
      skills: {billing: 1, tech: 2}
      cost_per_hour: 28
      shrinkage: 0.1
      shifts:
        - {days: mon-fri, start: "08:00", end: "16:30", agents: 4,
           breaks: [{after: 2h, length: 15min}]}
        - {days: mon-fri, start: "10:00", end: "18:30", agents: 3}
    - name: l2
      skills: {tech: 1, billing: 2}
      cost_per_hour: 36
      shifts:
        - {days: all, start: "00:00", end: "24:00", agents: 1}
kpis:
  service_level: {threshold: 20s, abandoned: count_as_missed}
  short_abandon: 5s
experiment:
  replications: 3
  seed: 5
"""


def edit(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced once; fails loudly if the base scenario no longer contains `old`."""
    assert text.count(old) == 1, f"fixture text {old!r} found {text.count(old)} times"
    return text.replace(old, new)


def marked_line(text: str) -> int:
    """1-based number of the line carrying the `# <-` marker."""
    lines = [number for number, line in enumerate(text.splitlines(), 1) if MARK in line]
    assert len(lines) == 1, f"expected exactly one {MARK} marker, found lines {lines}"
    return lines[0]


def write(directory: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, overrides: tuple = ()) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return caught.value


def same_file(reported, expected: Path) -> bool:
    return reported is not None and Path(reported).resolve() == Path(expected).resolve()


def assert_points_at(error: ScenarioError, path: Path, line: int, key_path: str | None = None) -> None:
    """The error names the file and line (as attributes and in its text) and, if given, the key path."""
    text = str(error)
    assert same_file(error.file, path), f"error names file {error.file!r}, expected {path}: {text}"
    assert error.line == line, f"error names line {error.line}, expected {line}: {text}"
    assert f"{error.file}:{line}" in text, text
    if key_path is not None:
        assert error.path == key_path, f"error names key path {error.path!r}, expected {key_path!r}: {text}"
        assert f"`{key_path}`" in text, text


def invoke(*args):
    """Run `helpdesk-sim ARGS` in-process; the result keeps stdout and stderr apart."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=True)


def no_traceback(result) -> bool:
    """No Python traceback printed and no exception other than the intended exit escaped."""
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    return not escaped and "Traceback" not in result.output and "Traceback" not in (result.stderr or "")


def console_script() -> list[str]:
    """The installed `helpdesk-sim` command, for tests that need a process of its own (skipped without it)."""
    script = Path(sys.executable).with_name("helpdesk-sim")
    if not script.exists():
        pytest.skip("console script helpdesk-sim not installed next to this interpreter")
    return [str(script)]


def wait_for(found, seconds: float = 60.0):
    """Poll until `found()` gives something (a generous limit: the machine may be busy)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.05)
    pytest.fail(f"nothing after {seconds:.0f} s")


def hidden(folder: Path) -> list[str]:
    """The hidden entries of `folder`: where staging folders and temporaries would be left."""
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def reaped_pid() -> int:
    """The id of a process that has ended (and been reaped: a zombie still answers os.kill)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def snapshot(folder: Path) -> dict:
    """Every entry below `folder` (hidden ones too) with its bytes: equal snapshots mean nothing was
    written, changed or left behind."""
    return {path.relative_to(folder): path.read_bytes() if path.is_file() else None
            for path in sorted(Path(folder).rglob("*"))}

# The ticket lifecycle: L1 → named escalation queue (L2) → L3's own queue, repeats, VIP tier, an email
# type, SLAs on business hours with a holiday, and a cool-down that follows the last day's tickets.
TICKETS = """\
name: tickets
calendar:
  start: 2024-01-01 00:00
  horizon: 2d
  warmup: 0s
  interval: 1h
  cooldown: 1d
  business_hours: {mon-fri: "08:00-18:00", holidays: [2024-01-02]}
demand:
  contacts:
    - name: incident
      priority: 1
      arrivals: {rate: 20/h}
      handle_time: {dist: exponential, mean: 6min}
      patience: {dist: exponential, mean: 5min}
      retrial: {probability: 0.5, delay: {dist: exponential, mean: 10min}}
      priority_mix: {vip: {share: 0.1, priority: 3}}
      resolution: {first_contact: 0.75, escalate_to: escalation,
                   escalated_handle_time: {dist: gamma, mean: 30min, cv: 0.8}}
      repeat: {probability: 0.1, delay: {dist: exponential, mean: 1d}}
      sla: {vip: {resolve_within: 4h}, default: {resolve_within: 8h}, clock: business}
    - name: request
      channel: email
      arrivals: {rate: 5/h}
      handle_time: {dist: exponential, mean: 10min}
      sla: {answer_within: 4h, clock: business}
staffing:
  queues:
    - {name: escalation, channel: email}
  groups:
    - name: l1
      skills: {incident: 1, request: 2}
      cost_per_hour: 30
      shifts:
        - {days: all, start: "00:00", end: "24:00", agents: 4}
    - name: l2
      skills: {escalation: 1}
      resolution:
        first_contact: 0.9
        escalate_to: l3
        escalated_handle_time: {dist: exponential, mean: 2h}
      cost_per_hour: 45
      shifts:
        - {days: mon-fri, start: "09:00", end: "17:00", agents: 3}
    - name: l3
      skills: {incident: 3}
      cost_per_hour: 60
      shifts:
        - {days: mon-fri, start: "09:00", end: "17:00", agents: 1}
experiment:
  replications: 2
  seed: 3
"""
