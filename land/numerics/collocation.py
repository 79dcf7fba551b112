"""Collocation (scipy's ``solve_bvp``): the last stage of the Log cascade.

Collocation holds both ends fixed, so it does not suffer from shooting's
sensitivity to the initial velocity; it is slow (Python driving the metric,
finite-difference Jacobians), which is why the cascade calls it only for the
points that every other stage left unsolved. Its velocities are polished by
Newton shooting, so only their direction and length matter.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_bvp

from land._validation import check_positive
from land.numerics.integrator import StandardMetric

__all__ = ["Collocation", "geodesic_acceleration"]


def geodesic_acceleration(metric: StandardMetric, points, velocities) -> np.ndarray:
    """``z''`` of the geodesics through standardised ``points`` with ``velocities``.

    Parameters
    ----------
    metric : StandardMetric
    points, velocities : ndarray, shape=[n, D]

    Returns
    -------
    ndarray, shape=[n, D]

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import StandardMetric, geodesic_acceleration
    >>> flat = StandardMetric(np.zeros((2, 0)), 0.0, 1, np.array([1.0, 2.0]))
    >>> geodesic_acceleration(flat, np.zeros((1, 2)), np.ones((1, 2))).tolist()
    [[0.0, 0.0]]
    """
    diagonal, jac, _ = metric.terms(points, 1)
    jv = np.einsum("...dj,...j->...d", jac, velocities)
    half_grad = 0.5 * np.einsum("...kd,...k->...d", jac, velocities * velocities)
    return (half_grad - velocities * jv) / diagonal


class Collocation:
    """Initial velocities by collocation (:func:`scipy.integrate.solve_bvp`), point by point.

    Parameters
    ----------
    tol : float
        ``solve_bvp``'s tolerance.
    n_nodes : int
        Initial mesh size (the graph path is resampled to it).

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import Collocation, StandardMetric
    >>> flat = StandardMetric(np.zeros((1, 0)), 0.0, 1, np.array([1.0]))
    >>> np.round(Collocation().starts(flat, np.zeros(1), np.array([[2.0]]), [None]), 6).tolist()
    [[2.0]]
    """

    def __init__(self, tol: float = 1e-6, n_nodes: int = 11):
        self.tol = check_positive(tol, "tol")
        self.mesh = np.linspace(0.0, 1.0, int(n_nodes))

    def __repr__(self) -> str:
        return f"Collocation(tol={self.tol:g})"

    def starts(self, metric: StandardMetric, base_point, targets, paths) -> np.ndarray:
        """Initial velocities of the collocation solutions (NaN rows where it fails).

        Parameters
        ----------
        metric : StandardMetric
        base_point : ndarray, shape=[D]
        targets : ndarray, shape=[n, D]
        paths : list of (ndarray, shape=[n_nodes, D]) or None
            Initial meshes; the chord where None or of another size.

        Returns
        -------
        ndarray, shape=[n, D]

        Examples
        --------
        See :class:`Collocation`.
        """
        dim, mesh = targets.shape[1], self.mesh

        def fun(_, y):
            return np.vstack([y[dim:], geodesic_acceleration(metric, y[:dim].T, y[dim:].T).T])

        starts = np.full_like(targets, np.nan)
        for i, target in enumerate(targets):
            path = paths[i]
            if path is None or path.shape[0] != mesh.size:
                path = base_point + mesh[:, None] * (target - base_point)
            guess = np.vstack([path.T, np.gradient(path, mesh, axis=0).T])
            sol = solve_bvp(
                fun, lambda ya, yb, target=target: np.concatenate([ya[:dim] - base_point,
                                                                   yb[:dim] - target]),
                mesh, guess, tol=self.tol)
            if sol.success and np.isfinite(sol.y[dim:, 0]).all():
                starts[i] = sol.y[dim:, 0]
        return starts
