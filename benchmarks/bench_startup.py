"""Wall-clock time of the smallest useful command: one replication of the bundled baseline scenario.

Runs `helpdesk-sim run scenarios/library/baseline.yaml -r 1` as a planner would (a fresh process:
interpreter start, imports, loading the scenario, one simulated replication, results written), best
of a few repeats, and prints it beside the target (issue 11: under 0.6 s on the 2-core development
machine). Most of that time is start-up, so it moves when a module-level import of a heavy library
creeps onto the `run` path. Run with `.venv/bin/python benchmarks/bench_startup.py`.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios/library/baseline.yaml"
TARGET_S = 0.6


def best_wall(arguments: list[str], repeats: int) -> list[float]:
    """Wall seconds of `helpdesk-sim ARGUMENTS --out <a new folder>` in a new process, each of `repeats`."""
    command = Path(sys.executable).with_name("helpdesk-sim")
    out = Path(tempfile.mkdtemp())
    times = []
    try:
        for attempt in range(repeats):
            started = time.perf_counter()
            subprocess.run([str(command), *arguments, "--out", str(out / f"run{attempt}")],
                           check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return times


def measure(repeats: int = 5) -> dict:
    """Best and every wall time in seconds of `helpdesk-sim run baseline.yaml -r 1` in a new process."""
    times = best_wall(["run", str(SCENARIO), "-r", "1"], repeats)
    return {"best_s": min(times), "times_s": times, "repeats": repeats, "target_s": TARGET_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    result = measure(parser.parse_args().repeats)
    print("one replication of the baseline scenario (helpdesk-sim run baseline.yaml -r 1, a new process):")
    print(f"  wall clock, best of {result['repeats']}:                    {result['best_s']:12.2f} s   "
          f"(target < {TARGET_S} s)")


if __name__ == "__main__":
    main()
