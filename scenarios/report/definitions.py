"""One-line definitions of every KPI column, for the report (the long form is docs/kpis.md), and the
variants a scenario chose (service-level threshold, how abandons count, short abandons)."""
from __future__ import annotations

from simulator.units import format_duration

DEFINITIONS = {
    "offered": "front-line visits that joined a queue (first contacts, retrials, repeats)",
    "deflected": "contacts resolved in self-service, never offered",
    "auto_resolved": "contacts resolved by a bot, never offered",
    "answered": "offered visits an agent started to handle",
    "abandoned": "offered visits that left the queue before an agent",
    "short_abandoned": "abandons quicker than the short-abandon threshold",
    "still_waiting": "offered visits still waiting when the run ended",
    "abandon_rate": "abandoned / offered (types that can abandon)",
    "abandon_rate_net": "abandon rate without short abandons (in both counts)",
    "lost_rate": "contacts never served after all retrials and call backs / contacts",
    "service_level": "answered within the threshold / offered (the variant below)",
    "asa_s": "average speed of answer: mean wait of answered visits, seconds",
    "p_wait": "share of offered visits that waited at all",
    "mean_wait_s": "mean wait of all offered visits until answer or abandonment, seconds",
    "wait_p50_s": "median wait of offered visits, seconds",
    "wait_p90_s": "90th percentile wait of offered visits, seconds",
    "wait_p95_s": "95th percentile wait of offered visits, seconds",
    "aht_s": "mean handle time of completed handlings (after-call work included), seconds",
    "contacts": "contacts (customer needs) whose first arrival is in the measured period",
    "first_response_s": "arrival to first agent touch, per contact, seconds",
    "first_response_business_s": "first response counted in business hours, seconds",
    "resolved": "contacts whose final outcome is resolved (by agents)",
    "resolution_time_h": "arrival to final resolution across escalations and repeats, hours",
    "resolution_p90_h": "90th percentile time to resolve, hours",
    "resolution_time_business_h": "time to resolve counted in business hours",
    "fcr_rate": "resolved with no escalation and no repeat / resolved",
    "escalation_rate": "escalated front-line handlings / completed front-line handlings",
    "repeat_rate": "repeat visits / offered",
    "callbacks_offered": "front-line visits offered a call back",
    "callbacks_accepted": "visits that accepted a call back",
    "callbacks_missed": "accepted call backs that did not reach the customer (lost)",
    "callback_delay_s": "joining the queue to being called back, seconds",
    "sla_met_rate": "contacts meeting their SLA / contacts with a decided SLA",
    "sla_overtaken_rate": "contacts that missed their answer target while a later arrival in their queue was "
                          "answered first / contacts that missed it",
    "occupancy": "busy agent time / available agent time",
    "utilization": "busy agent time / paid agent time",
    "agents_on_shift_mean": "time-weighted mean of agents available",
    "agents_staffed_mean": "mean agents available while at least one is",
    "queue_len_mean": "time-weighted mean of visits waiting on hold",
    "queue_len_max": "most visits waiting on hold at once",
    "backlog_end": "contacts still waiting or in handling when the measured period ends",
    "agent_hours": "paid agent hours",
    "self_service_cost": "self-service sessions × cost per session",
    "automation_cost": "contacts of automated types × cost per contact",
    "cost": "agents' paid hours × their cost per hour, plus the levers' costs",
    "cost_per_resolved": "cost / contacts resolved by agents, self-service or a bot",
    "handled": "visits the group's agents completed (any stage)",
    "busy_agents_mean": "agents' worth of work in hand (a chat counts 1/concurrency)",
    "offered_load": "agents' worth of work that arrived for the group (Erlangs)",
    "infinite_server_load": "agents' worth of that work in progress if every visit were answered on arrival",
}


def variants(kpis) -> list[tuple[str, str]]:
    """The KPI choices of a scenario (`model.kpis`), as (name, what it means) pairs."""
    counted = {"count_as_missed": "abandons count as missed (in the denominator)",
               "exclude": "abandons are left out of the denominator",
               "exclude_short": "short abandons are left out of the denominator"}
    return [("service level threshold", format_duration(kpis.service_level_threshold_s)),
            ("abandons in service level", counted.get(kpis.service_level_abandoned, kpis.service_level_abandoned)),
            ("short abandon", f"under {format_duration(kpis.short_abandon_s)}")]
