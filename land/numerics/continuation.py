"""Continuation for Log: shoot to points along the graph path, then to the target."""

from __future__ import annotations

import numpy as np

from land.numerics.integrator import ExpIntegrator, StandardMetric
from land.numerics.shooting import NewtonShooting

__all__ = ["Continuation"]


class Continuation:
    """Logs by continuation along a path from the base point to each target.

    Newton shooting converges when its start is close; a far target in a
    curved region can trap it in a local minimum of the residual. Each stage
    aims at the path point at the next fraction of the path's arc length,
    starting from the previous stage's velocity stretched by the ratio of
    the fractions; a target whose stage fails is dropped.

    Parameters
    ----------
    n_stages : int
        Stages before the target itself (fractions ``1/(n+1), ..., n/(n+1)``).

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import Continuation, ExpIntegrator, NewtonShooting, StandardMetric
    >>> flat = StandardMetric(np.zeros((1, 0)), 0.0, 1, np.array([1.0]))
    >>> path = np.linspace(0.0, 2.0, 11)[:, None]
    >>> vel, res = Continuation(3).solve(flat, ExpIntegrator(), NewtonShooting(), np.zeros(1),
    ...                                  np.array([[2.0]]), [path])
    >>> np.round(vel, 10).tolist(), bool(res[0] < 1e-6)
    ([[2.0]], True)
    """

    def __init__(self, n_stages: int = 7):
        if not isinstance(n_stages, (int, np.integer)) or isinstance(n_stages, bool) or n_stages < 0:
            raise ValueError(f"n_stages: expected an integer >= 0, got {n_stages!r}")
        self.fractions = tuple(np.arange(1, n_stages + 1) / (n_stages + 1))

    def __repr__(self) -> str:
        return f"Continuation({len(self.fractions)})"

    def solve(self, metric: StandardMetric, integrator: ExpIntegrator, shooting: NewtonShooting,
              base_point, targets, paths):
        """Continue along ``paths`` (one per target, None to skip it).

        Parameters
        ----------
        metric : StandardMetric
        integrator : ExpIntegrator
        shooting : NewtonShooting
        base_point : ndarray, shape=[D]
        targets : ndarray, shape=[n, D]
        paths : list of (ndarray, shape=[n_nodes, D]) or None

        Returns
        -------
        velocities : ndarray, shape=[n, D]
        residuals : ndarray, shape=[n]
            inf where there is no path or a stage failed.

        Examples
        --------
        See :class:`Continuation`.
        """
        dim = targets.shape[1]
        velocities = np.zeros_like(targets)
        residuals = np.full(len(targets), np.inf)
        rows = np.array([i for i, path in enumerate(paths) if path is not None], dtype=int)
        if not rows.size:
            return velocities, residuals
        curves = np.stack([paths[i] for i in rows])
        arc = np.concatenate([np.zeros((len(rows), 1)), np.cumsum(
            np.linalg.norm(np.diff(curves, axis=1), axis=2), axis=1)], axis=1)
        previous, vel = 0.0, None
        for fraction in (*self.fractions, 1.0):
            if fraction < 1.0:
                stage = np.stack([[np.interp(fraction * a[-1], a, c[:, d]) for d in range(dim)]
                                  for a, c in zip(arc, curves)])
            else:
                stage = targets[rows]
            start = stage - base_point if vel is None else vel * (fraction / previous)
            shots = shooting.shoot(metric, integrator, base_point, stage, start)
            alive = shots.converged
            rows, arc, curves = rows[alive], arc[alive], curves[alive]
            vel = shots.velocity[alive]
            if not rows.size:
                return velocities, residuals
            previous = fraction
        velocities[rows], residuals[rows] = vel, shots.residual[alive]
        return velocities, residuals
