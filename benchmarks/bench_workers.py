"""Wall time of replications of the planner week on 1 worker, 2 worker processes and Dask with 2
workers (issue 11), beside the targets.

Each is the whole command a planner types, run as a subprocess and timed from start to exit:

    helpdesk-sim run benchmarks/planner-week.yaml -r 30 --workers 1
    helpdesk-sim run benchmarks/planner-week.yaml -r 30 --workers 2
    helpdesk-sim run benchmarks/planner-week.yaml -r 30 --workers 2 --executor dask

so the figures include what a user waits for besides the replications: imports, starting the
workers (or the Dask cluster), summarising and writing the results directory, shutting down. The
three are interleaved on every repeat, so a machine that gets busier slows all of them alike; best
and spread are reported, and the three results directories must be byte-identical.

On a shared machine other programs' CPU makes parallel runs look worse than they are (two workers
cannot be faster than one when a third program holds a core), so each run also reports how many
cores other programs used meanwhile (with psutil, which Dask installs), and `--wait-idle` waits for
an idle machine before each run.

Targets: 30 replications on 2 workers in under 15 s, a speed-up of at least 1.7 (1 worker's time over
2 workers'), and a Dask parallel efficiency of at least 0.8 (1 worker's time over twice Dask's).
Run from the project root: `.venv/bin/python benchmarks/bench_workers.py`.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PLANNER_WEEK = Path(__file__).resolve().parent / "planner-week.yaml"
RUNS = {"workers_1": ["--workers", "1"], "workers_2": ["--workers", "2"],
        "dask_2": ["--workers", "2", "--executor", "dask"]}
LABELS = {"workers_1": "1 worker", "workers_2": "2 worker processes", "dask_2": "Dask, 2 workers"}
TARGETS = {"workers_2_s": 15.0, "speedup": 1.7, "dask_efficiency": 0.8}
TABLES = ("summary.csv", "replications.csv", "intervals.csv", "groups.csv", "group_intervals.csv")


def command() -> list[str]:
    """helpdesk-sim of this interpreter's environment (the console script a user runs)."""
    script = Path(sys.executable).parent / "helpdesk-sim"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from scenarios.cli import main; sys.argv[0] = 'helpdesk-sim'; main()"]


def timed_run(arguments: list[str], scenario: Path, replications: int, out: Path) -> tuple[float, float | None]:
    """Wall seconds of one command, and the cores other programs used meanwhile (None without psutil)."""
    watch = _OthersCpu()
    started = time.perf_counter()
    process = watch.start([*command(), "run", str(scenario), "-r", str(replications), *arguments, "--out", str(out)])
    _, errors = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"helpdesk-sim run {' '.join(arguments)} failed:\n{errors}")
    return elapsed, watch.stop(elapsed)


class _OthersCpu:
    """The machine's CPU time during a run less the run's own (its process tree, sampled every 0.1 s)."""

    def __init__(self):
        try:
            import psutil
        except ImportError:
            psutil = None
        self.psutil, self.ours, self.done = psutil, {}, threading.Event()

    def start(self, arguments: list[str]):
        popen = self.psutil.Popen if self.psutil else subprocess.Popen
        process = popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if self.psutil:
            self.busy_before = self._busy()
            self.sampler = threading.Thread(target=self._sample, args=(process,), daemon=True)
            self.sampler.start()
        return process

    def stop(self, elapsed: float) -> float | None:
        if not self.psutil:
            return None
        busy = self._busy() - self.busy_before
        self.done.set()
        self.sampler.join()
        return max(busy - sum(self.ours.values()), 0.0) / elapsed

    def _busy(self) -> float:
        times = self.psutil.cpu_times()
        return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))

    def _sample(self, process) -> None:
        while not self.done.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
            except self.psutil.Error:
                tree = []
            for member in tree:
                try:
                    times = member.cpu_times()
                    self.ours[member.pid] = times.user + times.system
                except self.psutil.Error:
                    pass
            self.done.wait(0.1)


def wait_until_idle(threshold: float = 0.9, limit_s: float = 600.0) -> None:
    """Until at least `threshold` of the CPUs stayed idle for 3 s (or `limit_s` passed)."""
    try:
        import psutil
    except ImportError:
        return
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and psutil.cpu_percent(interval=3.0) > 100 * (1 - threshold):
        pass


def identical(first: Path, other: Path) -> bool:
    return all(filecmp.cmp(first / table, other / table, shallow=False) for table in TABLES)


def measure(replications: int = 30, repeats: int = 1, scenario: Path = PLANNER_WEEK, wait_idle: bool = False) -> dict:
    """Wall seconds of `replications` of the scenario on 1 worker, 2 worker processes and Dask with 2
    workers: best of `repeats` under `workers_1`, `workers_2`, `dask_2`, every time in `times` and the
    cores other programs used during each in `others`; the speed-up and Dask's efficiency from the best
    times; whether the three results directories are byte-identical."""
    times: dict[str, list[float]] = {name: [] for name in RUNS}
    others: dict[str, list[float | None]] = {name: [] for name in RUNS}
    scratch = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        same = True
        for attempt in range(repeats):
            for name, arguments in RUNS.items():
                if wait_idle:
                    wait_until_idle()
                elapsed, busy = timed_run(arguments, scenario, replications, scratch / f"{name}-{attempt}")
                times[name].append(elapsed)
                others[name].append(busy)
            same &= all(identical(scratch / f"workers_1-{attempt}", scratch / f"{name}-{attempt}") for name in RUNS)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    best = {name: min(values) for name, values in times.items()}
    return {**best, "speedup": best["workers_1"] / best["workers_2"],
            "dask_efficiency": best["workers_1"] / (2 * best["dask_2"]),
            "identical": same, "times": times, "others": others, "replications": replications,
            "cpus": os.cpu_count()}


def report(result: dict, repeats: int, scenario: Path = PLANNER_WEEK) -> None:
    replications = result["replications"]
    print(f"{scenario.name}: {replications} replications, whole `helpdesk-sim run` commands, "
          f"{result['cpus']} CPUs; best of {repeats} [every run: seconds (cores other programs used)]")
    for name, label in LABELS.items():
        runs = ", ".join(f"{value:.1f}" + (f" ({busy:.1f})" if busy is not None else "")
                         for value, busy in zip(result["times"][name], result["others"][name]))
        print(f"  {label:20s} {result[name]:7.1f} s   [{runs}]")
    checks = [("2 workers", f"{result['workers_2']:.1f} s", f"< {TARGETS['workers_2_s']:.0f} s",
               result["workers_2"] < TARGETS["workers_2_s"] if replications == 30 else None),
              ("speed-up, 2 workers", f"{result['speedup']:.2f} x", f">= {TARGETS['speedup']}",
               result["speedup"] >= TARGETS["speedup"]),
              ("Dask efficiency, 2 workers", f"{result['dask_efficiency']:.2f}", f">= {TARGETS['dask_efficiency']}",
               result["dask_efficiency"] >= TARGETS["dask_efficiency"])]
    for label, value, target, met in checks:
        verdict = "(for 30 replications)" if met is None else "met" if met else "NOT met"
        print(f"  {label:27s} {value:>9s}   target {target:8s} {verdict}")
    print(f"  results byte-identical on all three: {'yes' if result['identical'] else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", "-r", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the best counts")
    parser.add_argument("--scenario", type=Path, default=PLANNER_WEEK)
    parser.add_argument("--wait-idle", action="store_true", help="wait for an idle machine before each run")
    args = parser.parse_args()
    report(measure(args.replications, args.repeats, args.scenario, args.wait_idle), args.repeats, args.scenario)


if __name__ == "__main__":
    main()
