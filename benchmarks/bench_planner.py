"""The planner week (benchmarks/planner-week.yaml): speed per core and memory at planner scale.

Three contact types, three groups with preferences, 200 agents in shifts with breaks, retrials,
escalation to L2 and callback on, about 25 000 contact attempts a day. Measured:

- visits per second of CPU through the whole path (scenario file → fates → engine → event log →
  every KPI table), best of a few replications in one process (a visit is one contact attempt at one
  queue: first contacts, retrials, repeats and escalated tickets);
- memory across serial replications (resident set after each; it must not grow);
- the peak resident set of one 365-day replication, in a fresh process, and the event log's bytes
  per visit.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "planner-week.yaml"
SEED = 11


def _model(days: int | None = None):
    from scenarios.format.scenario import load_scenario
    return load_scenario(SCENARIO, (f"calendar.horizon={days}d",) if days else ()).model


def _resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2 ** 20


def speed(repeats: int = 5) -> dict:
    """Best visits per CPU second of one replication, and the resident set after each replication
    (nothing else held between them: the visit counts are taken beforehand)."""
    from scenarios.experiment.runner import run_replication
    from simulator.engine import simulate
    model = _model()
    logs = [simulate(model, SEED, replication) for replication in range(repeats)]
    visits, log_bytes = [len(log) for log in logs], logs[0].nbytes / len(logs[0])
    del logs
    best, resident = 0.0, []
    for replication in range(repeats):
        started = time.process_time()
        run_replication(model, SEED, replication)
        best = max(best, visits[replication] / (time.process_time() - started))
        resident.append(_resident_mib())
    return {"visits_per_cpu_s": best, "visits": visits[-1], "resident_mib": resident,
            "log_bytes_per_visit": log_bytes}


def year_peak(days: int = 365) -> dict:
    """Peak resident set (MiB) of one replication over `days` (config → KPIs), in a fresh process so
    nothing else counts."""
    code = ("import resource, sys; sys.path.insert(0, %r); from benchmarks.bench_planner import _model; "
            "from scenarios.experiment.runner import run_replication; "
            "overall = run_replication(_model(%d), %d, 0)[0]; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, overall['offered'][-1])"
            ) % (str(ROOT), days, SEED)
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    peak, offered = output.stdout.split()
    return {"days": days, "peak_mib": float(peak), "offered": int(float(offered)),
            "wall_s": time.perf_counter() - started}


def report_speed(figures: dict) -> None:
    print(f"planner week ({SCENARIO.name}): {figures['visits']} visits per replication")
    print(f"  visits per CPU second, best of {len(figures['resident_mib'])}:         "
          f"{figures['visits_per_cpu_s']:12,.0f}   (target ≥ 300,000)")
    print("  resident set after each replication (MiB):", " ".join(f"{r:.0f}" for r in figures["resident_mib"]))
    print(f"  event log:                                {figures['log_bytes_per_visit']:12.1f} bytes/visit "
          f"(target < 80)")


def report_year(year: dict) -> None:
    print(f"  {year['days']} days ({year['offered']:,} offered): peak RSS {year['peak_mib']:,.0f} MiB "
          f"(target < 1024 for 365 days)")


def main() -> None:
    report_speed(speed())
    report_year(year_peak())


if __name__ == "__main__":
    main()
