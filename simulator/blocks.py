"""A long replication's rows a block at a time, with the sums the whole log would give.

The KPI tables read per-visit and per-contact columns. Over a year (9 million visits) a temporary of
8 bytes a visit is 70 MiB, and a step that holds a few of them at once outgrows the event log itself.
So past ROWS_AT_ONCE rows the tables work on blocks of ROWS_PER_BLOCK consecutive rows (a short run is
read at once: fewer, larger numpy calls), and put the blocks' parts together in
row order with the very floating-point steps a whole-log pass takes: counts add exactly; a weighted
count per bin is `np.add.at` into one total, row after row, which is what `np.bincount` does; and
values gathered for a mean or a percentile (numpy sums those pairwise, so they cannot be summed a
block at a time) are written block after block into one array, in row order.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np

ROWS_AT_ONCE = 1 << 18  # up to this many rows are read at once (some 25 MiB of temporaries at most)
ROWS_PER_BLOCK = 1 << 16  # past it, a block's temporaries are a few MiB; tests set both small


def row_blocks(count: int) -> list[slice]:
    """Consecutive rows [0, count) in blocks (one for a short run; one empty block when there are no rows)."""
    size = max(count, 1) if count <= ROWS_AT_ONCE else ROWS_PER_BLOCK
    return [slice(start, min(start + size, count)) for start in range(0, count, size)] or [slice(0, 0)]


def rows_of(block: slice, flags: np.ndarray) -> np.ndarray:
    """The rows of a block whose flag is set (`flags`: one per row of the block), in order."""
    return np.flatnonzero(flags) + block.start



class Parts:
    """A table's part for each block of rows, made by `make(block)`. With one block (a short run) the
    part is made once and kept for every pass; with several, each pass makes them again and lets each
    go, so at most one block's part is held."""

    def __init__(self, count: int, make: Callable[[slice], object]):
        self.blocks, self.make = row_blocks(count), make
        self.kept = make(self.blocks[0]) if len(self.blocks) == 1 else None

    def __iter__(self) -> Iterator:
        if self.kept is not None:
            yield self.kept
            return
        for block in self.blocks:
            yield self.make(block)


def gathered(count: int, parts: Iterable[np.ndarray]) -> np.ndarray:
    """The parts one after another in one new array of `count` values: what np.concatenate gives,
    without holding every block's part at once (a mean or a percentile is then taken of the whole, as
    numpy sums it pairwise; the caller may reorder it)."""
    return gathered_by([count], ((None, part) for part in parts))[0]


def gathered_by(counts, parts: Iterable[tuple[np.ndarray | None, np.ndarray]]) -> list[np.ndarray]:
    """`gathered` for each key (`parts`: a key and a value per row, block after block; keys None: all
    of key 0): its values in row order, `counts[key]` of them."""
    values, filled = [np.empty(count) for count in counts], np.zeros(len(counts), np.int64)
    for keys, part in parts:
        for key, into in enumerate(values):
            mine = part if keys is None else part[np.flatnonzero(keys == key)]  # by index: faster than a mask
            into[filled[key]:filled[key] + len(mine)] = mine
            filled[key] += len(mine)
    assert list(filled) == list(counts), (filled, counts)
    return values
