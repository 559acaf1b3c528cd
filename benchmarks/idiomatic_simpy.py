"""Reference M/M/n+M desk written the way the SimPy tutorials teach, as the speed baseline.

One generator process per contact, a `simpy.Resource` for the agents and a `request | timeout`
race for patience. It is deliberately plain so the engine's speed-up is measured against what a
newcomer would write, not against a straw man. Times are seconds, rates per second.
"""
from __future__ import annotations

import time

import numpy as np
import simpy


def _contact(env, agents, handle_time, patience, tally):
    """One caller: queue for an agent, hang up if patience runs out first."""
    arrived = env.now
    with agents.request() as request:
        outcome = yield request | env.timeout(patience)
        tally["waited"] += env.now - arrived
        if request in outcome:
            tally["answered"] += 1
            yield env.timeout(handle_time)
        else:
            tally["abandoned"] += 1


def _arrivals(env, agents, arrival_rate, mean_handle, mean_patience, streams, tally):
    """Poisson arrivals; each contact draws its own handle time and patience up front."""
    arrival_rng, handle_rng, patience_rng = streams
    while True:
        yield env.timeout(arrival_rng.exponential(1.0 / arrival_rate))
        tally["contacts"] += 1
        env.process(_contact(env, agents,
                             handle_rng.exponential(mean_handle),
                             patience_rng.exponential(mean_patience), tally))


def simulate(arrival_rate: float, mean_handle: float, mean_patience: float, agents: int,
             horizon: float, seed: int) -> dict:
    """Run the desk for `horizon` seconds from empty and return counts and mean queue wait.

    Arrivals, handle times and patience use separate SeedSequence children so changing one
    distribution does not reshuffle the others. `mean_wait` averages all contacts that left the
    queue (answered or abandoned) before the horizon.
    """
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)]
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    tally = {"contacts": 0, "answered": 0, "abandoned": 0, "waited": 0.0}
    env.process(_arrivals(env, desk, arrival_rate, mean_handle, mean_patience, streams, tally))
    env.run(until=horizon)
    left_queue = tally["answered"] + tally["abandoned"]
    return {"contacts": tally["contacts"], "answered": tally["answered"],
            "abandoned": tally["abandoned"],
            "mean_wait": tally["waited"] / left_queue if left_queue else 0.0,
            "simulated_seconds": float(env.now)}


def main() -> None:
    """Benchmark desk: 9.6 contacts/min, 5 min handle, 10 min patience, 50 agents, ~200k contacts."""
    arrival_rate = 9.6 / 60.0
    horizon = 200_000 / arrival_rate
    started = time.perf_counter()
    result = simulate(arrival_rate, 300.0, 600.0, 50, horizon, seed=2024)
    elapsed = time.perf_counter() - started
    print(result)
    print(f"{result['contacts'] / elapsed:,.0f} contacts per wall-clock second "
          f"({elapsed:.2f} s for {result['contacts']:,} contacts)")


if __name__ == "__main__":
    main()
