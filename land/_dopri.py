"""A batched Dormand-Prince 5(4) integrator with per-trajectory step control.

Each trajectory keeps its own time and step size, and is accepted or rejected
on its own error estimate, exactly as a scalar adaptive solver would do; the
right-hand side is evaluated for all active trajectories in one vectorised
call. This is what makes many geodesics at once cheap: the metric and its
Jacobian are computed for the whole batch together.
"""

from __future__ import annotations

import numpy as np

__all__ = ["integrate_batch"]

# Dormand-Prince 5(4) tableau (the pair behind scipy's RK45).
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0])
_A = [
    np.array([]),
    np.array([1 / 5]),
    np.array([3 / 40, 9 / 40]),
    np.array([44 / 45, -56 / 15, 32 / 9]),
    np.array([19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]),
    np.array([9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]),
]
_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
# Fifth- minus fourth-order weights over the seven stages (the last is FSAL).
_E = np.array([-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])


def integrate_batch(rhs, start, *, rtol: float, atol: float, t_end: float = 1.0,
                    max_steps: int = 5000):
    """Integrate ``y' = rhs(y)`` from 0 to ``t_end`` for a batch of start states.

    Parameters
    ----------
    rhs : callable
        ``rhs(y)`` with ``y`` of shape ``(b, n)`` returns ``(b, n)``; autonomous.
    start : ndarray, shape=[B, n]
    rtol, atol : float
        Per-component tolerances; a step is accepted when the RMS of
        ``error / (atol + rtol * |y|)`` is at most 1 (as in scipy).
    max_steps : int
        A trajectory still short of ``t_end`` after this many attempted steps
        (or whose step size collapses) is reported as failed.

    Returns
    -------
    end : ndarray, shape=[B, n]
        States at ``t_end`` (last state reached for failed trajectories).
    success : ndarray of bool, shape=[B]
    n_rhs : int
        Number of batched right-hand-side evaluations (for benchmarks).
    """
    state = np.array(start, dtype=float, copy=True)
    n_batch = state.shape[0]
    time = np.zeros(n_batch)
    deriv = rhs(state)
    n_rhs = 1
    # Initial step from the size of the derivative (Hairer's simple rule).
    scale = atol + rtol * np.abs(state)
    d0 = np.sqrt(np.mean((state / scale) ** 2, axis=1))
    d1 = np.sqrt(np.mean((deriv / scale) ** 2, axis=1))
    step = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
    step = np.clip(step, 1e-6, t_end)
    active = np.ones(n_batch, bool)
    success = np.zeros(n_batch, bool)
    attempts = np.zeros(n_batch, int)
    while active.any():
        idx = np.flatnonzero(active)
        y, k1 = state[idx], deriv[idx]
        h = np.minimum(step[idx], t_end - time[idx])[:, None]
        stages = [k1]
        for row, _ in zip(_A[1:], _C[1:]):
            increment = sum(coef * k for coef, k in zip(row, stages))
            stages.append(rhs(y + h * increment))
        y_new = y + h * sum(coef * k for coef, k in zip(_B, stages))
        k7 = rhs(y_new)
        n_rhs += 6
        stages.append(k7)
        error = h * sum(coef * k for coef, k in zip(_E, stages))
        tol = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
        err_norm = np.sqrt(np.mean((error / tol) ** 2, axis=1))
        finite = np.all(np.isfinite(y_new), axis=1) & np.isfinite(err_norm)
        accept = finite & (err_norm <= 1.0)
        good = idx[accept]
        state[good] = y_new[accept]
        deriv[good] = k7[accept]
        time[good] += h[accept, 0]
        factor = np.where(finite, 0.9 * np.maximum(err_norm, 1e-10) ** -0.2, 0.2)
        factor = np.clip(factor, 0.2, 10.0)
        factor[~accept] = np.minimum(factor[~accept], 1.0)
        step[idx] = h[:, 0] * factor
        attempts[idx] += 1
        done = time[idx] >= t_end * (1 - 1e-12)
        success[idx[done]] = True
        stuck = ~done & ((attempts[idx] >= max_steps) | (step[idx] < 1e-12 * t_end))
        active[idx[done | stuck]] = False
    return state, success, n_rhs
