"""`sweep`: a grid of variants paired against the first, and the best variant for a target."""
from __future__ import annotations

import pandas as pd
import pytest

from scenarios.experiment.sweep import (best_variant, grid, parse_axis, parse_condition, short_keys,
                                        variant_name)

from .helpers import SMALL, invoke, no_traceback, write

EARLY = "staffing.groups.l1.shifts.0.agents"


@pytest.mark.parametrize("text, values", [
    ("a.b=1,2,3", ("1", "2", "3")), ("a.b=5..8", ("5", "6", "7", "8")), ("a.b=2..6:2", ("2", "4", "6")),
    ("a.b=0.5..1.0:0.25", ("0.5", "0.75", "1")), ("a.b=phone, email", ("phone", "email")),
])
def test_axes_are_lists_or_ranges_with_both_ends(text, values):
    assert parse_axis(text).values == values


@pytest.mark.parametrize("text", ["a.b", "=1,2", "a.b=", "a.b=8..5", "a.b=1..2:0", "a.b=0..5000", "a.b=1.0,1.0,1.1",
                                  "a.b=1.2.3..2"])
def test_bad_axes_are_refused(text):
    with pytest.raises(ValueError, match="--vary"):
        parse_axis(text)


def test_the_grid_starts_with_every_first_value_and_names_tell_variants_apart():
    settings = grid([parse_axis("groups.l1.agents=5,6"), parse_axis("groups.l2.agents=2,3")])
    assert settings[0] == {"groups.l1.agents": "5", "groups.l2.agents": "2"} and len(settings) == 4
    assert short_keys(["groups.l1.agents", "groups.l2.agents"]) == {"groups.l1.agents": "l1.agents",
                                                                  "groups.l2.agents": "l2.agents"}
    assert len({variant_name(s) for s in settings}) == 4


def test_conditions_and_the_best_variant():
    table = pd.DataFrame({"variant": ["a", "a", "b", "b", "c", "c"], "contact_type": "all",
                          "kpi": ["service_level", "cost"] * 3, "mean": [0.75, 100, 0.82, 120, 0.9, 150]})
    best, meeting = best_variant(table, [parse_condition("service_level>=0.8")], "cost")
    assert best == "b" and meeting == ["b", "c"]
    assert best_variant(table, [parse_condition("service_level>=0.95")], "cost") == (None, [])
    assert str(parse_condition("abandon_rate@billing<=0.05")) == "abandon_rate@billing <= 0.05"
    with pytest.raises(ValueError, match="quote it"):
        parse_condition("service_level")


def test_a_sweep_pairs_every_variant_with_the_first_and_names_the_cheapest_meeting_the_target(tmp_path):
    out = tmp_path / "out"
    result = invoke("sweep", write(tmp_path, SMALL), "--vary", f"{EARLY}=3..5", "--target", "service_level>=0.5",
                    "-r", 3, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:3]) == ["variant", EARLY, "contact_type"]
    first = table[(table.variant == "agents=3") & table["diff"].notna()]
    assert (first["diff"] == 0).all()  # the first variant is paired with itself
    level = table[(table.contact_type == "all") & (table.kpi == "service_level")].set_index(EARLY)
    assert level["mean"].is_monotonic_increasing and (level.replications == 3).all()
    meeting = level[level["mean"] >= 0.5]
    cost = table[(table.contact_type == "all") & (table.kpi == "cost")].set_index(EARLY)["mean"]
    cheapest = cost.loc[meeting.index].idxmin()
    assert f"* best: agents={cheapest}" in result.output
    assert len(list((out / "variants").iterdir())) == 3


def test_sweep_input_errors_are_one_line(tmp_path):
    path = write(tmp_path, SMALL)
    for arguments, message in [(["--vary", "nonsense.key=1,2"], "nonsense"),
                               (["--vary", f"{EARLY}=1,2", "--best-by", "happiness"], "--best-by"),
                               (["--vary", f"{EARLY}=1..999", "--vary", "demand.scale=1..2:0.01"], "at most"),
                               (["--vary", "demand.scale=1.0,1.1", "--vary", "demand.scale=1.2"], "more than once"),
                               (["--vary", "demand.scale=1.0,1.1", "--target", "service_level@biling>=0.5"],
                                "no row 'biling'"),
                               (["--vary", "demand.scale=1.0,1.1", "--best-by", "callback_delay_s"],
                                "does not model")]:
        result = invoke("sweep", path, *arguments, "-r", 2, "--out", tmp_path / "out")
        assert result.exit_code == 2 and message in result.output and no_traceback(result)
