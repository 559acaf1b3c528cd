"""Cursors hand out a draw in pieces with exactly the whole draw's values, and end where it ends."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import draw_cursor
from simulator.distributions import from_spec
from simulator.draw_cursor import cursor, in_turn

SPECS = [
    {"dist": "exponential", "mean": 60}, {"dist": "lognormal", "mean": 300, "cv": 1.2},
    {"dist": "gamma", "mean": 240, "cv": 0.4}, {"dist": "gamma", "mean": 240, "cv": 2.5},
    {"dist": "erlang", "mean": 100, "k": 3}, {"dist": "weibull", "shape": 0.7, "scale": 90},
    {"dist": "constant", "value": 42}, {"dist": "uniform", "low": 10, "high": 50},
    {"dist": "empirical", "values": [3, 5, 8, 13, 21]},
    {"dist": "mixture", "weights": [0.3, 0.7],
     "components": [{"dist": "constant", "value": 5}, {"dist": "lognormal", "mean": 300, "cv": 1.0}]},
    {"dist": "mixture", "weights": [0.5, 0.2, 0.3],  # nested: a mixture inside a mixture
     "components": [{"dist": "exponential", "mean": 30},
                    {"dist": "mixture", "weights": [0.5, 0.5],
                     "components": [{"dist": "empirical", "values": [1, 2]}, {"dist": "gamma", "mean": 9, "cv": 2}]},
                    {"dist": "weibull", "shape": 1.3, "scale": 90}]},
]
DISTRIBUTIONS = [from_spec(spec) for spec in SPECS] + [from_spec(SPECS[9]).scaled(1.7), from_spec(SPECS[1]).scaled(0.3)]


def _generator(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def _pieces(draw, size: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(0, size), max_size=5)))
    return [high - low for low, high in zip([0] + cuts, cuts + [size])]


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(0, 2 ** 32), st.lists(st.sampled_from(range(len(DISTRIBUTIONS) + 1)), min_size=1,
                                                    max_size=4), st.integers(0, 400))
def test_calls_in_turn_taken_in_pieces_match_the_whole_draws(data, seed, kinds, size):
    """Consecutive calls on one generator (None: uniforms), each taken in random pieces, interleaved
    call by call as the demand takes them, give the whole calls' values, and end where they end."""
    calls = [(None if kind == len(DISTRIBUTIONS) else DISTRIBUTIONS[kind], size) for kind in kinds]
    whole_rng = _generator(seed)
    whole = [whole_rng.random(size) if dist is None else dist.sample(whole_rng, size) for dist, size in calls]
    cursors = in_turn(_generator(seed), calls)
    got = [[] for _ in calls]
    for piece in _pieces(data.draw, size):
        for values, one in zip(got, cursors):
            values.append(one.take(piece))
    for expected, values in zip(whole, got):
        assert np.array_equal(expected, np.concatenate(values), equal_nan=True)
    assert cursors[-1].end().bit_generator.state == whole_rng.bit_generator.state


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 32), st.sampled_from(range(len(DISTRIBUTIONS))), st.integers(0, 300), st.integers(0, 300))
def test_a_cursor_ends_where_its_call_ends_whatever_was_taken(seed, kind, size, taken):
    """The end found by running ahead (LOOK_AHEAD values at a time) is where the whole call ends, whether
    or not anything was taken first."""
    dist, taken = DISTRIBUTIONS[kind], min(taken, size)
    whole_rng = _generator(seed)
    dist.sample(whole_rng, size)
    one = cursor(dist, _generator(seed), size)
    if taken:
        one.take(taken)
    assert one.end().bit_generator.state == whole_rng.bit_generator.state


def test_running_ahead_in_small_pieces_ends_in_the_same_place(monkeypatch):
    monkeypatch.setattr(draw_cursor, "LOOK_AHEAD", 7)
    for dist in DISTRIBUTIONS:
        whole_rng = _generator(5)
        dist.sample(whole_rng, 100)
        one = cursor(dist, _generator(5), 100)
        one.take(3)
        assert one.end().bit_generator.state == whole_rng.bit_generator.state, dist


def test_taking_past_the_draw_is_refused():
    one = in_turn(_generator(1), [(None, 3)])[0]
    one.take(3)
    try:
        one.take(1)
    except ValueError as error:
        assert "3 values" in str(error)
    else:
        raise AssertionError("took a value the draw does not have")
