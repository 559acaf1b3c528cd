"""Speed and memory of the engine on the reference model M/M/50+M, against idiomatic SimPy.

Reference: 9.6 contacts/min, handle time exponential mean 5 min, patience exponential mean 10 min,
50 agents always on shift. Measures the project's whole path (config → demand → engine → event log →
KPIs) and the idiomatic SimPy model of the same queue in the same run, best of a few repeats.
Run with `make bench`; figures go into the README.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

from simulator.config import AgentGroup, Arrivals, Calendar, ContactType, ModelConfig, Shift
from simulator.distributions import Exponential
from simulator.engine import simulate
from simulator.interval_kpis import interval_kpis
from simulator.kpis import replication_kpis
from simulator.outcomes import visit_outcomes

try:
    from idiomatic_simpy import simulate as simulate_idiomatic
except ImportError:  # run as a module from the project root
    from benchmarks.idiomatic_simpy import simulate as simulate_idiomatic

RATE_PER_S, HANDLE_S, PATIENCE_S, AGENTS = 9.6 / 60, 300.0, 600.0, 50


def reference_model(days: float) -> ModelConfig:
    calls = ContactType("calls", Arrivals(rate_per_s=RATE_PER_S), Exponential(HANDLE_S), patience=Exponential(PATIENCE_S))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(tuple(range(7)), 0.0, 0.0, AGENTS),))
    return ModelConfig((calls,), (desk,), Calendar(horizon_s=days * 86400.0, warmup_s=0.0))


def project_run(model: ModelConfig, seed: int) -> int:
    log = simulate(model, seed, 0)
    result = visit_outcomes(log)
    replication_kpis(log, model, result)
    interval_kpis(log, model, result)
    return len(log)


def best_rate(run, repeats: int) -> tuple[float, int]:
    best = 0.0
    for attempt in range(repeats):
        started = time.perf_counter()
        contacts = run(attempt)
        best = max(best, contacts / (time.perf_counter() - started))
    return best, contacts


def memory_per_contact(model: ModelConfig) -> tuple[float, float]:
    """Event-log bytes per contact, and peak traced Python memory of the whole run per contact."""
    tracemalloc.start()
    log = simulate(model, 1, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return log.nbytes / len(log), peak / len(log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=14.0, help="simulated days (14 ≈ 194 000 contacts)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model = reference_model(args.days)
    ours, contacts = best_rate(lambda attempt: project_run(model, attempt + 1), args.repeats)
    horizon = args.days * 86400.0
    theirs, _ = best_rate(lambda attempt: simulate_idiomatic(RATE_PER_S, HANDLE_S, PATIENCE_S, AGENTS, horizon,
                                                             attempt + 1)["contacts"], args.repeats)
    log_bytes, peak_bytes = memory_per_contact(model)
    print(f"reference model M/M/{AGENTS}+M, {args.days:g} days, {contacts} contacts per run, best of {args.repeats}")
    print(f"helpdesk-sim (config → event log → KPIs): {ours:12,.0f} contacts/s")
    print(f"idiomatic SimPy (process per caller):     {theirs:12,.0f} contacts/s")
    print(f"speed-up:                                 {ours / theirs:12.2f} x")
    print(f"event log:                                {log_bytes:12.1f} bytes/contact")
    print(f"peak traced memory of a run:              {peak_bytes:12.1f} bytes/contact")


if __name__ == "__main__":
    main()
