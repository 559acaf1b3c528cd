"""`Table` against pandas, the reference it stands in for on `run`'s path: the dtypes pandas infers
from the same rows, `concat` as `pandas.concat`, and CSV files identical byte for byte to
`DataFrame.to_csv(index=False)` for every column kind the KPI tables hold (floats with NaN and
infinities, whole numbers, flags, text that needs quoting, date-times at every resolution, NaT)."""
from __future__ import annotations

import datetime
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.group_interval_kpis import clock_times
from simulator import table as table_module
from simulator.table import Table, concat

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None)

MISSING = object()
numbers = st.one_of(st.integers(-10**6, 10**6), st.integers(0, 50).map(np.int64),
                    st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6).map(np.float64),
                    st.just(np.nan), st.just(MISSING))
texts = st.text(st.sampled_from(list('ab ,"\n\r;xü')), max_size=6)


def _rows(draw_values, names):
    return [{name: value for name, value in zip(names, values) if value is not MISSING} for values in draw_values]


@SETTINGS
@given(st.integers(1, 6).flatmap(lambda width: st.lists(st.lists(numbers, min_size=width, max_size=width),
                                                         min_size=1, max_size=6)),
       st.lists(texts, min_size=6, max_size=6))
def test_rows_make_the_columns_pandas_makes(values, labels):
    names = [f"k{i}" for i in range(len(values[0]))]
    rows = [{"contact_type": label, **row} for label, row in zip(labels, _rows(values, names))]
    wanted = ["contact_type"] + names + ["never_given"]
    table = Table.from_rows(rows, wanted)
    frame = pd.DataFrame(rows).reindex(columns=wanted)
    pd.testing.assert_frame_equal(table.to_pandas(), frame, check_exact=True)


def test_text_may_have_gaps_but_not_numbers():
    rows = [{"contact_type": "a"}, {"contact_type": None}, {}]
    pd.testing.assert_frame_equal(Table.from_rows(rows, ["contact_type"]).to_pandas(),
                                  pd.DataFrame(rows).reindex(columns=["contact_type"]))
    with pytest.raises(ValueError, match="mixes text"):
        Table.from_rows([{"contact_type": "a"}, {"contact_type": 1.0}])


def test_flags_make_a_flag_column_and_may_not_mix_with_numbers():
    rows = [{"contact_type": "a", "vip": True}, {"contact_type": "b", "vip": np.bool_(False)}]
    pd.testing.assert_frame_equal(Table.from_rows(rows).to_pandas(), pd.DataFrame(rows))
    with pytest.raises(ValueError, match="mixes flags"):
        Table.from_rows([{"vip": True}, {"vip": 1.0}])
    with pytest.raises(ValueError, match="mixes flags"):
        Table.from_rows([{"vip": True}, {}])


def _same_csv(table: Table, frame: pd.DataFrame, tmp_path) -> None:
    table.write_csv(tmp_path / "ours.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def _times(offsets_us: list[int], unit_us: int) -> np.ndarray:
    start = np.datetime64("2024-03-01T00:00:00", "us")
    return start + (np.array(offsets_us, dtype=np.int64) * unit_us).astype("timedelta64[us]")


columns = st.integers(1, 12).flatmap(lambda size: st.fixed_dictionaries({
    "floats": st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=size, max_size=size),
    "whole": st.lists(st.integers(-2**62, 2**62), min_size=size, max_size=size),
    "flags": st.lists(st.booleans(), min_size=size, max_size=size),
    "text": st.lists(texts, min_size=size, max_size=size),
    "times": st.tuples(st.lists(st.integers(0, 10**4), min_size=size, max_size=size),
                       st.sampled_from([86_400_000_000, 1_800_000_000, 1_000_000, 1000, 1, 1_000_123]),
                       st.lists(st.booleans(), min_size=size, max_size=size)),
}))


@SETTINGS
@given(columns)
def test_csv_is_what_pandas_writes(tmp_path_factory, drawn):
    offsets, unit, missing = drawn["times"]
    times = _times(offsets, unit)
    times[np.array(missing)] = np.datetime64("NaT")
    table = Table({"interval_start": times, "contact_type": np.array(drawn["text"], dtype=object),
                   "rate": np.array(drawn["floats"]), "offered": np.array(drawn["whole"], dtype=np.int64),
                   "flag": np.array(drawn["flags"])})
    with mock.patch.object(table_module, "CSV_SLICE_ROWS", 4):  # several slices: one date-time unit for all
        _same_csv(table, table.to_pandas(), tmp_path_factory.mktemp("csv"))


def test_a_fractional_second_grid_is_written_to_the_millisecond(tmp_path):
    """One case the random grids above hold rarely on their own: pandas' coarsest exact resolution."""
    table = Table({"interval_start": _times([0, 1, 2], 1_500_000), "x": np.array([1.0, np.nan, 0.1])})
    _same_csv(table, table.to_pandas(), tmp_path)
    assert "2024-03-01 00:00:01.500" in (tmp_path / "ours.csv").read_text()


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.integers(0, 9), st.floats(0, 9)), min_size=2, max_size=2),
                min_size=1, max_size=4))
def test_concat_is_pandas_concat(parts):
    tables = [Table.from_rows([{"contact_type": "a", "x": x, "y": y}]) for x, y in parts]
    frame = pd.concat([table.to_pandas() for table in tables], ignore_index=True)
    pd.testing.assert_frame_equal(concat(tables).to_pandas(), frame, check_exact=True)


def test_concat_refuses_tables_with_other_columns():
    with pytest.raises(ValueError, match="same columns"):
        concat([Table({"a": np.zeros(1)}), Table({"b": np.zeros(1)})])


def test_columns_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match="unequal length"):
        Table({"a": np.zeros(2), "b": np.zeros(3)})


def test_a_replication_column_goes_first_and_rows_are_picked_in_order():
    table = Table.from_rows([{"contact_type": "a", "x": 1.5}, {"contact_type": "b", "x": np.nan}])
    tagged = table.with_first("replication", 3)
    assert tagged.names == ["replication", "contact_type", "x"]
    assert tagged["replication"].dtype == np.int64
    assert list(tagged.take(np.array([1, 0])).records())[0]["contact_type"] == "b"


@SETTINGS
@given(st.integers(0, 10**6), st.sampled_from([60.0, 900.0, 1800.0, 3600.0, 86400.0, 90.5, 0.25]),
       st.integers(1, 50))
def test_interval_starts_are_the_old_pandas_clock_times(warmup_s, interval_s, count):
    """`clock_times` replaced `Timestamp(start) + to_timedelta(seconds, unit="s")`: the same instants
    whenever the float seconds are exact whole microseconds (whole seconds, halves, quarters…)."""
    start = datetime.datetime(2024, 1, 1, 8, 30)
    seconds = warmup_s + interval_s * np.arange(count)
    old = pd.Timestamp(start) + pd.to_timedelta(pd.Series(seconds), unit="s")
    assert (clock_times(start, seconds) == old.to_numpy().astype("datetime64[us]")).all()


def test_a_fractional_interval_is_labelled_to_the_microsecond_it_means():
    """A 100.1 s interval is not exact in binary: pandas' nanosecond stamps showed the float's error
    (`…28.600000001`); the labels now round to the microsecond, which every duration a scenario can
    write (milliseconds at the finest) is exactly."""
    start = datetime.datetime(2024, 1, 1)
    labels = clock_times(start, 100.1 * np.arange(400))
    assert labels.dtype == np.dtype("datetime64[us]")
    assert labels[86] == np.datetime64("2024-01-01T02:23:28.600", "us")  # 100.1 × 86 = 8608.6 s
    assert not (labels.astype(np.int64) % 100_000).any()  # every one a whole tenth of a second
