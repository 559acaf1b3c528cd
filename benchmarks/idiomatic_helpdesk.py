"""Reference helpdesk with escalation, repeats and priorities, written the way the SimPy tutorials teach.

One generator process per visit: a caller (10 % VIP, served first) queues for L1 with a
`PriorityResource` and a `request | timeout(patience)` race; a share of the handled calls is
escalated to an L2 `PriorityResource` (tickets do not abandon); a share of the resolved contacts
comes back after an exponential delay as a new call. Every draw is made from its own stream when it
is needed. It is the speed baseline for the same model in `bench_engine.py`, not a straw man.
Times are seconds, rates per second.
"""
from __future__ import annotations

import numpy as np
import simpy


class Helpdesk:
    def __init__(self, env, parameters: dict, seed: int):
        self.env, self.p = env, parameters
        self.rng = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(8)]
        self.l1 = simpy.PriorityResource(env, capacity=parameters["l1_agents"])
        self.l2 = simpy.PriorityResource(env, capacity=parameters["l2_agents"])
        self.tally = {"visits": 0, "abandoned": 0, "escalated": 0, "repeats": 0}

    def arrivals(self):
        p, rng = self.p, self.rng[0]
        while True:
            yield self.env.timeout(rng.exponential(1.0 / p["rate"]))
            vip = self.rng[1].random() < p["vip_share"]
            self.env.process(self.call(3 if vip else 1))

    def call(self, priority: int):
        """One visit at L1, then perhaps L2, then perhaps a repeat later."""
        p, env, rng, tally = self.p, self.env, self.rng, self.tally
        tally["visits"] += 1
        handle, patience = rng[2].exponential(p["l1_handle"]), rng[3].exponential(p["patience"])
        with self.l1.request(priority=-priority) as request:
            outcome = yield request | env.timeout(patience)
            if request not in outcome:
                tally["abandoned"] += 1
                return
            yield env.timeout(handle)
        if rng[4].random() < p["escalate"]:
            tally["escalated"] += 1
            tally["visits"] += 1
            with self.l2.request(priority=-priority) as request:
                yield request
                yield env.timeout(rng[5].exponential(p["l2_handle"]))
        if rng[6].random() < p["repeat"]:
            yield env.timeout(rng[7].exponential(p["repeat_delay"]))
            tally["repeats"] += 1
            env.process(self.call(priority))


def simulate(parameters: dict, horizon: float, seed: int) -> dict:
    env = simpy.Environment()
    desk = Helpdesk(env, parameters, seed)
    env.process(desk.arrivals())
    env.run(until=horizon)
    return desk.tally
