"""The numpy warnings say exactly what the pandas ones said: the same list of strings, on random
tables and on library scenarios, whichever form the table comes in (the runner's DataFrame, the
report's DataFrame read back from CSV, or a light table of numpy arrays). The numpy group means and
sds may differ from pandas' in the last bit (pandas adds up with compensated sums); the random
values below keep clear of exact ties, so such a bit could only show as a wrong warning or digit,
which is what these tests catch."""
from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from scenarios.experiment import alerts as numpy_alerts
from scenarios.experiment.runner import run_experiment
from scenarios.format.scenario import load_scenario
from simulator.stats import t_quantile

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
LIBRARY = Path(__file__).parents[2] / "scenarios" / "library"
NAMES = ("contact_type", "group")
KINDS = ("capacity", "per run arrived", "not clearing")  # a word of each warning


# --- The reference: alerts.py before numpy (pandas), its functions as they were ------------------

EXAMPLES = 3


def pandas_alerts(intervals: pd.DataFrame, group_intervals: pd.DataFrame) -> list[str]:
    """The pre-numpy reference: alerts.py's pandas implementation, kept verbatim as the oracle."""
    return over_capacity(group_intervals) + nobody_on_shift(intervals) + backlog_not_clearing(intervals)


def over_capacity(group_intervals: pd.DataFrame) -> list[str]:
    grouped = group_intervals.groupby(["group", "interval_start"], sort=False)
    means = grouped[["offered_load", "agents_on_shift_mean"]].mean()
    count, sd = grouped.offered_load.count(), grouped.offered_load.std(ddof=1).fillna(np.inf)
    if count.empty or count.max() < 2:
        return []  # one replication gives no confidence (and a run of one need not load scipy)
    lowest = means.offered_load - t_quantile(0.975, np.maximum(count - 1, 1)) * sd / np.sqrt(count)
    staffed = means.agents_on_shift_mean
    over = means[(staffed >= 1) & (lowest > staffed)].reset_index()
    found = []
    for group, rows in over.groupby("group", sort=False):
        peak = (rows.offered_load / rows.agents_on_shift_mean).max()
        found.append(f"{group} is over 100 % of its capacity in {len(rows)} interval(s) "
                     f"({_examples(rows.interval_start)}): the work arriving (offered load) exceeds its agents "
                     f"on shift, at worst {peak:.0%} of them.")
    return found


def nobody_on_shift(intervals: pd.DataFrame) -> list[str]:
    types = intervals[intervals.contact_type != "all"]
    impatient = types.groupby("contact_type", sort=False).abandon_rate.count() > 0  # any rate at all
    types = types[types.contact_type.map(impatient)]  # abandonment not modelled: the type waits by design
    means = types.groupby(["contact_type", "interval_start"], sort=False).agg(
        offered=("offered", "mean"), staffed=("agents_on_shift_mean", "max")).reset_index()
    empty = means[(means.offered > 0) & (means.staffed == 0)]
    return [f"{rows.offered.sum():.1f} {name} contact(s) per run arrived in {len(rows)} interval(s) when nobody "
            f"who can answer them was on shift ({_examples(rows.interval_start)}); they abandon, or wait, "
            f"until someone starts." for name, rows in empty.groupby("contact_type", sort=False)
            if rows.offered.sum() >= 1]


def backlog_not_clearing(intervals: pd.DataFrame) -> list[str]:
    if intervals.replication.nunique() < 2:
        return []  # one replication gives no confidence
    everything = intervals[intervals.contact_type == "all"].copy()
    everything["day"] = pd.to_datetime(everything.interval_start).dt.normalize()
    staffed = everything.groupby("day").agents_on_shift_mean.max()
    everything = everything[everything.day.isin(staffed.index[staffed > 0])]
    lowest = everything.groupby(["replication", "day"]).queue_len_mean.min().unstack("day")
    if lowest.shape[1] < 2 or len(lowest) < 2:
        return []
    rise = (lowest.iloc[:, -1] - lowest.iloc[:, 0]).to_numpy(dtype=float)
    half = t_quantile(0.975, len(rise) - 1) * rise.std(ddof=1) / np.sqrt(len(rise))
    first, last = lowest.iloc[:, 0].mean(), lowest.iloc[:, -1].mean()
    if rise.mean() - half <= 0 or last < 1:
        return []
    return [f"the front-line backlog is not clearing: at the quietest moment of each day {first:.1f} contacts "
            f"wait on the first working day and {last:.1f} on the last ({lowest.shape[1]} working days; rise {rise.mean():.1f} "
            f"±{half:.1f}); see backlog_end."]


def _examples(starts: pd.Series) -> str:
    stamps = pd.to_datetime(starts)
    labels = [f"{stamp:%a %d %b %H:%M}" for stamp in stamps.iloc[:EXAMPLES]]
    return ", ".join(labels) + (", …" if len(stamps) > EXAMPLES else "")


# --- The three forms a table comes in ---------------------------------------------------------------

def read_back(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the report sees it: written to CSV and read with `read_table`'s options."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer, keep_default_na=False, na_values=[""])


def light(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The light column table's arrays: datetime64[us] starts, names as Python str, numbers as they are."""
    return {name: (frame[name].to_numpy(dtype="datetime64[us]") if name == "interval_start"
                   else np.asarray(frame[name], dtype=object) if name in NAMES else frame[name].to_numpy())
            for name in frame.columns}


def assert_same_in_every_form(intervals: pd.DataFrame, group_intervals: pd.DataFrame) -> list[str]:
    expected = pandas_alerts(intervals, group_intervals)
    assert numpy_alerts.alerts(intervals, group_intervals) == expected
    assert numpy_alerts.alerts(light(intervals), light(group_intervals)) == expected
    intervals_csv, group_intervals_csv = read_back(intervals), read_back(group_intervals)
    assert numpy_alerts.alerts(intervals_csv, group_intervals_csv) == pandas_alerts(intervals_csv, group_intervals_csv)
    return expected


# --- Random results: shifts with gaps, loads above and below the agents, backlogs rising or not ------

@st.composite
def results(draw):
    """(intervals, group_intervals) as the runner lays them out (replication, interval, name), shuffled
    or sorted by key; the shape is drawn, the values come from a generator seeded by the draw."""
    replications = draw(st.sampled_from([3, 2, 4, 1]))  # first the choices that warn, as hypothesis favours them
    step = draw(st.sampled_from([30, 60, 180, 480, 1440]))  # minutes: every grid is a 30-minute one
    first = pd.Timestamp("2024-01-01") + pd.Timedelta(days=draw(st.integers(0, 6)),
                                                      minutes=30 * draw(st.sampled_from([0, 0, 17, 47])))
    count = max(1, draw(st.sampled_from([3, 2, 1, 4])) * 1440 // step - draw(st.integers(0, 3)))  # a few days
    starts = first + pd.to_timedelta(np.arange(count) * step, unit="min")
    types = draw(st.lists(st.sampled_from(["calls", "chat", "email", "priority:1"]), min_size=1, max_size=3,
                          unique=True))
    patient = draw(st.sets(st.sampled_from(types)))  # abandonment not modelled: abandon_rate all empty
    groups = draw(st.lists(st.sampled_from(["l1", "l2", "field"]), min_size=1, max_size=3, unique=True))
    load = draw(st.sampled_from([2.0, 1.3, 0.9, 0.5]))  # offered load over agents on shift
    noise = draw(st.sampled_from([0.02, 0.0, 0.3]))
    rise = draw(st.sampled_from([6.0, 2.0, 0.5, 0.0, -3.0]))  # the backlog's growth per day
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    day = ((starts - starts[0].normalize()) // pd.Timedelta(days=1)).to_numpy()
    day_off = rng.integers(0, day.max() + 2)  # nobody works that day (none if past the last)
    agents = {name: np.where((rng.random(len(starts)) < 0.7) & (day != day_off),
                             rng.choice([0.05, 0.5, 1.0, 2.0, 3.5], len(starts)), 0.0) for name in types + groups}
    offered = {name: rng.poisson(rng.choice([0.0, 0.4, 3.0]), len(starts)) for name in types}
    rows, group_rows = [], []
    for replication in range(replications):
        drift = rng.normal(0, 1 + 5 * noise)
        for index, start in enumerate(starts):
            for name in types:
                rows.append((replication, start, name, offered[name][index], agents[name][index],
                             np.nan if name in patient or not offered[name][index] else rng.random() * 0.3,
                             rng.random() * 5))
            queue = max(0.0, 2 + rise * day[index] + drift + rng.normal(0, 1))
            rows.append((replication, start, "all", sum(offered[name][index] for name in types),
                         sum(agents[name][index] for name in types), rng.random() * 0.3,
                         np.nan if rng.random() < 0.03 else queue))
            for name in groups:
                staffed = agents[name][index]
                group_rows.append((replication, start, name, staffed * (1 + noise * rng.normal()),
                                   np.nan if rng.random() < 0.05 else staffed * load * (1 + noise * rng.normal())))
    intervals = pd.DataFrame(rows, columns=["replication", "interval_start", "contact_type", "offered",
                                            "agents_on_shift_mean", "abandon_rate", "queue_len_mean"])
    group_intervals = pd.DataFrame(group_rows, columns=["replication", "interval_start", "group",
                                                        "agents_on_shift_mean", "offered_load"])
    layout = draw(st.sampled_from(["runner", "shuffled", "by key"]))
    if layout == "shuffled":
        intervals = intervals.sample(frac=1, random_state=rng.integers(2**31)).reset_index(drop=True)
        group_intervals = group_intervals.sample(frac=1, random_state=rng.integers(2**31)).reset_index(drop=True)
    if layout == "by key":  # each key's rows together
        intervals = intervals.sort_values(["contact_type", "interval_start"], kind="stable", ignore_index=True)
        group_intervals = group_intervals.sort_values(["group", "interval_start"], kind="stable", ignore_index=True)
    return (runner_types(intervals), runner_types(group_intervals))


def runner_types(frame: pd.DataFrame) -> pd.DataFrame:
    """The runner's dtypes: datetime64[us] starts, str names, int64 counts and replications."""
    frame["interval_start"] = frame.interval_start.astype("datetime64[us]")
    for name in set(NAMES) & set(frame.columns):
        frame[name] = frame[name].astype("str")
    return frame


def test_the_warnings_are_the_pandas_ones_on_random_results():
    """Each example in the three forms; each warning must fire in a good share of them, or the
    agreement would say little."""
    fired = Counter()

    @SETTINGS
    @given(results())
    def check(tables):
        found = assert_same_in_every_form(*tables)
        for kind in KINDS:
            if any(kind in line for line in found):
                event(f"warns: {kind}")
                fired[kind] += 1
        fired["examples"] += 1

    check()
    assert all(fired[kind] >= fired["examples"] // 8 for kind in KINDS), fired


def test_the_warnings_are_the_pandas_ones_on_library_scenarios():
    """Two replications of library scenarios that warn: the bank (over capacity, nobody on shift) and
    the IT helpdesk at twice its demand (all three, the backlog's too)."""
    for name, overrides in (("bank", ()), ("it-helpdesk", ("demand.scale=2",))):
        results = run_experiment(load_scenario(LIBRARY / f"{name}.yaml", overrides).model, 2, 1)
        assert assert_same_in_every_form(results.intervals, results.group_intervals)


@SETTINGS
@given(st.integers(1, 60), st.integers(1, 8), st.sampled_from([0.0, 0.1]), st.integers(0, 2**32 - 1))
def test_group_statistics_are_pandas_groupbys(rows, keys, missing, seed):
    """Count, mean, sd (ddof=1), max and min per key, missing values left out, against pandas'
    groupby (equal but for the last bits of the sums: pandas adds up with compensation)."""
    from scenarios.experiment.alerts import _Replicates
    rng = np.random.default_rng(seed)
    key, values = rng.integers(0, keys, rows), rng.normal(3.7, 0.5, rows)
    values[rng.random(rows) < missing] = np.nan
    grouped = pd.Series(values).groupby(key)
    mine = _Replicates(key, values, keys)
    for ours, theirs in ((mine.count, grouped.count()), (mine.mean(), grouped.mean()),
                         (mine.sd(), grouped.std(ddof=1)), (mine.max(), grouped.max()), (mine.min(), grouped.min())):
        np.testing.assert_allclose(ours[theirs.index], theirs.to_numpy(dtype=float), rtol=1e-12)
    assert (mine.count[np.setdiff1d(range(keys), key)] == 0).all()
