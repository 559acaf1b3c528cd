"""A light table of named numpy columns: what the KPI steps build and `run` writes.

pandas takes about 0.3 s to import, half the start-up budget of a one-replication `run`, and the
KPI path needs none of its machinery: rows of a few types, joined, written as CSV. So the KPI steps
build `Table`s, a run writes them as pandas' `to_csv(index=False)` would, byte for byte, and a
`DataFrame` (with the dtypes pandas infers from the same rows) is made only when a caller asks for
one (`to_pandas`): comparisons, sweeps, staffing, the report and notebooks.

Column kinds: float64 (NaN is an empty cell), int64, bool, text (an object array of `str`) and
datetime64[us].
"""
from __future__ import annotations

import csv
from typing import Iterable, Iterator

import numpy as np

_MISSING = object()
CSV_SLICE_ROWS = 65_536


class Table:
    """Named columns of equal length, in order."""

    def __init__(self, columns: dict[str, np.ndarray]):
        self.columns = {name: np.asarray(values) for name, values in columns.items()}
        lengths = {len(values) for values in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal length: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0

    @classmethod
    def from_rows(cls, rows: list[dict], names: list[str] | None = None) -> Table:
        """As `pandas.DataFrame(rows).reindex(columns=names)`: a name no row has is all NaN; whole
        numbers in every row make an int64 column, any gap or fraction float64."""
        if names is None:
            names = list(dict.fromkeys(name for row in rows for name in row))
        return cls({name: _column([row.get(name, _MISSING) for row in rows]) for name in names})

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def with_first(self, name: str, value) -> Table:
        """This table with a constant column in front (the replication index of its rows)."""
        return Table({name: np.full(self._length, value), **self.columns})

    def take(self, rows) -> Table:
        """The rows a boolean mask or an index array picks, in its order."""
        return Table({name: values[rows] for name, values in self.columns.items()})

    def records(self) -> Iterator[dict]:
        """Each row as a dict of Python values."""
        lists = {name: values.tolist() for name, values in self.columns.items()}
        for index in range(self._length):
            yield {name: values[index] for name, values in lists.items()}

    def to_pandas(self):
        """The table as a DataFrame, with the dtypes pandas gives the same rows (pandas loads here)."""
        import pandas as pd
        return pd.DataFrame(self.columns, index=pd.RangeIndex(self._length))

    def __repr__(self) -> str:
        return f"Table({self._length} rows: {', '.join(self.names)})"

    def write_csv(self, path) -> None:
        """As `DataFrame.to_csv(path, index=False)` writes it, byte for byte, a slice of rows at a
        time (text cells take far more memory than the numbers they spell)."""
        units = {name: _time_unit(values) for name, values in self.columns.items() if values.dtype.kind == "M"}
        with open(path, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(self.names)
            for first in range(0, self._length, CSV_SLICE_ROWS):
                rows = slice(first, first + CSV_SLICE_ROWS)
                writer.writerows(zip(*(_cells(values[rows], units.get(name))
                                       for name, values in self.columns.items())))


def concat(tables: Iterable[Table]) -> Table:
    """The rows of every table, in order (as `pandas.concat(..., ignore_index=True)`): all tables must
    have the same columns; a column whole in one and fractional in another becomes float64."""
    tables = list(tables)
    if not tables:
        return Table({})
    names = tables[0].names
    if any(table.names != names for table in tables[1:]):
        raise ValueError("tables to join must have the same columns in the same order")
    return Table({name: np.concatenate([table[name] for table in tables]) for name in names})


def _column(values: list) -> np.ndarray:
    """One column from row values as pandas infers it (text, flags, whole numbers, else floats)."""
    present = [value for value in values if value is not _MISSING and value is not None]
    texts = sum(isinstance(value, str) for value in present)
    if texts and texts < len(present):
        raise ValueError("a column mixes text with numbers; pandas would keep it as objects")
    if texts:
        return np.array([None if value is _MISSING else value for value in values], dtype=object)
    flags = sum(isinstance(value, (bool, np.bool_)) for value in present)
    if flags and (flags < len(values) or len(present) < len(values)):
        raise ValueError("a column mixes flags with numbers or gaps; pandas would keep it as objects")
    if flags:
        return np.array(values, dtype=bool)
    if len(present) == len(values) and values:
        if all(isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) for value in values):
            return np.array(values, dtype=np.int64)
    return np.array([np.nan if value is _MISSING or value is None else value for value in values], dtype=float)


def _cells(values: np.ndarray, time_unit: str | None = None) -> list[str]:
    """A column's CSV cells as pandas writes them: floats in their shortest exact form, NaN empty."""
    kind = values.dtype.kind
    if kind == "f":
        cells = values.astype(str)
        cells[np.isnan(values)] = ""
        return cells.tolist()
    if kind in "iub":
        return values.astype(str).tolist()
    if kind == "M":
        return _datetime_cells(values, time_unit)
    return ["" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value) for value in values]


def _time_unit(values: np.ndarray) -> str:
    """The finest unit any date-time of the whole column needs (pandas' rule): days when every value
    is a midnight, else seconds, milliseconds or microseconds."""
    micro = values.astype("datetime64[us]")
    ticks = micro[~np.isnat(micro)].astype(np.int64)
    if not np.any(ticks % 86_400_000_000):
        return "D"
    return "s" if not np.any(ticks % 1_000_000) else "ms" if not np.any(ticks % 1000) else "us"


def _datetime_cells(values: np.ndarray, unit: str | None) -> list[str]:
    """Date and time to `unit` (the whole column's, `_time_unit`); NaT empty."""
    micro = values.astype("datetime64[us]")
    known = ~np.isnat(micro)
    cells = np.full(len(values), "", dtype=object)
    if known.any():
        cells[known] = np.char.replace(np.datetime_as_string(micro[known], unit=unit or _time_unit(values)), "T", " ")
    return cells.tolist()
