"""Every KPI table of a replication, its columns read in blocks of a few rows and its time-weighted
counts sorted in windows of a few steps, is the table read at once, to the bit (scenarios with SLAs
on business hours, escalations and repeats, chats, callback, self-service and automation)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenarios.format.scenario import load_scenario
from simulator.agent_kpis import group_kpi_table
from simulator.engine import simulate
from simulator.group_interval_kpis import group_interval_kpi_table
from simulator.interval_kpis import interval_kpi_table
from simulator.kpis import replication_kpi_table
from simulator.outcomes import contact_outcomes, visit_outcomes
from tests.simulator.small_blocks import small_blocks

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
SCENARIOS = ["it-helpdesk.yaml", "it-helpdesk-chat.yaml", "it-helpdesk-callback.yaml", "it-helpdesk-portal.yaml",
             "it-helpdesk-agent-assist.yaml"]
CONTACT_COLUMNS = ("measured", "final", "last", "first_response_s", "resolved_s", "escalated", "repeated", "open_at_end")


def tables(log, model) -> dict:
    """Each table's columns, and the visits' and contacts' outcomes, by name."""
    visits = visit_outcomes(log)
    contacts = contact_outcomes(log, visits)
    found = {"visits": {name: getattr(visits, name) for name in visits.__dataclass_fields__ if name != "log"},
             "contacts": {name: np.asarray(getattr(contacts, name)) for name in CONTACT_COLUMNS}}
    for name, table in (("kpis", replication_kpi_table(log, model, visits)),
                        ("intervals", interval_kpi_table(log, model, visits)),
                        ("groups", group_kpi_table(log, visits, model)),
                        ("group_intervals", group_interval_kpi_table(log, visits, model))):
        found[name] = table.columns
    return found


def same(one, other) -> bool:
    one, other = np.asarray(one), np.asarray(other)
    if one.dtype == object or other.dtype == object:
        return one.tolist() == other.tolist()
    return one.dtype == other.dtype and one.shape == other.shape and one.tobytes() == other.tobytes()


@pytest.mark.parametrize("name", SCENARIOS)
def test_tables_read_in_blocks_are_the_tables_read_at_once(name):
    model = load_scenario(LIBRARY / name, ("calendar.horizon=3d",)).model
    log = simulate(model, 5, 0)
    at_once = tables(log, model)
    with small_blocks():
        in_blocks = tables(log, model)
    for table, columns in at_once.items():
        for column, values in columns.items():
            assert same(values, in_blocks[table][column]), (table, column)
