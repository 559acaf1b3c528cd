"""Blocks of rows and windows of time a few rows and steps long, whatever the size of the run: the
KPI steps then take their block-by-block and window-by-window paths on a small log."""
from __future__ import annotations

from contextlib import contextmanager

from simulator import blocks, time_windows


@contextmanager
def small_blocks(rows: int = 97, steps: int = 211):
    """Blocks of `rows` rows and windows of about `steps` steps, for every log."""
    saved = {(module, name): getattr(module, name) for module, name in (
        (blocks, "ROWS_AT_ONCE"), (blocks, "ROWS_PER_BLOCK"), (time_windows, "STEPS_PER_WINDOW"))}
    blocks.ROWS_AT_ONCE, blocks.ROWS_PER_BLOCK = 0, rows
    time_windows.STEPS_PER_WINDOW = steps
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)
