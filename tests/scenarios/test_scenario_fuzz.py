"""Hypothesis: random valid scenario files, written as a planner would (every distribution family,
channels, escalation, repeats, tiers, SLAs, breaks, levers, disciplines, business hours), load and
run, and their results keep the invariants: counts conserve (offered = answered + abandoned + still
waiting, per row and in total), every rate lies in [0, 1], occupancy and utilization are at most 1
(overall, per group, per interval), and a replication is the same whenever and wherever it runs
(same seed, alone or in a batch, serial or on worker processes).

Scenarios are tiny (at most two days, a few agents, low rates) so 200 run in the normal suite;
`pytest -m slow` runs 2 000.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.experiment.executors import ExecutorSpec
from scenarios.experiment.runner import run_experiment, run_scenarios
from scenarios.format.scenario import load_scenario

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
EPS = 1e-9
# An interval's busy time is a difference of integrals up to its edges (moments of times ~1e5 s), so
# an interval at exactly 1 (or 0) may read 1 ± 3e-9: rounding, not a busier-than-possible agent.
INTERVAL_EPS = 1e-6
COUNTS = ("offered", "answered", "abandoned", "still_waiting", "contacts", "resolved", "backlog_end")


# --------------------------------------------------------------------------------------------------
# strategies: scenario documents as a planner writes them


@st.composite
def durations(draw, low_min: float, high_min: float) -> dict:
    """A distribution spec of any family with a mean between low and high minutes."""
    mean = round(draw(st.floats(low_min, high_min)), 2)
    kind = draw(st.sampled_from(["exponential", "lognormal", "lognormal-mu", "gamma", "erlang", "weibull",
                                 "constant", "uniform", "empirical", "mixture"]))
    if kind == "exponential":
        return {"dist": "exponential", "mean": f"{mean}min"}
    if kind in ("lognormal", "gamma"):
        return {"dist": kind, "mean": f"{mean}min", "cv": draw(st.sampled_from([0.3, 0.8, 1.5]))}
    if kind == "lognormal-mu":
        return {"dist": "lognormal", "mu": round(math.log(mean * 60) - 0.3, 3), "sigma": 0.8}
    if kind == "erlang":
        return {"dist": "erlang", "k": draw(st.integers(1, 4)), "mean": f"{mean}min"}
    if kind == "weibull":
        return {"dist": "weibull", "shape": draw(st.sampled_from([0.8, 1.5])), "scale": f"{mean}min"}
    if kind == "constant":
        return {"dist": "constant", "value": f"{mean}min"}
    if kind == "uniform":
        return {"dist": "uniform", "low": f"{mean / 2}min", "high": f"{mean * 1.5}min"}
    if kind == "empirical":
        return {"dist": "empirical", "values": [f"{mean / 2}min", f"{mean}min", f"{mean * 1.5}min"]}
    return {"dist": "mixture", "weights": [0.3, 0.7],
            "components": [{"dist": "constant", "value": "10s"}, {"dist": "exponential", "mean": f"{mean}min"}]}


@st.composite
def arrivals(draw) -> dict:
    rate = draw(st.integers(0, 20))
    form = draw(st.sampled_from(["rate", "rate", "weekly", "series"]))
    spread = {} if draw(st.integers(0, 3)) else {"day_to_day_cv": 0.2}
    if form == "rate":
        return {"rate": f"{rate}/h", **spread}
    if form == "weekly":
        return {"weekly": {"mon-fri": {"08:00-12:00": f"{rate}/h", "13:00-17:30": f"{rate // 2}/h"},
                           "sat": {"09:00-12:00": f"{rate // 3}/h"}}, **spread}
    return {"series": {"interval": "2h", "rates": draw(st.lists(st.integers(0, rate), min_size=1, max_size=24))},
            **spread}


@st.composite
def contact(draw, name: str, channel: str, groups: list[str], business: bool) -> dict:
    item = {"name": name, "channel": channel, "priority": draw(st.integers(0, 3)), "arrivals": draw(arrivals()),
            "handle_time": draw(durations(1, 12))}
    if channel != "email" and draw(st.booleans()):
        item["patience"] = draw(durations(1, 10))
        if draw(st.booleans()):
            item["retrial"] = {"probability": draw(st.sampled_from([0.0, 0.3, 0.9])), "delay": draw(durations(2, 20))}
    if draw(st.integers(0, 3)) == 0:
        item["after_call_work"] = draw(durations(0.5, 2))
    if draw(st.integers(0, 2)) == 0:
        item["resolution"] = {"first_contact": draw(st.sampled_from([0.5, 0.8, 1.0])),
                              "escalate_to": draw(st.sampled_from(groups)),
                              "escalated_handle_time": draw(durations(5, 30))}
    if draw(st.integers(0, 3)) == 0:
        item["repeat"] = {"probability": draw(st.sampled_from([0.05, 0.3])), "delay": draw(durations(30, 600)),
                          "clock": "business" if business and draw(st.booleans()) else "wall"}
    if draw(st.integers(0, 3)) == 0:
        item["priority_mix"] = {"vip": {"share": draw(st.sampled_from([0.1, 0.5])), "priority": 9}}
    if draw(st.integers(0, 2)) == 0:
        item["sla"] = {"answer_within": "60s", "resolve_within": "8h",
                       "clock": "business" if business and draw(st.booleans()) else "wall"}
    if draw(st.integers(0, 4)) == 0:
        item["scale"] = draw(st.sampled_from([0.5, 1.5]))
    return item


@st.composite
def shift(draw, name: str) -> dict:
    start = draw(st.integers(0, 47)) * 30
    length = draw(st.sampled_from([4 * 60, 8 * 60, 8 * 60 + 30] + ([24 * 60] if start == 0 else [])))
    item = {"name": name, "days": draw(st.sampled_from(["all", "mon-fri", "sat-sun", "mon"])),
            "start": f"{start // 60:02d}:{start % 60:02d}",
            "end": "24:00" if length == 24 * 60 and start == 0 else
            f"{(start + length) % 1440 // 60:02d}:{(start + length) % 60:02d}",
            "agents": draw(st.integers(1, 4))}
    if length >= 8 * 60 and draw(st.booleans()):
        item["breaks"] = [{"name": "lunch", "after": "4h", "length": "30min"}]
    return item


@st.composite
def group(draw, name: str, skills: dict, chats: bool) -> dict:
    item = {"name": name, "skills": skills, "shifts": [draw(shift(f"s{i}")) for i in range(draw(st.integers(1, 2)))]}
    if chats and draw(st.booleans()):
        item["concurrency"] = draw(st.integers(2, 3))
    if draw(st.booleans()):
        item["shrinkage"] = 0.1
    if draw(st.booleans()):
        item["cost_per_hour"] = 30
    return item


@st.composite
def policies(draw, types: list[dict], groups: list[str]) -> dict:
    phone = [c["name"] for c in types if c["channel"] == "phone"]
    found = {"queue": draw(st.sampled_from(["priority-fifo", "fifo", "longest-waiting-first", "sla-deadline",
                                            {"discipline": "priority-fifo", "max_bypass": "10min"}])),
             "routing": draw(st.sampled_from(["longest-idle", "fastest-first", "random"]))}
    if phone and draw(st.integers(0, 3)) == 0:
        found["callback"] = {"offer_when_expected_wait_over": "1min", "accept_probability": 0.5,
                             "call_back": draw(st.sampled_from(["when_agent_free", "at_time"])), "applies_to": phone}
    if len(groups) > 1 and draw(st.integers(0, 3)) == 0:
        found["overflow"] = {"after": "30s", "to": groups[-1]}
    if draw(st.integers(0, 3)) == 0:
        found["self_service"] = {"applies_to": [types[0]["name"]], "attempt_share": 0.3, "containment": 0.5}
    if draw(st.integers(0, 3)) == 0:
        found["automation"] = {"handle_time_factor": {types[0]["name"]: 0.9}, "auto_resolve": {types[0]["name"]: 0.1}}
    return found


@st.composite
def scenarios(draw) -> dict:
    """A valid scenario document: 1-3 contact types, 1-3 groups that serve them all, ≤ 2 days."""
    count, groups = draw(st.integers(1, 3)), [f"g{i}" for i in range(draw(st.integers(1, 3)))]
    business = draw(st.booleans())
    channels = [draw(st.sampled_from(["phone", "phone", "email", "chat"])) for _ in range(count)]
    types = [draw(contact(f"t{i}", channel, groups, business)) for i, channel in enumerate(channels)]
    owner = {c["name"]: draw(st.sampled_from(groups)) for c in types}
    staff = []
    for index, name in enumerate(groups):
        skills = {c["name"]: draw(st.integers(1, 2)) for c in types if owner[c["name"]] == name or draw(st.booleans())}
        skills = skills or {types[0]["name"]: 2}  # every group serves something
        chats = any(channels[int(t[1:])] == "chat" for t in skills)
        staff.append(draw(group(name, skills, chats)))
    day = draw(st.integers(1, 7))
    calendar = {"start": f"2024-01-0{day} {draw(st.integers(0, 23)):02d}:00",
                "horizon": draw(st.sampled_from(["12h", "1d", "2d"])), "warmup": draw(st.sampled_from(["0s", "1h"])),
                "interval": draw(st.sampled_from(["30min", "1h"])), "cooldown": draw(st.sampled_from(["0s", "6h"]))}
    if business:
        calendar["business_hours"] = {"mon-fri": "08:00-18:00", "holidays": ["2024-01-03"]}
    return {"name": "fuzz", "calendar": calendar, "demand": {"contacts": types}, "staffing": {"groups": staff},
            "policies": draw(policies(types, groups)),
            "kpis": {"service_level": {"threshold": draw(st.sampled_from(["20s", "60s"])),
                                       "abandoned": draw(st.sampled_from(["count_as_missed", "exclude",
                                                                          "exclude_short"]))}},
            "experiment": {"replications": 2, "seed": draw(st.integers(0, 2 ** 31))}}


# --------------------------------------------------------------------------------------------------
# the invariants


def loaded(folder, document):
    path = folder.mktemp("fuzz") / "scenario.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_scenario(path)  # valid by construction: a refusal here fails the test


def check_counts_and_rates(table: pd.DataFrame, names: tuple) -> None:
    """Per replication: offered splits into answered, abandoned and still waiting on every row, the
    types' rows add up to `all`, and every rate is a share."""
    assert (table.offered == table.answered + table.abandoned + table.still_waiting).all()
    for replication, rows in table.groupby("replication"):
        by_type, everything = rows[rows.contact_type.isin(names)], rows[rows.contact_type == "all"].iloc[0]
        for column in COUNTS:
            assert everything[column] == by_type[column].sum(), (replication, column)
    for column in [c for c in table.columns if c.endswith("_rate") or c in ("service_level", "p_wait")]:
        values = table[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column  # counted shares: exact
    for column in ("answered", "abandoned", "still_waiting", "asa_s", "mean_wait_s", "aht_s", "queue_len_mean"):
        assert (table[column].dropna() >= 0).all(), column


def check_shares_of_time(results) -> None:
    """Occupancy and utilization at most 1: overall, per group, per interval (KPIs and docs/kpis.md)."""
    for frame, columns, slack in ((results.replications, ("occupancy", "utilization"), EPS),
                                  (results.group_replications, ("occupancy", "utilization"), EPS),
                                  (results.intervals, ("occupancy",), INTERVAL_EPS),
                                  (results.group_intervals, ("occupancy",), INTERVAL_EPS)):
        for column in columns:
            values = frame[column].dropna()
            assert ((values >= -slack) & (values <= 1 + slack)).all(), (column, values.min(), values.max())


def same(first, second) -> None:
    for name in ("replications", "intervals", "group_replications", "group_intervals"):
        pd.testing.assert_frame_equal(getattr(first, name).reset_index(drop=True),
                                      getattr(second, name).reset_index(drop=True), check_exact=True)


def only(results, replication: int):
    """The rows of one replication, as Results-like frames."""
    return type("Rows", (), {name: getattr(results, name)[getattr(results, name).replication == replication]
                             for name in ("replications", "intervals", "group_replications", "group_intervals")})


def check_scenario(folder, document) -> None:
    scenario = loaded(folder, document)
    model, seed = scenario.model, scenario.experiment.seed
    results = run_experiment(model, 2, seed)
    check_counts_and_rates(results.replications, model.contact_names)
    check_shares_of_time(results)
    same(only(results, 1), only(run_experiment(model, 1, seed, first=1), 1))  # the same, alone or in a batch


@SETTINGS
@given(scenarios())
def test_random_valid_scenarios_keep_the_invariants(tmp_path_factory, document):
    check_scenario(tmp_path_factory, document)


@settings(SETTINGS, max_examples=3)
@given(scenarios())
def test_random_scenarios_give_the_same_results_on_worker_processes(tmp_path_factory, document):
    model, seed = (scenario := loaded(tmp_path_factory, document)).model, scenario.experiment.seed
    serial = run_scenarios([model], 2, seed, ExecutorSpec("serial"))[0]
    same(serial, run_scenarios([model], 2, seed, ExecutorSpec("processes", 2))[0])


@pytest.mark.slow
@settings(SETTINGS, max_examples=2000)
@given(scenarios())
def test_many_random_valid_scenarios_keep_the_invariants(tmp_path_factory, document):
    check_scenario(tmp_path_factory, document)


def test_the_strategy_makes_varied_scenarios():
    """Guard against a strategy that only ever makes the simplest case: the 200 examples cover every
    channel, distribution family and lever at least once (checked on a fixed sample)."""
    seen: set = set()

    @settings(SETTINGS, max_examples=200)
    @given(scenarios())
    def collect(document):
        for item in document["demand"]["contacts"]:
            seen.update({item["channel"], item["handle_time"]["dist"], *item})
        seen.update(document["policies"])

    collect()
    wanted = {"phone", "email", "chat", "exponential", "lognormal", "gamma", "erlang", "weibull", "constant",
              "uniform", "empirical", "mixture", "patience", "retrial", "resolution", "repeat", "priority_mix", "sla",
              "after_call_work", "callback", "overflow", "self_service", "automation"}
    assert wanted <= seen, wanted - seen
