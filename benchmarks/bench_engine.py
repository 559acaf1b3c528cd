"""Speed and memory of the engine against idiomatic SimPy, on two models measured in the same run.

1. Reference M/M/50+M: 9.6 contacts/min, handle time exponential mean 5 min, patience exponential
   mean 10 min, 50 agents always on shift.
2. Helpdesk: the same calls, 10 % VIP (served first), 20 % of handlings escalated to an L2 group
   (exponential 20 min, tickets do not abandon), 10 % of resolved contacts come back after an
   exponential day; 58 L1 and 48 L2 agents always on shift.
3. The levers' cost: the reference calls with callback on, plus a chat line, per visit against the
   plain reference model in the same run.

Each measures the project's whole path (config → fates → engine → event log → KPIs, interval and
group KPIs) and the idiomatic SimPy model of the same system, best of a few repeats. Run with
`make bench`; figures go into the README.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
import tracemalloc

from simulator.agent_kpis import group_kpi_table
from simulator.config import (AgentGroup, Arrivals, Calendar, Callback, ContactType, ModelConfig, Policies,
                              PriorityTier, Repeat, Resolution, Shift)
from simulator.distributions import Exponential
from simulator.engine import simulate
from simulator.group_interval_kpis import group_interval_kpi_table
from simulator.interval_kpis import interval_kpi_table
from simulator.kpis import replication_kpi_table
from simulator.outcomes import visit_outcomes

try:
    from idiomatic_helpdesk import simulate as simulate_idiomatic_helpdesk
    from idiomatic_simpy import simulate as simulate_idiomatic
except ImportError:  # run as a module from the project root
    from benchmarks.idiomatic_helpdesk import simulate as simulate_idiomatic_helpdesk
    from benchmarks.idiomatic_simpy import simulate as simulate_idiomatic

RATE_PER_S, HANDLE_S, PATIENCE_S, AGENTS = 9.6 / 60, 300.0, 600.0, 50
HELPDESK = {"rate": RATE_PER_S, "vip_share": 0.1, "l1_handle": HANDLE_S, "patience": PATIENCE_S, "escalate": 0.2,
            "l2_handle": 1200.0, "repeat": 0.1, "repeat_delay": 86400.0, "l1_agents": 58, "l2_agents": 48}
ALWAYS = tuple(range(7))


def reference_model(days: float) -> ModelConfig:
    calls = ContactType("calls", Arrivals(rate_per_s=RATE_PER_S), Exponential(HANDLE_S), patience=Exponential(PATIENCE_S))
    desk = AgentGroup("desk", {"calls": 1}, (Shift(tuple(range(7)), 0.0, 0.0, AGENTS),))
    return ModelConfig((calls,), (desk,), Calendar(horizon_s=days * 86400.0, warmup_s=0.0))


def helpdesk_model(days: float) -> ModelConfig:
    p = HELPDESK
    calls = ContactType("calls", Arrivals(rate_per_s=p["rate"]), Exponential(p["l1_handle"]),
                        patience=Exponential(p["patience"]), priority_mix=(PriorityTier("vip", p["vip_share"], 3),),
                        resolution=Resolution(1 - p["escalate"], "l2", Exponential(p["l2_handle"])),
                        repeat=Repeat(p["repeat"], Exponential(p["repeat_delay"])))
    groups = (AgentGroup("l1", {"calls": 1}, (Shift(ALWAYS, 0.0, 0.0, p["l1_agents"]),)),
              AgentGroup("l2", {}, (Shift(ALWAYS, 0.0, 0.0, p["l2_agents"]),)))
    return ModelConfig((calls,), groups, Calendar(horizon_s=days * 86400.0, warmup_s=0.0))


def levers_model(days: float) -> ModelConfig:
    """The reference calls with virtual hold on, plus a chat line: 3 chats/min, 5 min, patience
    10 min, on 12 agents holding 3 chats each."""
    reference = reference_model(days)
    chats = ContactType("chats", Arrivals(rate_per_s=3 / 60), Exponential(HANDLE_S), channel="chat",
                        patience=Exponential(PATIENCE_S))
    chat_desk = AgentGroup("chat desk", {"chats": 1}, (Shift(ALWAYS, 0.0, 0.0, 12),), concurrency=3)
    return dataclasses.replace(reference, contacts=reference.contacts + (chats,),
                               groups=reference.groups + (chat_desk,),
                               policies=Policies(callback=Callback(60.0, 0.6, reach_probability=0.9)))


def project_run(model: ModelConfig, seed: int) -> int:
    """The whole path of one replication, as `run` takes it (runner.run_replication); returns the
    number of visits."""
    log = simulate(model, seed, 0)
    result = visit_outcomes(log)
    replication_kpi_table(log, model, result)
    interval_kpi_table(log, model, result)
    group_kpi_table(log, result, model)
    group_interval_kpi_table(log, result, model)
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


def compare(model: ModelConfig, theirs, repeats: int) -> dict:
    """Both implementations of one model, best of `repeats` each, and the project's memory."""
    ours, visits = best_rate(lambda attempt: project_run(model, attempt + 1), repeats)
    reference, _ = best_rate(theirs, repeats)
    log_bytes, peak_bytes = memory_per_contact(model)
    return {"visits": visits, "ours": ours, "simpy": reference, "ratio": ours / reference, "log_bytes": log_bytes,
            "peak_bytes": peak_bytes}


def measure(days: float = 14.0, repeats: int = 3) -> dict:
    """The reference and helpdesk models against idiomatic SimPy, and the levers' cost, in one run."""
    horizon = days * 86400.0
    figures = {
        "reference": compare(reference_model(days), lambda attempt: simulate_idiomatic(
            RATE_PER_S, HANDLE_S, PATIENCE_S, AGENTS, horizon, attempt + 1)["contacts"], repeats),
        "helpdesk": compare(helpdesk_model(days), lambda attempt: simulate_idiomatic_helpdesk(
            HELPDESK, horizon, attempt + 1)["visits"], repeats)}
    plain, _ = best_rate(lambda attempt: project_run(reference_model(days), attempt + 1), repeats)
    levers, visits = best_rate(lambda attempt: project_run(levers_model(days), attempt + 1), repeats)
    figures["levers"] = {"visits": visits, "with_levers": levers, "plain": plain, "cost": plain / levers - 1}
    return figures


def report(figures: dict, days: float, repeats: int) -> None:
    names = {"reference": f"reference model M/M/{AGENTS}+M, {days:g} days",
             "helpdesk": f"helpdesk with escalation, repeats and priorities, {days:g} days"}
    for key, name in names.items():
        f = figures[key]
        print(f"{name}: {f['visits']} visits per run, best of {repeats}")
        print(f"  helpdesk-sim (config → event log → KPIs): {f['ours']:12,.0f} visits/s")
        print(f"  idiomatic SimPy (process per visit):      {f['simpy']:12,.0f} visits/s")
        print(f"  speed-up:                                 {f['ratio']:12.2f} x")
        print(f"  event log:                                {f['log_bytes']:12.1f} bytes/visit")
        print(f"  peak traced memory of a run:              {f['peak_bytes']:12.1f} bytes/visit")
    f = figures["levers"]
    print(f"reference model with callback and a chat line on: {f['visits']} visits per run, best of {repeats}")
    print(f"  helpdesk-sim with the levers:             {f['with_levers']:12,.0f} visits/s")
    print(f"  the plain reference model, same run:      {f['plain']:12,.0f} visits/s")
    print(f"  cost of the levers per visit:             {f['cost'] * 100:11.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=14.0, help="simulated days (14 ≈ 194 000 contacts)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    report(measure(args.days, args.repeats), args.days, args.repeats)


if __name__ == "__main__":
    main()
