"""Batched explicit Runge-Kutta integrators with per-trajectory step control.

Each trajectory keeps its own time and step size, and is accepted or rejected
on its own error estimate, exactly as a scalar adaptive solver would do; the
right-hand side is evaluated for all active trajectories in one vectorised
call. This is what makes many geodesics at once cheap: the metric and its
Jacobian are computed for the whole batch together.

Two pairs are available, with the same error norm and step-size rule as
:func:`scipy.integrate.solve_ivp`:

``"RK45"``
    Dormand-Prince 5(4), 6 evaluations per step (the pair behind scipy's RK45).
``"DOP853"``
    Dormand-Prince 8(5,3), 12 evaluations per step; far longer steps at tight
    tolerances. Its coefficients are taken from scipy (the same numbers that
    scipy's own DOP853 uses) rather than retyped here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop853

__all__ = ["integrate_batch", "METHODS"]


@dataclass(frozen=True)
class _Tableau:
    a: tuple          # a[s] = coefficients of stages 0..s-1 for stage s
    b: np.ndarray     # solution weights over the stages
    error: tuple      # one or two weight vectors over stages + the FSAL derivative
    error_order: int  # order of the embedded estimate (step factor exponent -1/(order+1))


_RK45 = _Tableau(
    a=(np.array([]), np.array([1 / 5]), np.array([3 / 40, 9 / 40]),
       np.array([44 / 45, -56 / 15, 32 / 9]),
       np.array([19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]),
       np.array([9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656])),
    b=np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]),
    # Fifth- minus fourth-order weights over the six stages and the FSAL derivative.
    error=(np.array([-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40]),),
    error_order=4,
)

_DOP853 = _Tableau(
    a=tuple(_dop853.A[s, :s].copy() for s in range(_dop853.N_STAGES)),
    b=_dop853.B.copy(),
    error=(_dop853.E5.copy(), _dop853.E3.copy()),
    error_order=7,
)

METHODS = {"RK45": _RK45, "DOP853": _DOP853}


def integrate_batch(rhs, start, *, rtol: float, atol: float, t_end: float = 1.0,
                    max_steps: int = 5000, method: str = "RK45"):
    """Integrate ``y' = rhs(y)`` from 0 to ``t_end`` for a batch of start states.

    Parameters
    ----------
    rhs : callable
        ``rhs(y)`` with ``y`` of shape ``(b, n)`` returns ``(b, n)``; autonomous.
    start : ndarray, shape=[B, n]
    rtol, atol : float or ndarray, shape=[B]
        Tolerances (one per trajectory if arrays); a step is accepted when the RMS of the
        scaled error estimate is at most 1, with scale ``atol + rtol * |y|``
        (as in scipy).
    max_steps : int
        A trajectory still short of ``t_end`` after this many attempted steps
        (or whose step size collapses) is reported as failed.
    method : {"RK45", "DOP853"}

    Returns
    -------
    end : ndarray, shape=[B, n]
        States at ``t_end`` (last state reached for failed trajectories).
    success : ndarray of bool, shape=[B]
    n_rhs : int
        Number of batched right-hand-side evaluations (for benchmarks).
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {sorted(METHODS)}, got {method!r}")
    tableau = METHODS[method]
    exponent = -1.0 / (tableau.error_order + 1)
    n_stages = len(tableau.a)
    state = np.array(start, dtype=float, copy=True)
    n_batch = state.shape[0]
    rtol = np.broadcast_to(np.asarray(rtol, dtype=float), (n_batch,))[:, None]
    atol = np.broadcast_to(np.asarray(atol, dtype=float), (n_batch,))[:, None]
    time = np.zeros(n_batch)
    deriv = rhs(state)
    n_rhs = 1
    # Initial step by Hairer's rule (as scipy's select_initial_step): a first
    # guess from |y| / |y'|, refined with a difference estimate of y''.
    scale = atol + rtol * np.abs(state)
    d0 = np.sqrt(np.mean((state / scale) ** 2, axis=1))
    d1 = np.sqrt(np.mean((deriv / scale) ** 2, axis=1))
    guess = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
    guess = np.minimum(guess, t_end)
    d2 = np.sqrt(np.mean(((rhs(state + guess[:, None] * deriv) - deriv) / scale) ** 2, axis=1)) / guess
    n_rhs += 1
    biggest = np.maximum(d1, d2)
    refined = np.where(biggest <= 1e-15, np.maximum(1e-6, 1e-3 * guess),
                       (0.01 / np.maximum(biggest, 1e-300)) ** (1.0 / (tableau.error_order + 1)))
    step = np.minimum(np.minimum(100 * guess, refined), t_end)
    active = np.ones(n_batch, bool)
    success = np.zeros(n_batch, bool)
    attempts = np.zeros(n_batch, int)
    while active.any():
        idx = np.flatnonzero(active)
        y, k1 = state[idx], deriv[idx]
        h = np.minimum(step[idx], t_end - time[idx])[:, None]
        stages = np.empty((n_stages + 1,) + y.shape)
        stages[0] = k1
        for s in range(1, n_stages):
            row = tableau.a[s]
            stages[s] = rhs(y + h * np.tensordot(row, stages[:s], axes=1))
        y_new = y + h * np.tensordot(tableau.b, stages[:n_stages], axes=1)
        stages[n_stages] = k_last = rhs(y_new)
        n_rhs += n_stages
        scale = atol[idx] + rtol[idx] * np.maximum(np.abs(y), np.abs(y_new))
        if len(tableau.error) == 1:
            error = h * np.tensordot(tableau.error[0], stages, axes=1) / scale
            err_norm = np.sqrt(np.mean(error**2, axis=1))
        else:  # DOP853: the 5th-order estimate, corrected by the 3rd-order one (as in scipy)
            err5 = np.sum((np.tensordot(tableau.error[0], stages, axes=1) / scale) ** 2, axis=1)
            err3 = np.sum((np.tensordot(tableau.error[1], stages, axes=1) / scale) ** 2, axis=1)
            denom = np.sqrt((err5 + 0.01 * err3) * y.shape[1])
            err_norm = np.where(denom > 0, h[:, 0] * err5 / np.where(denom > 0, denom, 1.0), 0.0)
        finite = np.all(np.isfinite(y_new), axis=1) & np.isfinite(err_norm)
        accept = finite & (err_norm <= 1.0)
        good = idx[accept]
        state[good] = y_new[accept]
        deriv[good] = k_last[accept]
        time[good] += h[accept, 0]
        factor = np.where(finite, 0.9 * np.maximum(err_norm, 1e-10) ** exponent, 0.2)
        factor = np.clip(factor, 0.2, 10.0)
        factor[~accept] = np.minimum(factor[~accept], 1.0)
        step[idx] = h[:, 0] * factor
        attempts[idx] += 1
        done = time[idx] >= t_end * (1 - 1e-12)
        success[idx[done]] = True
        stuck = ~done & ((attempts[idx] >= max_steps) | (step[idx] < 1e-12 * t_end))
        active[idx[done | stuck]] = False
    return state, success, n_rhs
