"""The demand drawn a piece at a time is the demand drawn whole, and fates are let go of only when done.

A run draws its contacts' fates a piece at a time as it reaches them (fates.DemandStream) and hands
back the fates of pieces whose contacts are all done (contact_book, fate_store). Any piece size must
give the run a whole draw gives, visit for visit; a fate handed back too early would be read as
garbage here, because the tests overwrite every released row instead of handing its pages back.
"""
from __future__ import annotations

import dataclasses
import mmap
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.format.scenario import load_scenario
from simulator import fate_store
from simulator.engine import Engine
from simulator.eventlog import OPEN, EventLog
from simulator.fate_store import FateStore
from simulator.fates import DemandStream, draw_demand
from simulator.roster import build_roster

from .test_invariants import SETTINGS, seeds
from .test_lifecycle import lifecycle_models

WHOLE = 1 << 40
LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
EPISODE_FIELDS = ("handle_s", "after_call_work_s", "patience_s", "escalations", "stage_handle_s", "repeat_delay_s",
                  "next_episode", "episode_number", "retrial_delay_s", "retrial_patience_s", "escalation_coin",
                  "callback_accept", "callback_reach")


def _poison(store: FateStore, start: int, stop: int) -> None:
    """Instead of handing the pages back: overwrite the rows with garbage (a huge number), so a fate
    read after its release changes the run."""
    for mapping, itemsize in store._maps:
        np.frombuffer(mapping, np.uint8)[start * itemsize:stop * itemsize] = 0x7F


def _run(model, seed: int, piece: int) -> EventLog:
    engine = Engine(model, DemandStream(model, seed, 0, piece), build_roster(model, seed, 0), seed, 0)
    try:
        return engine.run()
    finally:
        engine.close()


@SETTINGS
@given(lifecycle_models(retrials=True), seeds, st.integers(1, 40), st.sampled_from([1.0, 0.6, 1.7]))
def test_a_run_drawn_in_pieces_is_the_run_drawn_whole(model, seed, piece, scale):
    """Every visit column is the same to the bit for any piece size (thinned and extra cohorts too),
    with every released fate poisoned: none is read after its piece is let go of."""
    model = dataclasses.replace(model, demand_scale=scale)
    whole = _run(model, seed, WHOLE)
    with mock.patch.object(FateStore, "release", _poison):
        pieces = _run(model, seed, piece)
    for name, field in EventLog.__dataclass_fields__.items():
        if isinstance(getattr(whole, name), np.ndarray):
            assert np.array_equal(getattr(whole, name), getattr(pieces, name), equal_nan=True), name


@SETTINGS
@given(lifecycle_models(), seeds, st.integers(1, 30), st.sampled_from([1.0, 0.5, 1.5]))
def test_each_piece_holds_the_whole_draws_fates_of_its_contacts(model, seed, piece, scale):
    """Piece by piece, every per-contact and per-episode fate (repeat episodes at their rows) is the
    whole draw's."""
    model = dataclasses.replace(model, demand_scale=scale)
    whole = draw_demand(model, seed, 0)
    stream = DemandStream(model, seed, 0, piece)
    assert (stream.contacts, stream.episodes) == (len(whole), len(whole.handle_s))
    for part in stream.pieces():
        contacts = np.arange(part.first_contact, part.first_contact + len(part))
        for name in ("arrival_s", "contact_type", "serial", "tier", "priority", "deflection", "tried_self_service"):
            assert np.array_equal(getattr(whole, name)[contacts], getattr(part, name)), name
        rows = np.concatenate([contacts, part.rows_of_repeats()])
        for name in EPISODE_FIELDS:
            mine, theirs = getattr(whole, name), getattr(part, name)
            assert np.array_equal(mine[rows] if len(mine) else mine, theirs, equal_nan=True), name


def test_released_rows_read_zero_and_their_neighbours_keep_their_values():
    """Whole pages inside the released rows go back to the system (they read zero again); rows
    sharing a page with rows outside keep their values."""
    if not fate_store._CAN_RELEASE:
        pytest.skip("this system cannot hand pages back")
    per_page = mmap.PAGESIZE // 8
    store = FateStore(10 * per_page)
    column = store.column("f8")
    column[:] = 1.5
    store.release(per_page // 2, 5 * per_page + 3)
    assert (column[:per_page] == 1.5).all()  # the page the range starts inside stays
    assert (column[per_page:5 * per_page] == 0).all()
    assert (column[5 * per_page:] == 1.5).all()  # so does the page it ends inside


def test_a_run_hands_back_the_fates_of_finished_pieces_as_it_goes():
    """Pieces whose contacts are all done are let go of during the run (checked as each piece comes
    in): at its end only those with a contact still in progress and the last two are held."""
    model = load_scenario(LIBRARY / "baseline.yaml").model
    engine = Engine(model, DemandStream(model, 1, 0, 100), build_roster(model, 1, 0), 1, 0)
    log = engine.run()
    held = [first // 100 for first, _, _ in engine.book.in_progress.held]
    engine.close()
    in_progress = np.unique(log.contact_id[log.outcome == OPEN] // 100)
    pieces = -(-log.contacts // 100)
    assert pieces > 50 and set(held) <= set(in_progress) | {pieces - 2, pieces - 1}
