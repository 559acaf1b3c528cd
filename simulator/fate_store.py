"""Per-episode fate columns over all the run's episode rows, holding memory only where fates are drawn
and still needed.

Each column is an anonymous memory mapping: the operating system backs a page with memory when it is
first written, so rows not drawn yet cost nothing, and `release` hands the pages of finished contacts
back. The engine indexes the columns by episode row as it always did (one flat array per fate, read
in place), while a long run holds only the fates of the contacts still in progress. Where the system
cannot release pages this way (not Linux), the pages stay: the run is as large as a whole draw, no more.
"""
from __future__ import annotations

import mmap
import sys

import numpy as np

PAGE = mmap.PAGESIZE
_PRIVATE = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}  # shared pages would stay
# Linux frees (and zero-fills) private pages on MADV_DONTNEED; macOS's keeps them, Windows has no madvise
_CAN_RELEASE = sys.platform.startswith("linux") and bool(_PRIVATE) and hasattr(mmap, "MADV_DONTNEED")


class FateStore:
    """The fate columns of `rows` episode rows."""

    def __init__(self, rows: int):
        self.rows = rows
        self._maps: list[tuple[mmap.mmap, int]] = []  # each column's mapping and item size

    def column(self, dtype) -> np.ndarray:
        """A zero-filled column (no memory until written)."""
        dtype = np.dtype(dtype)
        size = max(self.rows * dtype.itemsize, 1)
        mapping = mmap.mmap(-1, size, **_PRIVATE)
        self._maps.append((mapping, dtype.itemsize))
        return np.frombuffer(mapping, dtype=dtype, count=self.rows)

    def release(self, start: int, stop: int) -> None:
        """Hand back the whole pages of rows [start, stop) in every column (rows sharing a page with
        rows outside stay). Their values read as zero afterwards: only finished contacts' rows are
        released, and nothing reads those again."""
        if not _CAN_RELEASE:
            return
        for mapping, itemsize in self._maps:
            first = -(-start * itemsize // PAGE) * PAGE  # rounded up to a page
            last = stop * itemsize // PAGE * PAGE  # rounded down
            if last > first:
                mapping.madvise(mmap.MADV_DONTNEED, first, last - first)

    def release_rows(self, rows: np.ndarray) -> None:
        """`release` each run of consecutive rows (rising) in `rows`."""
        if not len(rows):
            return
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        for begin, end in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(rows)]))):
            self.release(int(rows[begin]), int(rows[end - 1]) + 1)
