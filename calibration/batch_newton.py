"""Newton's method on many small maximum-likelihood problems at once (bootstrap refits).

A bootstrap refits the same family hundreds of times, each fit a problem in one or two parameters
near a known answer (the full sample's fit). One Nelder-Mead run per refit spends its time in Python
overhead; here every refit takes its Newton steps in step, so each step costs a few numpy
evaluations over the whole batch (derivatives by central differences on the log-parameter scale).
A refit where Newton fails (a Hessian that is not positive definite, no step that improves) is
reported as not converged, for its caller to refit alone, so every result is a true maximum.
"""
from __future__ import annotations

import numpy as np

DIFFERENCE_STEP = 1e-4  # on the log-parameter scale
TOLERANCE = 1e-8  # converged when no parameter moves more than this (Nelder-Mead's xatol in the full fits)
MAX_ITERATIONS = 40
MAX_HALVINGS = 30
ROUNDING = 1e-12  # relative: a step that changes the objective less than this is no worse


def newton(objective, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimise `objective(theta, rows)` (values of problems `rows` at their parameter rows `theta`)
    for every row of `theta` at once; returns (theta, converged per row)."""
    theta = theta.copy()
    converged = np.zeros(len(theta), dtype=bool)
    active = np.arange(len(theta))
    for _ in range(MAX_ITERATIONS):
        if not len(active):
            break
        x = theta[active]
        value = objective(x, active)
        gradient, hessian = _derivatives(objective, x, active, value)
        usable = _positive_definite(hessian) & np.all(np.isfinite(gradient), axis=1) & np.isfinite(value)
        step = np.zeros_like(x)
        step[usable] = np.linalg.solve(hessian[usable], gradient[usable][..., None])[..., 0]
        done = usable & (np.abs(step).max(axis=1) < TOLERANCE)
        moved, improved = _line_search(objective, x, active, value, step, usable & ~done)
        theta[active[done]] = x[done] - step[done]
        theta[active[improved]] = moved[improved]
        converged[active[done]] = True
        active = active[improved]  # the rest are done, or failed (left to the caller)
    return theta, converged


def _positive_definite(matrices: np.ndarray) -> np.ndarray:
    finite = np.all(np.isfinite(matrices), axis=(1, 2))
    result = np.zeros(len(matrices), dtype=bool)
    result[finite] = np.all(np.linalg.eigvalsh(matrices[finite]) > 0, axis=1)
    return result


def _line_search(objective, x, rows, value, step, searching):
    """Full Newton steps, halved where they do not lower the objective; returns (new x, improved)."""
    moved, improved, scale = x.copy(), np.zeros(len(x), dtype=bool), 1.0
    pending = searching.copy()
    for _ in range(MAX_HALVINGS):
        if not pending.any():
            break
        trial = x[pending] - scale * step[pending]
        level = value[pending]
        better = objective(trial, rows[pending]) <= level + ROUNDING * np.abs(level)
        index = np.flatnonzero(pending)[better]
        moved[index], improved[index] = trial[better], True
        pending[index] = False
        scale /= 2
    return moved, improved


def _derivatives(objective, x, rows, value):
    """Gradient (central differences) and Hessian per row: 2 evaluations per parameter, 1 per pair.

    The cross terms are one-sided (error of order the step): that slows Newton's last steps a
    little but cannot move the point it converges to, which only the gradient decides.
    """
    size, h = x.shape[1], DIFFERENCE_STEP
    unit = np.eye(size) * h
    plus = [objective(x + unit[i], rows) for i in range(size)]
    minus = [objective(x - unit[i], rows) for i in range(size)]
    gradient = np.column_stack([(plus[i] - minus[i]) / (2 * h) for i in range(size)])
    hessian = np.empty((len(x), size, size))
    for i in range(size):
        hessian[:, i, i] = (plus[i] - 2 * value + minus[i]) / h ** 2
        for j in range(i + 1, size):
            both = objective(x + unit[i] + unit[j], rows)
            hessian[:, i, j] = hessian[:, j, i] = (both - plus[i] - plus[j] + value) / h ** 2
    return gradient, hessian


def weighted_rows(counts: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Row sums of counts x terms; a value drawn zero times adds nothing (even where its term is -inf)."""
    return np.where(counts > 0, counts * terms, 0.0).sum(axis=1)
