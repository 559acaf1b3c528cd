"""`make bench`: every speed and memory target of the project beside its measured figure.

Runs each benchmark (engine against idiomatic SimPy, the planner week, start-up, workers, staffing),
prints its own section, then one table: target, measured, met. Figures vary with the machine's load
(about ±10 % on the 2-core development machine); ratios measured in the same run are what the
engine benchmark is for. The README keeps the last table.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_engine  # noqa: E402  (the benchmarks are scripts beside this one)
import bench_planner  # noqa: E402
import bench_staffing  # noqa: E402
import bench_startup  # noqa: E402
import bench_workers  # noqa: E402


def targets(engine: dict, planner: dict, year: dict, startup: dict, workers: dict, staffing: dict) -> list:
    """(target, measured, met) rows."""
    growth = max(planner["resident_mib"][1:]) - planner["resident_mib"][1]
    return [
        ("planner week: visits per CPU second, config → event log → KPIs", "≥ 300,000",
         f"{planner['visits_per_cpu_s']:,.0f}", planner["visits_per_cpu_s"] >= 300_000),
        ("planner week: 30 replications on 2 workers, wall (whole command)", "< 15 s",
         f"{workers['workers_2']:.1f} s", workers["workers_2"] < 15),
        ("planner week: 2 workers against 1", "≥ 1.7×", f"{workers['speedup']:.2f}×", workers["speedup"] >= 1.7),
        ("planner week: Dask on 2 workers, parallel efficiency", "≥ 0.8", f"{workers['dask_efficiency']:.2f}",
         workers["dask_efficiency"] >= 0.8),
        ("reference model M/M/50+M against idiomatic SimPy, per visit", "≥ 7×",
         f"{engine['reference']['ratio']:.2f}×", engine["reference"]["ratio"] >= 7),
        ("`helpdesk-sim run baseline.yaml -r 1`, wall (a new process)", "< 0.6 s", f"{startup['best_s']:.2f} s",
         startup["best_s"] < 0.6),
        ("memory across serial replications (growth after the second)", "flat", f"{growth:+.0f} MiB",
         growth < 5),
        ("365-day planner week, peak resident set", "< 1024 MiB", f"{year['peak_mib']:,.0f} MiB",
         year["peak_mib"] < 1024),
        ("event log", "< 80 bytes/visit", f"{planner['log_bytes_per_visit']:.0f} bytes/visit",
         planner["log_bytes_per_visit"] < 80),
        ("staffing the bank scenario by simulation, --workers 2, wall", "< 60 s", f"{staffing['best_s']:.1f} s",
         staffing["best_s"] < 60),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and no 365-day run (a smoke test)")
    quick = parser.parse_args().quick
    repeats = 1 if quick else 3
    engine = bench_engine.measure(2.0 if quick else 14.0, repeats)
    bench_engine.report(engine, 2.0 if quick else 14.0, repeats)
    planner = bench_planner.speed(2 if quick else 5)
    bench_planner.report_speed(planner)
    year = bench_planner.year_peak(14 if quick else 365)
    bench_planner.report_year(year)
    startup = bench_startup.measure(2 if quick else 5)
    print(f"one replication of the baseline scenario, a new process: best {startup['best_s']:.2f} s")
    workers = bench_workers.measure(4 if quick else 30, 1 if quick else 2)
    bench_workers.report(workers, 1 if quick else 2)
    staffing = bench_staffing.measure(1 if quick else 2)
    print(f"staffing the bank scenario by simulation, --workers 2: best {staffing['best_s']:.1f} s")
    print()
    print("| target | goal | measured | met |")
    print("|---|---|---|---|")
    for name, goal, measured, met in targets(engine, planner, year, startup, workers, staffing):
        print(f"| {name} | {goal} | {measured} | {'yes' if met else '**no**'} |")


if __name__ == "__main__":
    main()
