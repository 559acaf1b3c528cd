"""Changing a distribution without restating it: `scale` (every value times a factor) or `mean` (the
mean moved, the shape and cv kept), on any family, fitted mixtures included.

A what-if on a calibrated profile ("handle times 10 % shorter") must not need the fitted parameters
copied out. Both edits multiply every value by one factor, which keeps any family's shape; where
`scale` or `mean` is the family's own parameter (a weibull's `scale`, a gamma's `mean`) it stays that.
"""
from __future__ import annotations

import math

from simulator import units
from simulator.distributions import Distribution, from_spec, known_parameters
from simulator.limits import MAX_FACTOR

from .yamlfile import ScenarioError

EDITS = ("scale", "mean")


def edited_distribution(spec: dict) -> Distribution:
    """The distribution of `spec`, with a `scale` or `mean` that is not a parameter of its family applied."""
    if "dist" not in spec and spec and set(spec) <= set(EDITS) | {"cv"}:
        raise ValueError(f"`{'`, `'.join(sorted(spec))}` changes an inherited distribution (from `extends` or "
                         "`demand.profile`), and there is none here: give the whole distribution, e.g. "
                         "{dist: exponential, mean: 5min} (with --set, set the key itself: `handle_time.scale=0.9`)")
    if "dist" not in spec:
        return from_spec(spec)  # its error says what a distribution is
    kind, own = str(spec["dist"]).lower(), _own_parameters(spec)
    _refuse_unknown(spec, kind, own)
    edits = {key: spec[key] for key in EDITS if key in spec and key not in own}
    if len(edits) > 1:
        raise ValueError("give `scale` (a factor) or `mean` (a duration), not both: each sets the other")
    base = from_spec(_with_edited_components({key: value for key, value in spec.items() if key not in edits}))
    if "scale" in edits:
        return base.scaled(_factor(edits["scale"]))
    if "mean" in edits:
        return base.scaled(units.duration(edits["mean"]) / _positive_mean(base, kind))
    return base


def _with_edited_components(spec: dict) -> dict:
    """A mixture's components may carry edits too (`--set …handle_time.components.1.mean=3min`):
    an edited component is written out as the `scaled` distribution it is; the others stay as given."""
    components = spec.get("components")
    if str(spec["dist"]).lower() != "mixture" or not isinstance(components, list):
        return spec
    return {**spec, "components": [_component(component) for component in components]}


def _component(spec):
    if not isinstance(spec, dict) or "dist" not in spec:
        return spec
    distribution = edited_distribution(spec)  # refuses what it would refuse on its own
    return distribution.to_spec() if set(EDITS) & set(spec) - _own_parameters(spec) else spec


def _own_parameters(spec: dict) -> set[str]:
    """The family's parameters as this spec gives them: a lognormal written by `mu` and `sigma` has
    no `mean` or `cv` of its own (a `mean` moves it keeping sigma)."""
    own = known_parameters(str(spec["dist"]).lower())
    if str(spec["dist"]).lower() == "lognormal" and ("mu" in spec or "sigma" in spec):
        return own - {"mean", "cv"}
    return own


def _refuse_unknown(spec: dict, kind: str, own: set[str]) -> None:
    unknown = sorted(set(spec) - {"dist"} - own - set(EDITS))
    if not unknown:
        return
    parameters = sorted(own - {"reported_mean_s", "reported_cv"})
    hint = (f"; its cv follows from {', '.join(parameters)}: give the whole distribution to change it"
            if unknown == ["cv"] else "")
    raise ValueError(f"{kind} takes {parameters} (and `scale` or `mean` to change it keeping its shape), "
                     f"not {unknown}{hint}")


def _factor(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_FACTOR:
        raise ValueError(f"`scale` multiplies every value: expected a positive number like 0.9 (at most {MAX_FACTOR:g}), "
                         f"got {value!r}")
    return float(value)


def _positive_mean(base: Distribution, kind: str) -> float:
    mean = float(base.mean)
    if not 0 < mean < math.inf:
        raise ValueError(f"this {kind} has mean {mean:g} s: `mean` multiplies its values, which needs a positive mean; "
                         f"give the whole distribution instead")
    return mean


def refuse_ambiguous_edit(inherited: dict, keys, where: tuple, path: str) -> None:
    """Writing `scale` over an inherited weibull: there `scale` is its own parameter in seconds, so
    `scale: 0.9` would make patience 0.9 s, not 90 % of what it was. Refused, never guessed."""
    if "dist" in inherited and str(inherited["dist"]).lower() == "weibull" and "scale" in keys:
        raise ScenarioError("a weibull's `scale` is its own parameter (seconds), not a factor: write `mean` "
                            "(a duration) to change it keeping its shape, or the whole distribution "
                            "{dist: weibull, shape: …, scale: …}", where[0] or None, where[1] or None, path)
