"""Agent proficiency: each agent's handle-time factor and first-contact rate, from its group's cohorts.

A group's `proficiency` cohorts take shares of its agents by position: agents sit on the golden-ratio
sequence (roster.spread_positions), so any run of them (a shift's seats, the seats of a staffing
table on duty at some hour) holds about each cohort's share, and the agents left are as drawn. A
training what-if changes who handles how fast, never which customers come or what they need: the
drawn handle time is multiplied by the agent's factor when an agent answers, and a handling
escalates when the contact's pre-drawn coin is at least the agent's first-contact rate.
"""
from __future__ import annotations

from .config import ModelConfig
from .roster import Roster


def agent_proficiency(model: ModelConfig, roster: Roster) -> tuple[list[float], list[float | None]]:
    """Per agent: (handle-time factor, first-contact rate or None for the work's own)."""
    factors, rates = [], []
    for group, position in zip(roster.agent_group.tolist(), roster.agent_position.tolist()):
        cohort = _cohort(model.groups[group].proficiency, position)
        factors.append(1.0 if cohort is None else cohort.handle_time_factor)
        rates.append(None if cohort is None else cohort.first_contact)
    return factors, rates


def _cohort(cohorts, position: float):
    reached = 0.0
    for cohort in cohorts:
        reached += cohort.share
        if position < reached:
            return cohort
    return None
