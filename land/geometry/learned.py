"""A Riemannian manifold R^D whose metric is learned from data.

Exp integrates the geodesic ODE of a diagonal metric; Log solves the two-point
boundary value problem by Newton shooting. Both run in compiled kernels
(``land.geometry._kernels``) over whole batches in parallel, in the metric's
standardised coordinates, so that shifting or rescaling the problem does not
change the answers. Newton shooting uses the exact Jacobian of Exp from the
variational equations; each Log is solved from several starts and the
shortest converged geodesic is kept. Every solve reports whether it
converged and how far off it is.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_bvp, solve_ivp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from land.geometry import _kernels
from land._validation import (check_base_point, check_frame, check_points, check_positive,
                              check_positive_int)
from land.geometry.base import GeodesicResult, GeodesicSolverError
from land.geometry.metric import GlobalDiagonalMetric, LocalDiagonalMetric

__all__ = ["LearnedManifold", "LOG_STARTS"]

#: The starts a Log may be solved from (see :meth:`LearnedManifold.solve_log`).
LOG_STARTS = ("warm", "graph", "chord")


def _acceleration(diagonal, jac, velocities):
    """Geodesic acceleration of a diagonal metric ``m`` with Jacobian ``J = dm/dx``, batched."""
    jv = np.einsum("...dj,...j->...d", jac, velocities)
    half_grad = 0.5 * np.einsum("...kd,...k->...d", jac, velocities * velocities)
    return (half_grad - velocities * jv) / diagonal


def _christoffel(diagonal, jac, vec_u, vec_w):
    """``Gamma(u, w)`` of a diagonal metric ``m`` with Jacobian ``J = dm/dx``, batched."""
    ju = np.einsum("...dj,...j->...d", jac, vec_u)
    jw = np.einsum("...dj,...j->...d", jac, vec_w)
    cross = np.einsum("...kd,...k->...d", jac, vec_u * vec_w)
    return (vec_w * ju + vec_u * jw - cross) / (2.0 * diagonal)

class LearnedManifold:
    """R^D with a diagonal metric, e.g. the LAND metric :class:`~land.LocalDiagonalMetric`.

    Exp integrates the geodesic equation with a compiled DOP853 integrator;
    Log solves the two-point problem by Newton shooting with the exact
    Jacobian of Exp, from several starts (see :meth:`solve_log`).

    Parameters
    ----------
    metric : LocalDiagonalMetric or GlobalDiagonalMetric
    rtol, atol : float
        Tolerances of the Exp integrator (DOP853, scipy's error norm), with
        ``atol`` in units of the metric's length scale (the kernel width).
        The defaults keep end points within 1e-6 of a DOP853 solve at rtol
        1e-12 on the report's data (see ``benchmarks/geodesics.py``).
    log_tol : float
        A Log counts as converged only if ``|Exp(base, Log(base, x)) - x|``
        is below ``log_tol`` times the metric's length scale, measured with
        an integrator 100 times tighter than ``rtol``/``atol``.
    max_newton : int
        Most Newton steps per Log and start.
    bvp_tol : float
        Tolerance of the collocation (``solve_bvp``) fallback for Logs that
        neither shooting nor continuation solves.
    max_steps : int
        Most integrator steps per geodesic; a solve that needs more fails.

    Attributes
    ----------
    dim, ambient_dim : int
        Both D: points, tangent vectors and coordinates are all D-vectors.

    Raises
    ------
    TypeError
        If ``metric`` is not one of the two diagonal metrics.
    ValueError
        For a tolerance that is not positive or a count that is not >= 1.

    Notes
    -----
    For a diagonal metric ``M = diag(m)`` the geodesic equation reads
    ``x'' = (J^T (x' * x') / 2 - x' * (J x')) / m`` with ``J = dm/dx``.
    Distances, tolerances and the integrator's step control are computed in
    coordinates ``z = (x - centre) / length_scale`` of the metric, which makes
    every answer equivariant under shifts and scalings of the data.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
    >>> manifold = land.LearnedManifold(land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2))
    >>> base = np.array([0.0, 1.0])                     # the top of the arc
    >>> vec = np.array([0.2, 0.0])                      # along the arc
    >>> end = manifold.exp(base, vec)
    >>> bool(np.allclose(manifold.log(base, end), vec, atol=1e-6))
    True
    """

    def __init__(self, metric, *, rtol: float = 1e-6, atol: float = 1e-8, log_tol: float = 1e-6,
                 max_newton: int = 20, bvp_tol: float = 1e-6, max_steps: int = 5000):
        if not isinstance(metric, (LocalDiagonalMetric, GlobalDiagonalMetric)):
            raise TypeError("metric: expected a LocalDiagonalMetric or GlobalDiagonalMetric, got "
                            f"{type(metric).__name__}")
        self.metric = metric
        self.dim = self.ambient_dim = metric.dim
        self.rtol = check_positive(rtol, "rtol")
        self.atol = check_positive(atol, "atol")
        self.log_tol = check_positive(log_tol, "log_tol")
        self.bvp_tol = check_positive(bvp_tol, "bvp_tol")
        self.max_newton = check_positive_int(max_newton, "max_newton")
        self.max_steps = check_positive_int(max_steps, "max_steps")
        self._centre = metric.centre
        self._scale = metric.length_scale

    def __repr__(self) -> str:
        return f"LearnedManifold({self.metric!r})"

    # ------------------------------------------------------------------ checks
    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Return ``points`` as a finite array of shape ``(D,)`` or ``(n, D)``.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]
        name : str
            The argument's name, used in error messages.

        Returns
        -------
        ndarray

        Raises
        ------
        TypeError, ValueError
            For non-numeric, complex, boolean or non-finite input or a wrong shape.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> manifold.check_points([[0.0, 1.0]]).shape
        (1, 2)
        """
        return check_points(points, name, self.dim)

    def _check_base(self, base_point, name: str = "base_point") -> np.ndarray:
        return check_base_point(self, base_point, name)

    def _to_standard(self, points) -> np.ndarray:
        return (np.asarray(points) - self._centre) / self._scale

    # -------------------------------------------------------------- the ODEs
    def geodesic_acceleration(self, points, velocities) -> np.ndarray:
        """``x''`` of the geodesics through ``points`` with ``velocities`` (numpy, batched).

        The compiled solvers use their own copy of this formula; this one serves
        collocation and the tests.

        Parameters
        ----------
        points, velocities : array-like, shape=[n, D]

        Returns
        -------
        ndarray, shape=[n, D]

        Raises
        ------
        TypeError, ValueError
            For bad ``points``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> manifold.geodesic_acceleration(data[:3], np.zeros((3, 2)))   # at rest, no acceleration
        array([[0., 0.],
               [0., 0.],
               [0., 0.]])
        >>> v = np.array([[0.3, -0.1]])
        >>> acc = manifold.geodesic_acceleration(data[:1], v)             # quadratic in velocity
        >>> bool(np.allclose(manifold.geodesic_acceleration(data[:1], 2 * v), 4 * acc))
        True
        """
        return _acceleration(*self.metric.metric_and_jacobian(points), velocities)

    def christoffel(self, points, vec_u, vec_w) -> np.ndarray:
        """``Gamma(u, w)^d = (w_d (J u)_d + u_d (J w)_d - (J^T (u * w))_d) / (2 m_d)``, batched.

        Parameters
        ----------
        points, vec_u, vec_w : array-like, shape=[n, D]

        Returns
        -------
        ndarray, shape=[n, D]
            Symmetric in ``u`` and ``w``; ``-Gamma(v, v)`` is the geodesic
            acceleration.

        Raises
        ------
        TypeError, ValueError
            For bad ``points``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> x, u, w = data[:1], np.array([[0.3, -0.1]]), np.array([[0.5, 1.0]])
        >>> bool(np.allclose(manifold.christoffel(x, u, w), manifold.christoffel(x, w, u)))
        True
        >>> acceleration = manifold.geodesic_acceleration(x, u)
        >>> bool(np.allclose(-manifold.christoffel(x, u, u), acceleration))
        True
        """
        return _christoffel(*self.metric.metric_and_jacobian(points), vec_u, vec_w)

    def _integrate(self, base_point, tangent_vec, frame=None):
        """Integrate one geodesic over t in [0, 1], optionally transporting ``frame`` (D, k).

        Runs in standardised coordinates (tangent vectors scale like
        velocities), with scipy's DOP853 at tight tolerances: one geodesic per
        mean step of a fit, so accuracy costs next to nothing.
        """
        dim, scale = self.dim, self._scale
        n_frame = 0 if frame is None else frame.shape[1]
        zt, rho, kind, diag = self.metric._kernel_spec

        def rhs(_, state):
            # The metric in standardised coordinates has the same geodesic equations.
            z, v = state[:dim], state[dim:2 * dim]
            m, jac, _ = _kernels.metric_terms_batch(zt, rho, kind, diag, z[None], 1)
            m, jac = m[0], jac[0]
            out = np.empty_like(state)
            out[:dim] = v
            out[dim:2 * dim] = _acceleration(m, jac, v)
            if n_frame:
                cols = state[2 * dim:].reshape(n_frame, dim)
                out[2 * dim:] = -_christoffel(m, jac, np.broadcast_to(v, cols.shape), cols).ravel()
            return out

        start = np.concatenate([self._to_standard(base_point), tangent_vec / scale]
                               + ([(frame.T / scale).ravel()] if n_frame else []))
        sol = solve_ivp(rhs, (0.0, 1.0), start, method="DOP853", rtol=1e-10, atol=1e-12)
        end = sol.y[:, -1]
        transported = end[2 * dim:].reshape(n_frame, dim).T * scale if n_frame else None
        return self._centre + scale * end[:dim], transported, bool(sol.success)

    # ---------------------------------------------------------------- geometry
    def _exp_states(self, base_points, vecs, *, variational=False):
        """Compiled batched Exp in standardised units: (states, success, n_rhs)."""
        zt, rho, kind, diag = self.metric._kernel_spec
        z0 = np.ascontiguousarray(np.broadcast_to(self._to_standard(base_points), vecs.shape))
        return _kernels.exp_batch(zt, rho, kind, diag, z0, np.ascontiguousarray(vecs / self._scale),
                                  variational, self.rtol, self.atol, self.max_steps,
                                  *_kernels.TABLEAU)

    def solve_exp(self, base_point, tangent_vecs) -> GeodesicResult:
        """Exp of each tangent vector by integrating the geodesic ODE (all at once, in parallel).

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        GeodesicResult
            ``residual`` is 0 for converged solves (the integrator's error
            control holds each end point to ``rtol``/``atol``) and inf for
            failed ones; ``info["n_rhs"]`` counts right-hand-side evaluations.

        Raises
        ------
        TypeError, ValueError
            For a bad base point (a batch included) or bad vectors.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> result = manifold.solve_exp(base, [[0.2, 0.0], [-0.2, 0.0]])
        >>> result.value.shape, bool(result.converged.all())
        ((2, 2), True)
        """
        base_point = self._check_base(base_point)
        vecs = self.check_points(tangent_vecs, "tangent_vecs")
        flat = np.atleast_2d(vecs)
        states, converged, n_rhs = self._exp_states(base_point, flat)
        ends = self._centre + self._scale * states[:, :self.dim]
        residual = np.where(converged, 0.0, np.inf)
        info = {"n_rhs": n_rhs}
        if vecs.ndim == 1:
            return GeodesicResult(ends[0], converged[0], residual[0], info)
        return GeodesicResult(ends, converged, residual, info)

    def exp(self, base_point, tangent_vecs) -> np.ndarray:
        """Exponential map: the end point of the geodesic with initial velocity ``tangent_vecs``.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``tangent_vecs``

        Raises
        ------
        TypeError, ValueError
            As :meth:`solve_exp`.
        GeodesicSolverError
            If a solve fails; its ``result`` holds the whole batch.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> bool(np.allclose(manifold.exp(base, np.zeros(2)), base))
        True
        """
        return self.solve_exp(base_point, tangent_vecs).unwrap("exp")

    def exp_jacobian(self, base_point, tangent_vecs):
        """End points and Jacobians ``dExp_base(v)/dv`` from the variational equations.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        ends : ndarray, shape=[n, D]
        jacobians : ndarray, shape=[n, D, D]
            ``J[i, a, b] = d Exp(v_i)_a / d v_b`` (ambient units; the
            standardisation cancels).
        converged : ndarray of bool, shape=[n]

        Raises
        ------
        TypeError, ValueError
            As :meth:`solve_exp`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> ends, jac, ok = manifold.exp_jacobian(base, np.zeros((1, 2)))
        >>> np.round(jac[0], 12) + 0.0                     # dExp/dv at v = 0 is the identity
        array([[1., 0.],
               [0., 1.]])
        """
        base_point = self._check_base(base_point)
        flat = np.atleast_2d(self.check_points(tangent_vecs, "tangent_vecs"))
        states, converged, _ = self._exp_states(base_point, flat, variational=True)
        dim = self.dim
        ends = self._centre + self._scale * states[:, :dim]
        return ends, states[:, 2 * dim:2 * dim + dim * dim].reshape(-1, dim, dim), converged

    def _shoot(self, base_point, targets, starts):
        """Compiled Newton shooting in standardised units from ambient ``starts``."""
        zt, rho, kind, diag = self.metric._kernel_spec
        return _kernels.shoot_batch(
            zt, rho, kind, diag, self._to_standard(base_point),
            np.ascontiguousarray(self._to_standard(targets)),
            np.ascontiguousarray(starts / self._scale), self.log_tol, self.rtol, self.atol,
            self.rtol / 100, self.atol / 100, self.max_newton, self.max_steps, *_kernels.TABLEAU)

    def _bvp_starts(self, base_point, targets, paths):
        """Initial velocities by collocation (:func:`scipy.integrate.solve_bvp`), point by point.

        The fallback for Logs that neither shooting nor continuation solved:
        collocation holds both ends fixed and so does not suffer from the
        sensitivity of shooting to its initial velocity. The mesh starts on
        the point's graph path when there is one (a far better guess than
        the chord when the data are curved), else on the chord. Rows are NaN
        where collocation fails; the velocities it returns are then polished
        by shooting, so only its direction and length matter.
        """
        dim = self.dim
        mesh = np.linspace(0.0, 1.0, 11)

        def fun(_, y):
            return np.vstack([y[dim:], self.geodesic_acceleration(y[:dim].T, y[dim:].T).T])

        starts = np.full_like(targets, np.nan)
        for i, target in enumerate(targets):
            path = None if paths is None else paths[i]
            if path is None or path.shape[0] != mesh.size:
                path = base_point + mesh[:, None] * (target - base_point)
            guess = np.vstack([path.T, np.gradient(path, mesh, axis=0).T])
            sol = solve_bvp(
                fun, lambda ya, yb, target=target: np.concatenate([ya[:dim] - base_point,
                                                                   yb[:dim] - target]),
                mesh, guess, tol=self.bvp_tol)
            if sol.success and np.isfinite(sol.y[dim:, 0]).all():
                starts[i] = sol.y[dim:, 0]
        return starts

    def _graph_paths(self, base_point, targets, n_nodes: int = 11, n_neighbours: int = 10):
        """Shortest paths from ``base_point`` to each target through a k-NN graph of the data.

        Geodesics of the learned metric stay near the data, so the straight
        chord is a poor first guess when the data are curved (it cuts through
        empty space where the metric is ``1/rho``); an Isomap-style path
        through the data is a far better one. Each path is resampled at
        ``n_nodes`` points equally spaced in arc length, shape
        ``(n_nodes, D)``; None where the graph has no path, and None overall
        when the metric has no data (e.g. a global one).
        """
        data = getattr(self.metric, "data", None)
        if data is None or data.shape[0] < 2:
            return None
        k = min(n_neighbours, data.shape[0] - 1)
        if getattr(self, "_graph", None) is None:
            tree = cKDTree(data)
            dist, idx = tree.query(data, k + 1)
            rows = np.repeat(np.arange(data.shape[0]), k)
            graph = csr_matrix((dist[:, 1:].ravel(), (rows, idx[:, 1:].ravel())),
                               shape=(data.shape[0],) * 2)
            self._graph = (tree, graph.maximum(graph.T))
        tree, graph = self._graph
        n_data = data.shape[0]
        # Add the base point as node n_data, joined to its nearest data points.
        base_dist, base_idx = tree.query(base_point, k)
        extra = csr_matrix((base_dist, (np.full(k, n_data), base_idx)), shape=(n_data + 1,) * 2)
        full = csr_matrix((graph.data, graph.indices, graph.indptr), shape=(n_data, n_data))
        full.resize((n_data + 1, n_data + 1))
        full = full + extra + extra.T
        path_len, pred = dijkstra(full, indices=n_data, return_predecessors=True)
        tgt_dist, tgt_idx = tree.query(targets, k)
        total = path_len[tgt_idx] + tgt_dist
        best = np.argmin(total, axis=1)
        last = tgt_idx[np.arange(len(targets)), best]
        length = total[np.arange(len(targets)), best]
        paths = [None] * len(targets)
        for i in np.flatnonzero(np.isfinite(length)):
            nodes = [targets[i]]
            node = last[i]
            while node != n_data and node >= 0:
                nodes.append(data[node])
                node = pred[node]
            nodes.append(base_point)
            path = np.array(nodes[::-1])
            arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
            if arc[-1] <= 0:
                continue
            where = np.linspace(0.0, arc[-1], n_nodes)
            paths[i] = np.stack([np.interp(where, arc, path[:, d]) for d in range(path.shape[1])], axis=1)
        return paths

    def _continue(self, base_point, targets, paths, fractions=tuple(np.arange(1, 8) / 8)):
        """Logs by continuation: shoot to points along each graph path, then to the target.

        Newton shooting converges when its start is close; a far target in a
        curved region can leave it in a local minimum of the residual. Each
        stage aims at the path point at the next fraction of its arc length,
        starting from the previous stage's velocity stretched by the ratio of
        the fractions. Returns ``(velocities, residuals)`` in standardised
        units (residual inf where there is no path or a stage fails).
        """
        velocities = np.zeros_like(targets)
        residuals = np.full(len(targets), np.inf)
        rows = np.array([i for i, path in enumerate(paths) if path is not None], dtype=int)
        if not rows.size:
            return velocities, residuals
        curves = np.stack([paths[i] for i in rows])                 # (b, n_nodes, D)
        arc = np.concatenate([np.zeros((len(rows), 1)), np.cumsum(
            np.linalg.norm(np.diff(curves, axis=1), axis=2), axis=1)], axis=1)
        previous, vel = 0.0, None
        for fraction in (*fractions, 1.0):
            if fraction < 1.0:
                stage = np.stack([[np.interp(fraction * a[-1], a, c[:, d]) for d in range(self.dim)]
                                  for a, c in zip(arc, curves)])
            else:
                stage = targets[rows]
            start = stage - base_point if vel is None else vel * (self._scale * fraction / previous)
            vel, res = self._shoot(base_point, stage, start)[:2]
            alive = res < self.log_tol
            rows, vel, arc, curves = rows[alive], vel[alive], arc[alive], curves[alive]
            if not rows.size:
                return velocities, residuals
            previous = fraction
        velocities[rows], residuals[rows] = vel, res[alive]
        return velocities, residuals

    def _graph_starts(self, base_point, targets, paths):
        """Initial velocities along the graph paths (NaN rows where there is none).

        We aim at the path point a third of the way along (past the first,
        noisiest hop) and give the velocity the path's length.
        """
        starts = np.full_like(targets, np.nan)
        for i, path in enumerate(paths or ()):
            if path is None:
                continue
            arc = np.sum(np.linalg.norm(np.diff(path, axis=0), axis=1))
            direction = path[(len(path) - 1) // 3] - base_point
            norm = np.linalg.norm(direction)
            if norm > 0:
                starts[i] = direction / norm * arc
        return starts

    def solve_log(self, base_point, points, *, initial_velocities=None,
                  starts=LOG_STARTS) -> GeodesicResult:
        """Log of each point by Newton shooting from several starts; the shortest geodesic wins.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        points : array-like, shape=[D] or [n, D]
        initial_velocities : array-like, shape like ``points``, optional
            Warm starts (e.g. the previous iteration's Logs).
        starts : sequence of {"warm", "graph", "chord"}
            Which starts to shoot from: the warm start (when given), the
            shortest path through a neighbour graph of the data and the straight
            chord. Starts within 5 % of one already taken are skipped. Among the
            starts whose Newton iteration converges, the geodesic of least length
            ``sqrt(v^T M(base) v)`` is returned: the LAND's distance is the
            shortest one, and shooting can converge to longer geodesics. Points
            that no start solves are retried by continuation along the graph
            path, then by collocation (``solve_bvp``) started on that path,
            followed by shooting.

        Returns
        -------
        GeodesicResult
            ``value`` holds the initial velocities (the best iterate where
            no start converged, with ``converged`` False), ``residual`` the
            end-point miss measured with an integrator 100 times tighter than
            ``rtol``, and ``info`` the number of converged starts per point,
            the start chosen, Newton iterations and right-hand-side counts.

        Raises
        ------
        TypeError, ValueError
            For bad points, warm starts of the wrong shape, or unknown ``starts``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> targets = np.array([[0.2, 0.98], [-0.2, 0.98]])   # near the arc, either side
        >>> result = manifold.solve_log(base, targets)
        >>> result.converged, bool(result.residual.max() < 1e-6)
        (array([ True,  True]), True)
        >>> bool(np.allclose(manifold.exp(base, result.value), targets, atol=1e-6))
        True
        """
        base_point = self._check_base(base_point)
        targets = self.check_points(points, "points")
        flat = np.atleast_2d(targets)
        n_points = flat.shape[0]
        unknown = set(starts) - set(LOG_STARTS)
        if unknown or not len(starts):
            raise ValueError(f"starts: expected a non-empty subset of {LOG_STARTS}, got {starts!r}")
        candidates = []
        if initial_velocities is not None:
            warm = np.atleast_2d(self.check_points(initial_velocities, "initial_velocities"))
            if warm.shape != flat.shape:
                raise ValueError(f"initial_velocities: expected shape {flat.shape}, got {warm.shape}")
            if "warm" in starts:
                candidates.append(("warm", warm))
        paths = None
        if "graph" in starts or not candidates:
            paths = self._graph_paths(base_point, flat)
            candidates.append(("graph", self._graph_starts(base_point, flat, paths)))
        if "chord" in starts or not np.isfinite(candidates[-1][1]).all():
            candidates.append(("chord", flat - base_point))
        # One batched shooting call over every (point, start) pair worth trying.
        rows, cols, vecs = [], [], []
        taken = [[] for _ in range(n_points)]
        for col, (_, vel) in enumerate(candidates):
            for i in range(n_points):
                v = vel[i]
                if not np.isfinite(v).all():
                    continue
                if any(np.linalg.norm(v - u) <= 0.05 * max(np.linalg.norm(u), 1e-12 * self._scale)
                       for u in taken[i]):
                    continue
                taken[i].append(v)
                rows.append(i)
                cols.append(col)
                vecs.append(v)
        rows, cols = np.array(rows), np.array(cols)
        vel, res, status, n_iter, n_rhs = self._shoot(base_point, flat[rows], np.array(vecs))
        tol = self.log_tol
        ok = res < tol
        base_m = self.metric.metric_diagonal(base_point)
        length = np.sqrt(np.sum(base_m * (self._scale * vel) ** 2, axis=1))
        # Per point: shortest converged solution, else the smallest residual.
        chosen = np.full(n_points, -1)
        n_converged = np.bincount(rows[ok], minlength=n_points)
        score = np.where(ok, length, np.inf)
        for k in np.lexsort((res, score)):
            i = rows[k]
            if chosen[i] < 0:
                chosen[i] = k
        velocities = self._scale * vel[chosen]
        residuals = res[chosen]
        picked = np.array([candidates[c][0] for c in cols[chosen]], dtype=object)
        def keep(rows, vel2, res2, how):
            better = res2 < residuals[rows]
            velocities[rows[better]] = self._scale * vel2[better]
            residuals[rows[better]] = res2[better]
            picked[rows[better]] = how
            n_converged[rows] += res2 < tol

        # Points no start solved: continuation along the graph path, then solve_bvp.
        retry = np.flatnonzero(~(residuals < tol))
        if retry.size:
            if paths is None:
                paths = self._graph_paths(base_point, flat)
            if paths is not None:
                keep(retry, *self._continue(base_point, flat[retry], [paths[i] for i in retry]),
                     "continuation")
        retry = np.flatnonzero(~(residuals < tol))
        if retry.size:
            retry_paths = None if paths is None else [paths[i] for i in retry]
            bvp = self._bvp_starts(base_point, flat[retry], retry_paths)
            solved = np.isfinite(bvp).all(axis=1)
            if solved.any():
                again = retry[solved]
                vel2, res2 = self._shoot(base_point, flat[again], bvp[solved])[:2]
                keep(again, vel2, res2, "bvp")
        converged = residuals < tol
        info = {"n_converged_starts": n_converged, "start": picked,
                "status": np.array([_kernels.STATUS[int(status[k])] for k in chosen], dtype=object),
                "n_newton": n_iter, "n_rhs": n_rhs, "n_shots": rows.size}
        residuals = residuals * self._scale
        if targets.ndim == 1:
            return GeodesicResult(velocities[0], converged[0], residuals[0], info)
        return GeodesicResult(velocities, converged, residuals, info)

    def log(self, base_point, points) -> np.ndarray:
        """Logarithm map: the initial velocity of the shortest geodesic to each point.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``points``

        Raises
        ------
        TypeError, ValueError
            As :meth:`solve_log`.
        GeodesicSolverError
            If a solve fails. The error's ``result`` attribute holds the whole
            batch's :class:`~land.GeodesicResult`, so the converged Logs can be
            used without solving them again.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> point = np.array([0.2, 0.98])
        >>> bool(np.allclose(manifold.exp(base, manifold.log(base, point)), point, atol=1e-6))
        True
        """
        return self.solve_log(base_point, points).unwrap("log")

    def dist(self, base_point, points) -> np.ndarray:
        """Geodesic distance ``sqrt(v^T M(base) v)`` with ``v = Log(base, x)``.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape=[] or [n]

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`log`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> points = np.array([[0.2, 0.98], [-0.2, 0.98]])
        >>> d = manifold.dist(base, points)
        >>> d.shape, bool(np.all(d > 0))
        ((2,), True)
        >>> coords = manifold.coordinates(base, manifold.frame(base), manifold.log(base, points))
        >>> bool(np.allclose(d, np.linalg.norm(coords, axis=1)))   # the Log's metric length
        True
        """
        base_point = self._check_base(base_point)
        vecs = self.log(base_point, points)
        return np.sqrt(np.einsum("...d,d,...d->...", vecs, self.metric.metric_diagonal(base_point), vecs))

    def frame(self, base_point) -> np.ndarray:
        """Orthonormal frame of the metric at ``base_point``: ``diag(M^{-1/2})``.

        Parameters
        ----------
        base_point : array-like, shape=[D]

        Returns
        -------
        ndarray, shape=[D, D]

        Raises
        ------
        TypeError, ValueError
            If ``base_point`` is not a single finite point.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> frame = manifold.frame(base)
        >>> bool(np.allclose(manifold.coordinates(base, frame, frame.T), np.eye(2)))
        True
        """
        base_point = self._check_base(base_point)
        return np.diag(1.0 / np.sqrt(self.metric.metric_diagonal(base_point)))

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates ``F^T M v`` of tangent vectors in an M-orthonormal ``frame`` F.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        frame : array-like, shape=[D, D]
            Orthonormal in the metric at ``base_point``.
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``tangent_vecs``
            Their Euclidean norms are the metric lengths of the vectors.

        Raises
        ------
        TypeError, ValueError
            For a bad base point or vectors, or a frame that is not orthonormal
            in the metric at ``base_point``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> vec = np.array([0.1, 0.0])
        >>> length = np.linalg.norm(manifold.coordinates(base, manifold.frame(base), vec))
        >>> bool(np.isclose(length, np.sqrt(manifold.metric.metric_diagonal(base)[0]) * 0.1))
        True
        """
        base_point = self._check_base(base_point)
        frame = check_frame(self, base_point, frame)
        return self._coords(base_point, frame, self.check_points(tangent_vecs, "tangent_vecs"))

    def _coords(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """:meth:`coordinates` without checks (for :func:`~land._validation.check_frame`)."""
        diagonal = self.metric.metric_diagonal(base_point)
        return np.asarray(tangent_vecs) @ (diagonal[:, None] * frame)

    def transport_frame(self, base_point, tangent_vec, frame) -> np.ndarray:
        """Parallel transport of ``frame`` along the geodesic with initial velocity ``tangent_vec``.

        The transported frame is re-orthonormalised (Cholesky) in the metric at
        ``exp(base_point, tangent_vec)``, which removes the integrator's small
        drift and makes the frame orthonormal exactly where a fit moves its mean.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vec : array-like, shape=[D]
        frame : array-like, shape=[D, D]
            Orthonormal in the metric at ``base_point``.

        Returns
        -------
        ndarray, shape=[D, D]

        Raises
        ------
        TypeError, ValueError
            For a bad base point, more than one vector, or a bad frame.
        GeodesicSolverError
            If the geodesic ODE solve fails.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> vec = np.array([0.2, 0.0])
        >>> moved = manifold.transport_frame(base, vec, manifold.frame(base))
        >>> end = manifold.exp(base, vec)
        >>> bool(np.allclose(manifold.coordinates(end, moved, moved.T), np.eye(2)))
        True
        """
        base_point = self._check_base(base_point)
        vec = self.check_points(tangent_vec, "tangent_vec")
        if vec.ndim != 1:
            raise ValueError(f"tangent_vec: expected one vector of shape ({self.dim},), got {vec.shape}")
        frame = check_frame(self, base_point, frame)
        _, moved, ok = self._integrate(base_point, vec, frame)
        if not ok:
            raise GeodesicSolverError("transport_frame: the geodesic ODE solve failed")
        # Orthonormalise at the end point that exp() returns, the point callers move to.
        end = self.exp(base_point, vec)
        gram = moved.T @ (self.metric.metric_diagonal(end)[:, None] * moved)
        return moved @ np.linalg.inv(np.linalg.cholesky(gram)).T

    # ------------------------------------------------------------ the density
    def solve_volume_density(self, base_point, frame, tangent_coords, *,
                             exp_jacobian: bool = False) -> GeodesicResult:
        """Volume term of the LAND constant at ``Exp_mu(F u)`` for each coordinate vector ``u``.

        With ``exp_jacobian=False`` (the LAND paper's choice, the default)
        ``m = sqrt(|M(Exp(v))| / |M(base)|)``: the Riemannian measure at the
        end point relative to orthonormal tangent coordinates, without the
        Jacobian of Exp. With ``exp_jacobian=True`` the change of variables
        is exact, ``m = sqrt(|M(Exp(v))| / |M(base)|) |det dExp(v)/dv|``,
        with ``dExp/dv`` from the variational equations; that is the density
        that makes ``C`` the integral of the unnormalised LAND over the
        manifold (as long as Exp is injective on the draws' support).

        Parameters
        ----------
        base_point : array-like, shape=[D]
        frame : array-like, shape=[D, D]
        tangent_coords : array-like, shape=[n, D]
        exp_jacobian : bool

        Returns
        -------
        GeodesicResult
            ``value`` is 0 where the Exp failed (``converged`` False there).

        Raises
        ------
        TypeError, ValueError
            For a bad base point, frame or coordinates.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> result = manifold.solve_volume_density(base, manifold.frame(base), np.zeros((1, 2)))
        >>> np.round(result.value, 12)
        array([1.])
        """
        base_point = self._check_base(base_point)
        frame = check_frame(self, base_point, frame)
        coords = np.atleast_2d(check_points(tangent_coords, "tangent_coords", self.dim))
        vecs = coords @ frame.T
        if exp_jacobian:
            ends, jacobians, converged = self.exp_jacobian(base_point, vecs)
        else:
            result = self.solve_exp(base_point, vecs)
            ends, converged = np.atleast_2d(result.value), np.atleast_1d(result.converged)
        safe = np.where(converged[:, None], ends, base_point)
        log_det = np.sum(np.log(self.metric.metric_diagonal(safe)), axis=-1)
        log_det_base = np.sum(np.log(self.metric.metric_diagonal(base_point)))
        values = np.exp(0.5 * (log_det - log_det_base))
        if exp_jacobian:
            values = values * np.abs(np.linalg.det(np.where(converged[:, None, None], jacobians, 0.0)))
        values = np.where(converged, values, 0.0)
        return GeodesicResult(values, converged, np.where(converged, 0.0, np.inf))

    def log_jacobian(self, base_point, frame, log_coords) -> np.ndarray:
        """Derivative of Log coordinates with respect to the base point: ``-I``.

        This is the LAND paper's approximation (exact for a flat metric); the
        sphere implements the exact derivative.

        Parameters
        ----------
        base_point, frame : unused
        log_coords : array-like, shape=[n, D]

        Returns
        -------
        ndarray, shape=[n, D, D]

        Raises
        ------
        TypeError, ValueError
            For bad ``log_coords``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> manifold.log_jacobian(base, None, np.zeros((1, 2)))[0]
        array([[-1., -0.],
               [-0., -1.]])
        """
        n = np.atleast_2d(check_points(log_coords, "log_coords", self.dim)).shape[0]
        return -np.broadcast_to(np.eye(self.dim), (n, self.dim, self.dim)).copy()
