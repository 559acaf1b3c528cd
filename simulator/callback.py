"""Virtual hold (callback): a caller facing a long wait is offered a call back instead of holding.

The offer is made when a phone caller has to wait and the expected wait is over the policy's
threshold. The expected wait is the estimate a desk's phone system can make: (callers in line ahead
+ 1) × the contact type's mean handle time (agent assist and wrap-up included) ÷ the agents currently
available in the groups serving the queue (infinite with none). Whether the caller accepts and whether the call back reaches them
are drawn at arrival (common random numbers). An accepting caller hangs up and cannot abandon:

- `when_agent_free`: they keep their place in line; when an agent would take them, the agent calls
  back at once;
- `at_time`: they are called back at the quoted time: then they rejoin the line at their original
  place (their arrival time in the queue discipline) and the next free agent calls them.

A call back that does not reach the customer is a lost contact (outcome `callback_missed`).
"""
from __future__ import annotations

import math

from .config import ModelConfig

NOT_OFFERED, DECLINED, ACCEPTED = 0, 1, 2


class CallbackDesk:
    def __init__(self, model: ModelConfig, book, pool):
        policy = model.policies.callback
        network = model.network
        self.policy, self.at_time = policy, policy.call_back == "at_time"
        applies = set(policy.applies_to) if policy.applies_to else {c.name for c in model.contacts}
        self.offered_to = [c.channel == "phone" and c.name in applies for c in model.contacts]
        factors = dict(model.policies.automation.handle_time_factor) if model.policies.automation else {}
        self.mean_handle = [c.handle_time.mean * factors.get(c.name, 1.0)  # an agent's time per caller:
                            + (c.after_call_work.mean if c.after_call_work else 0.0)  # wrap-up included
                            for c in model.contacts]
        self.served_by = [tuple(group for _, group in pairs) for pairs in network.served_by]
        self.in_line = [0] * len(network.queue_names)  # visits waiting, per queue
        self.available = pool.available
        self.accept_coin, self.reach_coin = book.callback_accept, book.callback_reach
        self.contact, self.contact_type, self.stage, self.episode = book.contact, book.contact_type, book.stage, book.episode
        self.callback, self.quote = book.callback, math.nan
        self.threshold_s, self.accept_probability = policy.offer_when_expected_wait_over_s, policy.accept_probability

    def offer(self, visit: int, queue: int) -> int:
        """A visit is about to wait in `queue`: count it in line and, for a first-contact caller of a
        type the policy covers facing a long expected wait, offer a call back (its choice is written in
        the visit's callback column, the quote kept in `quote`). One method, the expected wait inline:
        it runs for every visit that waits."""
        kind = self.contact_type[self.contact[visit]]
        if self.stage[visit] or not self.offered_to[kind]:
            self.in_line[queue] += 1  # escalated tickets are not on the phone
            return NOT_OFFERED
        available, agents = self.available, 0
        for group in self.served_by[queue]:  # a loop: a generator in sum() costs twice as much here
            agents += available[group]
        quote = (self.in_line[queue] + 1) * self.mean_handle[kind] / agents if agents > 0 else math.inf
        self.in_line[queue] += 1  # after the quote, which counts those ahead
        self.quote = quote
        if quote <= self.threshold_s or (self.at_time and quote == math.inf):
            return NOT_OFFERED
        choice = ACCEPTED if self.accept_coin[self.episode[visit]] < self.accept_probability else DECLINED
        self.callback[visit] = choice
        return choice

    def reaches(self, episode: int) -> bool:
        return self.reach_coin[episode] < self.policy.reach_probability
