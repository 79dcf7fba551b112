"""A Riemannian manifold R^D whose metric is learned from data.

Exp integrates the geodesic ODE of a diagonal metric; Log solves the two-point
boundary value problem. This module holds the straightforward reference
solvers built on :func:`scipy.integrate.solve_ivp` and
:func:`scipy.integrate.solve_bvp` (one geodesic at a time); every solve
reports whether it converged.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_bvp, solve_ivp

from land._validation import check_points, check_positive, check_positive_int
from land.geodesic import GeodesicResult, GeodesicSolverError
from land.metric import LocalDiagonalMetric

__all__ = ["LearnedManifold"]


class LearnedManifold:
    """R^D with the metric ``metric`` (e.g. :class:`~land.LocalDiagonalMetric`).

    Parameters
    ----------
    metric : LocalDiagonalMetric
        Anything with ``dim`` and ``metric_and_jacobian(points)`` returning
        the metric diagonal ``(n, D)`` and its Jacobian ``(n, D, D)``.
    rtol, atol : float
        Tolerances of the Exp integrator (DOP853).
    bvp_tol : float
        Tolerance handed to ``solve_bvp`` for Log.
    log_tol : float
        A Log counts as converged only if ``|Exp(base, Log(base, x)) - x|``
        is below this (Euclidean) tolerance; Newton shooting steps polish the
        boundary-value solution until it is.
    max_newton : int
        Most shooting steps per Log.

    Notes
    -----
    For a diagonal metric ``M = diag(m)`` the geodesic equation reads
    ``x'' = (J^T (x' * x') / 2 - x' * (J x')) / m`` with ``J = dm/dx``.
    """

    def __init__(self, metric: LocalDiagonalMetric, *, rtol: float = 1e-9, atol: float = 1e-11,
                 bvp_tol: float = 1e-6, log_tol: float = 1e-7, max_newton: int = 10):
        if not hasattr(metric, "metric_and_jacobian"):
            raise TypeError(f"metric: expected a LocalDiagonalMetric, got {type(metric).__name__}")
        self.metric = metric
        self.dim = self.ambient_dim = metric.dim
        self.rtol = check_positive(rtol, "rtol")
        self.atol = check_positive(atol, "atol")
        self.bvp_tol = check_positive(bvp_tol, "bvp_tol")
        self.log_tol = check_positive(log_tol, "log_tol")
        self.max_newton = check_positive_int(max_newton, "max_newton")

    def __repr__(self) -> str:
        return f"LearnedManifold({self.metric!r})"

    # ------------------------------------------------------------------ checks
    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Return ``points`` as a finite array of shape ``(D,)`` or ``(n, D)``."""
        return check_points(points, name, self.dim)

    # -------------------------------------------------------------- the ODEs
    def geodesic_acceleration(self, points, velocities) -> np.ndarray:
        """``x''`` of the geodesic through ``points`` with ``velocities``, batched ``(n, D)``."""
        diagonal, jac = self.metric.metric_and_jacobian(points)
        jv = np.einsum("...dj,...j->...d", jac, velocities)
        half_grad = 0.5 * np.einsum("...kd,...k->...d", jac, velocities * velocities)
        return (half_grad - velocities * jv) / diagonal

    def christoffel(self, points, vec_u, vec_w) -> np.ndarray:
        """``Gamma(u, w)^d = (w_d (J u)_d + u_d (J w)_d - (J^T (u * w))_d) / (2 m_d)``, batched."""
        diagonal, jac = self.metric.metric_and_jacobian(points)
        ju = np.einsum("...dj,...j->...d", jac, vec_u)
        jw = np.einsum("...dj,...j->...d", jac, vec_w)
        cross = np.einsum("...kd,...k->...d", jac, vec_u * vec_w)
        return (vec_w * ju + vec_u * jw - cross) / (2.0 * diagonal)

    def _integrate(self, base_point, tangent_vec, frame=None):
        """Integrate one geodesic over t in [0, 1], optionally transporting ``frame`` (D, k)."""
        dim = self.dim
        n_frame = 0 if frame is None else frame.shape[1]

        def rhs(_, state):
            x, v = state[:dim], state[dim:2 * dim]
            out = np.empty_like(state)
            out[:dim] = v
            out[dim:2 * dim] = self.geodesic_acceleration(x, v)
            if n_frame:
                cols = state[2 * dim:].reshape(n_frame, dim)
                out[2 * dim:] = -self.christoffel(np.broadcast_to(x, cols.shape),
                                                  np.broadcast_to(v, cols.shape), cols).ravel()
            return out

        start = np.concatenate([base_point, tangent_vec] + ([frame.T.ravel()] if n_frame else []))
        sol = solve_ivp(rhs, (0.0, 1.0), start, method="DOP853", rtol=self.rtol, atol=self.atol)
        end = sol.y[:, -1]
        transported = end[2 * dim:].reshape(n_frame, dim).T if n_frame else None
        return end[:dim], transported, bool(sol.success)

    # ---------------------------------------------------------------- geometry
    def solve_exp(self, base_point, tangent_vecs) -> GeodesicResult:
        """Exp for each tangent vector by integrating the geodesic ODE.

        ``residual`` is 0 for converged solves (the integrator's error control
        holds the end point to ``rtol``/``atol``) and inf for failed ones.
        """
        base_point = self.check_points(base_point, "base_point")
        vecs = self.check_points(tangent_vecs, "tangent_vecs")
        flat = np.atleast_2d(vecs)
        ends = np.empty_like(flat)
        converged = np.empty(flat.shape[0], bool)
        for i, vec in enumerate(flat):
            ends[i], _, converged[i] = self._integrate(base_point, vec)
        residual = np.where(converged, 0.0, np.inf)
        if vecs.ndim == 1:
            return GeodesicResult(ends[0], converged[0], residual[0])
        return GeodesicResult(ends, converged, residual)

    def exp(self, base_point, tangent_vecs) -> np.ndarray:
        """Exponential map; raises :class:`~land.GeodesicSolverError` if a solve fails."""
        return self.solve_exp(base_point, tangent_vecs).unwrap("exp")

    def _shoot(self, base_point, target, velocity):
        """Newton shooting from ``velocity``; returns (velocity, residual)."""
        end, _, ok = self._integrate(base_point, velocity)
        residual = np.linalg.norm(end - target) if ok else np.inf
        for _ in range(self.max_newton):
            if residual < self.log_tol:
                break
            step_fd = 1e-6 * max(1.0, np.linalg.norm(velocity))
            jacobian = np.empty((self.dim, self.dim))
            for j in range(self.dim):
                probe = velocity.copy()
                probe[j] += step_fd
                jacobian[:, j] = (self._integrate(base_point, probe)[0] - end) / step_fd
            try:
                step = np.linalg.solve(jacobian, target - end)
            except np.linalg.LinAlgError:
                break
            for _ in range(6):  # backtrack until the residual drops
                trial = velocity + step
                trial_end, _, ok = self._integrate(base_point, trial)
                trial_residual = np.linalg.norm(trial_end - target) if ok else np.inf
                if trial_residual < residual:
                    velocity, end, residual = trial, trial_end, trial_residual
                    break
                step = 0.5 * step
            else:
                break
        return velocity, residual

    def solve_log(self, base_point, points) -> GeodesicResult:
        """Log for each point: ``solve_bvp`` from the straight line, then Newton shooting.

        A Log is reported converged only when the shooting residual
        ``|Exp(base, v) - x|`` is below ``log_tol``; otherwise ``value``
        holds the last iterate, ``converged`` is False and ``residual`` says
        how far off it is.
        """
        base_point = self.check_points(base_point, "base_point")
        targets = self.check_points(points, "points")
        flat = np.atleast_2d(targets)
        dim = self.dim
        velocities = np.empty_like(flat)
        residuals = np.empty(flat.shape[0])
        mesh = np.linspace(0.0, 1.0, 11)

        def fun(_, y):
            return np.vstack([y[dim:], self.geodesic_acceleration(y[:dim].T, y[dim:].T).T])

        for i, target in enumerate(flat):
            chord = target - base_point
            if not np.any(chord):
                velocities[i], residuals[i] = 0.0, 0.0
                continue

            def bc(ya, yb, target=target):
                return np.concatenate([ya[:dim] - base_point, yb[:dim] - target])

            guess = np.vstack([base_point[:, None] + mesh * chord[:, None],
                               np.repeat(chord[:, None], mesh.size, axis=1)])
            sol = solve_bvp(fun, bc, mesh, guess, tol=self.bvp_tol, max_nodes=5000)
            start = sol.y[dim:, 0] if sol.success else chord
            velocities[i], residuals[i] = self._shoot(base_point, target, start.copy())
        converged = residuals < self.log_tol
        if targets.ndim == 1:
            return GeodesicResult(velocities[0], converged[0], residuals[0])
        return GeodesicResult(velocities, converged, residuals)

    def log(self, base_point, points) -> np.ndarray:
        """Logarithm map; raises :class:`~land.GeodesicSolverError` if a solve fails."""
        return self.solve_log(base_point, points).unwrap("log")

    def dist(self, base_point, points) -> np.ndarray:
        """Geodesic distance ``sqrt(v^T M(base) v)`` with ``v = Log(base, x)``."""
        base_point = self.check_points(base_point, "base_point")
        vecs = self.log(base_point, points)
        return np.sqrt(np.einsum("...d,d,...d->...", vecs, self.metric.metric_diagonal(base_point), vecs))

    def frame(self, base_point) -> np.ndarray:
        """Orthonormal frame of the metric at ``base_point``: ``diag(M^{-1/2})``, shape (D, D)."""
        base_point = self.check_points(base_point, "base_point")
        return np.diag(1.0 / np.sqrt(self.metric.metric_diagonal(base_point)))

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates ``F^T M v`` of tangent vectors in an M-orthonormal ``frame`` F."""
        diagonal = self.metric.metric_diagonal(base_point)
        return np.asarray(tangent_vecs) @ (diagonal[:, None] * frame)

    def transport_frame(self, base_point, tangent_vec, frame) -> np.ndarray:
        """Parallel transport of ``frame`` (D, k) along the geodesic with initial velocity ``tangent_vec``.

        The transported frame is re-orthonormalised in the metric at the end
        point (Cholesky), which removes the integrator's small drift.
        """
        base_point = self.check_points(base_point, "base_point")
        vec = self.check_points(tangent_vec, "tangent_vec")
        end, moved, ok = self._integrate(base_point, vec, np.asarray(frame, dtype=float))
        if not ok:
            raise GeodesicSolverError("transport_frame: the geodesic ODE solve failed")
        gram = moved.T @ (self.metric.metric_diagonal(end)[:, None] * moved)
        return moved @ np.linalg.inv(np.linalg.cholesky(gram)).T

    # ------------------------------------------------------------ the density
    def solve_volume_density(self, base_point, frame, tangent_coords) -> GeodesicResult:
        """The LAND paper's volume term ``m = sqrt(|M(Exp(v))| / |M(base)|)``.

        The paper takes the Riemannian measure at ``Exp_mu(v)`` relative to
        the tangent coordinates and leaves out the Jacobian of Exp; we follow
        it here (the division by ``|M(base)|`` converts from Euclidean to
        orthonormal tangent coordinates and makes ``m = 1`` at ``v = 0``).
        """
        coords = np.atleast_2d(np.asarray(tangent_coords, dtype=float))
        ends = self.solve_exp(base_point, coords @ np.asarray(frame).T)
        log_det = np.sum(np.log(self.metric.metric_diagonal(np.atleast_2d(ends.value))), axis=-1)
        log_det_base = np.sum(np.log(self.metric.metric_diagonal(base_point)))
        values = np.where(ends.converged, np.exp(0.5 * (log_det - log_det_base)), 0.0)
        return GeodesicResult(values, ends.converged, ends.residual)

    def log_jacobian(self, base_point, frame, log_coords) -> np.ndarray:
        """Derivative of Log coordinates with respect to the base point: ``-I``.

        This is the LAND paper's approximation (exact for a flat metric); the
        sphere implements the exact derivative.
        """
        n = np.atleast_2d(log_coords).shape[0]
        return -np.broadcast_to(np.eye(self.dim), (n, self.dim, self.dim)).copy()
